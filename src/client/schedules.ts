/**
 * Maintenance windows as Temporal Schedules: each firing starts an ordinary rollout run (its own
 * workflow id and report) whose cutoff is its start plus the window. What the CLI needs to show a
 * schedule truthfully travels with it: the cron text and the window in the schedule's memo (Temporal
 * turns cron into calendars, so the text is otherwise lost).
 */
import type { CalendarSpec, Client, ScheduleDescription, ScheduleExecutionResult, ScheduleSummary } from '@temporalio/client';
import { StarwaveError } from '../contracts/errors';
import { ROLLOUT_WORKFLOW_TASK_TIMEOUT, WORKFLOW_TYPE, type RolloutInput } from '../contracts/rollout';
import { parseSpec, type RolloutSpec, type RolloutSpecInput } from '../contracts/spec';
import { scheduledWorkflowIdPrefix, searchAttributesOf, staticDetailsOf, taskQueueFromEnv } from './attributes';
import { toStarwaveError } from './errors';

/** The schedule memo key under which starwave keeps what it shows (cron text, window). */
export const SCHEDULE_MEMO_KEY = 'starwave';
interface ScheduleMemo {
  cron?: string[];
  windowSeconds?: number;
}


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
        workflowTaskTimeout: ROLLOUT_WORKFLOW_TASK_TIMEOUT,
        typedSearchAttributes: searchAttributesOf(spec, `schedule:${opts.id}`),
        staticSummary: `starwave rollout ${spec.name} (schedule ${opts.id})`,
        staticDetails: staticDetailsOf(spec, `schedule:${opts.id}`),
      },
      policies: { overlap: 'SKIP', catchupWindow: '1m' },
      memo: { [SCHEDULE_MEMO_KEY]: { ...(opts.cron?.length ? { cron: opts.cron } : {}), windowSeconds: opts.windowSeconds } satisfies ScheduleMemo },
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
  /** IANA time zone its times are read in (absent: UTC). */
  timezone?: string;
  nextActionTimes: string[];
  /** Runs it started, oldest first (Temporal keeps the last few). */
  recentRuns: ScheduleRun[];
}

export interface ScheduleRun {
  workflowId: string;
  /** The run id of the run it started (later continue-as-new runs share the workflow id). */
  runId?: string;
  scheduledAt: string;
  startedAt?: string;
}

function runsOf(actions: readonly ScheduleExecutionResult[]): ScheduleRun[] {
  return actions.flatMap((a) =>
    a.action.type === 'startWorkflow'
      ? [
          {
            workflowId: a.action.workflow.workflowId,
            ...(a.action.workflow.firstExecutionRunId ? { runId: a.action.workflow.firstExecutionRunId } : {}),
            scheduledAt: a.scheduledAt.toISOString(),
            ...(a.takenAt ? { startedAt: a.takenAt.toISOString() } : {}),
          },
        ]
      : [],
  );
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
    ...(s.spec?.timezone ? { timezone: s.spec.timezone } : {}),
    nextActionTimes: (s.info.nextActionTimes ?? []).map((d) => d.toISOString()),
    recentRuns: runsOf(s.info.recentActions ?? []),
  };
}

export interface ScheduleDetails extends ScheduleListItem {
  /** The cron expressions it was created with (empty for calendar-only schedules or ones created elsewhere). */
  cron: string[];
  calendars: unknown[];
  timezone?: string;
  windowSeconds?: number;
  specName?: string;
  taskQueue?: string;
  runningWorkflowIds: string[];
  /** Runs it started that are still going. */
  running: Array<{ workflowId: string; runId?: string }>;
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
  const memo = d.memo?.[SCHEDULE_MEMO_KEY] as ScheduleMemo | undefined;
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: runsOf(d.info.recentActions),
    cron: memo?.cron ?? [],
    calendars: d.spec.calendars ?? [],
    ...(d.spec.timezone ? { timezone: d.spec.timezone } : {}),
    ...(input?.windowSeconds !== undefined ? { windowSeconds: input.windowSeconds } : {}),
    ...(input?.spec?.name ? { specName: input.spec.name } : {}),
    ...(action?.taskQueue ? { taskQueue: action.taskQueue } : {}),
    runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
    running: d.info.runningActions.map((a) => ({ workflowId: a.workflow.workflowId, ...(a.workflow.firstExecutionRunId ? { runId: a.workflow.firstExecutionRunId } : {}) })),
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

