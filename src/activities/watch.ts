/**
 * Watching one region: every poll lists the region's non-running instances in pages (reads per
 * poll grow with pages, not with instances); an entry is read on its own only when the listing
 * cannot tell (it left `restarting`, or it is in a status the listing cannot show). Health probes
 * of StarRocks itself ride along for instances the gate is checking. The watch returns as soon as
 * something decisive happened, after maxWaitMs, on cancellation, or at once when a read is refused
 * permanently (the engine decides what a refusal means). Heartbeats carry what was seen, so a
 * retried watch (a worker crash) resumes where it was; they go out during long sleeps too, so a
 * poll interval of up to 600 s never trips the heartbeat timeout.
 */
import type { WatchEntry, WatchInput, WatchObservation, WatchResult } from '../contracts/activities';
import { StarRocksApiError } from '../starrocks/errors';
import { FILTERABLE_STATUSES, classifyInstanceStatus } from '../starrocks/status';
import type { HealthProber, RegionApi } from './deps';
import { refusalOf, toApplicationFailure } from './failures';
import { ADOPT_SKEW_MS } from './launch';

/**
 * What one poll lists: every status the InstanceStatus filter accepts except `running`. Restarting
 * instances and any other unhealthy ones come back in a few pages; healthy ones cost nothing.
 */
export const NOT_RUNNING_FILTER: readonly string[] = FILTERABLE_STATUSES.filter((s) => s !== 'running');
const LISTABLE: ReadonlySet<string> = new Set(NOT_RUNNING_FILTER);

/** Largest not-running snapshot a watch hands back (history payload). */
export const MAX_SNAPSHOT_IDS = 1_000;
/** A watch gives up (and lets Temporal retry it) after this many transiently failed polls in a row. */
export const MAX_FAILED_POLLS = 30;

export interface WatchContext {
  now: () => number;
  /** Sleeps, rejecting on cancellation. */
  sleep: (ms: number) => Promise<void>;
  heartbeat: (details: WatchHeartbeat) => void;
  /** Longest gap between heartbeats (a third of the heartbeat timeout). */
  heartbeatEveryMs: number;
  /** Heartbeat details of the previous attempt, if any. */
  resumed?: WatchHeartbeat;
  cancelled: () => boolean;
  signal?: AbortSignal;
  health?: HealthProber;
}

export interface WatchHeartbeat {
  seenRestarting: string[];
}

