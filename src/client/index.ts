/**
 * The typed client for services that talk to starwave through Temporal directly (the CLI and the
 * HTTP API use it too). Everything here is part of the public contract: the workflow type, the
 * default task queue, the input shape and the message names (src/contracts).
 *
 * Runs: a rollout's workflow id comes from its spec (`starwave-rollout-<name>`, or
 * `starwave-rollout-req-<requestId>`); every start of a spec whose last run has finished is a new
 * run of that id (Temporal's run id tells runs apart), while a run still going refuses a second one.
 * A requestId is an idempotency key: the same requestId never starts two runs, even after the first
 * finished.
 *
 * @example TypeScript
 * ```ts
 * import { Client, Connection } from '@temporalio/client';
 * import { startRollout, getProgress, getReport } from 'starwave/dist/client';
 * const client = new Client({ connection: await Connection.connect({ address: 'localhost:7233' }) });
 * const { workflowId, runId } = await startRollout(client, spec, { trigger: 'deploy-bot' });
 * const { progress } = await getProgress(client, workflowId);
 * const report = await getReport(client, workflowId, { runId }); // waits for the end
 * ```
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../config/env';
import { StarwaveError } from '../contracts/errors';
import { approveUpdate, cancelUpdate, pauseUpdate, progressQuery, resumeUpdate, setLimitsUpdate, skipUpdate } from '../contracts/messages';
import { ROLLOUT_WORKFLOW_TASK_TIMEOUT, WORKFLOW_TYPE, type ControlAck, type LimitsPatch, type ProgressDetail, type RolloutInput, type RolloutProgress, type RolloutReport } from '../contracts/rollout';
import { parseSpec, rolloutWorkflowId, type RolloutSpec, type RolloutSpecInput } from '../contracts/spec';
import { isSearchAttributeTooLarge, isUnknownSearchAttribute, searchAttributesOf, staticDetailsOf, taskQueueFromEnv } from './attributes';
import { DEFAULT_CONTROL_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS, requireWorker, withDeadline } from './deadline';
import { rootMessage, toStarwaveError } from './errors';

export { DEFAULT_TASK_QUEUE } from '../config/env';
export { MESSAGE_NAMES } from '../contracts/messages';
export { WORKFLOW_TYPE, ROLLOUT_ID_PREFIX } from '../contracts/rollout';
export type { AuditEntry, ControlAck, InstanceResult, LimitsPatch, ProgressDetail, RolloutInput, RolloutPhase, RolloutProgress, RolloutReport } from '../contracts/rollout';
export { connectClient, resolveTemporalConfig, TemporalUnreachableError, type TemporalTarget } from './connection';
export { rootMessage, toStarwaveError } from './errors';
export { isSearchAttributeTooLarge, isUnknownSearchAttribute, scheduledWorkflowIdPrefix, searchAttributesOf, staticDetailsOf, taskQueueFromEnv } from './attributes';
export { DEFAULT_CONTROL_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS, hasWorker, noWorker, requireWorker, withDeadline } from './deadline';
export * from './list';
export * from './schedules';
export * from './leases';


export interface StartRolloutOptions {
  /** Default: STARWAVE_TASK_QUEUE or `starwave`. */
  taskQueue?: string;
  /** Who or what started it (`cli:<user>`, `api:<caller>`, a service name); shown in the report. */
  trigger?: string;
  /** ISO-8601 cutoff overriding spec.window.notAfter when earlier. */
  notAfter?: string;
}

export interface StartedRollout {
  workflowId: string;
  runId: string;
  /** true when this requestId had already started a run: nothing new was started. */
  existing: boolean;
}

/**
 * Starts a run of the rollout. Throws SpecValidationError (ERR_SPEC_INVALID) listing every problem
 * before anything is started, and StarwaveError ERR_ROLLOUT_RUNNING (naming the running run) when a
 * run of this name is still going.
 */
