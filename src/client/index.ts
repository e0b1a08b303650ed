/**
 * The typed client for services that talk to starwave through Temporal directly (the CLI and the HTTP API
 * use it too). Everything here is part of the public contract: the workflow type, the default task queue,
 * the input shape and the message names.
 *
 * @example TypeScript
 * ```ts
 * import { Client, Connection } from '@temporalio/client';
 * import { startRollout, getProgress, getReport } from 'starwave/src/client';
 * const client = new Client({ connection: await Connection.connect({ address: 'localhost:7233' }) });
 * const { workflowId, existing } = await startRollout(client, spec, { trigger: 'deploy-bot' });
 * const { progress } = await getProgress(client, workflowId);
 * const report = await getReport(client, workflowId); // waits for the end
 * ```
 *
 * @example temporal CLI (input shape `{"spec": …}`; the workflow validates it and fails with every problem)
 * ```sh
 * echo '{"spec":{"name":"nightly","targets":{"selectors":[{"regions":["cn-hangzhou"]}]}}}' > input.json
 * temporal workflow start --type rolloutWorkflow --task-queue starwave \
 *   --workflow-id starwave-rollout-nightly --id-reuse-policy RejectDuplicate --input-file input.json
 * temporal workflow query  --workflow-id starwave-rollout-nightly --name progress
 * temporal workflow update execute --workflow-id starwave-rollout-nightly --name pause
 * temporal workflow update execute --workflow-id starwave-rollout-nightly --name approve --input '{"wave":2}'
 * temporal workflow result --workflow-id starwave-rollout-nightly
 * ```
 */
import {
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  type CalendarSpec,
  type Client,
  type ScheduleDescription,
  type ScheduleSummary,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { parseSpec, rolloutWorkflowId, type RolloutSpec, type RolloutSpecInput } from '../planning/spec';
import {
  approveUpdate,
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  setLimitsUpdate,
  waveProgressQuery,
  type ControlAck,
  type LimitsPatch,
  type ProgressDetail,
} from '../workflows/messages';
import type { RolloutInput, RolloutProgress, RolloutReport, WaveProgress } from '../workflows/types';

export type { ControlAck, LimitsPatch, ProgressDetail } from '../workflows/messages';
export type { RolloutInput, RolloutProgress, RolloutReport, WaveProgress, InstanceResult } from '../workflows/types';

/** Workflow type name to start (`temporal workflow start --type rolloutWorkflow`). */
export const WORKFLOW_TYPE = 'rolloutWorkflow';
/** Task queue the starwave worker polls unless STARWAVE_TASK_QUEUE says otherwise. */
export const DEFAULT_TASK_QUEUE = 'starwave';
/** Query, update and signal names of a rollout (and of its wave child), as sent on the wire. */
export const MESSAGE_NAMES = {
  progress: progressQuery.name,
  pause: pauseUpdate.name,
  resume: resumeUpdate.name,
  cancel: cancelUpdate.name,
  approve: approveUpdate.name,
  setLimits: setLimitsUpdate.name,
  waveProgress: waveProgressQuery.name,
} as const;

/** Workflow id prefix of scheduled runs; Temporal appends each run's scheduled time. */
export function scheduledWorkflowIdPrefix(spec: Pick<RolloutSpec, 'name'>): string {
  return `starwave-rollout-${spec.name}-scheduled`;
}

/** The task queue from env STARWAVE_TASK_QUEUE, else {@link DEFAULT_TASK_QUEUE}. */
export function taskQueueFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env['STARWAVE_TASK_QUEUE'] || DEFAULT_TASK_QUEUE;
}

export interface StartRolloutOptions {
  /** Default: env STARWAVE_TASK_QUEUE or `starwave`. */
  taskQueue?: string;
  /** Who or what started it (`cli`, `api`, a service name); shown in the report. */
  trigger?: string;
  /** ISO-8601 cutoff overriding spec.window.notAfter when earlier. */
  notAfter?: string;
}

export interface StartedRollout {
  workflowId: string;
  runId: string;
  /** true when a rollout with this id already existed (running or closed): nothing new was started. */
  existing: boolean;
}

/**
 * Starts a rollout, idempotently: the workflow id comes from the spec (requestId, else name) and the id is never
 * reused, so repeating a request returns the rollout it started the first time, even after it has completed.
 * Throws SpecValidationError (code ERR_SPEC_INVALID) listing every problem before anything is started.
 */
export async function startRollout(client: Client, specInput: RolloutSpecInput | RolloutSpec, opts: StartRolloutOptions = {}): Promise<StartedRollout> {
  const spec = parseSpec(specInput);
  const workflowId = rolloutWorkflowId(spec);
  const input: RolloutInput = { spec, ...(opts.trigger ? { trigger: opts.trigger } : {}), ...(opts.notAfter ? { notAfter: opts.notAfter } : {}) };
  try {
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: opts.taskQueue ?? taskQueueFromEnv(),
      workflowId,
      args: [input],
      // REJECT_DUPLICATE: a closed rollout with this id is never started again; a running one raises
      // WorkflowExecutionAlreadyStartedError (conflict policy FAIL), answered below with the existing run.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { workflowId, runId: handle.firstExecutionRunId, existing: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const description = await client.workflow.getHandle(workflowId).describe();
    return { workflowId, runId: description.runId, existing: true };
  }
}

