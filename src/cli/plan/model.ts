/**
 * `starwave plan`, the pure part: from a spec, its resolved fleet and the per-instance estimates,
 * the waves as the engine will run them (the planner's waves, longest expected restart first), how
 * many restarts can really run at once in each wave (min of concurrency.global and the sum of the
 * per-region limits), and the expected duration as a list schedule over per-instance durations
 * (engine/eta.ts), with bake times between waves, the window cutoff and each instance's own
 * maintenance window. No I/O: time comes in as `nowMs`.
 */
import type { HeldLease } from '../../client/leases';
import type { Problem } from '../../contracts/errors';
import { listScheduleMs, longestFirst } from '../../engine/eta';
import { earliestStart, parsePeriod, regionTimeZone, windowAt } from '../../engine/windows';
import { countByRegion, planRollout, type PlanProblem, type ResolvedFleet } from '../../planning/planner';
import { rolloutWorkflowId, type RolloutSpec } from '../../contracts/spec';
import { plural } from '../render/format';

export interface RestartEstimate {
  medianMs: number;
  p90Ms: number;
  samples: number;
}

export interface PlanInstance {
  instanceId: string;
  region: string;
  instanceName?: string;
  status?: string;
  /** Expected restart (p50) and its p90, ms. */
  expectedMs: number;
  expectedP90Ms: number;
  /** Where the expectation comes from: the instance's own restart history, or instance.expectedRestartSeconds. */
  estimate: 'history' | 'default';
  samples?: number;
  /** With window.instanceMaintainablePeriod: its own window and when it opens. */
  window?: { period?: string; timeZone: string; openNow: boolean; opensAtMs?: number; fits: boolean };
}

export interface PlanWave {
  number: number;
  size: number;
  regions: Record<string, number>;
  /** concurrency.global resolved for this wave. */
  concurrency: number;
  /** concurrency.perRegion resolved per region of this wave (the region's share when unset). */
  regionConcurrency: Record<string, number>;
  /** Restarts that can really run at once: min(global, Σ per-region limits, size). */
  parallelism: number;
  /** Which limit sets `parallelism`, as words. */
  limitedBy: string;
  failureBudget?: number;
  approvalRequired: boolean;
  canary: boolean;
  /** Expected time from the wave's start to its end (p50, p90), ms. */
  expected: { p50Ms: number; p90Ms: number };
  /** Expected start, ms after the rollout's start (p50; approval gates not counted). */
  startsAfterMs: number;
  /** Targets the window cutoff (or their own window) is expected to leave not started. */
  notStartedByWindow: number;
  /** In launch order. */
  instances: PlanInstance[];
}

export interface LeaseCheck {
  checked: boolean;
  /** Why leases were not checked, when they were not. */
  note?: string;
  held: HeldLease[];
}

export interface HistoryStats {
  fromHistory: boolean;
  /** Targets whose history was asked for / answered with at least one finished restart. */
  asked: number;
  withHistory: number;
  reads: number;
}

export interface PlanReport {
  name: string;
  workflowId: string;
  targetCount: number;
  regions: string[];
  mode: RolloutSpec['regions']['mode'];
  failureBudget: number;
  limits: { global: RolloutSpec['concurrency']['global']; perRegion?: RolloutSpec['concurrency']['perRegion']; bakeSeconds: number; notAfter?: string; instanceMaintainablePeriod: boolean };
  defaultRestartMs: number;
  waves: PlanWave[];
  eta: { p50Ms: number; p90Ms: number };
  history: HistoryStats;
  apiCalls: { resolveReads: number; historyReads: number; restarts: number; preflightReads: number; pollReads: number; total: number };
  leases: LeaseCheck;
  /** What resolution found (duplicates, not found, excluded). */
  problems: PlanProblem[];
  /** What `start` would refuse (exit 2): order regions without targets, excludes matching nothing. */
  blocking: Problem[];
  /** What plan gave up on after bounded retries, and other notes. */
  notes: string[];
}

export interface PlanInputs {
  fleet: ResolvedFleet;
  estimates: ReadonlyMap<string, RestartEstimate>;
  history: HistoryStats;
  leases: LeaseCheck;
  blocking: Problem[];
  notes: string[];
  nowMs: number;
}