export async function startRollout(client: Client, specInput: RolloutSpecInput | RolloutSpec, opts: StartRolloutOptions = {}): Promise<StartedRollout> {
  const spec = parseSpec(specInput);
  const workflowId = rolloutWorkflowId(spec);
  const input: RolloutInput = { spec, ...(opts.trigger ? { trigger: opts.trigger } : {}), ...(opts.notAfter ? { notAfter: opts.notAfter } : {}) };
  const options = {
    taskQueue: opts.taskQueue ?? taskQueueFromEnv(),
    workflowId,
    args: [input],
    // A requestId never starts twice; a name starts a new run once its last run has closed.
    workflowIdReusePolicy: spec.requestId ? ('REJECT_DUPLICATE' as const) : ('ALLOW_DUPLICATE' as const),
    workflowIdConflictPolicy: 'FAIL' as const,
    workflowTaskTimeout: ROLLOUT_WORKFLOW_TASK_TIMEOUT,
    staticSummary: `starwave rollout ${spec.name}`,
    staticDetails: staticDetailsOf(spec, opts.trigger),
  };
  try {
    let handle;
    try {
      handle = await client.workflow.start(WORKFLOW_TYPE, { ...options, typedSearchAttributes: searchAttributesOf(spec, opts.trigger) });
    } catch (err) {
      // A server without starwave's search attributes registered, or one that refuses a value as too
      // large: start without them (the rollout then does not show in `starwave list --name/--status`
      // filters, only in the plain list).
      if (!isUnknownSearchAttribute(err) && !isSearchAttributeTooLarge(err)) throw err;
      handle = await client.workflow.start(WORKFLOW_TYPE, options);
    }
    return { workflowId, runId: handle.firstExecutionRunId, existing: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toStarwaveError(err);
    const d = await client.workflow.getHandle(workflowId).describe();
    if (spec.requestId) return { workflowId, runId: d.runId, existing: true };
    throw new StarwaveError(
      'ERR_ROLLOUT_RUNNING',
      `A rollout named "${spec.name}" is still running (${workflowId}, run ${d.runId}, started ${d.startTime.toISOString()}); nothing new was started. ` +
        `Follow it with "starwave status ${workflowId}", or cancel it with "starwave cancel ${workflowId}".`,
    );
  }
}

export interface RolloutStatus {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  executionStatus: WorkflowExecutionStatusName;
  progress?: RolloutProgress;
  /** Why the workflow itself failed (invalid spec, terminated…), when it did. */
  failure?: string;
  /** When this run started and closed (ISO-8601), and its task queue. */
  startTime?: string;
  closeTime?: string;
  taskQueue?: string;
}

/** One run of a rollout as Temporal knows it (no worker needed). */
export interface RunInfo {
  workflowId: string;
  runId: string;
  executionStatus: WorkflowExecutionStatusName;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
}

/** Describes a run (the latest of the workflow id when `runId` is omitted). */
export async function describeRun(client: Client, workflowId: string, runId?: string): Promise<RunInfo> {
  requireRolloutId(workflowId);
  try {
    const d = await client.workflow.getHandle(workflowId, runId).describe();
    if (d.type !== WORKFLOW_TYPE) throw new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id "${workflowId}" exists (see "starwave list").`);
    return {
      workflowId,
      runId: d.runId,
      executionStatus: d.status.name,
      startTime: d.startTime.toISOString(),
      ...(d.closeTime ? { closeTime: d.closeTime.toISOString() } : {}),
      taskQueue: d.taskQueue,
    };
  } catch (err) {
    throw toStarwaveError(err, { what: `the description of ${workflowId}` });
  }
}

/** A starwave rollout id (rollouts only: lease registries and other workflows are not rollouts). */
export function isRolloutId(id: string): boolean {
  return /^starwave-rollout-[A-Za-z0-9._:-]{1,200}$/.test(id);
}

function requireRolloutId(id: string): void {
  if (!isRolloutId(id)) throw new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id "${id.slice(0, 100)}" exists (rollout ids start with "starwave-rollout-"; see "starwave list").`);
}

/**
 * The rollout's progress. A closed run answers from its result (no worker needed); a running one from
 * the progress query, within `timeoutMs` (no worker polling → ERR_NO_WORKER or ERR_TIMEOUT).
 */
export async function getProgress(
  client: Client,
  workflowId: string,
  opts: {
    detail?: ProgressDetail;
    runId?: string;
    timeoutMs?: number;
    /** Check first that a worker polls the run's task queue (ERR_NO_WORKER at once instead of after the deadline). */
    requireWorker?: boolean;
  } = {},
): Promise<RolloutStatus> {
  requireRolloutId(workflowId);
  const detail = opts.detail ?? 'problems';
  try {
    const handle = client.workflow.getHandle(workflowId, opts.runId);
    const description = await handle.describe();
    const executionStatus = description.status.name;
    const runId = description.runId;
    if (description.type !== WORKFLOW_TYPE) throw new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id "${workflowId}" exists (see "starwave list").`);
    const run = {
      workflowId,
      runId,
      executionStatus,
      startTime: description.startTime.toISOString(),
      ...(description.closeTime ? { closeTime: description.closeTime.toISOString() } : {}),
      taskQueue: description.taskQueue,
    };
    if (executionStatus === 'COMPLETED') {
      const report = (await client.workflow.getHandle(workflowId, runId).result()) as RolloutReport;
      return { ...run, progress: filterInstances(report, detail) };
    }
    if (executionStatus !== 'RUNNING') {
      const failure = await client.workflow
        .getHandle(workflowId, runId)
        .result()
        .then(
          () => undefined,
          (err: unknown) => rootMessage(err),
        );
      return { ...run, ...(failure ? { failure } : {}) };
    }
    if (opts.requireWorker) await requireWorker(client, description.taskQueue);
    const progress = await withDeadline(client, opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, `the progress query of ${workflowId}`, description.taskQueue, () =>
      client.workflow.getHandle(workflowId, runId).query(progressQuery, detail),
    );
    return { ...run, progress };
  } catch (err) {
    throw toStarwaveError(err, { what: `the progress of ${workflowId}` });
  }
}

function filterInstances(report: RolloutProgress, detail: ProgressDetail): RolloutProgress {
  const instances = detail === 'all' ? report.instances : detail === 'problems' ? report.instances.filter((r) => r.outcome !== 'restarted' || r.adopted || r.waited) : [];
  return { ...report, instances };
}

async function update<A extends unknown[]>(client: Client, id: string, def: { name: string }, args: A, o: ControlOptions): Promise<RunAck> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_CONTROL_TIMEOUT_MS;
  requireRolloutId(id);
  try {
    const handle = client.workflow.getHandle(id);
    const d = await handle.describe();
    if (d.type !== WORKFLOW_TYPE) throw new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id "${id}" exists (see "starwave list").`);
    if (d.status.name !== 'RUNNING') {
      const phase = d.status.name === 'COMPLETED' ? ((await handle.result()) as RolloutReport).phase : d.status.name.toLowerCase();
      throw new StarwaveError('ERR_ROLLOUT_FINISHED', `Rollout ${id} has finished (${phase}); there is nothing left to ${def.name === 'setLimits' ? 'change' : def.name}.`);
    }
    if (o.requireWorker) await requireWorker(client, d.taskQueue);
    const ack = await withDeadline(client, timeoutMs, `the ${def.name} of ${id}`, d.taskQueue, () => handle.executeUpdate<ControlAck, [unknown]>(def.name, { args: args as unknown as [unknown] }));
    return { ...ack, runId: d.runId };
  } catch (err) {
    throw toStarwaveError(err, { what: `the ${def.name} of ${id}` });
  }
}

