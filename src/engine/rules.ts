/**
 * The small rules every room of the engine shares: which targets hold a slot, which statuses keep
 * one, and how a stop reason reads as a not-started reason. Pure.
 */
import type { NotStartedReason } from '../contracts/rollout';
import { classifyInstanceStatus } from '../starrocks/status';
import { ACTIVE_STATES, FINAL_STATES, type StopReason, type TargetRec } from './state';

/** Whether a target holds one of the availability slots right now. */
export function holdsSlot(t: TargetRec): boolean {
  if (ACTIVE_STATES.has(t.s)) return true;
  if (t.s === 'queued') return t.downQueued === true;
  return FINAL_STATES.has(t.s) && t.down === true;
}

/**
 * Whether an instance in this status holds a slot: down and able to come back (restarting, busy,
 * stopped). Running frees it; so does a terminal status (failed or released, spec §3.2 classes
 * FAILED and GONE): such an instance will not come back by itself, and holding a slot for it would
 * stop the rollout for good.
 */
export function holdsWhileIn(status: string): boolean {
  const cls = classifyInstanceStatus(status);
  return cls === 'RESTARTING' || cls === 'BUSY' || cls === 'UNAVAILABLE';
}

/** Its last observed status holds a slot. */
export function lastSeenDown(t: TargetRec): boolean {
  return t.st !== undefined && holdsWhileIn(t.st);
}

export function notStartedReasonFor(reason: StopReason): NotStartedReason {
  switch (reason) {
    case 'cancelled':
    case 'budget':
    case 'window':
    case 'stalled':
      return reason;
    default:
      return 'failed';
  }
}

export function waitedOf(t: TargetRec, nowMs: number): TargetRec['waited'] {
  return { cause: t.waitCause ?? 'busy', status: t.st ?? 'unknown', ms: Math.max(0, nowMs - (t.waitFrom ?? nowMs)) };
}

