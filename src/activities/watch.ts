/**
 * Confirming restarts: one watch per region polls the region's `restarting` instances in pages (so
 * reads per tick grow with pages, not with instances), and reads an instance on its own only once,
 * when it leaves `restarting`. It returns as soon as something finished, or after maxWaitMs so the
 * workflow can add newly launched restarts to the watch. Progress is heartbeated so a retried watch
 * (after a worker crash) resumes where it was.
 */
import type { UnhealthyInput, WatchEvent, WatchInput, WatchResult } from '../workflows/types';
import { StarRocksApiError } from '../starrocks/errors';
import type { RegionApi } from './deps';
import { toApplicationFailure } from './failures';
import { ADOPT_SKEW_MS } from './restart';

/** A watch gives up (and lets Temporal retry it) after this many failed polls in a row. */
export const MAX_FAILED_POLLS = 30;

export interface WatchContext {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  heartbeat: (details: WatchHeartbeat) => void;
  /** Heartbeat details of the previous attempt, if any. */
  resumed?: WatchHeartbeat;
  cancelled: () => boolean;
}

export interface WatchHeartbeat {
  seenRestarting: string[];
}

export async function watchRestarts(api: RegionApi, input: WatchInput, ctx: WatchContext): Promise<WatchResult> {
  const started = ctx.now();
  const seen = new Set<string>([...input.watching.filter((w) => w.seenRestarting).map((w) => w.instanceId), ...(ctx.resumed?.seenRestarting ?? [])]);
  const newlySeen = new Set<string>(ctx.resumed?.seenRestarting ?? []);
  const markSeen = (id: string): void => {
    if (!seen.has(id)) newlySeen.add(id);
    seen.add(id);
  };
  let reads = 0;

  /** The restart_cluster operation our launch created, if the service shows one yet. */
  const restartOperation = async (instanceId: string, sentAtMs: number) => {
    const since = sentAtMs - ADOPT_SKEW_MS;
    const history = await api.listOperationHistory({ instanceId, operationType: 'restart_cluster', startTimeMs: since, pageSize: 10 });
    reads += 1;
    return history.items.find((op) => op.operationType === 'restart_cluster' && (op.gmtCreateMs ?? 0) >= since);
  };

  /** One poll of the region; pushes what finished into `events`. */
  const poll = async (now: number, events: WatchEvent[]): Promise<void> => {
    const restarting = await api.describeAllInstances({ regionId: input.region, statuses: ['restarting'] });
    reads += restarting.pages;
    const restartingIds = new Set(restarting.items.map((i) => i.instanceId));
    for (const w of input.watching) {
      if (restartingIds.has(w.instanceId)) {
        markSeen(w.instanceId);
        if (now - w.sentAtMs > input.confirmTimeoutMs) events.push({ instanceId: w.instanceId, kind: 'timeout', status: 'restarting', atMs: now });
        continue;
      }
      // Not restarting: it finished, failed, or the restart has not shown up yet (stale read).
      const unseen = !seen.has(w.instanceId);
      if (unseen && now - w.sentAtMs < input.flipGraceMs) {
        // A restart shorter than one poll is never seen `restarting`: its operation record tells
        // a finished restart from one that has not begun.
        const op = await restartOperation(w.instanceId, w.sentAtMs);
        if (!op || op.operationStatus === 'RUNNING') {
          if (op) markSeen(w.instanceId);
          continue;
        }
        markSeen(w.instanceId);
      }
      const instance = await api.describeInstance(w.instanceId);
      reads += 1;
      if (!instance) {
        events.push({ instanceId: w.instanceId, kind: 'gone', atMs: now });
      } else if (instance.statusClass === 'READY') {
        events.push({ instanceId: w.instanceId, kind: 'running', status: instance.status, atMs: now, ...(unseen ? { restartNotObserved: true } : {}) });
      } else if (instance.statusClass === 'RESTARTING') {
        markSeen(w.instanceId);
      } else if (instance.statusClass === 'FAILED' || instance.statusClass === 'GONE' || instance.statusClass === 'UNAVAILABLE') {
        events.push({ instanceId: w.instanceId, kind: 'failed', status: instance.status, atMs: now });
      } else if (now - w.sentAtMs > input.confirmTimeoutMs) {
        // Busy or unknown statuses are never treated as healthy; they run out the confirm timeout.
        events.push({ instanceId: w.instanceId, kind: 'timeout', status: instance.status, atMs: now });
      }
    }
  };

  let failedPolls = 0;
  let delayMs = 0;
  try {
    for (let tick = 0; ; tick++) {
      if (tick > 0) await ctx.sleep(Math.max(input.pollIntervalMs, delayMs));
      delayMs = 0;
      const now = ctx.now();
      const events: WatchEvent[] = [];
      try {
        await poll(now, events);
        failedPolls = 0;
      } catch (err) {
        // A failed read is a missed tick, not a verdict: throttled and transient errors wait for the
        // next poll (honouring Retry-After); errors that cannot heal, or too many in a row, end the watch.
        if (!(err instanceof StarRocksApiError) || !err.retryable || ++failedPolls > MAX_FAILED_POLLS) throw err;
        delayMs = err.retryAfterMs ?? 0;
      }
      ctx.heartbeat({ seenRestarting: [...newlySeen] });
      if (events.length > 0 || now - started >= input.maxWaitMs || input.watching.length === 0 || ctx.cancelled()) {
        return { events, seenRestarting: [...newlySeen], reads };
      }
    }
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

/** Which of these instances are not running right now (one paged listing of non-running statuses). */
export async function findUnhealthy(api: RegionApi, input: UnhealthyInput): Promise<{ unhealthy: Array<{ instanceId: string; status: string }>; reads: number }> {
  try {
    const wanted = new Set(input.instanceIds);
    if (wanted.size <= 3) {
      const unhealthy: Array<{ instanceId: string; status: string }> = [];
      for (const id of wanted) {
        const i = await api.describeInstance(id);
        if (i && i.statusClass !== 'READY') unhealthy.push({ instanceId: id, status: i.status });
      }
      return { unhealthy, reads: wanted.size };
    }
    const all = await api.describeAllInstances({ regionId: input.region });
    return {
      unhealthy: all.items.filter((i) => wanted.has(i.instanceId) && i.statusClass !== 'READY').map((i) => ({ instanceId: i.instanceId, status: i.status })),
      reads: all.pages,
    };
  } catch (err) {
    throw toApplicationFailure(err);
  }
}
