/**
 * Typed failures of the StarRocks OpenAPI client and the one ordered classification table
 * (spec §5.1, §5.2, §5.3). Callers match on `code` / `errorClass`, never on message text.
 */

import type { Refusal } from '../contracts/activities';
import { ERROR_CLASS_INFO, errorCodeFor, isRetryableClass, type ErrorClass, type StarRocksErrorCode } from '../contracts/errors';

export { ERROR_CLASSES, errorCodeFor, isRetryableClass } from '../contracts/errors';
export type { ErrorClass, StarRocksErrorCode } from '../contracts/errors';

/** Upper bound for `x-acs-retry-after`, as in the official SDK. */
export const MAX_RETRY_AFTER_MS = 120_000;

export interface FailureFacts {
  /** Real HTTP status of the response, if one arrived. */
  httpStatus?: number;
  /** Gateway `Code` or service `ErrCode`. */
  code?: string;
  /** Gateway `Message` or service `ErrMessage`. */
  message?: string;
  /** `AccessDeniedDetail` (string in the service envelope, object in gateway errors). */
  accessDeniedDetail?: unknown;
  /** True when no HTTP response was received (DNS, connect, TLS, timeout, reset). */
  noResponse?: boolean;
}

interface NormalisedFacts {
  status: number | undefined;
  code: string;
  message: string;
  denied: boolean;
  noResponse: boolean;
}

interface ClassificationRule {
  /** Short name used in tests and in debugging. */
  readonly name: string;
  readonly errorClass: ErrorClass;
  readonly when: (f: NormalisedFacts) => boolean;
}

const codeIn =
  (...codes: string[]) =>
  (f: NormalisedFacts): boolean =>
    codes.includes(f.code);
const codeStartsWith =
  (...prefixes: string[]) =>
  (f: NormalisedFacts): boolean =>
    prefixes.some((p) => f.code.startsWith(p));

const AUTH_CODES = [
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidTimeStamp.Expired',
  'MissingSecurityToken',
  'Forbidden.AccessKeyDisabled',
];
const AUTH_CODE_PREFIXES = ['InvalidAccessKeyId.', 'InvalidSecurityToken.'];

/**
 * The classification table, first match wins. The order follows spec §5.3 with one refinement
 * the spec itself asks for ("classify by Code first, by HTTP status second"): HTTP 403 / 401 /
 * 404 / other 4xx are fallbacks applied only when no code rule matched, so a
 * `SignatureDoesNotMatch` served with 403 (older vendor tables) stays `auth`. HTTP 5xx keeps its
 * early position (§5.3 step 3): the server failed, whatever the body says.
 */
