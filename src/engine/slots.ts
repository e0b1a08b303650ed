/**
 * Availability slots and launches: which queued targets may start now, under the wave's global
 * and per-region limits, counting every target that is down; and which regions need a watch.
 */
import type { WatchEntry, WatchInput } from '../contracts/activities';
import type { RolloutEngine } from './engine';
import { earliestStart, parsePeriod, regionTimeZone } from './windows';
import type { TargetRec } from './state';
import { FILTERABLE_STATUSES } from '../starrocks/status';

const LISTABLE: ReadonlySet<string> = new Set(FILTERABLE_STATUSES);

/** A restart in flight has its operation Progress and step read about once every this many polls. */
export const PROGRESS_EVERY_POLLS = 10;

/**
 * A region's listing older than this many poll intervals is read again before a launch counts on it: while
 * a rollout waits (for a window, a gate, a slot) nobody lists the regions without restarts in flight, and
 * an instance that went down meanwhile must still be counted. A region with restarts in flight is listed at
 * least every 5 polls (its watch returns), so this only costs a listing after a quiet spell.
 */
export const STALE_AFTER_POLLS = 8;

/** Regions with targets still to start whose last listing is missing or older than {@link STALE_AFTER_POLLS}. */
export function staleRegions(e: RolloutEngine): string[] {
  const st = e.state;
  const maxAgeMs = STALE_AFTER_POLLS * st.spec.instance.pollIntervalSeconds * 1000;
  const stale: string[] = [];
  for (const [region, queued] of e.queuedInRegion) {
    if (queued <= 0) continue;
    const at = st.regions[region]?.observedAt;
    if (at === undefined || st.nowMs - at > maxAgeMs) stale.push(region);
  }
  return stale;
}

/** Slots in use: every holder counts once, globally and in its region. */
export function holderCounts(e: RolloutEngine): { total: number; perRegion: Map<string, number> } {
  const perRegion = new Map<string, number>();
  for (const idx of e.holders) {
    const r = e.state.targets[idx]!.region;
    perRegion.set(r, (perRegion.get(r) ?? 0) + 1);
  }
  return { total: e.holders.size, perRegion };
}

type Startability = { kind: 'now' } | { kind: 'later'; atMs: number } | { kind: 'never'; why: string };

/** When a queued target may start: now, later (its own window opens), or never (no window fits). */
export function startability(e: RolloutEngine, t: TargetRec): Startability {
  const st = e.state;
  const now = st.nowMs;
  const expected = e.expectedMs(t);
  if (st.notAfterMs !== undefined && now + expected > st.notAfterMs) {
    return { kind: 'never', why: 'it could not be expected to finish before the window closes' };
  }
  if (!st.spec.window.instanceMaintainablePeriod) return { kind: 'now' };
  const period = parsePeriod(t.mp);
  if (!period) return { kind: 'never', why: `it has no usable MaintainablePeriod (got ${t.mp ? `"${t.mp}"` : 'none'})` };
  const at = earliestStart(period, now, expected, regionTimeZone(t.region), st.notAfterMs !== undefined ? { notAfterMs: st.notAfterMs } : {});
  if (at === undefined) return { kind: 'never', why: `its maintenance window ${t.mp} (${regionTimeZone(t.region)}) never leaves room for a restart of ${Math.round(expected / 1000)}s before the cutoff` };
  return at <= now ? { kind: 'now' } : { kind: 'later', atMs: at };
}

/**
 * Launch commands outstanding at once (one launch activity each). Temporal's history service buffers the
 * events that arrive while a workflow task runs and fails that task (FORCE_CLOSE_COMMAND) once more than 100
 * are buffered (history.maximumBufferedEventsBatch); each failure evicts the run from the worker's cache and the
 * next task replays the whole history. Measured at 10,000 instances with concurrency 500: 500 launch activities
 * completing within a second failed workflow task after workflow task until the worker's workflow thread died.
 * A launch completes in about one API round trip, so 32 at once (≤ 64 events) still start hundreds of restarts
 * per second; targets beyond it stay queued (not down, and a pause or cancel still stops them).
 */
export const MAX_LAUNCHES_IN_FLIGHT = 32;

/**
 * Launches what the limits allow, in queue order. Targets seen down before their turn go first:
 * they hold a slot already, so launching them costs nothing. Detects a stall: work waits for a
 * slot that none of our restarts in flight will free.
 */
