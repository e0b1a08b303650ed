/**
 * The one error registry of starwave. Every error a user can meet carries a stable `code` from
 * ERROR_CODES; the CLI's exit code, the HTTP status of the API and the Temporal failure type are
 * derived from that code here, never from message text. The StarRocks error classes and their
 * retryable/fatal table live here too (the client classifies, workflows and activities decide).
 *
 * Pure module: no Node built-ins, no Temporal imports. Workflows, activities, the client, the CLI
 * and the API import it alike.
 */

// ---------------------------------------------------------------------------------------------
// StarRocks API error classes (spec §5.3) and what each means for a caller.

export const ERROR_CLASSES = ['throttled', 'transient', 'busy', 'auth', 'permission', 'bad_request', 'not_found', 'unsupported'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface ErrorClassInfo {
  /** Worth retrying later: throttled/transient with backoff, busy once the instance settles. */
  readonly retryable: boolean;
  /**
   * A permanent refusal of the account or the request, not of one instance: no other call of the
   * same kind can succeed until an operator fixes credentials, the RAM policy or the account. A
   * rollout that meets one stops launching at once.
   */
  readonly permanent: boolean;
  /** Phrase for sentences: "StarRocks DescribeInstances in cn-hangzhou <phrase>". */
  readonly phrase: string;
  /** What to do about it, as a sentence fragment. */
  readonly fix: string;
}

export const ERROR_CLASS_INFO: Readonly<Record<ErrorClass, ErrorClassInfo>> = {
  throttled: { retryable: true, permanent: false, phrase: 'was throttled', fix: 'lower STARWAVE_REGION_QPS or raise the API quota' },
  transient: { retryable: true, permanent: false, phrase: 'failed transiently', fix: 'retry later' },
  busy: { retryable: true, permanent: false, phrase: 'was refused because the instance is busy', fix: 'wait for the instance to settle' },
  auth: { retryable: false, permanent: true, phrase: 'failed authentication', fix: "check the worker's Alibaba Cloud credentials and its clock" },
  permission: { retryable: false, permanent: true, phrase: 'was denied permission', fix: "grant the worker's credentials the RAM action" },
  bad_request: { retryable: false, permanent: false, phrase: 'was rejected as a bad request', fix: 'check the request' },
  not_found: { retryable: false, permanent: false, phrase: 'found no such instance', fix: 'check the instance id and region' },
  unsupported: { retryable: false, permanent: true, phrase: 'is not supported for this account', fix: 'ask Alibaba Cloud to enable the operation for the account' },
};

export function isRetryableClass(errorClass: ErrorClass): boolean {
  return ERROR_CLASS_INFO[errorClass].retryable;
}

export function isPermanentClass(errorClass: ErrorClass): boolean {
  return ERROR_CLASS_INFO[errorClass].permanent;
}

export function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'string' && (ERROR_CLASSES as readonly string[]).includes(value);
}

/** The RAM action an OpenAPI action needs (spec §8: service prefix `sr`). */
export function ramActionFor(action: string): string {
  return `sr:${action}`;
}

// ---------------------------------------------------------------------------------------------
// Temporal failure types: the `type` of every ApplicationFailure starwave raises.

export const FAILURE_TYPES = {
  /** A StarRocks call failed; the class follows the dot: `StarRocks.throttled`. */
  starRocksPrefix: 'StarRocks.',
  /** The rollout input failed validation (non-retryable). */
  invalidSpec: 'InvalidSpec',
  /** Another running rollout holds some targets (non-retryable). */
  leaseConflict: 'LeaseConflict',
  /** A control message was rejected by the workflow's validator. */
  controlRejected: 'ControlRejected',
  /** A launch was not sent because its attempt ran out of time or was cancelled first. */
  notSent: 'NotSent',
} as const;

export function failureTypeFor(errorClass: ErrorClass): string {
  return `${FAILURE_TYPES.starRocksPrefix}${errorClass}`;
}