export const CLASSIFICATION_RULES: readonly ClassificationRule[] = [
  // 1. No response at all.
  { name: 'no-response', errorClass: 'transient', when: (f) => f.noResponse },
  // 2. Throttling in any form (Throttling, Throttling.User, Throttling.Api, Rejected.Throttling).
  { name: 'throttling-code', errorClass: 'throttled', when: (f) => f.code.includes('Throttling') },
  // 3. Server-side trouble.
  { name: 'http-5xx', errorClass: 'transient', when: (f) => f.status !== undefined && f.status >= 500 },
  {
    name: 'server-error-code',
    errorClass: 'transient',
    when: codeIn('ServiceUnavailable', 'InternalError', 'UnknownError'),
  },
  // A replayed nonce: a new attempt (new nonce and date) is the fix.
  { name: 'nonce-replayed', errorClass: 'transient', when: codeIn('SignatureNonceUsed') },
  // Forbidden.AccessKeyDisabled is a key problem (auth), not a policy denial; it must precede Forbidden*.
  { name: 'key-disabled', errorClass: 'auth', when: codeIn('Forbidden.AccessKeyDisabled') },
  // 4. Permission (code or AccessDeniedDetail; the bare 403 status is a fallback below).
  { name: 'forbidden-code', errorClass: 'permission', when: (f) => f.code.startsWith('Forbidden') },
  { name: 'no-permission-code', errorClass: 'permission', when: codeIn('NoPermission') },
  { name: 'access-denied-detail', errorClass: 'permission', when: (f) => f.denied },
  // 5. Signature, clock, key and token problems.
  { name: 'auth-code', errorClass: 'auth', when: (f) => codeIn(...AUTH_CODES)(f) || codeStartsWith(...AUTH_CODE_PREFIXES)(f) },
  // Malformed signature method / timestamp are request-building bugs, not credential problems.
  { name: 'bad-signature-method', errorClass: 'bad_request', when: codeIn('InvalidSignatureMethod', 'InvalidTimeStamp.Format') },
  // 6. The instance is in a state that forbids the operation now.
  {
    name: 'instance-status-conflict',
    errorClass: 'busy',
    when: (f) => f.message.startsWith('Invalid instance status') || f.code === 'OperationDenied.InstanceStatus',
  },
  // 7. Missing instance.
  {
    name: 'instance-not-found',
    errorClass: 'not_found',
    when: (f) => f.code === 'Instance.NotFound' || f.message.includes('instance not exists'),
  },
  // 8. Operation not enabled for this account.
  {
    name: 'non-whitelist-operation',
    errorClass: 'unsupported',
    when: (f) => f.message.includes('Unsupported.Non.Whitelist.Operation') || f.code === 'Unsupported.Non.Whitelist.Operation',
  },
  // 9. Request problems named by code (§5.1 bad-request rows). Matched before the status fallbacks so
  // e.g. UnsupportedHTTPMethod served with 403 stays a bad request; auth Invalid* codes matched above.
  {
    name: 'bad-request-code',
    errorClass: 'bad_request',
    when: (f) =>
      codeIn('UnsupportedHTTPMethod', 'ContentLengthDoesNotMatch')(f) || codeStartsWith('Invalid', 'Missing')(f),
  },
  // Status fallbacks, then everything else.
  { name: 'http-429', errorClass: 'throttled', when: (f) => f.status === 429 },
  { name: 'http-403', errorClass: 'permission', when: (f) => f.status === 403 },
  { name: 'http-401', errorClass: 'auth', when: (f) => f.status === 401 },
  { name: 'other-failure', errorClass: 'bad_request', when: () => true },
];

function isDeniedDetailPresent(detail: unknown): boolean {
  if (detail === undefined || detail === null) return false;
  if (typeof detail === 'string') {
    const trimmed = detail.trim();
    return trimmed !== '' && trimmed !== 'null' && trimmed !== '{}';
  }
  if (typeof detail === 'object') return Object.keys(detail).length > 0;
  return true;
}

/** Class of a failed call (spec §5.3). Pure; the first matching rule of CLASSIFICATION_RULES wins. */
export function classifyFailure(input: FailureFacts): ErrorClass {
  return matchRule(input).errorClass;
}

/** The rule that classified `input` (exposed for tests and diagnostics). */
export function matchRule(input: FailureFacts): ClassificationRule {
  const facts: NormalisedFacts = {
    status: input.httpStatus,
    code: (input.code ?? '').trim(),
    message: (input.message ?? '').trim(),
    denied: isDeniedDetailPresent(input.accessDeniedDetail),
    noResponse: input.noResponse === true,
  };
  // The last rule always matches, so find() never returns undefined.
  return CLASSIFICATION_RULES.find((rule) => rule.when(facts))!;
}

/** What a refusal carries (contracts/activities.ts Refusal, which the workflow sees), plus the call's particulars. */
export interface StarRocksApiErrorInit extends Omit<Refusal, 'message'> {
  httpStatus?: number;
  retryAfterMs?: number;
  outcomeUnknown: boolean;
  /** What happened, when there is no API code/message (e.g. "connection refused", "malformed response"). */
  detail?: string;
  cause?: unknown;
}

/**
 * A call to the StarRocks OpenAPI failed. The message is a sentence naming the action, region,
 * API code and message, HTTP status and RequestId; it never contains credentials (the client
 * redacts them from anything the server echoes).
 */
export class StarRocksApiError extends Error {
  override readonly name = 'StarRocksApiError';
  readonly code: StarRocksErrorCode;
  readonly errorClass: ErrorClass;
  readonly action: string;
  readonly region: string;
  readonly apiCode?: string;
  readonly apiMessage?: string;
  readonly requestId?: string;
  readonly httpStatus?: number;
  /** From `x-acs-retry-after` (milliseconds), capped at MAX_RETRY_AFTER_MS. */
  readonly retryAfterMs?: number;
  /**
   * True when the request may have reached the service and we do not know what it did
   * (response timeout, reset after the request was written, malformed success body).
   * For RestartInstance, re-read the instance status before sending it again.
   */
  readonly outcomeUnknown: boolean;
  readonly retryable: boolean;

