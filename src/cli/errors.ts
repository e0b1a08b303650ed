/**
 * Exit codes of `starwave` (documented in the README and `starwave --help`) and the one place that maps
 * errors to them. Matching is on error classes and stable codes, never on message text.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, isGrpcServiceError } from '@temporalio/client';
import { SpecValidationError } from '../planning/spec';
import { TemporalUnreachableError } from '../worker/temporal';

export const EXIT = {
  /** The command did what was asked; a rollout completed within its failure budget. */
  ok: 0,
  /** A rollout failed or was stopped (failure budget, window cutoff, cancel). */
  rolloutNotCompleted: 1,
  /** Invalid input: bad flag, bad spec, unknown rollout or schedule, rejected update. */
  invalidInput: 2,
  /** Temporal (or the StarRocks API, for `plan`) could not be reached. */
  unreachable: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success (a rollout completed within its failure budget)
  1  the rollout failed or was stopped (failure budget, window cutoff, cancel)
  2  invalid input (bad flag or spec, unknown rollout/schedule, rejected update); nothing was started
  3  could not reach Temporal (or the StarRocks API for plan)`;

/** An error the CLI reports as one message with a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.invalidInput,
    readonly code = 'ERR_CLI',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

// gRPC status codes that mean "the server is not there" rather than "the server said no".
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

function grpcUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isGrpcServiceError(e) && (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED)) return true;
  }
  return false;
}

/** The innermost cause's message (update validators and workflow failures put the useful sentence there). */
export function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(err);
}

export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof SpecValidationError) return new CliError(`${err.message}\nNothing was started.`, EXIT.invalidInput, err.code);
  if (err instanceof TemporalUnreachableError) return new CliError(err.message, EXIT.unreachable, err.code);
  if (grpcUnreachable(err)) return new CliError(`Could not reach Temporal (${rootMessage(err)}).`, EXIT.unreachable, 'ERR_TEMPORAL_UNREACHABLE');
  if (err instanceof WorkflowNotFoundError) {
    return new CliError(`No rollout with id "${err.workflowId}" exists (see "starwave list").`, EXIT.invalidInput, 'ERR_ROLLOUT_NOT_FOUND');
  }
  if (err instanceof WorkflowUpdateFailedError) return new CliError(`Rejected: ${rootMessage(err)}`, EXIT.invalidInput, 'ERR_UPDATE_REJECTED');
  if (err instanceof ScheduleNotFoundError) return new CliError(`No schedule with that id exists (see "starwave schedule list").`, EXIT.invalidInput, 'ERR_SCHEDULE_NOT_FOUND');
  if (err instanceof ScheduleAlreadyRunning) return new CliError(`A schedule with id "${err.scheduleId}" already exists.`, EXIT.invalidInput, 'ERR_SCHEDULE_EXISTS');
  if (err instanceof WorkflowFailedError) return new CliError(`The rollout workflow failed: ${rootMessage(err)}`, EXIT.rolloutNotCompleted, 'ERR_ROLLOUT_FAILED');
  const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'ERR_UNEXPECTED';
  if (code === 'ERR_STARROCKS_CREDENTIALS') return new CliError(err instanceof Error ? err.message : String(err), EXIT.invalidInput, code);
  if (code.startsWith('ERR_STARROCKS_')) {
    return new CliError(err instanceof Error ? err.message : String(err), EXIT.unreachable, code);
  }
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.rolloutNotCompleted, code);
}
