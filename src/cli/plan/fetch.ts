/**
 * `starwave plan`, the reading part: resolves the targets through the StarRocks API (read-only),
 * reads each target's restart history (spec.estimates), and asks the lease registry which targets
 * running rollouts hold. Throttled and transient answers are retried a bounded number of times
 * (starrocks/retry.ts); what it gave up on is said in a note, never silently dropped.
 */
import type { HeldLease } from '../../client/leases';
import type { ErrorClass } from '../../contracts/errors';
import { percentiles } from '../../engine/eta';
import type { ResolvedFleet } from '../../planning/planner';
import { resolveTargets, type FleetReader } from '../../planning/resolve';
import type { RolloutSpec } from '../../contracts/spec';
import type { RestartHistory, RestartHistoryQuery } from '../../starrocks/client';
import { StarRocksApiError } from '../../starrocks/errors';
import { withRetries, type RetryOptions } from '../../starrocks/retry';
import type { HistoryStats, LeaseCheck, RestartEstimate } from './model';

/** What plan reads in one region: resolution's port plus the restart history. */
export interface PlanReader extends FleetReader {
  listRestartHistory(q: RestartHistoryQuery): Promise<RestartHistory>;
}

export interface PlanSources {
  readerFor(region: string): PlanReader;
  /** Leases held on these instances; throws when they cannot be read (plan notes it and goes on). */
  leases?: (instanceIds: readonly string[]) => Promise<HeldLease[]>;
  /** Why leases are not checked at all (no Temporal), when that is known up front. */
  leasesUnavailable?: string;
  nowMs: number;
  /** Retry options for every read (tests shorten the backoff). */
  retry?: RetryOptions;
}

export interface Gathered {
  fleet: ResolvedFleet;
  estimates: Map<string, RestartEstimate>;
  history: HistoryStats;
  leases: LeaseCheck;
  notes: string[];
}

/** History look-ups in flight per region at once (the client's rate limit still applies). */
const HISTORY_PARALLEL = 4;
/** Pages of history per instance, as the rollout's own estimate activity reads. */
const HISTORY_PAGES = 2;

export async function gatherPlan(spec: RolloutSpec, sources: PlanSources): Promise<Gathered> {
  const retried = new Map<ErrorClass, number>();
  const retry: RetryOptions = {
    ...sources.retry,
    onRetry: (e) => {
      retried.set(e.error.errorClass, (retried.get(e.error.errorClass) ?? 0) + 1);
      sources.retry?.onRetry?.(e);
    },
  };
  // Resolution must succeed: without the targets there is no plan (a give-up is the command's error).
  const fleet = await resolveTargets((region) => retryingReader(sources.readerFor(region), retry), spec);
  const notes: string[] = [];
  // The lease check (Temporal) and the history reads (the API) need only the fleet: both at once.
  const [{ estimates, history }, leases] = await Promise.all([readHistory(spec, fleet, sources, retry, notes), checkLeases(fleet, sources)]);
  if (retried.size) notes.push(`Retried ${[...retried].map(([c, n]) => `${n} ${c.replace('_', ' ')}`).join(', ')} read(s) before they succeeded or were given up.`);
  return { fleet, estimates, history, leases, notes };
}

/** Resolution's port with bounded retries of throttled and transient answers. */
export function retryingReader(reader: FleetReader, retry: RetryOptions): FleetReader {
  return {
    describeInstance: (id) => withRetries(() => reader.describeInstance(id), retry),
    describeAllInstances: (q) => withRetries(() => reader.describeAllInstances(q), retry),
  };
}

async function readHistory(
  spec: RolloutSpec,
  fleet: ResolvedFleet,
  sources: PlanSources,
  retry: RetryOptions,
  notes: string[],
): Promise<{ estimates: Map<string, RestartEstimate>; history: HistoryStats }> {
  const est = spec.estimates;
  const estimates = new Map<string, RestartEstimate>();
  const history: HistoryStats = { fromHistory: est.fromHistory, asked: 0, withHistory: 0, reads: 0 };
  if (!est.fromHistory || est.maxInstances === 0) return { estimates, history };
  const excluded = new Set(spec.targets.exclude);
  const byRegion = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const t of fleet.targets) {
    if (excluded.has(t.instanceId) || seen.has(t.instanceId) || seen.size >= est.maxInstances) continue;
    seen.add(t.instanceId);
    byRegion.set(t.region, [...(byRegion.get(t.region) ?? []), t.instanceId]);
  }
  const sinceMs = Math.max(0, sources.nowMs - est.lookbackDays * 86_400_000);
  const gaveUp = new Map<ErrorClass, number>();
  await Promise.all(
    [...byRegion].map(async ([region, ids]) => {
      const reader = sources.readerFor(region);
      let refused: string | undefined;
      const next = ids.values();
      const lane = async (): Promise<void> => {
        for (let it = next.next(); !it.done && !refused; it = next.next()) {
          const instanceId = it.value;
          history.asked++;
          try {
            const h = await withRetries(() => reader.listRestartHistory({ instanceId, sinceMs, maxPages: HISTORY_PAGES }), retry);
            history.reads += h.reads;
            const p = percentiles(h.items.filter((r) => r.status === 'COMPLETED' && r.durationMs > 0).map((r) => r.durationMs));
            if (p) {
              estimates.set(instanceId, { medianMs: p.p50, p90Ms: p.p90, samples: h.items.length });
              history.withHistory++;
            }
          } catch (err) {
            if (!(err instanceof StarRocksApiError)) throw err;
            history.reads++;
            gaveUp.set(err.errorClass, (gaveUp.get(err.errorClass) ?? 0) + 1);
            // A refusal of the account (permission, auth) is the same for every instance: stop asking.
            if (!err.retryable) refused = err.message;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(HISTORY_PARALLEL, ids.length) }, lane));
      if (refused) notes.push(`Gave up reading restart history in ${region}: ${refused} Its targets use instance.expectedRestartSeconds.`);
    }),
  );
  const failed = [...gaveUp.values()].reduce((a, b) => a + b, 0);
  if (failed) {
    notes.push(
      `Gave up on the restart history of ${failed} target(s) (${[...gaveUp].map(([c, n]) => `${n} ${c.replace('_', ' ')}`).join(', ')}) after bounded retries; they use instance.expectedRestartSeconds (${spec.instance.expectedRestartSeconds}s).`,
    );
  }
  return { estimates, history };
}

async function checkLeases(fleet: ResolvedFleet, sources: PlanSources): Promise<LeaseCheck> {
  if (!sources.leases) return { checked: false, note: sources.leasesUnavailable ?? 'Temporal was not asked', held: [] };
  try {
    const held = await sources.leases(fleet.targets.map((t) => t.instanceId));
    return { checked: true, held };
  } catch (err) {
    return { checked: false, note: err instanceof Error ? err.message : String(err), held: [] };
  }
}
