/**
 * Parsing what came back from the StarRocks OpenAPI (spec §4, §5): the service envelope, the
 * gateway error (JSON in either casing, or XML), non-JSON error pages and network failures, each
 * classified into a StarRocksApiError. Pure functions: no I/O, no clock.
 */
import type { z } from 'zod';
import { isObject } from './checks';
import { MAX_RETRY_AFTER_MS, StarRocksApiError, classifyFailure, redactSecrets, type ErrorClass } from './errors';
import { GatewayErrorSchema, RestartDataSchema, ServiceEnvelopeSchema, type ServiceEnvelope } from './schemas';

/** Which call an answer belongs to, for the error sentences. */
export interface CallContext {
  action: string;
  region: string;
}

/** A successful call: Success true in a 2xx answer. */
export interface CallResult {
  envelope: ServiceEnvelope;
  requestId: string;
  httpStatus: number;
}

export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Network error codes raised before the request could be written: the service never saw it. */
export const NOT_SENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The error for a call that got no HTTP answer. Connect-phase failures (NOT_SENT_ERROR_CODES) mean
 * the service never saw the request; anything else may have reached it (outcome unknown), and so
 * may a request whose caller aborted it after it was handed to undici (`abortedByCaller`).
 */
export function noResponseError(
  ctx: CallContext,
  host: string,
  err: unknown,
  secrets: ReadonlyArray<string | undefined>,
  abortedByCaller = false,
): StarRocksApiError {
  const code = networkErrorCode(err);
  const notSent = !abortedByCaller && code !== undefined && NOT_SENT_ERROR_CODES.has(code);
  const what = abortedByCaller
    ? `the caller aborted the call after the request was handed to the connection (${redactSecrets(describeNetworkError(err, code), secrets)})`
    : `no response from ${host} (${redactSecrets(describeNetworkError(err, code), secrets)})`;
  return new StarRocksApiError({
    errorClass: classifyFailure({ noResponse: true }),
    action: ctx.action,
    region: ctx.region,
    outcomeUnknown: !notSent,
    detail: what,
    cause: err,
  });
}

/** The envelope of a successful call, or throws the classified StarRocksApiError. */
export function interpretResponse(ctx: CallContext, res: RawResponse, secrets: ReadonlyArray<string | undefined>): CallResult {
  const { statusCode, text } = res;
  const headerRequestId = firstHeader(res.headers, 'x-acs-request-id');
  const retryAfterMs = parseRetryAfter(firstHeader(res.headers, 'x-acs-retry-after'));
  const is2xx = statusCode >= 200 && statusCode < 300;

  const fail = (f: {
    errorClass?: ErrorClass;
    code?: string | undefined;
    message?: string | undefined;
    accessDeniedDetail?: unknown;
    requestId?: string | undefined;
    outcomeUnknown?: boolean;
    detail?: string;
  }): StarRocksApiError => {
    const errorClass =
      f.errorClass ??
      classifyFailure({ httpStatus: statusCode, code: f.code, message: f.message, accessDeniedDetail: f.accessDeniedDetail });
    const requestId = f.requestId ?? headerRequestId;
    return new StarRocksApiError({
      errorClass,
      action: ctx.action,
      region: ctx.region,
      httpStatus: statusCode,
      outcomeUnknown: f.outcomeUnknown ?? false,
      ...(f.code ? { apiCode: redactSecrets(f.code, secrets) } : {}),
      ...(f.message ? { apiMessage: redactSecrets(f.message, secrets) } : {}),
      ...(requestId ? { requestId } : {}),
      ...(retryAfterMs !== undefined && errorClass === 'throttled' ? { retryAfterMs } : {}),
      ...(f.detail ? { detail: f.detail } : {}),
    });
  };

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const xml = parseXmlError(text);
    if (xml) throw fail({ code: xml.code, message: xml.message, requestId: xml.requestId });
    if (is2xx) throw malformedResponse(ctx, statusCode, headerRequestId, 'the body is not JSON');
    // A non-JSON error page (proxy or load balancer). A 5xx there may hide a request that
    // reached the service, so its outcome is unknown.
    throw fail({ outcomeUnknown: statusCode >= 500, detail: `HTTP ${statusCode} with a non-JSON body` });
  }

  if (isObject(json) && 'Success' in json) {
    const parsed = ServiceEnvelopeSchema.safeParse(json);
    if (!parsed.success) {
      if (is2xx) throw malformedResponse(ctx, statusCode, headerRequestId, `the envelope does not match (${summariseIssues(parsed.error)})`);
      throw fail({ detail: `HTTP ${statusCode} with an unrecognised error body` });
    }
    const envelope = parsed.data;
    const requestId = envelope.RequestId ?? headerRequestId ?? '';
    if (is2xx && envelope.Success === true) return { envelope, requestId, httpStatus: statusCode };
    throw fail({
      code: envelope.ErrCode,
      message: envelope.ErrMessage === 'null' ? undefined : envelope.ErrMessage,
      accessDeniedDetail: envelope.AccessDeniedDetail,
      requestId: envelope.RequestId,
      ...(envelope.Success === true ? { detail: `HTTP ${statusCode} although the body reports success` } : {}),
    });
  }

  const gateway = GatewayErrorSchema.safeParse(json);
  if (gateway.success && gateway.data.code !== undefined) {
    const g = gateway.data;
    throw fail({ code: g.code, message: g.message, accessDeniedDetail: g.accessDeniedDetail, requestId: g.requestId });
  }
  if (is2xx) throw malformedResponse(ctx, statusCode, headerRequestId, 'the body is neither a service envelope nor a gateway error');
  throw fail({ detail: `HTTP ${statusCode} with an unrecognised error body` });
}