/** A control update's acknowledgement, with the run it went to (the latest run of the rollout id). */
export type RunAck = ControlAck & { runId: string };

export interface ControlOptions {
  /** Who asks: shown in the report's audit, e.g. `cli:alice`. */
  by?: string;
  /** Deadline of the update, ms (default {@link DEFAULT_CONTROL_TIMEOUT_MS}); past it → ERR_NO_WORKER or ERR_TIMEOUT. */
  timeoutMs?: number;
  /** Check first that a worker polls the run's task queue (ERR_NO_WORKER at once instead of after the deadline). */
  requireWorker?: boolean;
}

const by = (o: ControlOptions): { by?: string } => (o.by ? { by: o.by } : {});
export const pause = (client: Client, id: string, o: ControlOptions = {}): Promise<RunAck> => update(client, id, pauseUpdate, [by(o)], o);
export const resume = (client: Client, id: string, o: ControlOptions = {}): Promise<RunAck> => update(client, id, resumeUpdate, [by(o)], o);
export const cancel = (client: Client, id: string, reason?: string, o: ControlOptions = {}): Promise<RunAck> =>
  update(client, id, cancelUpdate, [{ ...(reason ? { reason } : {}), ...by(o) }], o);
export const approve = (client: Client, id: string, wave: number, o: ControlOptions = {}): Promise<RunAck> => update(client, id, approveUpdate, [{ wave, ...by(o) }], o);
/** Rejected patches throw StarwaveError ERR_LIMITS_INVALID with the problems by path. */
export const setLimits = (client: Client, id: string, patch: Omit<LimitsPatch, 'by'>, o: ControlOptions = {}): Promise<RunAck> =>
  update(client, id, setLimitsUpdate, [{ ...patch, ...by(o) }], o);
export const skip = (client: Client, id: string, instanceId: string, o: ControlOptions = {}): Promise<RunAck> => update(client, id, skipUpdate, [{ instanceId, ...by(o) }], o);

/** Waits for the run to end and returns its report (throws ERR_ROLLOUT_FAILED if the workflow itself failed). */
export async function getReport(client: Client, workflowId: string, opts: { runId?: string } = {}): Promise<RolloutReport> {
  requireRolloutId(workflowId);
  try {
    return (await client.workflow.getHandle(workflowId, opts.runId).result()) as RolloutReport;
  } catch (err) {
    throw toStarwaveError(err);
  }
}