export async function watchRegion(api: RegionApi, input: WatchInput, ctx: WatchContext): Promise<WatchResult> {
  const started = ctx.now();
  const seen = new Set<string>([...input.entries.filter((e) => e.seenRestarting).map((e) => e.instanceId), ...(ctx.resumed?.seenRestarting ?? [])]);
  const newlySeen = new Set<string>(ctx.resumed?.seenRestarting ?? []);
  const markSeen = (id: string): void => {
    if (!seen.has(id)) newlySeen.add(id);
    seen.add(id);
  };
  const callOpts = ctx.signal ? { signal: ctx.signal } : {};
  let reads = 0;
  let lastPollAtMs: number | undefined;
  let notRunning: Array<[string, string]> | null = null;
  const latest = new Map<string, WatchObservation>();
  const progressRead = new Set<string>();
  const fe = new Map<string, { endpoint: string; port: number }>();
  for (const e of input.entries) if (e.fe) fe.set(e.instanceId, e.fe);

  /** Sleeps `ms`, heartbeating at least every heartbeatEveryMs. */
  const sleep = async (ms: number): Promise<void> => {
    let left = ms;
    while (left > 0 && !ctx.cancelled()) {
      const chunk = Math.min(left, Math.max(50, ctx.heartbeatEveryMs));
      await ctx.sleep(chunk);
      left -= chunk;
      ctx.heartbeat({ seenRestarting: [...newlySeen] });
    }
  };

  /** The restart_cluster operation our launch created, if the service shows one yet. */
  const restartOperation = async (instanceId: string, sentAtMs: number) => {
    const since = sentAtMs - ADOPT_SKEW_MS;
    const history = await api.listOperationHistory({ instanceId, operationType: 'restart_cluster', startTimeMs: since, pageSize: 10 }, callOpts);
    reads += 1;
    return history.items.find((op) => op.operationType === 'restart_cluster' && (op.gmtCreateMs ?? 0) >= since);
  };

  /** One restart entry against the listing; returns its observation (or undefined: nothing new). */
  const observeRestart = async (e: WatchEntry, listed: string | undefined, now: number): Promise<WatchObservation | undefined> => {
    const id = e.instanceId;
    const sentAtMs = e.sentAtMs ?? now;
    if (listed === 'restarting') {
      const first = !seen.has(id);
      markSeen(id);
      let progress: { progress?: number; step?: string } = {};
      // Once per watch for the entries whose progress is due (the engine paces it).
      if (e.wantProgress && !progressRead.has(id)) {
        progressRead.add(id);
        progress = await readProgress(id, sentAtMs);
      }
      return first || progress.progress !== undefined ? { instanceId: id, status: listed, seenRestarting: true, ...progress } : undefined;
    }
    if (listed !== undefined && seen.has(id)) {
      // Left `restarting` for another listed status: no need to read it on its own.
      const cls = classifyInstanceStatus(listed);
      if (cls === 'FAILED' || cls === 'GONE' || cls === 'UNAVAILABLE') return { instanceId: id, status: listed, seenRestarting: true, ended: 'failed' };
      return { instanceId: id, status: listed, seenRestarting: true };
    }
    // Not listed (running, or a status the filter cannot select), or not yet seen restarting.
    const unseen = !seen.has(id);
    if (unseen && now - sentAtMs < input.flipGraceMs) {
      // A restart shorter than one poll is never seen `restarting`: its operation record tells a
      // finished restart from one that has not begun.
      const op = await restartOperation(id, sentAtMs);
      if (!op || op.operationStatus === 'RUNNING') {
        if (op) markSeen(id);
        return op ? { instanceId: id, status: listed ?? 'running', seenRestarting: true, ...(op.progress !== undefined ? { progress: op.progress } : {}) } : undefined;
      }
      markSeen(id);
    }
    const instance = await api.describeInstance(id, callOpts);
    reads += 1;
    if (!instance) return { instanceId: id, status: null, ended: 'gone' };
    const cls = instance.statusClass;
    if (cls === 'READY') return { instanceId: id, status: instance.status, ended: 'running', ...(seen.has(id) ? { seenRestarting: true } : {}), ...(unseen ? { restartNotObserved: true } : {}) };
    if (cls === 'RESTARTING') {
      markSeen(id);
      return { instanceId: id, status: instance.status, seenRestarting: true };
    }
    if (cls === 'FAILED' || cls === 'GONE' || cls === 'UNAVAILABLE') return { instanceId: id, status: instance.status, ended: cls === 'GONE' ? 'gone' : 'failed' };
    // Busy or unknown statuses are never treated as healthy; the engine's confirm timeout decides.
    return { instanceId: id, status: instance.status };
  };

  /** Progress % (ListOperationHistory) and the current step (ListOperationActivity) of our restart. */
  const readProgress = async (instanceId: string, sentAtMs: number): Promise<{ progress?: number; step?: string }> => {
    try {
      const op = await restartOperation(instanceId, sentAtMs);
      if (!op) return {};
      let step: string | undefined;
      try {
        const steps = await api.listOperationActivity({ instanceId, operationId: op.operationId }, callOpts);
        reads += 1;
        step = steps.items.find((s) => s.activityStatus === 'RUNNING')?.name ?? steps.items.at(-1)?.name;
      } catch {
        // The step is a nicety; its absence never blocks the watch.
      }
      return { ...(op.progress !== undefined ? { progress: op.progress } : {}), ...(step ? { step } : {}) };
    } catch (err) {
      if (err instanceof StarRocksApiError) return {};
      throw err;
    }
  };

  /** A down entry: listed → still down; not listed → read it (running, gone, or an unlisted status). */
  const observeDown = async (e: WatchEntry, listed: string | undefined): Promise<WatchObservation> => {
    if (listed !== undefined) return { instanceId: e.instanceId, status: listed };
    const instance = await api.describeInstance(e.instanceId, callOpts);
    reads += 1;
    return { instanceId: e.instanceId, status: instance ? instance.status : null };
  };

  const observeHealth = async (e: WatchEntry, listed: string | undefined): Promise<WatchObservation> => {
    // Not listed as non-running: running (or a status the listing cannot show, which the probe
    // then finds not healthy). No read of its own: the gate costs no DescribeInstances.
    const base: WatchObservation = { instanceId: e.instanceId, status: listed ?? 'running' };
    if (classifyInstanceStatus(base.status!) !== 'READY') return base;
    return withProbe(e, base);
  };

  const withProbe = async (e: WatchEntry, base: WatchObservation): Promise<WatchObservation> => {
    if (!ctx.health) return { ...base, health: { ok: false, reason: 'this worker has no health prober configured' } };
    const h = await ctx.health.probe({
      region: input.region,
      instanceId: e.instanceId,
      ...(fe.get(e.instanceId) ? { fe: fe.get(e.instanceId)! } : {}),
      proveRestart: e.proveSinceMs !== undefined && input.health?.proveRestart === true,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (h.fe) fe.set(e.instanceId, h.fe);
    return { ...base, health: h };
  };

  const decisive = (e: WatchEntry, o: WatchObservation): boolean => {
    if (e.kind === 'restart') return o.ended !== undefined;
    if (e.kind === 'down') return o.status === null || classifyInstanceStatus(o.status) === 'READY' || classifyInstanceStatus(o.status) === 'GONE';
    return o.status === null || o.health?.ok === true;
  };

  /** One poll of the region. Returns true when something decisive was observed. */
  const poll = async (): Promise<boolean> => {
    const now = ctx.now();
    lastPollAtMs = now;
    const listed = await api.describeAllInstances({ regionId: input.region, statuses: [...NOT_RUNNING_FILTER] }, callOpts);
    reads += listed.pages;
    const statusOf = new Map(listed.items.map((i) => [i.instanceId, i.status]));
    if (input.wantSnapshot) notRunning = statusOf.size <= MAX_SNAPSHOT_IDS ? [...statusOf].filter(([, s]) => LISTABLE.has(s)) : null;
    let any = false;
    for (const e of input.entries) {
      const l = statusOf.get(e.instanceId);
      let o = e.kind === 'restart' ? await observeRestart(e, l, now) : e.kind === 'down' ? await observeDown(e, l) : await observeHealth(e, l);
      if (!o) continue;
      // Running again with the gate on: probe in the same tick, so the gate adds no poll of its own.
      if (e.kind === 'restart' && o.ended === 'running' && input.health) o = await withProbe({ ...e, ...(e.sentAtMs !== undefined && input.health.proveRestart ? { proveSinceMs: e.sentAtMs } : {}) }, o);
      const prev = latest.get(e.instanceId);
      latest.set(e.instanceId, { ...prev, ...o });
      if (decisive(e, o)) any = true;
    }
    return any;
  };

  /** A poll interval, or less when one of our restarts is expected to end sooner (never below minPollMs). */
  const nextDelayMs = (): number => {
    const now = ctx.now();
    const nextEnd = input.expectedEndsMs?.find((t) => t > now);
    if (nextEnd === undefined) return input.pollIntervalMs;
    return Math.min(input.pollIntervalMs, Math.max(input.minPollMs ?? input.pollIntervalMs, nextEnd - now));
  };

  let failedPolls = 0;
  let delayMs = input.initialDelayMs;
  try {
    for (;;) {
      if (delayMs > 0) await sleep(delayMs);
      if (ctx.cancelled()) break;
      delayMs = nextDelayMs();
      let decided = false;
      try {
        decided = (await poll()) || input.returnAfterListing === true;
        failedPolls = 0;
      } catch (err) {
        const refused = refusalOf(err, input.region, 'DescribeInstances');
        if (refused) {
          reads += 1; // the refused call was made
          return result(refused);
        }
        // A failed read is a missed tick, not a verdict: throttled and transient errors wait for the
        // next poll (honouring Retry-After); too many in a row end the watch (Temporal retries it).
        if (!(err instanceof StarRocksApiError) || ++failedPolls > MAX_FAILED_POLLS) throw err;
        delayMs = Math.max(input.pollIntervalMs, err.retryAfterMs ?? 0);
      }
      ctx.heartbeat({ seenRestarting: [...newlySeen] });
      if (decided || ctx.now() - started >= input.maxWaitMs || ctx.cancelled()) break;
    }
    return result();
  } catch (err) {
    throw toApplicationFailure(err);
  }

  function result(refused?: WatchResult['refused']): WatchResult {
    for (const id of newlySeen) {
      const o = latest.get(id);
      if (o) o.seenRestarting = true;
      else if (input.entries.some((e) => e.instanceId === id && e.kind === 'restart')) latest.set(id, { instanceId: id, status: 'restarting', seenRestarting: true });
    }
    return {
      atMs: lastPollAtMs ?? ctx.now(),
      ...(lastPollAtMs !== undefined ? { lastPollAtMs } : {}),
      observations: [...latest.values()],
      notRunning,
      reads,
      ...(refused ? { refused } : {}),
      failedPolls,
    };
  }
}
