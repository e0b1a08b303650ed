/**
 * The benchmark's measures, computed from the emulator's record (pure), plus re-exports of the
 * process and fleet helpers it shares with the tests (test/support/).
 */
import { loadavg } from 'node:os';
import { waveLowerBoundMs } from '../src/planning/planner';
import { resolveSize, type RolloutSpec } from '../src/contracts/spec';
import type { RolloutReport } from '../src/contracts/rollout';
import type { EmulatorRecord } from '../src/emulator';
import { downIntervals } from '../src/emulator/invariants';
import type { DurationDistribution } from '../src/emulator/schemas';
import type { Fleet } from '../test/support/fleets';

export * from '../test/support/processes';
export * from '../test/support/fleets';

export interface WaveBound {
  durationsMs: number[];
  concurrency: number;
}

/**
 * Σ_waves max(max Dᵢ, ΣDᵢ/C) + bake between waves, with Dᵢ the durations the emulator actually
 * applied (record.restarts[].plannedDurationMs), grouped by the waves the rollout reported.
 */
export function lowerBoundMs(record: EmulatorRecord, waves: readonly (readonly string[])[], concurrencyOf: (waveSize: number) => number, bakeMs: number): number {
  const planned = new Map<string, number>();
  for (const r of record.restarts) if (!planned.has(r.instanceId)) planned.set(r.instanceId, r.plannedDurationMs);
  let total = 0;
  let nonEmpty = 0;
  for (const wave of waves) {
    const ds = wave.map((id) => planned.get(id)).filter((d): d is number => d !== undefined);
    if (ds.length === 0) continue;
    nonEmpty++;
    total += waveLowerBoundMs(ds, concurrencyOf(wave.length));
  }
  return total + Math.max(0, nonEmpty - 1) * bakeMs;
}

/**
 * What a zero-overhead orchestrator would achieve WITHOUT knowing durations in advance: greedy list
 * scheduling of each wave's restarts, in the order they were actually launched, on C slots, plus bake.
 * The gap between this and the lower bound is the price of the order (a long restart started late);
 * the gap between the makespan and this is orchestration and polling overhead.
 *
 * `order: 'longest_actual_first'` schedules each wave longest first by the durations the emulator
 * actually applied instead (LPT with perfect knowledge): what the best-informed longest-first order
 * could achieve, so an estimate's error shows as the gap between it and the launch-order schedule.
 */
export function listScheduleMs(
  record: EmulatorRecord,
  waves: readonly (readonly string[])[],
  concurrencyOf: (waveSize: number) => number,
  bakeMs: number,
  order: 'launch' | 'longest_actual_first' = 'launch',
): number {
  const launched = new Map<string, number>();
  const planned = new Map<string, number>();
  for (const r of record.restarts) {
    if (!launched.has(r.instanceId)) launched.set(r.instanceId, r.seq);
    if (!planned.has(r.instanceId)) planned.set(r.instanceId, r.plannedDurationMs);
  }
  const rank = order === 'launch' ? (id: string) => launched.get(id)! : (id: string) => -planned.get(id)!;
  let total = 0;
  let nonEmpty = 0;
  for (const wave of waves) {
    const ids = wave.filter((id) => planned.has(id)).sort((a, b) => rank(a) - rank(b) || launched.get(a)! - launched.get(b)!);
    if (ids.length === 0) continue;
    nonEmpty++;
    const slots = new Array<number>(Math.max(1, Math.min(concurrencyOf(wave.length), ids.length))).fill(0);
    for (const id of ids) {
      let best = 0;
      for (let i = 1; i < slots.length; i++) if (slots[i]! < slots[best]!) best = i;
      slots[best] = slots[best]! + planned.get(id)!;
    }
    total += Math.max(...slots);
  }
  return total + Math.max(0, nonEmpty - 1) * bakeMs;
}