interface Job {
  p50: number;
  p90: number;
  /** Earliest start, ms after the wave's start (its own window). */
  releaseMs?: number;
  never?: boolean;
}

/**
 * Expected makespan of one wave: jobs start in order on the first free of `slots` slots, none
 * before its release, none that cannot finish (at its p90, as the engine decides) by `cutoffMs`.
 */
export function waveDuration(jobs: readonly Job[], slots: number, cutoffMs?: number): { p50Ms: number; p90Ms: number; notStarted: number } {
  if (cutoffMs === undefined && jobs.every((j) => j.releaseMs === undefined && !j.never)) {
    return { p50Ms: listScheduleMs(jobs.map((j) => j.p50), slots), p90Ms: listScheduleMs(jobs.map((j) => j.p90), slots), notStarted: 0 };
  }
  const n = Math.max(1, slots);
  const free50 = Array<number>(n).fill(0);
  const free90 = Array<number>(n).fill(0);
  let notStarted = 0;
  // The engine skips a target whose window is not open yet and launches the next: earliest release first.
  const ordered = [...jobs].map((j, i) => ({ j, i })).sort((a, b) => (a.j.releaseMs ?? 0) - (b.j.releaseMs ?? 0) || a.i - b.i);
  for (const { j } of ordered) {
    const slot = free90.indexOf(Math.min(...free90));
    const start90 = Math.max(free90[slot]!, j.releaseMs ?? 0);
    if (j.never || (cutoffMs !== undefined && start90 + j.p90 > cutoffMs)) {
      notStarted++;
      continue;
    }
    free90[slot] = start90 + j.p90;
    const slot50 = free50.indexOf(Math.min(...free50));
    free50[slot50] = Math.max(free50[slot50]!, j.releaseMs ?? 0) + j.p50;
  }
  return { p50Ms: Math.max(0, ...free50), p90Ms: Math.max(0, ...free90), notStarted };
}