/** The classes a Temporal retry policy must not retry, as failure types. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly string[] = ERROR_CLASSES.filter((c) => !isRetryableClass(c)).map(failureTypeFor);

export function errorClassOfFailureType(type: string | undefined | null): ErrorClass | undefined {
  if (!type || !type.startsWith(FAILURE_TYPES.starRocksPrefix)) return undefined;
  const cls = type.slice(FAILURE_TYPES.starRocksPrefix.length);
  return isErrorClass(cls) ? cls : undefined;
}

// ---------------------------------------------------------------------------------------------
// Error codes, exit codes and HTTP statuses.

/** Exit codes of `starwave` (README "CLI"). */
export const EXIT = {
  /** The command did what was asked; a rollout completed within its failure budget. */
  ok: 0,
  /** A rollout failed or was stopped (failure budget, window cutoff, cancel, stall, refusal). */
  rolloutNotCompleted: 1,
  /** Invalid input: bad flag, bad spec or config, unknown rollout or schedule, rejected control. Nothing was started. */
  invalidInput: 2,
  /** Temporal, a starwave worker or (for `plan`) the StarRocks API could not be reached in time. */
  unreachable: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success (a rollout completed within its failure budget)
  1  the rollout failed or was stopped (failure budget, window, cancel, stall, refused by the API)
  2  invalid input (bad flag, spec or setting, unknown rollout/schedule, rejected control); nothing was started
  3  Temporal, a starwave worker or (for plan) the StarRocks API could not be reached in time`;

interface CodeInfo {
  readonly exit: ExitCode;
  readonly http: number;
}

const input = (http = 400): CodeInfo => ({ exit: EXIT.invalidInput, http });
const unreachable = (http = 503): CodeInfo => ({ exit: EXIT.unreachable, http });

/** Every stable error code, with its exit code and HTTP status. */
export const ERROR_CODES = {
  ERR_SPEC_INVALID: input(),
  ERR_SPEC_UNREADABLE: input(),
  ERR_FLAG_INVALID: input(),
  ERR_CONFIG_INVALID: input(),
  ERR_LIMITS_INVALID: input(),
  ERR_BAD_BODY: input(),
  ERR_UNSUPPORTED_MEDIA_TYPE: input(415),
  ERR_BODY_TOO_LARGE: input(413),
  ERR_BAD_REQUEST_TARGET: input(),
  ERR_QUERY_INVALID: input(),
  ERR_UNAUTHORIZED: input(401),
  ERR_FORBIDDEN: input(403),
  ERR_NOT_FOUND: input(404),
  ERR_METHOD_NOT_ALLOWED: input(405),
  ERR_ROLLOUT_NOT_FOUND: input(404),
  ERR_SCHEDULE_NOT_FOUND: input(404),
  ERR_SCHEDULE_EXISTS: input(409),
  ERR_ROLLOUT_RUNNING: input(409),
  ERR_ROLLOUT_FINISHED: input(409),
  ERR_STILL_RUNNING: input(409),
  ERR_CONTROL_REJECTED: input(409),
  ERR_LEASE_CONFLICT: input(409),
  ERR_TEMPORAL_UNREACHABLE: unreachable(),
  ERR_NO_WORKER: unreachable(),
  ERR_TIMEOUT: unreachable(504),
  ERR_STARROCKS_CREDENTIALS: input(),
  ERR_STARROCKS_INVALID_INPUT: input(),
  ERR_STARROCKS_NOT_SENT: unreachable(),
  ERR_STARROCKS_THROTTLED: unreachable(),
  ERR_STARROCKS_TRANSIENT: unreachable(),
  ERR_STARROCKS_BUSY: unreachable(),
  ERR_STARROCKS_AUTH: input(),
  ERR_STARROCKS_PERMISSION: input(),
  ERR_STARROCKS_BAD_REQUEST: input(),
  ERR_STARROCKS_NOT_FOUND: input(),
  ERR_STARROCKS_UNSUPPORTED: input(),
  ERR_DATAPLANE_UNREACHABLE: unreachable(),
  ERR_ROLLOUT_FAILED: { exit: EXIT.rolloutNotCompleted, http: 409 },
  ERR_ROLLOUT_NOT_COMPLETED: { exit: EXIT.rolloutNotCompleted, http: 200 },
  ERR_INTERNAL: { exit: EXIT.rolloutNotCompleted, http: 500 },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Stable code of a StarRocks error class, e.g. `ERR_STARROCKS_THROTTLED`. */
export type StarRocksErrorCode = `ERR_STARROCKS_${Uppercase<ErrorClass>}`;
export function errorCodeFor(errorClass: ErrorClass): StarRocksErrorCode {
  return `ERR_STARROCKS_${errorClass.toUpperCase()}` as StarRocksErrorCode;
}

export function exitCodeOf(code: ErrorCode): ExitCode {
  return ERROR_CODES[code].exit;
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}

/** One problem with a piece of input, named by its path (`waves.sizes.0`, `--wave`, `STARWAVE_ENDPOINTS`). */
export interface Problem {
  path: string;
  message: string;
}

/**
 * The base of starwave's own errors: a sentence for people, a stable code for programs, and the
 * problems by path when the error is about input. The message never contains a secret.
 */
export class StarwaveError extends Error {
  override readonly name: string = 'StarwaveError';
  readonly code: ErrorCode;
  readonly problems: Problem[];

  constructor(code: ErrorCode, message: string, opts: { problems?: Problem[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.problems = opts.problems ?? [];
  }

  get exitCode(): ExitCode {
    return exitCodeOf(this.code);
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }
}

/** The `code` of any error-like value when it is one of ours, else undefined. */
export function codeOf(err: unknown): ErrorCode | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  return isErrorCode(code) ? code : undefined;
}

/** Problems as indented lines, for CLI output. */
export function formatProblemLines(problems: readonly Problem[]): string {
  return problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
}
