/**
 * The rollout's life: resolving → estimating → leasing → running (wave by wave: gate, run, bake)
 * → releasing → done. Each step is one transition; `advance` runs them until none applies.
 */
import type { NotStartedReason, RolloutReport } from '../contracts/rollout';
import type { RolloutEngine } from './engine';
import { checkDeadlines } from './observe';
import { notStartedReasonFor, waitedOf } from './rules';
import { planNow } from './setup';
import { fillSlots, regionsToWatch, watchInputFor } from './slots';

/** Runs transitions until none applies, then starts the region watches that are needed. */
export function advance(e: RolloutEngine): void {
  const st = e.state;
  if (st.resendNotices) {
    delete st.resendNotices;
    const first = st.pendingNotices?.[0];
    if (first) e.emit({ type: 'notify', ...first });
  }
  for (let guard = 0; guard < 10_000 && stepOnce(e); guard++);
  if (e.state.life === 'running') for (const region of regionsToWatch(e)) e.emit({ type: 'watch', input: watchInputFor(e, region) });
}
/** One transition; true when another pass may find more to do. */
/** One transition; true when another pass may find more to do. */
export function stepOnce(e: RolloutEngine): boolean {
  const st = e.state;
  switch (st.life) {
    case 'resolving':
      if (st.stop || st.cancel) return toReleasing(e);
      if (!st.fleet && !st.outstanding.resolve) {
        st.outstanding.resolve = true;
        e.emit({ type: 'resolve' });
      }
      return false;
    case 'estimating':
      if (st.stop || st.cancel) return toReleasing(e);
      if (st.outstanding.estimates.length === 0) {
        planNow(e);
        return true;
      }
      return false;
    case 'leasing':
      if ((st.plan?.targetCount ?? 0) === 0 && !st.outstanding.lease) return toReleasing(e);
      if (st.outstanding.leased) {
        if (st.stop || st.cancel) return toReleasing(e);
        st.life = 'running';
        const plan = st.plan!;
        e.notify('started', { text: `Rollout ${st.spec.name} started: ${plan.targetCount} target(s) in ${plan.regions.length} region(s), ${plan.waves.length} wave(s).`, waves: plan.waves.length });
        return true;
      }
      if (!st.outstanding.lease) {
        if (st.stop || st.cancel) return toReleasing(e);
        st.outstanding.lease = true;
        e.emit({ type: 'acquire_leases', keys: st.targets.map((t) => t.id) });
      }
      return false;
    case 'running':
      return runStep(e);
    case 'releasing':
      if (st.outstanding.leased && !st.outstanding.release) {
        st.outstanding.release = true;
        e.emit({ type: 'release_leases' });
        return false;
      }
      if (!st.outstanding.leased && !st.outstanding.release && !st.outstanding.lease) {
        st.life = 'done';
        return true;
      }
      return false;
    case 'done':
      if (st.finished) return false;
      if (!st.finalNotified) {
        st.finalNotified = true;
        const phase = finalPhase(e);
        const counts = e.progress('summary').counts;
        e.notify(phase, {
          text: `Rollout ${st.spec.name} ${phase.replace('_', ' ')}: ${counts.restarted}/${counts.targets} restarted, ${counts.failed} failed${counts.notStarted ? `, ${counts.notStarted} not started` : ''}.`,
          elapsedMs: st.nowMs - st.startedAtMs,
          counts,
          ...(st.stop?.sentence ? { stopSentence: st.stop.sentence } : {}),
        });
      }
      // The last word waits for its delivery (bounded by the notification activity's own timeout).
      if ((st.outstanding.notifies ?? []).length > 0) return false;
      st.final = { phase: finalPhase(e), finishedAtMs: st.nowMs };
      {
        const report = e.report();
        e.log('info', `rollout ${report.phase}`, { phase: report.phase, ...report.counts });
        e.emit({ type: 'finish', report });
      }
      st.finished = true;
      return false;
  }
}

export function runStep(e: RolloutEngine): boolean {
  const st = e.state;
  const waves = st.plan!.waves;
  if (st.wave === 0) return enterWave(e, 1);
  checkDeadlines(e);
  if (st.stop && st.queue.length > 0) {
    // Targets that came back to the queue after the stop (a wait that ended) are not started either.
    const why = notStartedReasonFor(st.stop.reason);
    for (const idx of st.queue) e.update(idx, { s: 'not_started', notStarted: why }, ['downQueued', 'waitWindowAt']);
    st.queue = [];
  }
  if (!st.stop) {
    const waveBudget = e.waveBudget();
    if (st.failures > e.rolloutBudget() || (waveBudget !== undefined && st.waveFailures > waveBudget)) {
      e.stopWith('budget', `The failure budget is exhausted: ${st.failures} failure(s) against a budget of ${e.rolloutBudget()}${waveBudget !== undefined ? ` (${waveBudget} per wave)` : ''}.`);
    }
  }
  if (st.life !== 'running') return true;
  switch (st.stage) {
    case 'gate':
      if (st.stop) return endRollout(e);
      if (st.approved[String(st.wave)] !== undefined) return startWave(e);
      if (st.notAfterMs !== undefined && st.nowMs >= st.notAfterMs) {
        st.windowMissed = true;
        return endRollout(e);
      }
      return false;
    case 'running':
      fillSlots(e);
      if (st.queue.length === 0 && e.active.size === 0) {
        st.waveFinishedAt[String(st.wave)] = st.nowMs;
        e.log('info', `wave ${st.wave} finished`, { wave: st.wave, failures: st.waveFailures });
        {
          const w = st.plan!.waves[st.wave - 1]!;
          let restarted = 0;
          let failed = 0;
          for (let i = w.first; i < w.first + w.count; i++) {
            if (st.targets[i]!.s === 'restarted') restarted++;
            else if (st.targets[i]!.s === 'failed') failed++;
          }
          const elapsedMs = st.nowMs - (st.waveStartedAt[String(st.wave)] ?? st.nowMs);
          e.notify('wave_completed', {
            text: `Rollout ${st.spec.name}: wave ${st.wave} of ${waves.length} done in ${Math.round(elapsedMs / 1000)}s: ${restarted}/${w.count} restarted, ${failed} failed.`,
            wave: st.wave,
            waves: waves.length,
            elapsedMs,
          });
        }
        if (st.stop || st.wave >= waves.length) return endRollout(e);
        if (st.spec.waves.bakeSeconds > 0) {
          st.stage = 'baking';
          st.bakeUntilMs = st.nowMs + st.spec.waves.bakeSeconds * 1000;
          return true;
        }
        return enterWave(e, st.wave + 1);
      }
      return false;
    case 'baking':
      if (st.stop) return endRollout(e);
      if (st.nowMs >= (st.bakeUntilMs ?? 0)) return enterWave(e, st.wave + 1);
      return false;
    default:
      return false;
  }
}

