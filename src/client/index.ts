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
import type { SearchAttributePair } from '@temporalio/common';
import {
  WorkflowExecutionAlreadyStartedError,
  type CalendarSpec,
  type Client,
  type ScheduleDescription,
  type ScheduleSummary,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, loadEnv } from '../config/env';
import { StarwaveError } from '../contracts/errors';
import { approveUpdate, cancelUpdate, pauseUpdate, progressQuery, resumeUpdate, setLimitsUpdate, skipUpdate } from '../contracts/messages';
import { WORKFLOW_TYPE, isFinalPhase, type ControlAck, type LimitsPatch, type ProgressDetail, type RolloutInput, type RolloutProgress, type RolloutReport } from '../contracts/rollout';
import { parseSpec, rolloutWorkflowId, type RolloutSpec, type RolloutSpecInput } from '../planning/spec';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { rootMessage, toStarwaveError } from './errors';

export { DEFAULT_TASK_QUEUE } from '../config/env';
export { MESSAGE_NAMES } from '../contracts/messages';
export { WORKFLOW_TYPE, ROLLOUT_ID_PREFIX } from '../contracts/rollout';
export type { ControlAck, InstanceResult, LimitsPatch, ProgressDetail, RolloutInput, RolloutProgress, RolloutReport } from '../contracts/rollout';
export { connectClient, resolveTemporalConfig, TemporalUnreachableError, type TemporalTarget } from './connection';
export { rootMessage, toStarwaveError } from './errors';

/** Workflow id prefix of scheduled runs; Temporal appends each run's scheduled time. */
export function scheduledWorkflowIdPrefix(spec: Pick<RolloutSpec, 'name'>): string {
  return `starwave-rollout-${spec.name}-scheduled`;
}

/** The task queue from STARWAVE_TASK_QUEUE, else {@link DEFAULT_TASK_QUEUE}. */
export function taskQueueFromEnv(): string {
  return loadEnv().taskQueue || DEFAULT_TASK_QUEUE;
}

