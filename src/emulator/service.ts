/**
 * The StarRocks service behind the gateway: one handler per action, answering with the service
 * envelope `{RequestId, Success, ErrCode, ErrMessage, HttpStatusCode, Data, Total?, AccessDeniedDetail?}`.
 * Parameter-shape problems that the real gateway validates from API metadata (required params,
 * integer bounds, JSON-typed Tag) are answered as gateway errors.
 */
import { gatewayError, isGatewayError as isErr, type GatewayError } from './gateway';
import type { EmulatorAction, Tag } from './schemas';
import type { EmulatorState } from './state';
import { activitiesOf } from './state/activities';
import { isRestartOperation } from './state/operations';
import type { EmulatorInstance, EmulatorOperation } from './types';

export interface ServiceContext {
  state: EmulatorState;
  region: string;
  requestId: string;
  query: Record<string, string>;
  body: unknown;
}

export interface ServiceAnswer {
  httpStatus: number;
  body: Record<string, unknown>;
  /** Service ErrCode when Success is false. */
  code?: string;
}

export const MSG_NOT_EXISTS = 'Invalid params: [instance not exists].';
export const MSG_NOT_RUNNING = 'Invalid instance status: [cannot restart when instance is not running].';
export const CODE_OPERATION_DENIED = 'OperationDenied.InstanceStatus';

/** A restart of a non-running instance: the default InvalidParams text, or OperationDenied.InstanceStatus when that switch is on. */
function notRunning(ctx: ServiceContext, instance: EmulatorInstance): ServiceAnswer {
  if (ctx.state.faults.notRunningCode === CODE_OPERATION_DENIED) {
    return fail(ctx, `The operation is not allowed in the current instance status (${instance.status}).`, false, CODE_OPERATION_DENIED);
  }
  return fail(ctx, MSG_NOT_RUNNING);
}

const REGION_NAMES: Record<string, [string, string]> = {
  'cn-hangzhou': ['华东1（杭州）', 'China (Hangzhou)'],
  'cn-shanghai': ['华东2（上海）', 'China (Shanghai)'],
  'cn-beijing': ['华北2（北京）', 'China (Beijing)'],
  'cn-shenzhen': ['华南1（深圳）', 'China (Shenzhen)'],
  'cn-qingdao': ['华北1（青岛）', 'China (Qingdao)'],
  'cn-zhangjiakou': ['华北3（张家口）', 'China (Zhangjiakou)'],
  'cn-wulanchabu': ['华北6（乌兰察布）', 'China (Ulanqab)'],
  'cn-hongkong': ['中国香港', 'China (Hong Kong)'],
  'ap-southeast-1': ['新加坡', 'Singapore'],
  'ap-southeast-5': ['印度尼西亚（雅加达）', 'Indonesia (Jakarta)'],
  'us-west-1': ['美国（硅谷）', 'US (Silicon Valley)'],
  'us-east-1': ['美国（弗吉尼亚）', 'US (Virginia)'],
  'eu-central-1': ['德国（法兰克福）', 'Germany (Frankfurt)'],
};

export function envelope(requestId: string, fields: { success: boolean; code?: string; message?: string; httpStatus?: number; data: unknown; total?: number; accessDeniedDetail?: string }): Record<string, unknown> {
  return {
    RequestId: requestId,
    Success: fields.success,
    ErrCode: fields.success ? 'Success' : (fields.code ?? 'InvalidParams'),
    ErrMessage: fields.success ? 'null' : (fields.message ?? ''),
    HttpStatusCode: fields.httpStatus ?? 200,
    Data: fields.data,
    ...(fields.total !== undefined ? { Total: fields.total } : {}),
    ...(fields.accessDeniedDetail !== undefined ? { AccessDeniedDetail: fields.accessDeniedDetail } : {}),
  };
}

function fail(ctx: ServiceContext, message: string, data: unknown = false, code = 'InvalidParams'): ServiceAnswer {
  return { httpStatus: 200, code, body: envelope(ctx.requestId, { success: false, code, message, data }) };
}