/** Concurrency a spec gives a wave of `size` targets (global limit only). */
export function specConcurrency(spec: RolloutSpec): (size: number) => number {
  return (size) => resolveSize(spec.concurrency.global, size, { atLeastOne: true });
}

/**
 * Waves (instance ids) of a rollout. When the report lists every instance, its wave numbers; when it
 * omits restarted ones (large rollouts keep the report small), the record's restarts in seq order cut
 * by the reported wave sizes — valid because wave n+1 starts only after wave n finished.
 */
export function reportWaves(report: Pick<RolloutReport, 'instances' | 'waves'>, record?: EmulatorRecord): string[][] {
  const waves: string[][] = [];
  for (const r of report.instances) (waves[r.wave - 1] ??= []).push(r.instanceId);
  const listed = report.instances.length;
  const planned = report.waves.reduce((a, w) => a + w.size, 0);
  if (listed >= planned || !record) return waves.map((w) => w ?? []);
  const order = [...new Set([...record.restarts].sort((a, b) => a.seq - b.seq).map((r) => r.instanceId))];
  const out: string[][] = [];
  let at = 0;
  for (const w of report.waves) {
    out.push(order.slice(at, at + w.size));
    at += w.size;
  }
  return out;
}

/** From the first restart that took effect to the last instance turning running (or failing). */
export function makespanFromRecord(record: EmulatorRecord): number {
  const intervals = downIntervals(record);
  if (intervals.length === 0) return 0;
  const start = Math.min(...intervals.map((i) => i.startTMs));
  const end = Math.max(...intervals.map((i) => i.endTMs ?? i.startTMs));
  return end - start;
}

export interface Overhead {
  /** Pairs measured: an instance turned running and a later restart followed. */
  samples: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
}

/**
 * Orchestration overhead: for each restart after the first C, the time from the most recent
 * instance turning running (a transition restarting→running in the record) that freed its slot,
 * to this restart being applied. Matched greedily in seq order: each running-transition frees one
 * slot, consumed by the next restart.
 */
export function orchestrationOverhead(record: EmulatorRecord): Overhead {
  type Ev = { seq: number; tMs: number; kind: 'free' | 'restart' };
  const evs: Ev[] = [
    ...record.transitions.filter((t) => t.from === 'restarting' && t.to === 'running').map((t) => ({ seq: t.seq, tMs: t.tMs, kind: 'free' as const })),
    ...record.restarts.map((r) => ({ seq: r.seq, tMs: r.tMs, kind: 'restart' as const })),
  ].sort((a, b) => a.seq - b.seq);
  const freed: number[] = [];
  const gaps: number[] = [];
  for (const e of evs) {
    if (e.kind === 'free') freed.push(e.tMs);
    else if (freed.length > 0) gaps.push(e.tMs - freed.shift()!);
  }
  gaps.sort((a, b) => a - b);
  const q = (p: number): number => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))]! : 0);
  return { samples: gaps.length, medianMs: q(0.5), p95Ms: q(0.95), meanMs: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0 };
}

/** Calls that change nothing (every action but the restarts), answered or not, per instance. */
export function readsPerInstance(record: EmulatorRecord, instances: number): number {
  let reads = 0;
  for (const [action, n] of Object.entries(record.stats.callsByAction)) if (action !== 'RestartInstance' && action !== 'RestartNodeGroup') reads += n;
  return reads / Math.max(1, instances);
}

/** Epoch ms of the first restart that took effect (undefined when none did). */
export function firstRestartAtMs(record: EmulatorRecord): number | undefined {
  return record.restarts.length ? Math.min(...record.restarts.map((r) => r.atMs)) : undefined;
}

export interface RestartHistoryOptions {
  /** Each instance's own median is drawn once from this. */
  duration: DurationDistribution;
  /** A restart takes the instance's median × exp(noiseSigma · N(0,1)). */
  noiseSigma: number;
  /** Past restart_cluster operations per instance. */
  perInstance: number;
}