export function fillSlots(e: RolloutEngine): void {
  const st = e.state;
  if (st.stage !== 'running' || st.stop || st.paused || st.draining || st.refusal || st.queue.length === 0) {
    if (st.paused || st.queue.length === 0 || st.stop) st.stalledSinceMs = undefined;
    return;
  }
  if (st.outstanding.launches.length >= e.launchCap) {
    // Enough launch activities in flight: nothing starts until one answers, and the queue stays as it is (this
    // runs on every event; a queue of thousands need not be copied each time). Not a stall: our own launches are
    // in flight.
    st.stalledSinceMs = undefined;
    return;
  }
  const limits = e.waveLimits();
  const { total, perRegion } = holderCounts(e);
  let used = total;
  const remaining: number[] = [];
  /** Where the loop stopped early: the rest of the queue stays, in order, after `remaining`. */
  let cut: number | undefined;
  let launched = 0;
  let blockedByLimits = 0;
  let stale: string[] | undefined;
  const queue = st.queue;
  for (let k = 0; k < queue.length; k++) {
    if (st.outstanding.launches.length >= e.launchCap) {
      // Enough launch activities in flight: the rest wait for one of them to answer.
      cut = k;
      break;
    }
    const idx = queue[k]!;
    const t = st.targets[idx]!;
    const holds = t.downQueued === true;
    if (!holds && used >= limits.global) {
      // Global limit reached: only down-queued targets (all at the front) could still start.
      blockedByLimits += queue.length - k;
      cut = k;
      break;
    }
    const region = st.regions[t.region];
    if (!region || region.observedInWave !== st.wave) {
      remaining.push(idx); // its region's first listing of this wave has not come back yet
      continue;
    }
    const when = startability(e, t);
    if (when.kind === 'never') {
      st.windowMissed = true;
      e.update(idx, { s: 'not_started', notStarted: 'window', ...(holds ? { down: true } : {}) }, ['downQueued', 'waitWindowAt']);
      e.log('info', `not started: ${when.why}`, { instanceId: t.id, region: t.region });
      continue;
    }
    if (when.kind === 'later') {
      if (t.waitWindowAt !== when.atMs) e.update(idx, { waitWindowAt: when.atMs });
      remaining.push(idx);
      continue;
    }
    const inRegion = perRegion.get(t.region) ?? 0;
    if (!holds && inRegion >= (limits.perRegion[t.region] ?? Number.POSITIVE_INFINITY)) {
      blockedByLimits++;
      remaining.push(idx);
      continue;
    }
    if (!holds && e.freshListings) {
      // A launch adds one down instance: count on listings of every region that is not too old.
      stale ??= staleRegions(e);
      if (stale.length > 0) {
        for (const r of stale) (st.regions[r] ??= {}).needListing = true;
        remaining.push(idx);
        continue;
      }
    }
    launch(e, idx);
    launched++;
    if (!holds) {
      used++;
      perRegion.set(t.region, inRegion + 1);
    }
  }
  // Stopped at the first target: nothing was taken out, so the queue is kept as it is (no copy on every event).
  st.queue = cut === undefined ? remaining : cut === 0 ? queue : remaining.concat(queue.slice(cut));
  const ourRestartsInFlight = [...e.active].some((i) => st.targets[i]!.s !== 'waiting') || st.outstanding.launches.length > 0;
  const waitersInFlight = e.active.size > 0;
  if (launched === 0 && blockedByLimits > 0 && !ourRestartsInFlight && !waitersInFlight) {
    if (st.stalledSinceMs === undefined) {
      st.stalledSinceMs = st.nowMs;
      e.log('warn', 'down instances hold every slot; the rollout waits for them', { holders: e.holders.size });
    }
  } else if (launched > 0 || blockedByLimits === 0 || ourRestartsInFlight || waitersInFlight) {
    st.stalledSinceMs = undefined;
  }
}

function launch(e: RolloutEngine, idx: number): void {
  const st = e.state;
  const t = st.targets[idx]!;
  const region = st.regions[t.region];
  const pollMs = st.spec.instance.pollIntervalSeconds * 1000;
  const fresh =
    region?.observedAt !== undefined &&
    st.nowMs - region.observedAt <= Math.max(2 * pollMs, 2_000) &&
    region.notRunning !== undefined &&
    !e.notRunning.get(t.region)?.has(t.id);
  e.update(idx, { s: 'launching' }, ['downQueued', 'waitWindowAt']);
  st.outstanding.launches.push(t.id);
  e.emit({
    type: 'launch',
    input: { region: t.region, instanceId: t.id, fastMode: st.spec.instance.fastMode, ...(fresh ? { preflightFromSnapshot: true } : {}) },
  });
}

/** The watch entry of a target that needs observing, if it does. */
export function watchEntryOf(e: RolloutEngine, t: TargetRec): WatchEntry | undefined {
  const st = e.state;
  const prove = st.spec.health.enabled && st.spec.health.proveRestart && t.sent !== undefined ? { proveSinceMs: t.sent } : {};
  switch (t.s) {
    case 'restarting': {
      // The operation's progress is read every few polls per restart, so the polling budget stays near today's.
      const every = PROGRESS_EVERY_POLLS * st.spec.instance.pollIntervalSeconds * 1000;
      const due = t.sent !== undefined && st.nowMs - (t.progressAt ?? t.sent) >= every;
      return { instanceId: t.id, kind: 'restart', ...(t.sent !== undefined ? { sentAtMs: t.sent } : {}), ...(t.seen ? { seenRestarting: true } : {}), ...(due ? { wantProgress: true } : {}) };
    }
    case 'checking':
      return { instanceId: t.id, kind: 'health', ...(t.sent !== undefined ? { sentAtMs: t.sent } : {}), ...(t.fe ? { fe: t.fe } : {}), ...prove };
    case 'waiting':
      return { instanceId: t.id, kind: 'down' };
    case 'queued':
      // Seen down in a status the region's listing cannot show: only a read of its own tells when it runs again.
      return t.downQueued && t.st !== undefined && !LISTABLE.has(t.st) ? { instanceId: t.id, kind: 'down' } : undefined;
    default:
      if (t.down) {
        // After a restart of ours, with the health gate on, its slot frees only when StarRocks is healthy again.
        return needsHealthToRelease(e, t)
          ? { instanceId: t.id, kind: 'health', ...(t.fe ? { fe: t.fe } : {}) }
          : { instanceId: t.id, kind: 'down' };
      }
      return undefined;
  }
}