function intParam(ctx: ServiceContext, name: string, fallback: number, min: number, max: number): number | GatewayError {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) return gatewayError(400, 'InvalidParameter', `The specified parameter ${name} "${raw}" is not a valid integer.`);
  const n = Number(raw);
  if (n < min || n > max) return gatewayError(400, 'InvalidParameter', `The specified parameter ${name} ${n} is out of range [${min}, ${max}].`);
  return n;
}

function boolParam(ctx: ServiceContext, name: string): boolean | GatewayError {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return false;
  if (raw !== 'true' && raw !== 'false') return gatewayError(400, 'InvalidParameter', `The specified parameter ${name} "${raw}" is not a valid boolean.`);
  return raw === 'true';
}

function required(ctx: ServiceContext, name: string): string | GatewayError {
  const v = ctx.query[name];
  if (v === undefined || v === '') return gatewayError(400, `Missing${name}`, `${name} is mandatory for this action.`);
  return v;
}

/**
 * PageSize of the list operations: the integer bounds of DescribeInstances' metadata (1..100000;
 * the spec documents no bound for DescribeNodeGroups / ListOperationHistory), then capped at the
 * emulator's maxPageSize (100) like DescribeInstances. Capping, not rejecting: a client that asks
 * for more gets fewer items than it asked for and must page by Total (the conservative reading).
 */
function pageSizeParam(ctx: ServiceContext): number | GatewayError {
  const requested = intParam(ctx, 'PageSize', 10, 1, 100_000);
  return isErr(requested) ? requested : Math.min(requested, ctx.state.maxPageSize);
}

function page<T>(items: T[], pageNumber: number, pageSize: number): T[] {
  return items.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
}

function instanceView(i: EmulatorInstance): Record<string, unknown> {
  const now = Date.now();
  return {
    InstanceId: i.instanceId,
    InstanceName: i.instanceName,
    InstanceStatus: i.status,
    RegionId: i.regionId,
    ResourceGroupId: i.resourceGroupId,
    Version: i.version,
    MinorVersion: i.minorVersion,
    RunMode: i.runMode,
    PackageType: i.packageType,
    PayType: i.payType,
    Architecture: i.architecture,
    BeginTime: i.beginTime,
    ExpireTime: i.expireTime,
    RunningTime: i.status === 'running' ? Math.floor((now - i.runningSince) / 1000) : 0,
    MaintainablePeriod: i.maintainablePeriod,
    Tags: i.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
    VSwitches: [{ VswId: `vsw-${i.instanceId.slice(2, 14)}`, ZoneId: `${i.regionId}-h`, Primary: true }],
    VpcId: `vpc-${i.instanceId.slice(2, 14)}`,
    SgId: `sg-${i.instanceId.slice(2, 14)}`,
    AclId: '',
    SecurityGroupManaged: true,
    EnableSSL: false,
    EnabledAuditLoader: true,
    Encrypted: false,
    IsolateLeader: false,
    EnableAutoMinorVersionUpgrade: false,
    EnableMultiAz: false,
    EnableAiFunction: false,
    KmsKeyId: '',
    OssLocation: i.runMode === 'shared_nothing' ? '' : `oss://sr-${i.instanceId}`,
    MonitorType: 'cms',
    AiFunctionInstanceId: '',
  };
}

function restartInstance(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const instanceId = required(ctx, 'InstanceId');
  if (isErr(instanceId)) return instanceId;
  const fastMode = boolParam(ctx, 'FastMode');
  if (isErr(fastMode)) return fastMode;
  const instance = ctx.state.instance(instanceId);
  // The host selects the region: an instance of another region does not exist here.
  if (!instance || instance.regionId !== ctx.region) return fail(ctx, MSG_NOT_EXISTS);
  if (instance.status !== 'running') return notRunning(ctx, instance);
  ctx.state.applyRestart({ instance, action: 'RestartInstance', fastMode, requestId: ctx.requestId });
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data: true }) };
}