/** Deadlines for calls that wait on a worker (queries, updates); reads of closed runs need none. */
export const DEFAULT_CONTROL_TIMEOUT_MS = 15_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

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
    staticSummary: `starwave rollout ${spec.name}`,
    staticDetails: staticDetailsOf(spec, opts.trigger),
  };
  try {
    let handle;
    try {
      handle = await client.workflow.start(WORKFLOW_TYPE, { ...options, typedSearchAttributes: searchAttributesOf(spec, opts.trigger) });
    } catch (err) {
      // A server without starwave's search attributes registered: start without them (the rollout
      // then does not show in `starwave list --name/--status` filters, only in the plain list).
      if (!isUnknownSearchAttribute(err)) throw err;
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

/** The search attributes a rollout starts with (src/contracts/search-attributes.ts). */
export function searchAttributesOf(spec: RolloutSpec, trigger?: string): SearchAttributePair[] {
  const regions = [...new Set([...spec.targets.instances.map((i) => i.region), ...spec.targets.selectors.flatMap((s) => s.regions)])].sort();
  return [
    { key: SEARCH_ATTRIBUTES.name, value: spec.name },
    { key: SEARCH_ATTRIBUTES.phase, value: 'resolving' },
    { key: SEARCH_ATTRIBUTES.regions, value: regions },
    ...(trigger ? [{ key: SEARCH_ATTRIBUTES.trigger, value: trigger }] : []),
  ] as SearchAttributePair[];
}

function isUnknownSearchAttribute(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err);
  // INVALID_ARGUMENT from the frontend, e.g. "search attribute StarwaveName is not defined".
  return /search attribute/i.test(text) && /not (defined|registered)|unknown/i.test(text);
}

/** The Web UI's static details of a rollout: what it restarts and how (Markdown). */
export function staticDetailsOf(spec: RolloutSpec, trigger?: string): string {
  const selectors = spec.targets.selectors.map((s) => `${s.regions.join(', ')}${s.instanceName ? ` name ${s.instanceName}` : ''}${s.tags ? ` tags ${JSON.stringify(s.tags)}` : ''}`);
  return [
    `**Rollout ${spec.name}**${trigger ? ` (started by ${trigger})` : ''}`,
    '',
    `- targets: ${[...selectors, ...(spec.targets.instances.length ? [`${spec.targets.instances.length} listed instance(s)`] : [])].join('; ')}${spec.targets.exclude.length ? `; ${spec.targets.exclude.length} excluded` : ''}`,
    `- regions: ${spec.regions.mode}${spec.regions.order.length ? `, ${spec.regions.order.join(' → ')} first` : ''}`,
    `- waves: ${JSON.stringify(spec.waves.sizes)}${spec.waves.approvalBefore.length ? `, approval before ${spec.waves.approvalBefore.join(', ')}` : ''}${spec.waves.bakeSeconds ? `, bake ${spec.waves.bakeSeconds}s` : ''}`,
    `- concurrency: ${spec.concurrency.global}${spec.concurrency.perRegion !== undefined ? `, ${spec.concurrency.perRegion} per region` : ''}; failure budget ${spec.failureBudget.total}${spec.failureBudget.perWave !== undefined ? ` (${spec.failureBudget.perWave} per wave)` : ''}`,
    ...(spec.health.enabled ? [`- health gate: on${spec.health.proveRestart ? ', proof of restart' : ''}`] : []),
  ].join('\n');
}

export interface RolloutStatus {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  executionStatus: WorkflowExecutionStatusName;
  progress?: RolloutProgress;
  /** Why the workflow itself failed (invalid spec, terminated…), when it did. */
  failure?: string;
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
  opts: { detail?: ProgressDetail; runId?: string; timeoutMs?: number } = {},
): Promise<RolloutStatus> {
  requireRolloutId(workflowId);
  const detail = opts.detail ?? 'problems';
  try {
    const handle = client.workflow.getHandle(workflowId, opts.runId);
    const description = await handle.describe();
    const executionStatus = description.status.name;
    const runId = description.runId;
    if (description.type !== WORKFLOW_TYPE) throw new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id "${workflowId}" exists (see "starwave list").`);
    if (executionStatus === 'COMPLETED') {
      const report = (await client.workflow.getHandle(workflowId, runId).result()) as RolloutReport;
      return { workflowId, runId, executionStatus, progress: filterInstances(report, detail) };
    }
    if (executionStatus !== 'RUNNING') {
      const failure = await client.workflow
        .getHandle(workflowId, runId)
        .result()
        .then(
          () => undefined,
          (err: unknown) => rootMessage(err),
        );
      return { workflowId, runId, executionStatus, ...(failure ? { failure } : {}) };
    }
    const progress = await withDeadline(client, opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, `the progress query of ${workflowId}`, description.taskQueue, () =>
      client.workflow.getHandle(workflowId, runId).query(progressQuery, detail),
    );
    return { workflowId, runId, executionStatus, progress };
  } catch (err) {
    throw toStarwaveError(err, { what: `the progress of ${workflowId}` });
  }
}

function filterInstances(report: RolloutProgress, detail: ProgressDetail): RolloutProgress {
  const instances = detail === 'all' ? report.instances : detail === 'problems' ? report.instances.filter((r) => r.outcome !== 'restarted' || r.adopted || r.waited) : [];
  return { ...report, instances };
}

/**
 * Runs `fn` (a query or update that a worker must answer) under a deadline. When it runs out and no
 * worker polls the task queue, the error says so in one sentence.
 */
export async function withDeadline<T>(client: Client, timeoutMs: number, what: string, taskQueue: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + timeoutMs, fn);
  } catch (err) {
    const e = toStarwaveError(err, { what });
    if (e.code === 'ERR_TIMEOUT' && taskQueue && !(await hasWorker(client, taskQueue))) throw noWorker(taskQueue);
    throw e;
  }
}

/** Whether any worker polled `taskQueue` recently (Temporal's DescribeTaskQueue pollers). */
export async function hasWorker(client: Client, taskQueue: string): Promise<boolean> {
  try {
    const res = await client.withDeadline(Date.now() + 5_000, () =>
      client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 /* WORKFLOW */ }),
    );
    return (res.pollers ?? []).length > 0;
  } catch {
    return true; // cannot tell: do not claim there is none
  }
}

export function noWorker(taskQueue: string): StarwaveError {
  return new StarwaveError(
    'ERR_NO_WORKER',
    `No starwave worker is polling task queue "${taskQueue}": start one with "starwave worker${taskQueue === DEFAULT_TASK_QUEUE ? '' : ` --task-queue ${taskQueue}`}" (the request was not lost; it is answered once a worker runs).`,
  );
}

/** Throws ERR_NO_WORKER when nothing polls `taskQueue`. */
export async function requireWorker(client: Client, taskQueue: string): Promise<void> {
  if (!(await hasWorker(client, taskQueue))) throw noWorker(taskQueue);
}

async function update<A extends unknown[]>(client: Client, id: string, def: { name: string }, args: A, timeoutMs = DEFAULT_CONTROL_TIMEOUT_MS): Promise<ControlAck> {
  requireRolloutId(id);
  try {
    const handle = client.workflow.getHandle(id);
    const d = await handle.describe();
    if (d.type !== WORKFLOW_TYPE) throw new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id "${id}" exists (see "starwave list").`);
    if (d.status.name !== 'RUNNING') {
      const phase = d.status.name === 'COMPLETED' ? ((await handle.result()) as RolloutReport).phase : d.status.name.toLowerCase();
      throw new StarwaveError('ERR_ROLLOUT_FINISHED', `Rollout ${id} has finished (${phase}); there is nothing left to ${def.name === 'setLimits' ? 'change' : def.name}.`);
    }
    return await withDeadline(client, timeoutMs, `the ${def.name} of ${id}`, d.taskQueue, () => handle.executeUpdate<ControlAck, [unknown]>(def.name, { args: args as unknown as [unknown] }));
  } catch (err) {
    throw toStarwaveError(err, { what: `the ${def.name} of ${id}` });
  }
}

