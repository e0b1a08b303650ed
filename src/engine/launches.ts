/**
 * What a launch's answer means: sent (our restart is in flight), not running at its turn (wait,
 * skip or fail by policy), refused (a permanent refusal stops the rollout), or lost after its last
 * attempt was about to send (watched like any restart; only what is observed decides).
 */
import type { LaunchResult } from '../contracts/activities';
import { isPermanentClass } from '../contracts/errors';
import type { RolloutEngine } from './engine';
import { endRollout } from './lifecycle';
import { holdsWhileIn, lastSeenDown, notStartedReasonFor } from './rules';
import type { EngineEvent } from './state';

export function onLaunched(e: RolloutEngine, instanceId: string, result: LaunchResult): void {
  const st = e.state;
  st.outstanding.launches = st.outstanding.launches.filter((id) => id !== instanceId);
  st.reads += result.reads;
  const idx = e.index.get(instanceId);
  if (idx === undefined) return;
  const t = st.targets[idx]!;
  if (t.s !== 'launching') return; // the rollout gave up on it meanwhile (it is already accounted for)
  const attempts = result.attempt > 1 ? { attempts: result.attempt } : {};
  const policy = st.spec.instance;
  if (result.kind === 'sent') {
    if (t.skipRequestedBy) {
      e.update(idx, { s: 'unknown', sent: result.sentAtMs, releasedBy: t.skipRequestedBy, ...attempts }, ['skipRequestedBy', 'down']);
      return;
    }
    e.update(idx, {
      s: 'restarting',
      sent: result.sentAtMs,
      ...attempts,
      ...(result.requestId ? { requestId: result.requestId } : {}),
      ...(result.adopted ? { adopted: true } : {}),
    });
    return;
  }
  if (result.kind === 'refused') {
    const r = result.refusal;
    e.update(idx, {
      s: 'failed',
      ...(lastSeenDown(t) ? { down: true } : {}),
      failure: r.errorClass === 'not_found' ? 'gone' : 'api_error',
      errorClass: r.errorClass,
      ...(r.apiCode ? { apiCode: r.apiCode } : {}),
      ...(r.apiMessage ? { apiMessage: r.apiMessage.slice(0, 300) } : {}),
      ...(r.requestId ? { requestId: r.requestId } : {}),
      ...attempts,
    });
    e.countFailure();
    if (isPermanentClass(r.errorClass)) e.stopWith('refused', refusalSentence(r, 'RestartInstance was refused'));
    return;
  }
  // Not running at its turn.
  const status = result.status;
  if (st.stop) {
    // Nothing was sent and the rollout launches nothing more: it is not started (and still down).
    e.update(idx, { s: 'not_started', notStarted: notStartedReasonFor(st.stop.reason), st: status, ...(holdsWhileIn(status) ? { down: true } : {}) });
    return;
  }
  if (t.skipRequestedBy) {
    e.update(idx, { s: 'skipped', skippedBy: 'operator', releasedBy: t.skipRequestedBy, st: status }, ['skipRequestedBy', 'down']);
    return;
  }
  const holds = holdsWhileIn(status) ? { down: true as const } : {};
  if (policy.notRunning === 'skip') {
    e.update(idx, { s: 'skipped', skippedBy: 'policy', st: status, ...holds });
    return;
  }
  if (policy.notRunning === 'fail' || !holdsWhileIn(status)) {
    // A terminal status (failed for good) will not run again: waiting for it would be pointless.
    e.update(idx, { s: 'failed', failure: 'not_running', st: status, ...holds });
    e.countFailure();
    return;
  }
  const from = t.waitFrom ?? st.nowMs;
  e.update(idx, { s: 'waiting', st: status, waitCause: result.cause, waitFrom: from, waitUntil: from + policy.notRunningWaitSeconds * 1000 });
}

export function onLaunchFailed(e: RolloutEngine, event: Extract<EngineEvent, { type: 'launch_failed' }>): void {
  const st = e.state;
  st.outstanding.launches = st.outstanding.launches.filter((id) => id !== event.instanceId);
  const idx = e.index.get(event.instanceId);
  if (idx === undefined) return;
  const t = st.targets[idx]!;
  if (t.s !== 'launching') return;
  const attempts = event.attempts && event.attempts > 1 ? { attempts: event.attempts } : {};
  if (event.maybeSentAtMs !== undefined) {
    // An attempt got as far as sending and no answer came back: the restart may be under way.
    // It keeps its slot and is watched like any restart; only what is observed decides.
    e.update(idx, { s: 'restarting', sent: event.maybeSentAtMs, unsure: true, ...attempts });
    return;
  }
  e.update(idx, {
    s: 'failed',
    failure: 'api_error',
    // Nothing was sent; if it was last seen down, it still holds its slot.
    ...(lastSeenDown(t) ? { down: true } : {}),
    ...(event.errorClass ? { errorClass: event.errorClass } : {}),
    ...(event.apiCode ? { apiCode: event.apiCode } : {}),
    apiMessage: event.message.slice(0, 300),
    ...attempts,
  });
  e.countFailure();
}

/** Reads were refused READ_REFUSAL_LIMIT times in a row: the rollout fails now, in-flight restarts are unknown. */
export function failOnRefusedReads(e: RolloutEngine): void {
  const st = e.state;
  const r = st.refusal!.last;
  const inFlight = [...e.active].filter((i) => st.targets[i]!.s !== 'waiting').length;
  e.stopWith('read_refused', `${refusalSentence(r, `Status reads were refused ${st.refusal!.count} times in a row`)}${inFlight ? ` ${inFlight} restart(s) in flight are reported unknown.` : ''}`);
  for (const idx of [...e.active]) {
    const t = st.targets[idx]!;
    if (t.s === 'restarting' || t.s === 'checking' || t.s === 'launching') e.update(idx, { s: 'unknown', down: true });
  }
  st.outstanding.launches = [];
  endRollout(e);
}

export function refusalSentence(r: { errorClass: string; action: string; region: string; apiCode?: string }, lead: string): string {
  const code = r.apiCode ? ` with ${r.apiCode}` : '';
  const fix =
    r.errorClass === 'permission'
      ? `grant the worker's credentials the RAM action sr:${r.action} (and the other actions in the README's "Running against the real cloud")`
      : r.errorClass === 'auth'
        ? "check the worker's Alibaba Cloud credentials (and its clock)"
        : 'ask Alibaba Cloud to enable the operation for this account';
  return `${lead}: StarRocks ${r.action} in ${r.region} was refused${code} (${r.errorClass}). To fix: ${fix}, then start the rollout again.`;
}

