/**
 * Finding runs of rollouts in Temporal visibility. `listRuns` answers with starwave's own outcome of
 * each run (the StarwavePhase search attribute the workflow keeps current, or the report of a closed
 * run when the server has no such attribute) and filters by outcome, name, region or schedule.
 * `listRollouts` is the older, Temporal-status view (kept for the HTTP API).
 */
import type { Client, WorkflowExecutionInfo, WorkflowExecutionStatusName } from '@temporalio/client';
import { FINAL_PHASES, ROLLOUT_PHASES, WORKFLOW_TYPE, isFinalPhase, type RolloutReport } from '../contracts/rollout';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { toStarwaveError } from './errors';

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
/** Temporal's ExecutionStatus value of each listed status. */
export const STATUS_QUERY: Record<ListStatus, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  terminated: 'Terminated',
  cancelled: 'Canceled',
  timed_out: 'TimedOut',
};

/** Rollouts only, and a continued-as-new chain as one run (its open or last run). */
export const BASE_QUERY = `WorkflowType='${WORKFLOW_TYPE}' AND ExecutionStatus!='ContinuedAsNew'`;

/** One run as the list shows it. */
export function listItemOf(wf: WorkflowExecutionInfo): RolloutListItem {
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    status: wf.status.name,
    startTime: wf.startTime.toISOString(),
    ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}),
    taskQueue: wf.taskQueue,
  };
}