function restartNodeGroup(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const instanceId = required(ctx, 'InstanceId');
  if (isErr(instanceId)) return instanceId;
  const fastMode = boolParam(ctx, 'FastMode');
  if (isErr(fastMode)) return fastMode;
  const instance = ctx.state.instance(instanceId);
  if (!instance || instance.regionId !== ctx.region) return fail(ctx, MSG_NOT_EXISTS);
  const nodeGroupId = ctx.query['NodeGroupId'];
  if (!nodeGroupId) return fail(ctx, 'Invalid params: [NodeGroupId is required].');
  if (!instance.nodeGroups.some((g) => g.nodeGroupId === nodeGroupId)) return fail(ctx, 'Invalid params: [node group not exists].');
  if (instance.status !== 'running') return notRunning(ctx, instance);
  ctx.state.applyRestart({ instance, action: 'RestartNodeGroup', nodeGroupId, fastMode, requestId: ctx.requestId });
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data: true }) };
}

/** `Tag` is typed by the API metadata as an array of {Key, Value} strings; anything else is the gateway's InvalidParameter. */
function parseTagFilter(raw: string): Array<{ Key: string; Value?: string }> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const tags: Array<{ Key: string; Value?: string }> = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
    const { Key, Value } = item as { Key?: unknown; Value?: unknown };
    if (typeof Key !== 'string' || (Value !== undefined && typeof Value !== 'string')) return undefined;
    tags.push(Value === undefined ? { Key } : { Key, Value });
  }
  return tags;
}

function describeInstances(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const pageNumber = intParam(ctx, 'PageNumber', 1, 1, 10_000);
  if (isErr(pageNumber)) return pageNumber;
  const pageSize = pageSizeParam(ctx);
  if (isErr(pageSize)) return pageSize;
  let tagFilter: Array<{ Key: string; Value?: string }> = [];
  const rawTag = ctx.query['Tag'];
  if (rawTag) {
    const parsed = parseTagFilter(rawTag);
    if (!parsed) return gatewayError(400, 'InvalidParameter', `The specified parameter Tag is not a valid JSON array of {Key, Value}: ${rawTag.slice(0, 200)}`);
    tagFilter = parsed;
  }
  const regionId = ctx.query['RegionId'];
  if (regionId && !ctx.state.regions.includes(regionId)) {
    return fail(ctx, `Invalid params: [Region id should be select from set [${ctx.state.regions.join(', ')}]]`, []);
  }
  const instanceId = ctx.query['InstanceId'];
  const name = ctx.query['InstanceName'];
  const statuses = ctx.query['InstanceStatus']?.split(',').map((s) => s.trim()).filter(Boolean);
  const rg = ctx.query['ResourceGroupId'];
  const matches = ctx.state.instances().filter(
    (i) =>
      i.regionId === ctx.region &&
      (!regionId || i.regionId === regionId) &&
      (!instanceId || i.instanceId === instanceId) &&
      // Documented choice: case-sensitive substring match (the real behaviour is undocumented).
      (!name || i.instanceName.includes(name)) &&
      (!statuses || statuses.length === 0 || statuses.includes(i.status)) &&
      (!rg || i.resourceGroupId === rg) &&
      tagFilter.every((f) => i.tags.some((t: Tag) => t.Key === f.Key && (f.Value === undefined || t.Value === f.Value))),
  );
  return {
    httpStatus: 200,
    body: envelope(ctx.requestId, { success: true, data: page(matches, pageNumber, pageSize).map(instanceView), total: matches.length }),
  };
}

/**
 * Where a group's HTTP endpoint is. With the data plane on: the instance's own loopback address and
 * the emulator's FE or BE/CN port. Off: the cloud's internal host name shape with the StarRocks
 * default ports (8030 FE, 8040 BE/CN), which do not resolve.
 */
function nodeGroupEndpoint(ctx: ServiceContext, instance: EmulatorInstance, componentType: string): { Endpoint: string; HttpPort: number } {
  const ports = ctx.state.dataPlanePorts;
  const engine = ctx.state.engines.get(instance.instanceId);
  const isFe = componentType === 'FE';
  if (ports && engine) return { Endpoint: engine.address, HttpPort: isFe ? ports.fePort : ports.bePort };
  return { Endpoint: `${isFe ? 'fe' : componentType.toLowerCase()}-${instance.instanceId}-internal.starrocks.aliyuncs.com`, HttpPort: isFe ? 8030 : 8040 };
}