export interface ControlOptions {
  /** Who asks: shown in the report's audit, e.g. `cli:alice`. */
  by?: string;
  timeoutMs?: number;
}

const by = (o: ControlOptions): { by?: string } => (o.by ? { by: o.by } : {});
export const pause = (client: Client, id: string, o: ControlOptions = {}): Promise<ControlAck> => update(client, id, pauseUpdate, [by(o)], o.timeoutMs);
export const resume = (client: Client, id: string, o: ControlOptions = {}): Promise<ControlAck> => update(client, id, resumeUpdate, [by(o)], o.timeoutMs);
export const cancel = (client: Client, id: string, reason?: string, o: ControlOptions = {}): Promise<ControlAck> =>
  update(client, id, cancelUpdate, [{ ...(reason ? { reason } : {}), ...by(o) }], o.timeoutMs);
export const approve = (client: Client, id: string, wave: number, o: ControlOptions = {}): Promise<ControlAck> => update(client, id, approveUpdate, [{ wave, ...by(o) }], o.timeoutMs);
/** Rejected patches throw StarwaveError ERR_LIMITS_INVALID with the problems by path. */
export const setLimits = (client: Client, id: string, patch: Omit<LimitsPatch, 'by'>, o: ControlOptions = {}): Promise<ControlAck> =>
  update(client, id, setLimitsUpdate, [{ ...patch, ...by(o) }], o.timeoutMs);
export const skip = (client: Client, id: string, instanceId: string, o: ControlOptions = {}): Promise<ControlAck> => update(client, id, skipUpdate, [{ instanceId, ...by(o) }], o.timeoutMs);

/** Waits for the run to end and returns its report (throws ERR_ROLLOUT_FAILED if the workflow itself failed). */
export async function getReport(client: Client, workflowId: string, opts: { runId?: string } = {}): Promise<RolloutReport> {
  requireRolloutId(workflowId);
  try {
    return (await client.workflow.getHandle(workflowId, opts.runId).result()) as RolloutReport;
  } catch (err) {
    throw toStarwaveError(err);
  }
}

