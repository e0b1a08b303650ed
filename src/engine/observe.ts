/**
 * What observations mean, and what happens when time runs out: the engine's reading of a region
 * watch (status listing, single reads, operation progress, health probes) and its deadlines.
 */
import type { WatchObservation, WatchResult } from '../contracts/activities';
import { FILTERABLE_STATUSES, classifyInstanceStatus } from '../starrocks/status';
import type { RolloutEngine } from './engine';
import { holdsWhileIn, waitedOf } from './rules';
import { needsHealthToRelease } from './slots';

/** Applies one watch result of `region` to the targets it speaks about. */
export function applyObservations(e: RolloutEngine, region: string, result: WatchResult): void {
  const st = e.state;
  const rec = (st.regions[region] ??= {});
  if (result.reads > 0 && !result.refused) {
    rec.observedAt = result.atMs;
    rec.observedInWave = st.wave;
    delete rec.needListing;
    if (result.notRunning) {
      rec.notRunning = result.notRunning.map(([id]) => id);
      e.notRunning.set(region, new Set(rec.notRunning));
    } else {
      delete rec.notRunning;
      e.notRunning.delete(region);
    }
    markDownQueued(e, region, result.notRunning ? new Map(result.notRunning) : undefined);
  }
  for (const obs of result.observations) {
    const idx = e.index.get(obs.instanceId);
    if (idx === undefined) continue;
    applyOne(e, idx, obs, result.atMs);
  }
}

/**
 * Queued targets (of any wave) that the listing shows not running hold a slot, and go first in the
 * running wave. A target not listed is taken as running again, unless what set it down was a status
 * the listing cannot show (the InstanceStatus filter accepts 22 of the 30 values).
 */
function markDownQueued(e: RolloutEngine, region: string, notRunning: Map<string, string> | undefined): void {
  const st = e.state;
  if (!notRunning) return;
  let changed = false;
  for (const idx of e.regionTargets.get(region) ?? []) {
    const t = st.targets[idx]!;
    const status = notRunning.get(t.id);
    if (t.s === 'launching') {
      // Remembered in case its launch sends nothing: then it still holds its slot.
      if (status !== undefined) e.update(idx, { st: status });
      else if (t.st !== undefined && FILTERABLE.has(t.st) && t.st !== 'running') e.update(idx, { st: 'running' });
      continue;
    }
    if (t.s !== 'queued') continue;
    if (status !== undefined) {
      if (!t.downQueued || t.st !== status) {
        e.update(idx, { downQueued: true, st: status });
        changed = true;
      }
    } else if (status !== undefined) {
      if (t.downQueued) e.update(idx, { st: status }, ['downQueued']);
    } else if (t.downQueued && (t.st === undefined || FILTERABLE.has(t.st))) {
      e.update(idx, { st: 'running' }, ['downQueued']);
      changed = true;
    }
  }
  if (changed) st.queue = [...st.queue.filter((i) => st.targets[i]!.downQueued), ...st.queue.filter((i) => !st.targets[i]!.downQueued)];
}

const FILTERABLE: ReadonlySet<string> = new Set(FILTERABLE_STATUSES);

function applyOne(e: RolloutEngine, idx: number, obs: WatchObservation, atMs: number): void {
  const st = e.state;
  const t = st.targets[idx]!;
  const status = obs.status;
  // What it was waiting in, before this observation (for the report).
  const waitedIn = { ...t };
  if (status !== null && status !== t.st) e.update(idx, { st: status });
  switch (t.s) {
    case 'restarting': {
      if (obs.seenRestarting && !t.seen) e.update(idx, { seen: true });
      if (obs.progress !== undefined) e.update(idx, { progress: obs.progress, progressAt: atMs, ...(obs.step ? { step: obs.step } : {}) });
      if (obs.ended === 'gone' || status === null) {
        e.update(idx, { s: 'failed', failure: 'gone' }, ['down']);
        e.countFailure();
      } else if (obs.ended === 'failed') {
        // Down in a status it can come back from: it keeps its slot; a terminal failure frees it.
        e.update(idx, { s: 'failed', failure: 'restart_failed', ...(status !== null && holdsWhileIn(status) ? { down: true } : {}) }, status !== null && holdsWhileIn(status) ? [] : ['down']);
        e.countFailure();
      } else if (obs.ended === 'running') {
        if (t.unsure && obs.restartNotObserved && !t.seen) {
          // The launch may never have been sent and nothing shows that a restart happened: claim nothing.
          e.update(idx, { s: 'unknown', restartNotObserved: true }, ['down']);
          return;
        }
        confirmRunning(e, idx, atMs, obs.restartNotObserved === true);
        // Probed in the same tick (the gate on): judge its health now.
        if (st.targets[idx]!.s === 'checking' && obs.health) applyOne(e, idx, obs, atMs);
      }
      return;
    }
    case 'checking': {
      if (status === null) {
        e.update(idx, { s: 'failed', failure: 'gone' }, ['down']);
        e.countFailure();
        return;
      }
      const h = obs.health;
      if (!h) return;
      if (h.fe) e.update(idx, { fe: h.fe });
      if (!h.ok) {
        if (h.reason) e.update(idx, { healthReason: h.reason });
        return;
      }
      if (st.spec.health.proveRestart && t.sent !== undefined && !(h.feStartTimeMs !== undefined && h.feStartTimeMs > t.sent)) {
        e.update(idx, {
          s: 'failed',
          failure: 'not_restarted',
          healthReason:
            h.feStartTimeMs === undefined
              ? 'the FE start time could not be read (set STARWAVE_PROBE_TOKEN to the cluster token)'
              : `the FE start time ${new Date(h.feStartTimeMs).toISOString()} is not later than our restart at ${new Date(t.sent).toISOString()}`,
        }, ['down']);
        e.countFailure();
        return;
      }
      finishRestarted(e, idx, atMs);
      return;
    }
    case 'waiting': {
      if (status === null) {
        e.update(idx, { s: 'failed', failure: 'gone' }, ['down']);
        e.countFailure();
        return;
      }
      if (classifyInstanceStatus(status) === 'READY') {
        // It runs again: back to the front of the queue for its own restart (its slot frees now and is
        // taken again under the limits like any launch).
        e.update(idx, { s: 'queued', waited: waitedOf(waitedIn, atMs) }, ['waitUntil']);
        st.queue = [idx, ...st.queue.filter((i) => i !== idx)];
        return;
      }
      if (!holdsWhileIn(status)) {
        // Failed for good while it waited: it will not run again by itself.
        e.update(idx, { s: 'failed', failure: 'not_running', waited: waitedOf(waitedIn, atMs) }, ['waitUntil', 'down']);
        e.countFailure();
        return;
      }
      const cls = classifyInstanceStatus(status);
      const cause = status === 'restarting' ? 'restarting' : cls === 'BUSY' ? 'busy' : 'unavailable';
      if (cause !== t.waitCause) e.update(idx, { waitCause: cause });
      return;
    }
    case 'queued': {
      if (t.downQueued && (status === null || !holdsWhileIn(status))) e.update(idx, {}, ['downQueued']);
      return;
    }
    default: {
      if (!t.down) return;
      // A finished target still down: its slot frees when it runs again (healthy, after a health failure) or is gone.
      if (status === null || !holdsWhileIn(status) && classifyInstanceStatus(status) !== 'READY') {
        e.update(idx, {}, ['down']); // gone, or failed for good: it will not come back by itself
        return;
      }
      if (needsHealthToRelease(e, t)) {
        if (obs.health?.ok && status !== null && classifyInstanceStatus(status) === 'READY') e.update(idx, {}, ['down']);
        return;
      }
      if (classifyInstanceStatus(status) === 'READY') e.update(idx, {}, ['down']);
    }
  }
}

