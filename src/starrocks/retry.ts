/**
 * A small bounded retry loop for callers outside Temporal (the CLI's `plan`). Inside workflows
 * Temporal's retry policies own retries; this exists so a one-shot command survives a throttled or
 * flaky read without a hand-written loop at every call site.
 */
import { StarRocksApiError, StarRocksInputError, type ErrorClass } from './errors';

/** The classes worth retrying within seconds: busy instances need minutes, the rest a fix. */
export const RETRIED_CLASSES: ReadonlySet<ErrorClass> = new Set<ErrorClass>(['throttled', 'transient']);

export const DEFAULT_RETRY_ATTEMPTS = 4;
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 500;
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;

export interface RetryEvent {
  /** The attempt that just failed, 1-based. */
  attempt: number;
  /** Wait before the next attempt, ms. */
  delayMs: number;
  error: StarRocksApiError;
}

export interface RetryOptions {
  /** Attempts in total, the first included (1 = no retry). Default 4. */
  attempts?: number;
  /** Backoff before the second attempt, ms; doubles each time. Default 500. */
  initialDelayMs?: number;
  /**
   * Cap of the exponential backoff, ms. Default 10000. A longer `retryAfterMs` asked by the
   * service (x-acs-retry-after, itself capped at 120 s by the client) still wins.
   */
  maxDelayMs?: number;
  /**
   * Whether `fn` may run again after an attempt whose outcome is unknown (a timeout, a reset).
   * Default true, right for reads. Set false for RestartInstance / RestartNodeGroup, which have no
   * idempotency token: an `outcomeUnknown` error then ends the retries at once.
   */
  repeatable?: boolean;
  /** Called before each wait (log it). */
  onRetry?: (event: RetryEvent) => void;
  /** Waits `ms` milliseconds. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform random number in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
}

/**
 * Runs `fn` until it succeeds, retrying only StarRocksApiErrors of class throttled or transient,
 * at most `attempts` times in all, with exponential backoff and jitter: before attempt n+1 it
 * waits between half and all of min(maxDelayMs, initialDelayMs × 2^(n−1)), or the service's
 * `retryAfterMs` when that is longer. Any other error is thrown at once, unchanged. When it runs
 * out of attempts (or stops after more than one) it throws the last error — the same object, so
 * its class and code still match — with a sentence added to its message naming how many attempts
 * were made and how they failed.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = intOption('attempts', opts.attempts, DEFAULT_RETRY_ATTEMPTS, 1, 100);
  const initialDelayMs = intOption('initialDelayMs', opts.initialDelayMs, DEFAULT_RETRY_INITIAL_DELAY_MS, 0, 3_600_000);
  const maxDelayMs = intOption('maxDelayMs', opts.maxDelayMs, Math.max(DEFAULT_RETRY_MAX_DELAY_MS, initialDelayMs), initialDelayMs, 3_600_000);
  const repeatable = opts.repeatable ?? true;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = opts.random ?? Math.random;
  const failures: ErrorClass[] = [];

  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof StarRocksApiError)) throw err;
      failures.push(err.errorClass);
      const stop: StopReason | undefined = !RETRIED_CLASSES.has(err.errorClass)
        ? 'not-retryable'
        : err.outcomeUnknown && !repeatable
          ? 'outcome-unknown'
          : attempt >= attempts
            ? 'exhausted'
            : undefined;
      // A single failure that ends the loop at once needs no story; running out of attempts always does.
      if (stop) throw stop === 'exhausted' || failures.length > 1 ? annotated(err, failures, stop) : err;
      const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
      const backoff = Math.round(base / 2 + random() * (base / 2));
      const delayMs = Math.max(backoff, err.retryAfterMs ?? 0);
      opts.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs);
    }
  }
}

type StopReason = 'exhausted' | 'not-retryable' | 'outcome-unknown';

/** Adds the sentence about the attempts to the last error's message (and the first line of its stack). */
function annotated(err: StarRocksApiError, failures: readonly ErrorClass[], stop: StopReason): StarRocksApiError {
  const counts = new Map<ErrorClass, number>();
  for (const c of failures) counts.set(c, (counts.get(c) ?? 0) + 1);
  const how = [...counts.entries()].map(([c, n]) => `${n} ${c.replace('_', ' ')}`).join(', ');
  const n = failures.length;
  const sentence =
    stop === 'exhausted'
      ? `Gave up after ${n} attempt${n === 1 ? '' : 's'}, all failed (${how}).`
      : stop === 'outcome-unknown'
        ? `Stopped after ${n} attempts (${how}): the last one may have reached the service and the call is not safe to repeat.`
        : `Stopped after ${n} attempts (${how}): the last failure is not one a retry can fix.`;
  const original = err.message;
  err.message = `${original} ${sentence}`;
  if (typeof err.stack === 'string') err.stack = err.stack.replace(original, err.message);
  return err;
}

function intOption(field: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StarRocksInputError(field, `${field} must be an integer from ${min} to ${max}; got ${String(value)}.`);
  }
  return value;
}