export interface RolloutListItem {
  workflowId: string;
  runId: string;
  status: WorkflowExecutionStatusName;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
}

export const LIST_STATUSES = ['running', 'completed', 'failed', 'terminated', 'cancelled', 'timed_out'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];
const STATUS_QUERY: Record<ListStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  terminated: 'Terminated',
  cancelled: 'Canceled',
  timed_out: 'TimedOut',
};

/** Runs of rollouts from Temporal visibility, newest first (continued-as-new runs are one run). */
export async function listRollouts(client: Client, opts: { status?: ListStatus; limit?: number; workflowId?: string } = {}): Promise<RolloutListItem[]> {
  let query = `WorkflowType='${WORKFLOW_TYPE}' AND ExecutionStatus!='ContinuedAsNew'`;
  if (opts.status) query += ` AND ExecutionStatus='${STATUS_QUERY[opts.status]}'`;
  if (opts.workflowId) query += ` AND WorkflowId='${opts.workflowId.replace(/'/g, '')}'`;
  const out: RolloutListItem[] = [];
  for await (const wf of client.workflow.list({ query })) {
    out.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name,
      startTime: wf.startTime.toISOString(),
      ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}),
      taskQueue: wf.taskQueue,
    });
    if (out.length >= (opts.limit ?? 100)) break;
  }
  return out;
}

/** The final phase of a closed run, from its report (undefined while running or when it has none). */
export async function finalPhaseOf(client: Client, workflowId: string, runId: string): Promise<string | undefined> {
  try {
    const r = (await client.workflow.getHandle(workflowId, runId).result()) as RolloutReport;
    return isFinalPhase(r.phase) ? r.phase : undefined;
  } catch {
    return undefined;
  }
}

// ---- Maintenance windows (Temporal Schedules) ----

export interface CreateScheduleOptions {
  /** Schedule id, e.g. `nightly-hangzhou`. */
  id: string;
  /** Cron expressions (5 fields, or 7 with seconds and year), e.g. `0 2 * * SUN`. Give cron and/or calendar. */
  cron?: string[];
  /** Temporal calendar specs, e.g. `{ dayOfWeek: 'SUNDAY', hour: 2 }`. */
  calendar?: CalendarSpec[];
  /** IANA time zone the times are read in. Default UTC. */
  timezone?: string;
  /** Window length: each run stops launching restarts that cannot finish within this many seconds of its start. */
  windowSeconds: number;
  spec: RolloutSpecInput | RolloutSpec;
  /** Random delay 0..jitterSeconds added to each run's start. */
  jitterSeconds?: number;
  taskQueue?: string;
  /** Start paused (use unpauseSchedule). */
  paused?: boolean;
  note?: string;
}

/** Creates a Temporal Schedule whose every run is an ordinary rollout with its own id and report. Overlap: skip. */
export async function createSchedule(client: Client, opts: CreateScheduleOptions): Promise<{ scheduleId: string }> {
  const spec = parseSpec(opts.spec);
  if (!opts.cron?.length && !opts.calendar?.length) throw new StarwaveError('ERR_FLAG_INVALID', 'A schedule needs a cron expression or a calendar spec.');
  const input: RolloutInput = { spec, windowSeconds: opts.windowSeconds, trigger: `schedule:${opts.id}` };
  try {
    const handle = await client.schedule.create({
      scheduleId: opts.id,
      spec: {
        ...(opts.cron?.length ? { cronExpressions: opts.cron } : {}),
        ...(opts.calendar?.length ? { calendars: opts.calendar } : {}),
        ...(opts.timezone ? { timezone: opts.timezone } : {}),
        ...(opts.jitterSeconds ? { jitter: `${opts.jitterSeconds}s` } : {}),
      },
      action: {
        type: 'startWorkflow',
        workflowType: WORKFLOW_TYPE,
        // Temporal appends the scheduled time to this id, so every run has its own id and report.
        workflowId: scheduledWorkflowIdPrefix(spec),
        taskQueue: opts.taskQueue ?? taskQueueFromEnv(),
        args: [input],
        typedSearchAttributes: searchAttributesOf(spec, `schedule:${opts.id}`),
        staticSummary: `starwave rollout ${spec.name} (schedule ${opts.id})`,
        staticDetails: staticDetailsOf(spec, `schedule:${opts.id}`),
      },
      policies: { overlap: 'SKIP', catchupWindow: '1m' },
      state: { paused: opts.paused ?? false, ...(opts.note ? { note: opts.note } : {}) },
    });
    return { scheduleId: handle.scheduleId };
  } catch (err) {
    throw toStarwaveError(err);
  }
}

