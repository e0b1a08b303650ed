/**
 * Restart-duration estimates from each target's own history: its past `restart_cluster`
 * operations (ListOperationHistory, GmtCreate → GmtEnd), median and p90. Bounded look-ups (pages
 * per instance), within the client's rate limit; an instance whose history cannot be read keeps
 * the rollout's default expectation.
 */
import type { EstimateInput, EstimateResult, RestartEstimate } from '../contracts/activities';
import { percentiles } from '../engine/eta';
import { StarRocksApiError } from '../starrocks/errors';
import type { RegionApi } from './deps';

export async function estimateRestarts(api: RegionApi, input: EstimateInput, ctx: { heartbeat: () => void; signal?: AbortSignal }): Promise<EstimateResult> {
  const estimates: Record<string, RestartEstimate> = {};
  let reads = 0;
  let unread = 0;
  for (let i = 0; i < input.instanceIds.length; i++) {
    const instanceId = input.instanceIds[i]!;
    ctx.heartbeat();
    try {
      const history = await api.listRestartHistory({ instanceId, sinceMs: input.sinceMs, maxPages: input.maxPagesPerInstance }, ctx.signal ? { signal: ctx.signal } : {});
      reads += history.reads;
      const durations = history.items.filter((r) => r.status === 'COMPLETED' && r.durationMs > 0).map((r) => r.durationMs);
      const p = percentiles(durations);
      if (p) estimates[instanceId] = { medianMs: p.p50, p90Ms: p.p90, samples: durations.length };
    } catch (err) {
      if (!(err instanceof StarRocksApiError)) throw err;
      reads += 1;
      if (!err.retryable) {
        // A refused history (permission) is refused for every instance: stop asking.
        unread += input.instanceIds.length - i;
        break;
      }
      unread += 1;
    }
  }
  return { estimates, reads, unread };
}
