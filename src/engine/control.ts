/**
 * Operator control: pause, resume, cancel, approve, setLimits and skip. `validateControl` says in
 * one sentence why a message is rejected (the workflow's update validators call it, so a rejected
 * message never reaches history); `applyControl` applies an accepted one.
 */
import { limitsPatchSchema, zodProblems, type AuditEntry } from '../contracts/rollout';
import type { RolloutEngine } from './engine';
import { AUDIT_KEEP, FINAL_STATES, type ControlEvent } from './state';

/** Why a control message is rejected: a stable code, a sentence, and for limits the problems by path. */
export interface Rejection {
  code: 'ERR_ROLLOUT_FINISHED' | 'ERR_CONTROL_REJECTED' | 'ERR_LIMITS_INVALID';
  message: string;
  problems?: Array<{ path: string; message: string }>;
}

export function validateControl(e: RolloutEngine, event: ControlEvent): Rejection | undefined {
  const reason = check(e, event);
  if (reason === undefined || typeof reason !== 'string') return reason;
  return { code: 'ERR_CONTROL_REJECTED', message: reason };
}

function check(e: RolloutEngine, event: ControlEvent): string | Rejection | undefined {
  const st = e.state;
  if (st.life === 'releasing' || st.life === 'done' || st.finished) {
    return { code: 'ERR_ROLLOUT_FINISHED', message: `The rollout has finished${st.final ? ` (${st.final.phase})` : ''}; there is nothing left to ${verb(event)}.` };
  }
  switch (event.type) {
    case 'pause':
    case 'resume':
      return undefined;
    case 'cancel':
      return event.reason !== undefined && event.reason.length > 500 ? 'The cancel reason must be at most 500 characters.' : undefined;
    case 'approve': {
      if (st.stop) return `The rollout has stopped launching (${st.stop.reason}); no further wave will start.`;
      if (!st.plan) return 'The rollout is still resolving its targets; approve once its waves are planned.';
      const wave = st.plan.waves[event.wave - 1];
      if (!Number.isInteger(event.wave) || !wave) return `There is no wave ${event.wave}; this rollout has ${st.plan.waves.length} wave(s).`;
      if (!wave.approvalRequired) return `Wave ${event.wave} has no approval gate (waves.approvalBefore).`;
      if (st.approved[String(event.wave)] !== undefined) return `Wave ${event.wave} is already approved (by ${st.approved[String(event.wave)] || 'someone'}).`;
      if (event.wave < st.wave || (event.wave === st.wave && st.stage !== 'gate')) return `Wave ${event.wave} has already started.`;
      return undefined;
    }
    case 'set_limits': {
      if (st.stop) return `The rollout has stopped launching (${st.stop.reason}); its restarts in flight are finishing, so new limits would change nothing.`;
      const parsed = limitsPatchSchema.safeParse(event.patch);
      if (!parsed.success) {
        const problems = zodProblems(parsed.error);
        return { code: 'ERR_LIMITS_INVALID', message: `Invalid limits: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`, problems };
      }
      return undefined;
    }
    case 'skip': {
      const idx = e.index.get(event.instanceId);
      if (idx === undefined) {
        return st.plan ? `${event.instanceId} is not a target of this rollout.` : 'The rollout is still resolving its targets; skip once its waves are planned.';
      }
      const t = st.targets[idx]!;
      if (FINAL_STATES.has(t.s) && !t.down) return `${event.instanceId} has already ended (${t.s}); there is nothing to release.`;
      if (t.skipRequestedBy) return `${event.instanceId} is already being released (asked by ${t.skipRequestedBy}).`;
      return undefined;
    }
  }
}

function verb(event: ControlEvent): string {
  return event.type === 'set_limits' ? 'change' : event.type;
}