export interface ScheduleListItem {
  scheduleId: string;
  paused: boolean;
  note?: string;
  nextActionTimes: string[];
  recentRuns: Array<{ workflowId: string; scheduledAt: string }>;
}

export async function listSchedules(client: Client): Promise<ScheduleListItem[]> {
  const out: ScheduleListItem[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.type === 'startWorkflow' && s.action.workflowType !== WORKFLOW_TYPE) continue;
    out.push(scheduleSummary(s));
  }
  return out;
}

function scheduleSummary(s: ScheduleSummary): ScheduleListItem {
  return {
    scheduleId: s.scheduleId,
    paused: s.state.paused,
    ...(s.state.note ? { note: s.state.note } : {}),
    nextActionTimes: (s.info.nextActionTimes ?? []).map((d) => d.toISOString()),
    recentRuns: (s.info.recentActions ?? []).flatMap((a) =>
      a.action.type === 'startWorkflow' ? [{ workflowId: a.action.workflow.workflowId, scheduledAt: a.scheduledAt.toISOString() }] : [],
    ),
  };
}

export interface ScheduleDetails extends ScheduleListItem {
  cron: string[];
  calendars: unknown[];
  timezone?: string;
  windowSeconds?: number;
  specName?: string;
  taskQueue?: string;
  runningWorkflowIds: string[];
}

export async function describeSchedule(client: Client, id: string): Promise<ScheduleDetails> {
  let d: ScheduleDescription;
  try {
    d = await client.schedule.getHandle(id).describe();
  } catch (err) {
    throw toStarwaveError(err);
  }
  const action = d.action.type === 'startWorkflow' ? d.action : undefined;
  const input = action?.args?.[0] as RolloutInput | undefined;
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.flatMap((a) =>
      a.action.type === 'startWorkflow' ? [{ workflowId: a.action.workflow.workflowId, scheduledAt: a.scheduledAt.toISOString() }] : [],
    ),
    cron: [],
    calendars: d.spec.calendars ?? [],
    ...(d.spec.timezone ? { timezone: d.spec.timezone } : {}),
    ...(input?.windowSeconds !== undefined ? { windowSeconds: input.windowSeconds } : {}),
    ...(input?.spec?.name ? { specName: input.spec.name } : {}),
    ...(action?.taskQueue ? { taskQueue: action.taskQueue } : {}),
    runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

const scheduleCall =
  <A extends unknown[]>(fn: (client: Client, id: string, ...a: A) => Promise<void>) =>
  async (client: Client, id: string, ...a: A): Promise<void> => {
    try {
      await fn(client, id, ...a);
    } catch (err) {
      throw toStarwaveError(err);
    }
  };
export const pauseSchedule = scheduleCall((client, id, note?: string) => client.schedule.getHandle(id).pause(note));
export const unpauseSchedule = scheduleCall((client, id, note?: string) => client.schedule.getHandle(id).unpause(note));
export const deleteSchedule = scheduleCall((client, id) => client.schedule.getHandle(id).delete());
/** Starts a run now (overlap policy still applies). */
export const triggerSchedule = scheduleCall((client, id) => client.schedule.getHandle(id).trigger());