export function enterWave(e: RolloutEngine, n: number): boolean {
  const st = e.state;
  const wave = st.plan!.waves[n - 1]!;
  st.wave = n;
  st.waveFailures = 0;
  delete st.bakeUntilMs;
  // Targets released by hand before their wave are not queued again.
  st.queue = Array.from({ length: wave.count }, (_, k) => wave.first + k).filter((i) => st.targets[i]!.s === 'queued');
  // Targets known down go first: they hold a slot already, so their turn costs no availability.
  st.queue = [...st.queue.filter((i) => st.targets[i]!.downQueued), ...st.queue.filter((i) => !st.targets[i]!.downQueued)];
  if (st.stop) return endRollout(e);
  if (wave.approvalRequired && st.approved[String(n)] === undefined) {
    st.stage = 'gate';
    e.log('info', `wave ${n} waits for approval`, { wave: n });
    e.notify('approval_needed', {
      text: `Rollout ${st.spec.name} waits for approval before wave ${n} of ${st.plan!.waves.length} (${wave.count} target(s)).`,
      wave: n,
      waves: st.plan!.waves.length,
      approveCommand: `starwave approve ${st.rolloutId} --wave ${n}`,
    });
    return true;
  }
  return startWave(e);
}

export function startWave(e: RolloutEngine): boolean {
  const st = e.state;
  st.stage = 'running';
  st.waveStartedAt[String(st.wave)] = st.nowMs;
  e.log('info', `wave ${st.wave} started`, { wave: st.wave, size: st.queue.length, limits: e.waveLimits() });
  e.notify('wave_started', { text: `Rollout ${st.spec.name}: wave ${st.wave} of ${st.plan!.waves.length} started (${st.queue.length} target(s)).`, wave: st.wave, waves: st.plan!.waves.length });
  return true;
}

/** Reports every target not reached as not started and moves on to releasing the leases. */
export function endRollout(e: RolloutEngine): boolean {
  delete e.state.stage;
  return toReleasing(e);
}

/** Every target not finished yet is reported (not started, or unknown for a restart of ours in flight), then the leases go. */
export function toReleasing(e: RolloutEngine): boolean {
  const st = e.state;
  const why: NotStartedReason = st.stop ? notStartedReasonFor(st.stop.reason) : 'window';
  for (let idx = 0; idx < st.targets.length; idx++) {
    const t = st.targets[idx]!;
    if (t.s === 'queued') e.update(idx, { s: 'not_started', notStarted: why, ...(t.downQueued ? { down: true } : {}) }, ['downQueued', 'waitWindowAt']);
    else if (t.s === 'waiting') e.update(idx, { s: 'not_started', notStarted: why, down: true, waited: waitedOf(t, st.nowMs) }, ['waitUntil']);
    else if (t.s === 'launching' || t.s === 'restarting' || t.s === 'checking') e.update(idx, { s: 'unknown', down: true });
  }
  st.queue = [];
  st.life = 'releasing';
  return true;
}

export function finalPhase(e: RolloutEngine): RolloutReport['phase'] {
  const st = e.state;
  switch (st.stop?.reason) {
    case 'cancelled':
      return 'cancelled';
    case 'budget':
      return 'stopped_budget';
    case 'window':
      return 'stopped_window';
    case 'stalled':
      return 'stopped_stalled';
    case 'refused':
    case 'read_refused':
    case 'setup_failed':
      return 'failed';
    default:
      if (st.cancel) return 'cancelled';
      if (st.windowMissed) return 'stopped_window';
      return st.failures > e.rolloutBudget() ? 'stopped_budget' : 'completed';
  }
}

/** The earliest time a queued target of the running wave waits for (its own window). */
export function nextQueuedStartMs(e: RolloutEngine): number | undefined {
  let min: number | undefined;
  for (const idx of e.state.queue) {
    const at = e.state.targets[idx]!.waitWindowAt;
    if (at !== undefined && (min === undefined || at < min)) min = at;
  }
  return min;
}