/** Regions that need a watch started now (none running there yet). */
export function regionsToWatch(e: RolloutEngine): string[] {
  const st = e.state;
  if (st.life !== 'running' || st.finished || !st.plan) return [];
  const need = new Set<string>();
  for (const idx of e.holders) {
    const t = st.targets[idx]!;
    // Queued targets seen down are watched through their region's listing (to see them run again).
    if (t.s !== 'launching') need.add(t.region);
  }
  // The first listing of a wave in each of its regions: the availability snapshot launches wait for.
  if (st.stage === 'running' && !st.stop && !st.paused) {
    for (const region of waveRegions(e)) if (st.regions[region]?.observedInWave !== st.wave) need.add(region);
  }
  // Listings too old to launch on (see STALE_AFTER_POLLS).
  if (st.stage === 'running' && !st.stop && !st.paused) {
    for (const [region, rec] of Object.entries(st.regions)) if (rec.needListing) need.add(region);
  }
  // While reads are refused, keep asking (at most once per poll interval) to see whether access returns.
  if (st.refusal) for (const r of st.plan.regions) need.add(r);
  return [...need].filter((r) => !st.regions[r]?.watching);
}

/** The watch command's input for a region (and marks the region as watched). */
export function watchInputFor(e: RolloutEngine, region: string): WatchInput {
  const st = e.state;
  const rec = (st.regions[region] ??= {});
  rec.watching = true;
  const policy = st.spec.instance;
  const pollMs = policy.pollIntervalSeconds * 1000;
  const entries: WatchEntry[] = [];
  for (const idx of [...e.holders].sort((a, b) => a - b)) {
    const t = st.targets[idx]!;
    if (t.region !== region) continue;
    const entry = watchEntryOf(e, t);
    if (entry) entries.push(entry);
  }
  const wake = e.nextWakeAtMs();
  const maxWaitMs = Math.max(0, Math.min(5 * pollMs, wake !== undefined ? wake - st.nowMs : 5 * pollMs));
  const initialDelayMs = rec.lastPollAt !== undefined ? Math.max(0, rec.lastPollAt + pollMs - st.nowMs) : 0;
  const wantSnapshot = (e.queuedInRegion.get(region) ?? 0) > 0;
  // Launches wait for this listing (a wave's first, or a fresh one): hand it back at once.
  const returnAfterListing = rec.needListing === true || (st.stage === 'running' && rec.observedInWave !== st.wave && waveRegions(e).includes(region));
  // Expected ends of our restarts here: the shared listing comes sooner when one is near.
  const expectedEndsMs = entries
    .filter((x) => x.kind === 'restart' && x.sentAtMs !== undefined)
    .map((x) => x.sentAtMs! + e.expectedMedianMs(st.targets[e.index.get(x.instanceId)!]!))
    .filter((t) => t > st.nowMs)
    .sort((a, b) => a - b)
    .slice(0, 50);
  return {
    region,
    entries,
    pollIntervalMs: pollMs,
    flipGraceMs: Math.max(pollMs * 3, 5_000),
    maxWaitMs,
    initialDelayMs,
    wantSnapshot,
    ...(returnAfterListing ? { returnAfterListing } : {}),
    progressEveryPolls: 10,
    ...(expectedEndsMs.length ? { expectedEndsMs, minPollMs: Math.max(200, Math.round(pollMs / 10)) } : {}),
    ...(st.spec.health.enabled ? { health: { proveRestart: st.spec.health.proveRestart } } : {}),
  };
}

/** A finished target still down whose slot frees only with a healthy probe (our restart, gate on). */
export function needsHealthToRelease(e: RolloutEngine, t: TargetRec): boolean {
  return e.state.spec.health.enabled && t.sent !== undefined;
}

const waveRegionCache = new WeakMap<RolloutEngine, { wave: number; regions: string[] }>();

/** Regions of the running wave (cached per wave). */
function waveRegions(e: RolloutEngine): string[] {
  const cached = waveRegionCache.get(e);
  if (cached && cached.wave === e.state.wave) return cached.regions;
  const w = e.state.plan?.waves[e.state.wave - 1];
  const regions = new Set<string>();
  if (w) for (let i = w.first; i < w.first + w.count; i++) regions.add(e.state.targets[i]!.region);
  const entry = { wave: e.state.wave, regions: [...regions] };
  waveRegionCache.set(e, entry);
  return entry.regions;
}
