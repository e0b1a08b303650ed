/**
 * Any error met while talking to starwave (through Temporal or the StarRocks API) as a StarwaveError
 * with a stable code — so the CLI's exit code and the API's HTTP status derive from the registry in
 * src/contracts/errors.ts. Matching is on classes, failure types and codes, never on message text.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  isGrpcServiceError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { StarwaveError, codeOf, errorCodeFor, isErrorCode, type Problem } from '../contracts/errors';
import { StarRocksApiError } from '../starrocks/errors';

// gRPC status codes that mean "the server is not there" or "not in time" rather than "the server said no".
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
const GRPC_CANCELLED = 1;

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && (e as { details?: unknown }).details !== undefined) return code;
  }
  return undefined;
}

/** The innermost cause's message (update validators and workflow failures put the useful sentence there). */
export function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(err);
}

export function toStarwaveError(err: unknown, context: { rolloutId?: string; what?: string } = {}): StarwaveError {
  if (err instanceof StarwaveError) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
      const problems = Array.isArray(cause.details?.[0]) ? (cause.details![0] as Problem[]) : [];
      return new StarwaveError(cause.type, cause.message, { problems });
    }
    return new StarwaveError('ERR_CONTROL_REJECTED', `Rejected: ${rootMessage(err)}`);
  }
  if (err instanceof WorkflowNotFoundError) {
    return new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id "${err.workflowId}" exists (see "starwave list").`);
  }
  if (err instanceof ScheduleNotFoundError) return new StarwaveError('ERR_SCHEDULE_NOT_FOUND', 'No schedule with that id exists (see "starwave schedule list").');
  if (err instanceof ScheduleAlreadyRunning) return new StarwaveError('ERR_SCHEDULE_EXISTS', `A schedule with id "${err.scheduleId}" already exists.`);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new StarwaveError('ERR_ROLLOUT_RUNNING', `A rollout with id "${err.workflowId}" is already running.`);
  if (err instanceof WorkflowFailedError) return new StarwaveError('ERR_ROLLOUT_FAILED', `The rollout workflow failed: ${rootMessage(err)}`);
  const grpc = grpcCode(err);
  if (grpc === GRPC_UNAVAILABLE) return new StarwaveError('ERR_TEMPORAL_UNREACHABLE', `Could not reach Temporal (${rootMessage(err)}).`);
  if (grpc === GRPC_DEADLINE_EXCEEDED || grpc === GRPC_CANCELLED) {
    return new StarwaveError('ERR_TIMEOUT', `Temporal did not answer ${context.what ?? 'the request'} in time (${rootMessage(err)}).`);
  }
  if (err instanceof StarRocksApiError) return new StarwaveError(errorCodeFor(err.errorClass), err.message);
  const code = codeOf(err);
  if (code) return new StarwaveError(code, err instanceof Error ? err.message : String(err));
  return new StarwaveError('ERR_INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}