/**
 * A 2xx answer we cannot read. Transient with an unknown outcome: the service may have acted on
 * the request (for a restart, re-read the status before sending again).
 */
export function malformedResponse(ctx: CallContext, httpStatus: number | undefined, requestId: string | undefined, why: string): StarRocksApiError {
  return new StarRocksApiError({
    errorClass: 'transient',
    action: ctx.action,
    region: ctx.region,
    outcomeUnknown: true,
    detail: `malformed response: ${why}`,
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    ...(requestId ? { requestId } : {}),
  });
}

/** `Data` of a successful call parsed with `schema`, or a malformed-response error. */
export function parseData<S extends z.ZodType>(ctx: CallContext, result: CallResult, schema: S): z.output<S> {
  const parsed = schema.safeParse(result.envelope.Data);
  if (!parsed.success) {
    throw malformedResponse(ctx, result.httpStatus, result.requestId, `Data does not match the expected shape (${summariseIssues(parsed.error)})`);
  }
  return parsed.data;
}

/** `Total` of a list answer (the item count when absent). */
export function totalOf(ctx: CallContext, result: CallResult, itemCount: number): number {
  const total = result.envelope.Total;
  if (total === undefined) return itemCount;
  if (!Number.isInteger(total) || total < 0) {
    throw malformedResponse(ctx, result.httpStatus, result.requestId, `Total is ${String(total)}`);
  }
  return total;
}

/** A restart call must answer `Data: true`. */
export function expectRestartAccepted(ctx: CallContext, result: CallResult): void {
  if (!RestartDataSchema.safeParse(result.envelope.Data).success) {
    // Success:true without Data:true is not a shape the vendor documents: we cannot tell
    // whether the restart was scheduled.
    throw malformedResponse(ctx, result.httpStatus, result.requestId, 'Success is true but Data is not true');
  }
}

/** `x-acs-retry-after` in milliseconds (as the official SDK reads it), capped at 120 s. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value.trim());
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}

function firstHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The string `code` of a network error, looking through AggregateError and `cause` chains. */
export function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && isObjectLike(current); depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      current = inner[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function describeNetworkError(err: unknown, code: string | undefined): string {
  const message = err instanceof Error && err.message ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function parseXmlError(text: string): { code?: string; message?: string; requestId?: string } | undefined {
  if (!/<Error[\s>]/.test(text)) return undefined;
  const tag = (name: string): string | undefined => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1]?.trim();
  const code = tag('Code');
  if (code === undefined) return undefined;
  const out: { code?: string; message?: string; requestId?: string } = { code };
  const message = tag('Message');
  const requestId = tag('RequestId');
  if (message !== undefined) out.message = message;
  if (requestId !== undefined) out.requestId = requestId;
  return out;
}

export function summariseIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