/** Runs of rollouts from Temporal visibility, newest first (continued-as-new runs are one run). */
export async function listRollouts(client: Client, opts: { status?: ListStatus; limit?: number; workflowId?: string } = {}): Promise<RolloutListItem[]> {
  let query = BASE_QUERY;
  if (opts.status) query += ` AND ExecutionStatus='${STATUS_QUERY[opts.status]}'`;
  if (opts.workflowId) query += ` AND WorkflowId='${quote(opts.workflowId)}'`;
  const out: RolloutListItem[] = [];
  for await (const wf of client.workflow.list({ query })) {
    out.push(listItemOf(wf));
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

/**
 * What `listRuns` filters on: `running` (every run still going, whatever its phase), a live phase
 * (`paused`, `awaiting_approval`, `cancelling`, …) or an outcome (`completed`, `stopped_budget`,
 * `stopped_window`, `stopped_stalled`, `cancelled`, `failed`).
 */
export const RUN_FILTERS = [...new Set<string>(['running', ...FINAL_PHASES, ...ROLLOUT_PHASES])] as readonly string[];
export type RunFilter = (typeof ROLLOUT_PHASES)[number];

export interface RolloutRun {
  workflowId: string;
  runId: string;
  /** The spec's name (StarwaveName), when visible. */
  name?: string;
  /** starwave's view: the live phase of a running run, else its outcome (`terminated` when someone terminated it). */
  outcome: string;
  executionStatus: WorkflowExecutionStatusName;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
  trigger?: string;
  regions?: string[];
}

export interface ListRunsOptions {
  status?: RunFilter;
  /** Runs of the spec with this name (scheduled runs and runs by requestId included). */
  name?: string;
  /** Runs whose targets include this region. */
  region?: string;
  /** Runs started by this schedule (Temporal's TemporalScheduledById). */
  scheduleId?: string;
  workflowId?: string;
  /** At most this many runs (default 50). */
  limit?: number;
}

/** Runs of rollouts, newest first, with starwave's outcome of each. */
export async function listRuns(client: Client, opts: ListRunsOptions = {}): Promise<RolloutRun[]> {
  const limit = opts.limit ?? 50;
  try {
    return await collect(client, runsQuery(opts, true), limit, () => true);
  } catch (err) {
    // A server without starwave's search attributes: ask Temporal's own fields, then filter here.
    if (!isInvalidQuery(err)) throw toStarwaveError(err, { what: 'the list of rollouts' });
    const keep = (run: RolloutRun): boolean =>
      (!opts.status || matchesFilter(run, opts.status)) &&
      (!opts.name || run.workflowId === `starwave-rollout-${opts.name}` || run.workflowId.startsWith(`starwave-rollout-${opts.name}-scheduled`));
    try {
      return await collect(client, runsQuery(opts, false), limit, keep);
    } catch (again) {
      throw toStarwaveError(again, { what: 'the list of rollouts' });
    }
  }
}

/** The visibility query for `opts`; without `attributes`, only Temporal's built-in fields. */
export function runsQuery(opts: ListRunsOptions, attributes: boolean): string {
  const parts = [BASE_QUERY];
  if (opts.workflowId) parts.push(`WorkflowId='${quote(opts.workflowId)}'`);
  if (opts.scheduleId) parts.push(`TemporalScheduledById='${quote(opts.scheduleId)}'`);
  const status = opts.status;
  if (status === 'running') parts.push(`ExecutionStatus='Running'`);
  else if (status && attributes) {
    const phase = `${SEARCH_ATTRIBUTES.phase.name}='${quote(status)}'`;
    if (status === 'failed') parts.push(`(${phase} OR ExecutionStatus='Failed' OR ExecutionStatus='Terminated' OR ExecutionStatus='TimedOut')`);
    else if (status === 'cancelled') parts.push(`((${phase} AND ExecutionStatus!='Running') OR ExecutionStatus='Canceled')`);
    // A run upserts its outcome just before it closes: an outcome counts once the run has closed.
    else if (isFinalPhase(status)) parts.push(`${phase} AND ExecutionStatus!='Running'`);
    else parts.push(`${phase} AND ExecutionStatus='Running'`);
  } else if (status && status !== 'failed' && isFinalPhase(status)) parts.push(`ExecutionStatus!='Running'`);
  if (attributes && opts.name) parts.push(`${SEARCH_ATTRIBUTES.name.name}='${quote(opts.name)}'`);
  if (attributes && opts.region) parts.push(`${SEARCH_ATTRIBUTES.regions.name}='${quote(opts.region)}'`);
  return parts.join(' AND ');
}

async function collect(client: Client, query: string, limit: number, keep: (run: RolloutRun) => boolean): Promise<RolloutRun[]> {
  const out: RolloutRun[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const run = await runOf(client, wf);
    if (keep(run)) out.push(run);
    if (out.length >= limit) break;
  }
  return out;
}

async function runOf(client: Client, wf: WorkflowExecutionInfo): Promise<RolloutRun> {
  const sa = wf.typedSearchAttributes;
  const phase = sa?.get(SEARCH_ATTRIBUTES.phase);
  const name = sa?.get(SEARCH_ATTRIBUTES.name);
  const trigger = sa?.get(SEARCH_ATTRIBUTES.trigger);
  const regions = sa?.get(SEARCH_ATTRIBUTES.regions);
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    ...(name ? { name } : {}),
    outcome: await outcomeOf(client, wf, phase),
    executionStatus: wf.status.name,
    startTime: wf.startTime.toISOString(),
    ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}),
    taskQueue: wf.taskQueue,
    ...(trigger ? { trigger } : {}),
    ...(regions?.length ? { regions } : {}),
  };
}

async function outcomeOf(client: Client, wf: WorkflowExecutionInfo, phase: string | undefined): Promise<string> {
  switch (wf.status.name) {
    case 'RUNNING':
      return phase ?? 'running';
    case 'COMPLETED':
      return phase && isFinalPhase(phase) ? phase : ((await finalPhaseOf(client, wf.workflowId, wf.runId)) ?? 'completed');
    case 'CANCELLED':
      return 'cancelled';
    case 'TERMINATED':
      return 'terminated';
    default:
      return 'failed';
  }
}

function matchesFilter(run: RolloutRun, filter: string): boolean {
  if (filter === 'running') return run.executionStatus === 'RUNNING';
  if (filter === 'failed') return run.outcome === 'failed' || run.outcome === 'terminated';
  return run.outcome === filter;
}

function isInvalidQuery(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 3 /* gRPC INVALID_ARGUMENT */) return true;
  }
  return false;
}

function quote(value: string): string {
  return value.replace(/['\\]/g, '');
}