  constructor(init: StarRocksApiErrorInit) {
    super(describeApiFailure(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.code = errorCodeFor(init.errorClass);
    this.errorClass = init.errorClass;
    this.action = init.action;
    this.region = init.region;
    if (init.apiCode !== undefined) this.apiCode = init.apiCode;
    if (init.apiMessage !== undefined) this.apiMessage = init.apiMessage;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    this.outcomeUnknown = init.outcomeUnknown;
    this.retryable = isRetryableClass(init.errorClass);
  }
}



function describeApiFailure(init: StarRocksApiErrorInit): string {
  const parts: string[] = [`StarRocks ${init.action} in region ${init.region} ${ERROR_CLASS_INFO[init.errorClass].phrase}`];
  if (init.detail) parts.push(`: ${init.detail}`);
  const api: string[] = [];
  if (init.apiCode) api.push(`API code ${init.apiCode}`);
  if (init.apiMessage) api.push(`message "${init.apiMessage}"`);
  if (api.length > 0) parts.push(` (${api.join(', ')})`);
  const ids: string[] = [];
  if (init.httpStatus !== undefined) ids.push(`HTTP ${init.httpStatus}`);
  ids.push(`RequestId ${init.requestId ?? 'unknown'}`);
  parts.push(`; ${ids.join(', ')}.`);
  if (init.retryAfterMs !== undefined) parts.push(` The service asks to retry after ${init.retryAfterMs} ms.`);
  if (init.outcomeUnknown) parts.push(' The request may have reached the service; its outcome is unknown.');
  return parts.join('');
}

/** Why a call was stopped before its request was written. */
export type NotSentReason = 'aborted' | 'deadline';

export interface StarRocksNotSentErrorInit {
  action: string;
  region: string;
  reason: NotSentReason;
  /** The call's `notAfterMs` (epoch ms), for `deadline`. */
  notAfterMs?: number;
  /** The client clock when the call was stopped (epoch ms). */
  nowMs: number;
  /** For `aborted`: a short description of the signal's reason, already free of secrets. */
  abortReason?: string;
}

/**
 * A call was stopped before its request was written: its AbortSignal was aborted, or the client
 * clock had passed its `notAfterMs` (typically after waiting for the client-side rate limit).
 * Nothing reached the service, so `outcomeUnknown` is false: a RestartInstance that failed like
 * this did not restart anything. Not retryable as such: the caller's own deadline or cancellation
 * stopped it; a new attempt with a new deadline may send it.
 */
export class StarRocksNotSentError extends Error {
  override readonly name = 'StarRocksNotSentError';
  readonly code = 'ERR_STARROCKS_NOT_SENT' as const;
  readonly action: string;
  readonly region: string;
  readonly reason: NotSentReason;
  readonly notAfterMs?: number;
  readonly nowMs: number;
  readonly outcomeUnknown = false as const;
  readonly retryable = false as const;

  constructor(init: StarRocksNotSentErrorInit) {
    super(describeNotSent(init));
    this.action = init.action;
    this.region = init.region;
    this.reason = init.reason;
    if (init.notAfterMs !== undefined) this.notAfterMs = init.notAfterMs;
    this.nowMs = init.nowMs;
  }
}

function describeNotSent(init: StarRocksNotSentErrorInit): string {
  const head = `StarRocks ${init.action} in region ${init.region} was not sent`;
  const why =
    init.reason === 'deadline'
      ? `its deadline ${isoOrNumber(init.notAfterMs)} had passed (client clock ${isoOrNumber(init.nowMs)}) before the request could be written`
      : `the caller aborted it${init.abortReason ? ` (${init.abortReason})` : ''} before the request was written`;
  return `${head}: ${why}; nothing reached the service.`;
}

function isoOrNumber(ms: number | undefined): string {
  if (ms === undefined) return 'unknown';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** An argument was invalid; thrown before any request is sent. */
export class StarRocksInputError extends Error {
  override readonly name = 'StarRocksInputError';
  readonly code = 'ERR_STARROCKS_INVALID_INPUT' as const;
  /** Name of the offending argument, e.g. `instanceId`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** Replaces every occurrence of each secret (length >= 4) with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join('[REDACTED]');
  }
  return out;
}