/**
 * The same fleet (ids, names, regions, seed) with per-instance restart medians drawn by the emulator,
 * noisy restarts and a seeded restart history (FleetSeed.perInstanceRestartDuration / restartHistory)
 * instead of pinned durations. Medians and history come from their own PRNG stream, so every emulator
 * started from this fleet has the same medians and the same history; each restart's noise is the next
 * draw of the duration stream, so which instance gets which noise factor follows the launch order.
 */
export function withRestartHistory(fleet: Fleet, opts: RestartHistoryOptions): Fleet {
  const seed = fleet.emulatorOptions.fleet;
  const instances = (seed?.instances ?? []).map(({ restartDurationMs: _pinned, ...rest }) => rest);
  return {
    emulatorOptions: {
      ...fleet.emulatorOptions,
      fleet: { ...seed, instances, restartDuration: opts.duration, perInstanceRestartDuration: { noiseSigma: opts.noiseSigma }, restartHistory: { perInstance: opts.perInstance } },
    },
    durations: new Map(),
  };
}

export interface WorkflowTaskTimes {
  /** Workflow tasks completed (started → completed pairs). */
  tasks: number;
  /** Longest started → completed, ms (the worker's time on one activation, plus its round trip). */
  maxMs: number;
  p99Ms: number;
  /** Tasks that timed out or failed (a worker too slow, or killed, on one activation). */
  timedOut: number;
  failed: number;
  /** The distinct failure messages of failed workflow tasks (first few). */
  failures?: string[];
}

type HistoryLike = { events?: Array<{ eventTime?: { seconds?: unknown; nanos?: number | null } | null; workflowTaskStartedEventAttributes?: unknown; workflowTaskCompletedEventAttributes?: unknown; workflowTaskTimedOutEventAttributes?: unknown; workflowTaskFailedEventAttributes?: { cause?: unknown; failure?: { message?: string | null } | null } | null }> | null };

/** From histories: how long the worker took on each workflow task (activation), and how many timed out or failed. */
export function workflowTaskTimes(histories: readonly HistoryLike[]): WorkflowTaskTimes {
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const durations: number[] = [];
  let timedOut = 0;
  let failed = 0;
  const failures: string[] = [];
  for (const h of histories) {
    let startedAt: number | undefined;
    for (const e of h.events ?? []) {
      if (e.workflowTaskStartedEventAttributes) startedAt = ms(e.eventTime);
      else if (e.workflowTaskCompletedEventAttributes && startedAt !== undefined) {
        durations.push(ms(e.eventTime) - startedAt);
        startedAt = undefined;
      } else if (e.workflowTaskTimedOutEventAttributes) timedOut++;
      else if (e.workflowTaskFailedEventAttributes) {
        failed++;
        const a = e.workflowTaskFailedEventAttributes;
        const text = `${String(a.cause ?? '')}: ${a.failure?.message ?? ''}`.slice(0, 200);
        if (failures.length < 3 && !failures.includes(text)) failures.push(text);
      }
    }
  }
  durations.sort((a, b) => a - b);
  return { tasks: durations.length, maxMs: durations.at(-1) ?? 0, p99Ms: durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.99))] ?? 0, timedOut, failed, ...(failures.length ? { failures } : {}) };
}

/** Calls by action divided by the number of instances. */
export function callsPerInstance(record: EmulatorRecord, instances: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [action, n] of Object.entries(record.stats.callsByAction)) out[action] = n / Math.max(1, instances);
  return out;
}

/**
 * Samples the 1-minute load average every 5 s until stopped: the machine is shared (other sessions run
 * their suites), so a run says how busy it was. Returns mean and max of the samples.
 */
export function watchLoad(): { stop(): { mean: number; max: number; samples: number } } {
  const samples: number[] = [loadavg()[0]!];
  const timer = setInterval(() => samples.push(loadavg()[0]!), 5_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples), samples: samples.length };
    },
  };
}

export async function machineInfo(): Promise<string> {
  const os = await import('node:os');
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}