export function buildPlanReport(spec: RolloutSpec, inputs: PlanInputs): PlanReport {
  const plan = planRollout(spec, inputs.fleet);
  const defaultMs = spec.instance.expectedRestartSeconds * 1000;
  const byId = new Map(inputs.fleet.targets.map((t) => [t.instanceId, t]));
  const bakeMs = spec.waves.bakeSeconds * 1000;
  const notAfterMs = spec.window.notAfter ? Date.parse(spec.window.notAfter) : undefined;
  const pollMs = Math.max(1, spec.instance.pollIntervalSeconds * 1000);
  let offset50 = 0;
  let offset90 = 0;
  let pollReads = 0;

  const waves = plan.waves.map((w, i): PlanWave => {
    const startMs = inputs.nowMs + offset50;
    const instances = longestFirst(
      w.targets.map((t) => instanceOf(spec, t.instanceId, t.region, byId.get(t.instanceId), inputs.estimates.get(t.instanceId), defaultMs, startMs, notAfterMs)),
      (x) => (x.estimate === 'history' ? x.expectedMs : 0),
    );
    const regionSum = Object.values(w.regionConcurrency).reduce((a, b) => a + b, 0);
    const parallelism = Math.max(1, Math.min(w.concurrency, regionSum, w.targets.length));
    const limitedBy =
      parallelism === w.targets.length && parallelism < Math.min(w.concurrency, regionSum)
        ? 'the wave size'
        : spec.concurrency.perRegion !== undefined && regionSum < w.concurrency
          ? `concurrency.perRegion ${spec.concurrency.perRegion} × ${plural(Object.keys(w.regionConcurrency).length, 'region')}`
          : `concurrency.global ${spec.concurrency.global}`;
    const jobs: Job[] = instances.map((x) => ({
      p50: x.expectedMs,
      p90: x.expectedP90Ms,
      ...(x.window && !x.window.fits ? { never: true } : {}),
      ...(x.window?.opensAtMs !== undefined && !x.window.openNow ? { releaseMs: x.window.opensAtMs - startMs } : {}),
    }));
    const expected = waveDuration(jobs, parallelism, notAfterMs !== undefined ? notAfterMs - startMs : undefined);
    const wave: PlanWave = {
      number: w.number,
      size: w.targets.length,
      regions: Object.fromEntries(countByRegion(w.targets)),
      concurrency: w.concurrency,
      regionConcurrency: w.regionConcurrency,
      parallelism,
      limitedBy,
      ...(w.failureBudget !== undefined ? { failureBudget: w.failureBudget } : {}),
      approvalRequired: w.approvalRequired,
      canary: i === 0 && plan.waves.length > 1,
      expected: { p50Ms: expected.p50Ms, p90Ms: expected.p90Ms },
      startsAfterMs: offset50,
      notStartedByWindow: expected.notStarted,
      instances,
    };
    const last = i === plan.waves.length - 1;
    offset50 += expected.p50Ms + (last ? 0 : bakeMs);
    offset90 += expected.p90Ms + (last ? 0 : bakeMs);
    // The watch reads one page per region and poll while restarts are in flight, not one call per instance,
    // and nothing while the wave only waits for windows: the time busy is the schedule without the waits, plus
    // the wave's first listing.
    let pages = 0;
    for (const n of countByRegion(w.targets).values()) pages += Math.max(1, Math.ceil(n / 100));
    const busy = waveDuration(
      jobs.filter((j) => !j.never).map(({ releaseMs: _wait, ...j }) => j),
      parallelism,
      undefined,
    );
    pollReads += (Math.ceil(busy.p50Ms / pollMs) + 1) * pages;
    return wave;
  });

  const restarts = plan.targetCount;
  const resolveReads = inputs.fleet.reads;
  return {
    name: spec.name,
    workflowId: rolloutWorkflowId(spec),
    targetCount: plan.targetCount,
    regions: plan.regions,
    mode: spec.regions.mode,
    failureBudget: plan.failureBudget,
    limits: {
      global: spec.concurrency.global,
      ...(spec.concurrency.perRegion !== undefined ? { perRegion: spec.concurrency.perRegion } : {}),
      bakeSeconds: spec.waves.bakeSeconds,
      ...(spec.window.notAfter ? { notAfter: spec.window.notAfter } : {}),
      instanceMaintainablePeriod: spec.window.instanceMaintainablePeriod,
    },
    defaultRestartMs: defaultMs,
    waves,
    eta: { p50Ms: Math.round(offset50), p90Ms: Math.round(offset90) },
    history: inputs.history,
    apiCalls: {
      resolveReads,
      historyReads: inputs.history.reads,
      restarts,
      preflightReads: restarts,
      pollReads,
      total: resolveReads + inputs.history.reads + restarts * 2 + pollReads,
    },
    leases: inputs.leases,
    problems: plan.problems,
    blocking: inputs.blocking,
    notes: inputs.notes,
  };
}

function instanceOf(
  spec: RolloutSpec,
  instanceId: string,
  region: string,
  resolved: ResolvedFleet['targets'][number] | undefined,
  estimate: RestartEstimate | undefined,
  defaultMs: number,
  waveStartMs: number,
  notAfterMs: number | undefined,
): PlanInstance {
  const expectedMs = estimate?.medianMs ?? defaultMs;
  const expectedP90Ms = estimate?.p90Ms ?? estimate?.medianMs ?? defaultMs;
  const out: PlanInstance = {
    instanceId,
    region,
    ...(resolved?.instanceName ? { instanceName: resolved.instanceName } : {}),
    ...(resolved?.status ? { status: resolved.status } : {}),
    expectedMs,
    expectedP90Ms,
    estimate: estimate ? 'history' : 'default',
    ...(estimate ? { samples: estimate.samples } : {}),
  };
  if (!spec.window.instanceMaintainablePeriod) return out;
  const timeZone = regionTimeZone(region);
  const period = parsePeriod(resolved?.maintainablePeriod);
  if (!period) {
    out.window = { ...(resolved?.maintainablePeriod ? { period: resolved.maintainablePeriod } : {}), timeZone, openNow: false, fits: false };
    return out;
  }
  const at = earliestStart(period, waveStartMs, expectedP90Ms, timeZone, notAfterMs !== undefined ? { notAfterMs } : {});
  const open = windowAt(period, waveStartMs, timeZone);
  out.window = {
    period: resolved!.maintainablePeriod!,
    timeZone,
    openNow: at !== undefined && at <= waveStartMs,
    ...(at !== undefined ? { opensAtMs: at } : { opensAtMs: open.opensAtMs }),
    fits: at !== undefined,
  };
  return out;
}
