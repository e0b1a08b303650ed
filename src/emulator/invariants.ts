/**
 * Pure invariant checks over an emulator record (no I/O). Ordering uses `seq`, the emulator's
 * single total order over calls, restarts and transitions, so results do not depend on timer
 * resolution.
 */
import type { EmulatorRecord, RestartRecord, TransitionRecord } from './types';

type RecordLike = Pick<EmulatorRecord, 'restarts' | 'transitions'>;

export interface OriginOptions {
  /**
   * Also count restarts of origin `foreign` (made by someone else through the control API).
   * Default false: the helpers judge the restarts starwave made.
   */
  includeForeign?: boolean;
}

/** A restart record without an origin (made by hand) counts as `api`. */
export function isForeign(restart: Pick<RestartRecord, 'origin'>): boolean {
  return restart.origin === 'foreign';
}

function selectRestarts(restarts: readonly RestartRecord[], options: OriginOptions = {}): RestartRecord[] {
  return options.includeForeign ? [...restarts] : restarts.filter((r) => !isForeign(r));
}

export interface DownInterval {
  region: string;
  instanceId: string;
  /** seq of the restart that took effect. */
  startSeq: number;
  startTMs: number;
  /** seq of the transition that ended it; undefined = still down at the end of the record. */
  endSeq?: number;
  endTMs?: number;
  /** How it ended: back to running, failed, or still open. */
  end: 'running' | 'failed' | 'open';
}

export interface DownOptions extends OriginOptions {
  region?: string;
  /**
   * Keep an instance counted as down after its restart FAILED (it stays broken because of us).
   * Default false: a failed restart ends the restart (it then counts against a failure budget, not concurrency).
   */
  includeFailed?: boolean;
}

function byInstance<T extends { instanceId: string }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(item.instanceId, [...(map.get(item.instanceId) ?? []), item]);
  return map;
}

/** The end of a restart: the first later transition that leaves the restart (running again, failed, or forced). */
function endingTransition(restart: RestartRecord, transitions: readonly TransitionRecord[], includeFailed: boolean): TransitionRecord | undefined {
  return transitions.find(
    (t) =>
      t.seq > restart.seq &&
      (t.to === 'running' ? t.cause !== 'restart' : t.to !== 'restarting' && (!includeFailed || t.cause === 'control')),
  );
}

/**
 * One interval per restart that took effect: from the restart (the instance is going down even if
 * a stale read still says `running`) to the transition that ended it.
 */
export function downIntervals(record: RecordLike, options: DownOptions = {}): DownInterval[] {
  const transitionsBy = byInstance(record.transitions);
  return selectRestarts(record.restarts, options)
    .filter((r) => !options.region || r.region === options.region)
    .map((r) => {
      const end = endingTransition(r, transitionsBy.get(r.instanceId) ?? [], options.includeFailed ?? false);
      return {
        region: r.region,
        instanceId: r.instanceId,
        startSeq: r.seq,
        startTMs: r.tMs,
        ...(end ? { endSeq: end.seq, endTMs: end.tMs } : {}),
        end: !end ? 'open' : end.to === 'running' ? 'running' : 'failed',
      };
    });
}

/**
 * Maximum number of distinct instances simultaneously down because of our restarts (restarting,
 * about to flip, or — with includeFailed — failed), computed by a sweep over seq.
 */
export function maxConcurrentRestarting(record: RecordLike, filter: DownOptions = {}): number {
  const events: Array<{ seq: number; instanceId: string; delta: 1 | -1 }> = [];
  for (const i of downIntervals(record, filter)) {
    events.push({ seq: i.startSeq, instanceId: i.instanceId, delta: 1 });
    if (i.endSeq !== undefined) events.push({ seq: i.endSeq, instanceId: i.instanceId, delta: -1 });
  }
  // Ends before starts at equal seq cannot happen (seq is unique); sort by seq only.
  events.sort((a, b) => a.seq - b.seq);
  const openPerInstance = new Map<string, number>();
  let down = 0;
  let max = 0;
  for (const e of events) {
    const before = openPerInstance.get(e.instanceId) ?? 0;
    const after = Math.max(0, before + e.delta);
    openPerInstance.set(e.instanceId, after);
    if (before === 0 && after > 0) down++;
    if (before > 0 && after === 0) down--;
    max = Math.max(max, down);
  }
  return max;
}

