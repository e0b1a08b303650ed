/**
 * The one place where StarRocks client errors become Temporal failures or refusals. Retryable
 * classes become ApplicationFailures whose *type* carries the class (`StarRocks.throttled`, …) so
 * Temporal's retry policy retries them (throttling passes the server's Retry-After on as
 * `nextRetryDelay`); the others are handed back as data (a Refusal) for the engine to judge.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Refusal } from '../contracts/activities';
import { FAILURE_TYPES, failureTypeFor, type ErrorClass } from '../contracts/errors';
import { StarRocksApiError, StarRocksInputError, StarRocksNotSentError } from '../starrocks/errors';

export interface FailureDetails {
  errorClass: ErrorClass;
  apiCode?: string;
  apiMessage?: string;
  requestId?: string;
  httpStatus?: number;
}

/** A non-retryable client error as a Refusal; undefined for anything else. */
export function refusalOf(err: unknown, region: string, fallbackAction: string): Refusal | undefined {
  if (err instanceof StarRocksApiError && !err.retryable) {
    return {
      errorClass: err.errorClass,
      action: err.action,
      region,
      ...(err.apiCode ? { apiCode: err.apiCode } : {}),
      ...(err.apiMessage ? { apiMessage: err.apiMessage } : {}),
      ...(err.requestId ? { requestId: err.requestId } : {}),
      message: err.message,
    };
  }
  if (err instanceof StarRocksInputError) {
    return { errorClass: 'bad_request', action: fallbackAction, region, message: err.message };
  }
  return undefined;
}

/** Converts a client error into an ApplicationFailure; other errors pass through unchanged. */
export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof StarRocksApiError) {
    const details: FailureDetails = {
      errorClass: err.errorClass,
      ...(err.apiCode ? { apiCode: err.apiCode } : {}),
      ...(err.apiMessage ? { apiMessage: err.apiMessage } : {}),
      ...(err.requestId ? { requestId: err.requestId } : {}),
      ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
    };
    return ApplicationFailure.create({
      type: failureTypeFor(err.errorClass),
      message: err.message,
      nonRetryable: !err.retryable,
      details: [details],
      ...(err.errorClass === 'throttled' && err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  if (err instanceof StarRocksNotSentError) {
    // Nothing was sent: a new attempt (with its own deadline) may send it.
    return ApplicationFailure.create({ type: FAILURE_TYPES.notSent, message: err.message, nonRetryable: false });
  }
  if (err instanceof StarRocksInputError) {
    return ApplicationFailure.create({ type: failureTypeFor('bad_request'), message: err.message, nonRetryable: true, details: [{ errorClass: 'bad_request' } satisfies FailureDetails] });
  }
  return err;
}

/** Runs `fn`, converting client errors into Temporal failures. */
export async function adaptErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}