export interface RolloutStatus {
  workflowId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  executionStatus: WorkflowExecutionStatusName;
  progress?: RolloutProgress;
  /** Live state of the running wave (launching / restarting / finished in this wave). */
  wave?: WaveProgress;
  /** Why the workflow itself failed (invalid spec, terminated…), when it did. */
  failure?: string;
}

/**
 * The rollout's progress merged with its running wave's live state. A completed rollout answers from its
 * result (no worker needed); a running one from the progress query and the wave child's query.
 */
export async function getProgress(client: Client, workflowId: string, detail: ProgressDetail = 'problems'): Promise<RolloutStatus> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const executionStatus = description.status.name;
  if (executionStatus === 'COMPLETED') {
    const report = (await handle.result()) as RolloutReport;
    return { workflowId, executionStatus, progress: filterInstances(report, detail) };
  }
  if (executionStatus !== 'RUNNING') {
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => describeFailure(err),
    );
    return { workflowId, executionStatus, ...(failure ? { failure } : {}) };
  }
  const progress = await handle.query(progressQuery, detail);
  let wave: WaveProgress | undefined;
  if (progress.currentWaveWorkflowId) {
    // The wave may finish between the two queries; its state then is already in the rollout's progress.
    wave = await client.workflow
      .getHandle(progress.currentWaveWorkflowId)
      .query(waveProgressQuery)
      .catch(() => undefined);
  }
  return { workflowId, executionStatus, progress, ...(wave ? { wave } : {}) };
}

function filterInstances(report: RolloutProgress, detail: ProgressDetail): RolloutProgress {
  const instances = detail === 'all' ? report.instances : detail === 'problems' ? report.instances.filter((r) => r.outcome !== 'restarted') : [];
  return { ...report, instances };
}

/** The innermost message of a workflow failure (e.g. the invalid-spec sentence). */
export function describeFailure(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error && current.cause instanceof Error) {
    current = current.cause;
    message = (current as Error).message;
  }
  return message;
}

export const pause = (client: Client, id: string): Promise<ControlAck> => client.workflow.getHandle(id).executeUpdate(pauseUpdate);
export const resume = (client: Client, id: string): Promise<ControlAck> => client.workflow.getHandle(id).executeUpdate(resumeUpdate);
export const cancel = (client: Client, id: string, reason?: string): Promise<ControlAck> =>
    // By name: the definition's optional argument does not fit executeUpdate's overloads.
  client.workflow.getHandle(id).executeUpdate<ControlAck, [{ reason?: string }]>(cancelUpdate.name, { args: [reason ? { reason } : {}] });
export const approve = (client: Client, id: string, wave: number): Promise<ControlAck> =>
  client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ wave }] });
/** Rejected patches throw WorkflowUpdateFailedError whose cause carries the validator's sentence. */
export const setLimits = (client: Client, id: string, patch: LimitsPatch): Promise<RolloutProgress['limits']> =>
  client.workflow.getHandle(id).executeUpdate(setLimitsUpdate, { args: [patch] });

/** Waits for the rollout to end and returns its report (throws WorkflowFailedError if the workflow failed). */
export async function getReport(client: Client, workflowId: string): Promise<RolloutReport> {
  return (await client.workflow.getHandle(workflowId).result()) as RolloutReport;
}

export interface RolloutListItem {
  workflowId: string;
  runId: string;
  status: WorkflowExecutionStatusName;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
}

export const LIST_STATUSES = ['running', 'completed', 'failed', 'terminated', 'cancelled', 'timed_out', 'continued_as_new'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];
const STATUS_QUERY: Record<ListStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  terminated: 'Terminated',
  cancelled: 'Canceled',
  timed_out: 'TimedOut',
  continued_as_new: 'ContinuedAsNew',
};

/** Rollouts from Temporal visibility, newest first (eventually consistent: a rollout started a moment ago may be missing). */
export async function listRollouts(client: Client, opts: { status?: ListStatus; limit?: number; workflowId?: string } = {}): Promise<RolloutListItem[]> {
  let query = `WorkflowType='${WORKFLOW_TYPE}'`;
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
  if (!opts.cron?.length && !opts.calendar?.length) throw new Error('A schedule needs a cron expression or a calendar spec.');
  const input: RolloutInput = { spec, windowSeconds: opts.windowSeconds, trigger: `schedule:${opts.id}` };
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
    },
    policies: { overlap: 'SKIP', catchupWindow: '1m' },
    state: { paused: opts.paused ?? false, ...(opts.note ? { note: opts.note } : {}) },
  });
  return { scheduleId: handle.scheduleId };
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
  const d: ScheduleDescription = await client.schedule.getHandle(id).describe();
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

export const pauseSchedule = (client: Client, id: string, note?: string): Promise<void> => client.schedule.getHandle(id).pause(note);
export const unpauseSchedule = (client: Client, id: string, note?: string): Promise<void> => client.schedule.getHandle(id).unpause(note);
export const deleteSchedule = (client: Client, id: string): Promise<void> => client.schedule.getHandle(id).delete();
/** Starts a run now (overlap policy still applies). */
export const triggerSchedule = (client: Client, id: string): Promise<void> => client.schedule.getHandle(id).trigger();

export { ScheduleNotFoundError };
