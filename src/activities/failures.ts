/**
 * The one place where StarRocks client errors become Temporal failures. The failure *type* carries
 * the error class (`StarRocks.throttled`, …); the workflow's retry policies list the fatal classes
 * as non-retryable, and throttling passes the server's Retry-After on as `nextRetryDelay`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { StarRocksApiError, StarRocksInputError } from '../starrocks/errors';
import type { ErrorClass } from '../workflows/types';

export interface FailureDetails {
  errorClass: ErrorClass;
  apiCode?: string;
  apiMessage?: string;
  requestId?: string;
  httpStatus?: number;
  status?: string;
}

export function failureType(errorClass: ErrorClass): string {
  return `StarRocks.${errorClass}`;
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
      type: failureType(err.errorClass),
      message: err.message,
      nonRetryable: !err.retryable,
      details: [details],
      ...(err.errorClass === 'throttled' && err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  if (err instanceof StarRocksInputError) {
    return ApplicationFailure.create({
      type: failureType('bad_request'),
      message: err.message,
      nonRetryable: true,
      details: [{ errorClass: 'bad_request' } satisfies FailureDetails],
    });
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