/** Restarts that took effect, per instance id (origin `api` only unless includeForeign). */
export function restartCountsByInstance(record: Pick<EmulatorRecord, 'restarts'>, options: OriginOptions = {}): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of selectRestarts(record.restarts, options)) counts[r.instanceId] = (counts[r.instanceId] ?? 0) + 1;
  return counts;
}

/** Instances restarted more than `max` times (default 1): the "no double restart" invariant (origin `api` only unless includeForeign). */
export function multipleRestarts(record: Pick<EmulatorRecord, 'restarts'>, max = 1, options: OriginOptions = {}): Array<{ instanceId: string; count: number }> {
  return Object.entries(restartCountsByInstance(record, options))
    .filter(([, count]) => count > max)
    .map(([instanceId, count]) => ({ instanceId, count }));
}

/**
 * The `api` restarts of an instance that took effect after its last `foreign` restart had
 * settled (seq after the foreign restart's endedSeq). `undefined` when the instance has no foreign
 * restart or the last one has not settled. "Exactly one RestartInstance of ours after the foreign
 * one settled" is `restartsAfterForeignSettled(record, id)?.length === 1`.
 */
export function restartsAfterForeignSettled(record: Pick<EmulatorRecord, 'restarts'>, instanceId: string): RestartRecord[] | undefined {
  const foreign = record.restarts.filter((r) => r.instanceId === instanceId && isForeign(r)).at(-1);
  if (!foreign || foreign.endedSeq === undefined) return undefined;
  const settledSeq = foreign.endedSeq;
  return record.restarts.filter((r) => r.instanceId === instanceId && !isForeign(r) && r.seq > settledSeq);
}

/**
 * `api` restarts that took effect while a `foreign` restart of the same instance was still in
 * flight (between its start and its endedSeq, or after its start when it never ended): restarting
 * an instance someone else is already restarting.
 */
export function restartsDuringForeign(record: Pick<EmulatorRecord, 'restarts'>): Array<{ restart: RestartRecord; foreign: RestartRecord }> {
  const out: Array<{ restart: RestartRecord; foreign: RestartRecord }> = [];
  const foreigns = record.restarts.filter(isForeign);
  for (const restart of record.restarts) {
    if (isForeign(restart)) continue;
    const foreign = foreigns.find((f) => f.instanceId === restart.instanceId && f.seq < restart.seq && (f.endedSeq === undefined || restart.seq < f.endedSeq));
    if (foreign) out.push({ restart, foreign });
  }
  return out;
}

export interface WaveViolation {
  /** 0-based index of the wave whose restart came too early. */
  wave: number;
  instanceId: string;
  restartSeq: number;
  /** The earlier-wave instance that had not finished. */
  blockingInstanceId: string;
  reason: 'not-finished' | 'never-restarted';
}

/**
 * Wave barriers: every restart of a wave n+1 instance must take effect after every wave n instance
 * was running again or had failed. An earlier-wave instance that was never restarted at all is
 * ignored (it may have been skipped on purpose) unless `requireAll` is set.
 */
export function wavesRespected(record: RecordLike, waves: readonly (readonly string[])[], options: { requireAll?: boolean } & OriginOptions = {}): WaveViolation[] {
  const restartsBy = byInstance(selectRestarts(record.restarts, options));
  const transitionsBy = byInstance(record.transitions);
  /** seq at which an instance's FIRST restart finished (running or failed); Infinity if never; undefined if never restarted. */
  const finishedAt = (instanceId: string): number | undefined => {
    const first = restartsBy.get(instanceId)?.[0];
    if (!first) return undefined;
    const end = endingTransition(first, transitionsBy.get(instanceId) ?? [], false);
    return end ? end.seq : Number.POSITIVE_INFINITY;
  };
  const violations: WaveViolation[] = [];
  for (let n = 1; n < waves.length; n++) {
    const previous = waves[n - 1] ?? [];
    for (const instanceId of waves[n] ?? []) {
      for (const restart of restartsBy.get(instanceId) ?? []) {
        for (const blocker of previous) {
          const done = finishedAt(blocker);
          if (done === undefined) {
            if (options.requireAll) violations.push({ wave: n, instanceId, restartSeq: restart.seq, blockingInstanceId: blocker, reason: 'never-restarted' });
          } else if (done > restart.seq) {
            violations.push({ wave: n, instanceId, restartSeq: restart.seq, blockingInstanceId: blocker, reason: 'not-finished' });
          }
        }
      }
    }
  }
  return violations;
}