function audit(e: RolloutEngine, entry: Omit<AuditEntry, 'atMs'>): void {
  const list = e.state.audit;
  list.push({ atMs: e.state.nowMs, ...entry });
  if (list.length > AUDIT_KEEP) list.splice(1, list.length - AUDIT_KEEP);
}

const by = (who: string | undefined): { by?: string } => (who ? { by: who } : {});

export function applyControl(e: RolloutEngine, event: ControlEvent): void {
  if (validateControl(e, event) !== undefined) return; // validators run first; a late arrival changes nothing
  const st = e.state;
  switch (event.type) {
    case 'pause':
      if (!st.paused) audit(e, { action: 'pause', ...by(event.by) });
      st.paused = true;
      st.stalledSinceMs = undefined;
      e.log('info', 'paused', by(event.by));
      return;
    case 'resume':
      if (st.paused) audit(e, { action: 'resume', ...by(event.by) });
      st.paused = false;
      e.log('info', 'resumed', by(event.by));
      return;
    case 'cancel': {
      if (st.cancel) return;
      st.cancel = { atMs: st.nowMs, ...(event.reason ? { reason: event.reason } : {}), ...by(event.by) };
      audit(e, { action: 'cancel', ...by(event.by), ...(event.reason ? { detail: event.reason } : {}) });
      if (st.life === 'running' || st.life === 'resolving' || st.life === 'estimating' || st.life === 'leasing') {
        e.stopWith('cancelled', `Cancelled${event.by ? ` by ${event.by}` : ''}${event.reason ? `: ${event.reason}` : ''}.`);
      }
      return;
    }
    case 'approve':
      st.approved[String(event.wave)] = event.by ?? '';
      audit(e, { action: 'approve', ...by(event.by), detail: `wave ${event.wave}` });
      e.log('info', `wave ${event.wave} approved`, by(event.by));
      return;
    case 'set_limits': {
      const patch = limitsPatchSchema.parse(event.patch);
      st.spec = {
        ...st.spec,
        concurrency: { ...st.spec.concurrency, ...patch.concurrency },
        failureBudget: { ...st.spec.failureBudget, ...patch.failureBudget },
      };
      if (st.plan) st.plan.failureBudget = e.rolloutBudget();
      st.stalledSinceMs = undefined;
      audit(e, { action: 'setLimits', ...by(patch.by), detail: JSON.stringify({ concurrency: patch.concurrency, failureBudget: patch.failureBudget }) });
      e.log('info', 'limits changed', { concurrency: st.spec.concurrency, failureBudget: st.spec.failureBudget, ...by(patch.by) });
      return;
    }
    case 'skip': {
      const idx = e.index.get(event.instanceId)!;
      const t = st.targets[idx]!;
      const who = event.by ?? 'an operator';
      audit(e, { action: 'skip', ...by(event.by), detail: event.instanceId });
      switch (t.s) {
        case 'queued':
          st.queue = st.queue.filter((i) => i !== idx);
          e.update(idx, { s: 'skipped', skippedBy: 'operator', releasedBy: who }, ['downQueued', 'waitWindowAt']);
          break;
        case 'launching':
          // Its launch is in flight: released as soon as it answers.
          e.update(idx, { skipRequestedBy: who });
          break;
        case 'waiting':
          e.update(idx, { s: 'skipped', skippedBy: 'operator', releasedBy: who, waited: { cause: t.waitCause ?? 'busy', status: t.st ?? 'unknown', ms: st.nowMs - (t.waitFrom ?? st.nowMs) } }, ['waitUntil']);
          break;
        case 'restarting':
        case 'checking':
          // Our restart is in flight but no longer waited for: its outcome is unknown to us.
          e.update(idx, { s: 'unknown', releasedBy: who }, ['down', 'healthUntil']);
          break;
        default:
          e.update(idx, { releasedBy: who }, ['down']);
      }
      st.stalledSinceMs = undefined;
      e.log('info', `released ${event.instanceId} by hand`, { instanceId: event.instanceId, by: who });
    }
  }
}
