/**
 * What every service handler shares: the context, the service envelope, and the parameter checks
 * that the real gateway makes from API metadata (answered as gateway errors).
 */
import { gatewayError, isGatewayError as isErr, type GatewayError } from '../gateway';
import type { EmulatorState } from '../state';

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

export function fail(ctx: ServiceContext, message: string, data: unknown = false, code = 'InvalidParams'): ServiceAnswer {
  return { httpStatus: 200, code, body: envelope(ctx.requestId, { success: false, code, message, data }) };
}

export function intParam(ctx: ServiceContext, name: string, fallback: number, min: number, max: number): number | GatewayError {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) return gatewayError(400, 'InvalidParameter', `The specified parameter ${name} "${raw}" is not a valid integer.`);
  const n = Number(raw);
  if (n < min || n > max) return gatewayError(400, 'InvalidParameter', `The specified parameter ${name} ${n} is out of range [${min}, ${max}].`);
  return n;
}

export function boolParam(ctx: ServiceContext, name: string): boolean | GatewayError {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return false;
  if (raw !== 'true' && raw !== 'false') return gatewayError(400, 'InvalidParameter', `The specified parameter ${name} "${raw}" is not a valid boolean.`);
  return raw === 'true';
}

export function required(ctx: ServiceContext, name: string): string | GatewayError {
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
export function pageSizeParam(ctx: ServiceContext): number | GatewayError {
  const requested = intParam(ctx, 'PageSize', 10, 1, 100_000);
  return isErr(requested) ? requested : Math.min(requested, ctx.state.maxPageSize);
}

export function page<T>(items: T[], pageNumber: number, pageSize: number): T[] {
  return items.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
}

export { isErr };
