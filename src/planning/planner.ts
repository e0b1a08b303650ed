/**
 * The wave planner: a pure, deterministic function from a validated spec and the resolved fleet to
 * the ordered waves of a rollout. The rollout workflow calls it (so it must stay free of I/O, clock
 * and randomness) and `starwave plan` prints its result as a dry run.
 */
import type { PlanProblem, ResolvedFleet, Target } from '../contracts/fleet';
import { resolveBudget, resolveSize, type RolloutSpec, type Size } from '../contracts/spec';

// What resolving produces is a contract (activities return it, progress and reports carry its parts).
export type { PlanProblem, PlanProblemKind, ResolvedFleet, ResolvedTarget, Target } from '../contracts/fleet';

export interface PlannedWave {
  /** 1-based wave number. */
  number: number;
  targets: Target[];
  /** Max instances down at once in this wave, all regions together. */
  concurrency: number;
  /** Max instances down at once per region in this wave. */
  regionConcurrency: Record<string, number>;
  /** Failures tolerated within this wave (undefined: only the rollout budget applies). */
  failureBudget?: number;
  approvalRequired: boolean;
}

export interface RolloutPlan {
  waves: PlannedWave[];
  regions: string[];
  targetCount: number;
  /** Failures tolerated in the whole rollout: the (k+1)-th failure stops new restarts. */
  failureBudget: number;
  problems: PlanProblem[];
}

/** Region order: the spec's order first, then every other region alphabetically. */
export function orderRegions(spec: RolloutSpec, present: Iterable<string>): string[] {
  const all = new Set(present);
  const ordered = spec.regions.order.filter((r) => all.has(r));
  const rest = [...all].filter((r) => !ordered.includes(r)).sort();
  return [...ordered, ...rest];
}

/** Splits `count` items into wave sizes: each entry sizes one wave (relative to `count`), the last repeats. */
export function waveSizes(sizes: readonly Size[], count: number): number[] {
  const out: number[] = [];
  let planned = 0;
  for (let i = 0; planned < count; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]!;
    const n = Math.min(resolveSize(size, count, { atLeastOne: true }), count - planned);
    out.push(n);
    planned += n;
  }
  return out;
}

export function planRollout(spec: RolloutSpec, fleet: ResolvedFleet): RolloutPlan {
  const problems = [...fleet.problems];
  const seen = new Set<string>();
  const excluded = new Set(spec.targets.exclude);
  const byRegion = new Map<string, Target[]>();
  for (const t of fleet.targets) {
    if (seen.has(t.instanceId)) {
      problems.push({
        kind: 'duplicate',
        region: t.region,
        instanceId: t.instanceId,
        message: `${t.instanceId} is targeted more than once; it is restarted once`,
      });
      continue;
    }
    seen.add(t.instanceId);
    if (excluded.has(t.instanceId)) {
      problems.push({ kind: 'excluded', region: t.region, instanceId: t.instanceId, message: `${t.instanceId} is excluded by targets.exclude` });
      continue;
    }
    const list = byRegion.get(t.region) ?? [];
    list.push(t.instanceName ? { region: t.region, instanceId: t.instanceId, instanceName: t.instanceName } : { region: t.region, instanceId: t.instanceId });
    byRegion.set(t.region, list);
  }
  const regions = orderRegions(spec, byRegion.keys());
  const targetCount = regions.reduce((n, r) => n + byRegion.get(r)!.length, 0);

  const waveTargetLists: Target[][] = [];
  if (spec.regions.mode === 'sequential') {
    for (const region of regions) {
      const list = byRegion.get(region)!;
      let offset = 0;
      for (const n of waveSizes(spec.waves.sizes, list.length)) {
        waveTargetLists.push(list.slice(offset, offset + n));
        offset += n;
      }
    }
  } else {
    // Parallel: every region advances through the same wave sequence at once.
    const perRegion = regions.map((r) => {
      const list = byRegion.get(r)!;
      let offset = 0;
      return waveSizes(spec.waves.sizes, list.length).map((n) => list.slice(offset, (offset += n)));
    });
    const waveCount = Math.max(0, ...perRegion.map((w) => w.length));
    for (let i = 0; i < waveCount; i++) waveTargetLists.push(perRegion.flatMap((w) => w[i] ?? []));
  }

  const approvals = new Set(spec.waves.approvalBefore);
  const waves = waveTargetLists.map((targets, i): PlannedWave => {
    const regionCounts = countByRegion(targets);
    const regionConcurrency: Record<string, number> = {};
    for (const [region, n] of regionCounts) {
      regionConcurrency[region] = spec.concurrency.perRegion === undefined ? n : resolveSize(spec.concurrency.perRegion, n, { atLeastOne: true });
    }
    const wave: PlannedWave = {
      number: i + 1,
      targets,
      concurrency: resolveSize(spec.concurrency.global, targets.length, { atLeastOne: true }),
      regionConcurrency,
      approvalRequired: approvals.has(i + 1),
    };
    if (spec.failureBudget.perWave !== undefined) wave.failureBudget = resolveBudget(spec.failureBudget.perWave, targets.length);
    return wave;
  });

  return {
    waves,
    regions,
    targetCount,
    failureBudget: resolveBudget(spec.failureBudget.total, targetCount),
    problems,
  };
}

export function countByRegion(targets: readonly Target[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of targets) counts.set(t.region, (counts.get(t.region) ?? 0) + 1);
  return counts;
}

/**
 * Lower bound on one wave's duration with concurrency C and restart durations D:
 * max(max D, ΣD / C). Used by `starwave plan` estimates and the benchmark.
 */
export function waveLowerBoundMs(durationsMs: readonly number[], concurrency: number): number {
  if (durationsMs.length === 0) return 0;
  const sum = durationsMs.reduce((a, b) => a + b, 0);
  return Math.max(Math.max(...durationsMs), sum / Math.max(1, concurrency));
}

/** Rough expected duration of a plan when every restart takes `restartMs` (for dry runs). */
export function estimatePlanMs(plan: RolloutPlan, restartMs: number, bakeMs: number): number {
  return plan.waves.reduce(
    (total, w) => total + Math.ceil(w.targets.length / Math.max(1, w.concurrency)) * restartMs,
    plan.waves.length > 1 ? (plan.waves.length - 1) * bakeMs : 0,
  );
}
