/** Operation handlers: ListOperationHistory and ListOperationActivity. */
import type { GatewayError } from '../gateway';
import { activitiesOf } from '../state/activities';
import { isRestartOperation } from '../state/operations';
import type { EmulatorOperation } from '../types';
import { MSG_NOT_EXISTS, envelope, fail, intParam, isErr, page, pageSizeParam, required, type ServiceAnswer, type ServiceContext } from './common';

function operationView(op: EmulatorOperation): Record<string, unknown> {
  const progress =
    op.operationStatus === 'COMPLETED'
      ? 100
      : op.operationStatus === 'TERMINATED'
        ? 0
        : op.plannedDurationMs > 0
          ? Math.min(99, Math.floor(((Date.now() - op.gmtCreate) / op.plannedDurationMs) * 100))
          : 0;
  return {
    OperationId: op.operationId,
    OperationType: op.operationType,
    OperationStatus: op.operationStatus,
    Progress: progress,
    GmtCreate: op.gmtCreate,
    ...(op.gmtEnd !== undefined ? { GmtEnd: op.gmtEnd } : {}),
    OperationDetail: isRestartOperation(op) ? JSON.stringify({ FastMode: op.fastMode, ...(op.nodeGroupId ? { NodeGroupId: op.nodeGroupId } : {}) }) : '{}',
    BeforeValue: '',
    AfterValue: '',
    InstanceId: op.instanceId,
  };
}

export function listOperationHistory(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const instanceId = required(ctx, 'InstanceId');
  if (isErr(instanceId)) return instanceId;
  const pageNumber = intParam(ctx, 'PageNumber', 1, 1, 10_000);
  if (isErr(pageNumber)) return pageNumber;
  const pageSize = pageSizeParam(ctx);
  if (isErr(pageSize)) return pageSize;
  const start = intParam(ctx, 'StartTime', 0, 0, Number.MAX_SAFE_INTEGER);
  if (isErr(start)) return start;
  const end = intParam(ctx, 'EndTime', Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER);
  if (isErr(end)) return end;
  const instance = ctx.state.instance(instanceId);
  if (!instance || instance.regionId !== ctx.region) return fail(ctx, MSG_NOT_EXISTS, []);
  const q = ctx.query;
  // Newest first (console order; the real default ordering is undocumented).
  const ops = ctx.state
    .operationsFor(instanceId)
    .map((o, created) => ({ o, created }))
    .filter(
      ({ o }) =>
        (!q['OperationId'] || o.operationId === q['OperationId']) &&
        (!q['OperationType'] || o.operationType === q['OperationType']) &&
        (!q['OperationStatus'] || o.operationStatus === q['OperationStatus']) &&
        o.gmtCreate >= start &&
        o.gmtCreate <= end,
    )
    // Newest first by GmtCreate (the restart history was created at seed time with past dates); ties: the later one first.
    .sort((a, b) => b.o.gmtCreate - a.o.gmtCreate || b.created - a.created)
    .map(({ o }) => o);
  return {
    httpStatus: 200,
    body: envelope(ctx.requestId, { success: true, data: page(ops, pageNumber, pageSize).map(operationView), total: ops.length }),
  };
}

export const MSG_OPERATION_NOT_EXISTS = 'Invalid params: [operation not exists].';

/**
 * The steps of one operation. OperationId is optional in the spec; without it the instance's
 * newest operation is described (documented choice). An unknown operation is InvalidParams, like
 * an unknown instance. No paging parameters are documented: every step is returned.
 */
export function listOperationActivity(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const instanceId = required(ctx, 'InstanceId');
  if (isErr(instanceId)) return instanceId;
  const instance = ctx.state.instance(instanceId);
  if (!instance || instance.regionId !== ctx.region) return fail(ctx, MSG_NOT_EXISTS, []);
  const operationId = ctx.query['OperationId'];
  const operation = operationId
    ? ctx.state.operation(instanceId, operationId)
    : [...ctx.state.operationsFor(instanceId)].reverse().sort((a, b) => b.gmtCreate - a.gmtCreate)[0];
  if (!operation) return operationId ? fail(ctx, MSG_OPERATION_NOT_EXISTS, []) : { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data: [], total: 0 }) };
  const data = activitiesOf(operation, instance);
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data, total: data.length }) };
}
