/**
 * Confirming restarts: one watch per region polls the region's `restarting` instances in pages (so
 * reads per tick grow with pages, not with instances), and reads an instance on its own only once,
 * when it leaves `restarting`. It returns as soon as something finished, or after maxWaitMs so the
 * workflow can add newly launched restarts to the watch. Progress is heartbeated so a retried watch
 * (after a worker crash) resumes where it was.
 */
import type { UnhealthyInput, WatchEvent, WatchInput, WatchResult } from '../workflows/types';
import { StarRocksApiError } from '../starrocks/errors';
import { FILTERABLE_STATUSES, classifyInstanceStatus } from '../starrocks/status';
import type { RegionApi } from './deps';
import { toApplicationFailure } from './failures';
import { ADOPT_SKEW_MS } from './restart';

/**
 * What one poll lists: every status the InstanceStatus filter accepts except `running`. Restarting
 * instances and any other unhealthy ones come back in a few pages; healthy ones cost nothing.
 */
export const NOT_RUNNING_FILTER: readonly string[] = FILTERABLE_STATUSES.filter((s) => s !== 'running');

/** Largest not-running snapshot a watch returns to the workflow. */
export const MAX_SNAPSHOT_IDS = 1_000;

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
  let notRunning: string[] | null = [];

  /** The restart_cluster operation our launch created, if the service shows one yet. */
  const restartOperation = async (instanceId: string, sentAtMs: number) => {
    const since = sentAtMs - ADOPT_SKEW_MS;
    const history = await api.listOperationHistory({ instanceId, operationType: 'restart_cluster', startTimeMs: since, pageSize: 10 });
    reads += 1;
    return history.items.find((op) => op.operationType === 'restart_cluster' && (op.gmtCreateMs ?? 0) >= since);
  };

  /** One poll of the region; pushes what finished into `events`. */
  const poll = async (now: number, events: WatchEvent[]): Promise<void> => {
    const listed = await api.describeAllInstances({ regionId: input.region, statuses: [...NOT_RUNNING_FILTER] });
    reads += listed.pages;
    const statusOf = new Map(listed.items.map((i) => [i.instanceId, i.status]));
    // Hand back the snapshot only while it is small (history payload); a larger one is not used.
    notRunning = statusOf.size <= MAX_SNAPSHOT_IDS ? [...statusOf.keys()] : null;
    for (const w of input.watching) {
      const status = statusOf.get(w.instanceId);
      if (status === 'restarting') {
        markSeen(w.instanceId);
        if (now - w.sentAtMs > input.confirmTimeoutMs) events.push({ instanceId: w.instanceId, kind: 'timeout', status, atMs: now });
        continue;
      }
      if (status !== undefined && seen.has(w.instanceId)) {
        // Left `restarting` for another listed status: no need to read it on its own.
        const statusClass = classifyInstanceStatus(status);
        if (statusClass === 'FAILED' || statusClass === 'GONE' || statusClass === 'UNAVAILABLE') {
          events.push({ instanceId: w.instanceId, kind: 'failed', status, atMs: now });
        } else if (now - w.sentAtMs > input.confirmTimeoutMs) {
          events.push({ instanceId: w.instanceId, kind: 'timeout', status, atMs: now });
        }
        continue;
      }
      // Not listed (running, or a status the filter cannot select), or not yet seen restarting
      // (the restart has not shown up yet, or finished between two polls): read it to be sure.
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
        return { events, seenRestarting: [...newlySeen], notRunning, reads };
      }
    }
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

/** Which of these instances are not running right now: a few per-instance reads, or one paged listing of non-running statuses. */
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
    const listed = await api.describeAllInstances({ regionId: input.region, statuses: [...NOT_RUNNING_FILTER] });
    return {
      unhealthy: listed.items.filter((i) => wanted.has(i.instanceId)).map((i) => ({ instanceId: i.instanceId, status: i.status })),
      reads: listed.pages,
    };
  } catch (err) {
    throw toApplicationFailure(err);
  }
}