function describeNodeGroups(ctx: ServiceContext): ServiceAnswer | GatewayError {
  const pageNumber = intParam(ctx, 'PageNumber', 1, 1, 10_000);
  if (isErr(pageNumber)) return pageNumber;
  const pageSize = pageSizeParam(ctx);
  if (isErr(pageSize)) return pageSize;
  const clusterId = ctx.query['ClusterId'];
  if (!clusterId) return fail(ctx, 'Invalid params: [ClusterId is required].', []);
  const instance = ctx.state.instance(clusterId);
  if (!instance || instance.regionId !== ctx.region) return fail(ctx, MSG_NOT_EXISTS, []);
  const b = (typeof ctx.body === 'object' && ctx.body !== null ? ctx.body : {}) as Record<string, unknown>;
  const ids = Array.isArray(b['nodeGroupIds']) ? (b['nodeGroupIds'] as unknown[]) : undefined;
  const groups = instance.nodeGroups.filter(
    (g) =>
      (typeof b['componentType'] !== 'string' || g.componentType === b['componentType']) &&
      (typeof b['status'] !== 'string' || g.status === b['status']) &&
      (typeof b['nodeGroupName'] !== 'string' || g.nodeGroupName === b['nodeGroupName']) &&
      (!ids || ids.includes(g.nodeGroupId)),
  );
  const data = page(groups, pageNumber, pageSize).map((g) => ({
    NodeGroupId: g.nodeGroupId,
    NodeGroupName: g.nodeGroupName,
    InstanceId: instance.instanceId,
    ComponentType: g.componentType,
    Status: g.status,
    DefaultGroup: true,
    Description: '',
    RegionId: instance.regionId,
    ZoneId: `${instance.regionId}-h`,
    Cu: 8,
    SpecType: 'standard',
    MemoryCpuRatio: 4,
    ResidentNodeNumber: g.residentNodeNumber,
    ElasticNodeNumber: 0,
    TargetElasticNodeNumber: 0,
    DiskNumber: 1,
    StorageSize: 100,
    StoragePerformanceLevel: 'pl1',
    LocalStorageInstanceType: '',
    Architecture: instance.architecture,
    ...nodeGroupEndpoint(ctx, instance, g.componentType),
    EnablePublicNetwork: false,
    PublicAddress: '',
    PayType: instance.payType,
    BillingInstanceId: `${instance.instanceId}-${g.componentType.toLowerCase()}`,
    CommodityCode: 'sr_serverless_public_cn',
    AccountStatus: 'NORMAL',
    BeginTime: instance.beginTime,
    ExpireTime: instance.expireTime,
    RunningTime: Math.floor((Date.now() - instance.runningSince) / 1000),
    NodeInfo: Array.from({ length: g.residentNodeNumber }, (_, n) => ({ NodeId: `${g.componentType.toLowerCase()}-${instance.instanceId.slice(2, 10)}-${n}` })),
    Tags: instance.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
  }));
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data, total: groups.length }) };
}

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

function listOperationHistory(ctx: ServiceContext): ServiceAnswer | GatewayError {
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
function listOperationActivity(ctx: ServiceContext): ServiceAnswer | GatewayError {
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

function describeRegions(ctx: ServiceContext): ServiceAnswer {
  const data = ctx.state.regions.map((r) => {
    const [zh, en] = REGION_NAMES[r] ?? [r, r];
    return { RegionId: r, RegionName: zh, Description: zh, DescriptionEn: en };
  });
  return { httpStatus: 200, body: envelope(ctx.requestId, { success: true, data }) };
}

export const HANDLERS: Record<EmulatorAction, (ctx: ServiceContext) => ServiceAnswer | GatewayError> = {
  RestartInstance: restartInstance,
  RestartNodeGroup: restartNodeGroup,
  DescribeInstances: describeInstances,
  DescribeNodeGroups: describeNodeGroups,
  ListOperationHistory: listOperationHistory,
  ListOperationActivity: listOperationActivity,
  DescribeRegions: describeRegions,
};

/** Actions whose successful call changes the world (relevant for drop-after and malformed faults). */
export const MUTATING_ACTIONS: ReadonlySet<string> = new Set(['RestartInstance', 'RestartNodeGroup']);