function confirmRunning(e: RolloutEngine, idx: number, atMs: number, notObserved: boolean): void {
  const st = e.state;
  if (notObserved) e.update(idx, { restartNotObserved: true });
  if (st.spec.health.enabled) {
    e.update(idx, { s: 'checking', healthUntil: atMs + st.spec.health.timeoutSeconds * 1000, confirmedAt: atMs }, ['progress', 'step', 'progressAt']);
    return;
  }
  finishRestarted(e, idx, atMs);
}

function finishRestarted(e: RolloutEngine, idx: number, atMs: number): void {
  const t = e.state.targets[idx]!;
  const durationMs = Math.max(0, atMs - (t.sent ?? atMs));
  // A clean restart keeps only what the report shows: 10,000 of them must fit a continue-as-new payload.
  e.update(idx, { s: 'restarted', confirmedAt: atMs, durationMs }, ['down', 'progress', 'step', 'progressAt', 'healthUntil', 'healthReason', 'unsure', 'requestId', 'since', 'st', 'fe', 'seen']);
  e.recordDuration(durationMs);
}

/** Deadlines that passed: confirm timeouts, waits at a target's turn, health gates, stalls. */
export function checkDeadlines(e: RolloutEngine): void {
  const st = e.state;
  const now = st.nowMs;
  const policy = st.spec.instance;
  for (const idx of [...e.active].sort((a, b) => a - b)) {
    const t = st.targets[idx]!;
    if (t.s === 'restarting' && t.sent !== undefined && now - t.sent > policy.confirmTimeoutSeconds * 1000) {
      // Counted failed, but it keeps its slot while it is down: its slot is not free for another restart.
      e.update(idx, { s: 'failed', failure: 'confirm_timeout', errorClass: 'timeout', down: true }, ['progress', 'step']);
      e.countFailure();
    } else if (t.s === 'waiting' && t.waitUntil !== undefined && now >= t.waitUntil) {
      const waited = waitedOf(t, now);
      if (t.waitCause === 'unavailable') {
        e.update(idx, { s: 'failed', failure: 'not_running', down: true, waited });
        e.countFailure();
      } else {
        // Someone else's restart or another operation kept it busy: deferred, not a failure of ours.
        e.update(idx, { s: 'deferred', down: true, waited });
      }
    } else if (t.s === 'checking' && t.healthUntil !== undefined && now >= t.healthUntil) {
      e.update(idx, { s: 'failed', failure: 'health_timeout', down: true });
      e.countFailure();
    }
  }
  if (st.stalledSinceMs !== undefined && !st.stop && now >= st.stalledSinceMs + st.spec.concurrency.stallTimeoutSeconds * 1000) {
    const holders = [...e.holders].sort((a, b) => a - b).map((i) => st.targets[i]!).slice(0, 5);
    e.stopWith(
      'stalled',
      `Instances that are down held every slot for ${st.spec.concurrency.stallTimeoutSeconds}s (${holders.map((h) => `${h.id} ${h.st ?? h.s}`).join(', ')}${e.holders.size > holders.length ? ', …' : ''}); ` +
        'starwave never exceeds the concurrency limit to make progress. Bring them back, release them with "starwave skip <rollout> <instance>", or raise concurrency.',
    );
  }
}
