/**
 * The benchmark's measures are computed from the emulator's record; these pin their arithmetic on
 * hand-made records so a wrong bound or overhead cannot silently flatter the results.
 */
import { describe, expect, it } from 'vitest';
import type { EmulatorRecord, RestartRecord, TransitionRecord } from '../../src/emulator';
import { exactlyOnce, listScheduleMs, lowerBoundMs, reportWaves, makeFleet, makespanFromRecord, orchestrationOverhead, readUsage, readsPerInstance, withRestartHistory } from '../../bench/harness';
import { badSpecs } from '../../bench/faults';
import { validateSpec } from '../../src/contracts/spec';

let seq = 0;
function restart(instanceId: string, tMs: number, plannedDurationMs: number): RestartRecord {
  return { seq: seq++, atMs: tMs, tMs, region: 'cn-hangzhou', instanceId, action: 'RestartInstance', fastMode: false, requestId: 'r', operationId: 'o', plannedDurationMs, outcome: 'running' };
}
function transition(instanceId: string, tMs: number, from: string, to: string): TransitionRecord {
  return { seq: seq++, atMs: tMs, tMs, region: 'cn-hangzhou', instanceId, from, to, cause: to === 'running' ? 'restart-complete' : 'restart' };
}
function record(restarts: RestartRecord[], transitions: TransitionRecord[]): EmulatorRecord {
  return { calls: [], restarts, transitions, stats: { callsByAction: {}, callsByRegion: {}, callsByRegionAction: {}, restartsByInstance: {} }, nextSeq: seq };
}

describe('bench measures', () => {
  it('lower bound: Σ_waves max(max D, ΣD/C) + bake between non-empty waves', () => {
    seq = 0;
    const rec = record([restart('a', 0, 1_000), restart('b', 0, 4_000), restart('c', 0, 1_000), restart('d', 0, 1_000)], []);
    // wave 1: [a] → 1000; wave 2: [b,c,d] with C=2 → max(4000, 6000/2=3000) = 4000; one bake of 500.
    expect(lowerBoundMs(rec, [['a'], ['b', 'c', 'd']], () => 2, 500)).toBe(5_500);
    // C=1 → the sum dominates: 1000 + 6000.
    expect(lowerBoundMs(rec, [['a'], ['b', 'c', 'd']], () => 1, 0)).toBe(7_000);
  });

  it('list schedule: greedy on C slots in launch order (a long restart launched last sets the makespan)', () => {
    seq = 0;
    const rec = record([restart('a', 0, 1_000), restart('b', 0, 1_000), restart('c', 0, 1_000), restart('d', 0, 5_000)], []);
    // C=2: a,b at 0; c at 1000; d at 1000 → ends 6000. Lower bound max(5000, 8000/2) = 5000.
    expect(listScheduleMs(rec, [['a', 'b', 'c', 'd']], () => 2, 0)).toBe(6_000);
    expect(lowerBoundMs(rec, [['a', 'b', 'c', 'd']], () => 2, 0)).toBe(5_000);
  });

  it('makespan and overhead come from restarts and running transitions in record order', () => {
    seq = 0;
    const r1 = restart('a', 0, 1_000);
    const t1 = transition('a', 0, 'running', 'restarting');
    const t2 = transition('a', 1_000, 'restarting', 'running');
    const r2 = restart('b', 1_250, 1_000); // 250 ms after a's slot freed
    const t3 = transition('b', 1_250, 'running', 'restarting');
    const t4 = transition('b', 2_250, 'restarting', 'running');
    const rec = record([r1, r2], [t1, t2, t3, t4]);
    expect(makespanFromRecord(rec)).toBe(2_250);
    expect(orchestrationOverhead(rec)).toMatchObject({ samples: 1, medianMs: 250 });
  });

  it('waves come from the record in seq order when the report omits restarted instances', () => {
    seq = 0;
    const rec = record([restart('a', 0, 1), restart('c', 1, 1), restart('b', 2, 1)], []);
    const waves = [{ size: 1 }, { size: 2 }] as never;
    expect(reportWaves({ instances: [], waves }, rec)).toEqual([['a'], ['c', 'b']]);
    const full = { instances: [{ instanceId: 'x', wave: 2 }, { instanceId: 'y', wave: 1 }], waves: [{ size: 1 }, { size: 1 }] } as never;
    expect(reportWaves(full, rec)).toEqual([['y'], ['x']]);
  });

  it('exactlyOnce counts duplicates and never-restarted targets', () => {
    seq = 0;
    const rec = record([restart('a', 0, 1), restart('a', 5, 1), restart('b', 0, 1)], []);
    expect(exactlyOnce(rec, ['a', 'b', 'c'])).toEqual({ targets: 3, restartedOnce: 1, duplicates: [{ instanceId: 'a', count: 2 }], neverRestarted: ['c'] });
  });

  it('pinned fleets are deterministic per seed and valid instance ids', () => {
    const a = makeFleet({ regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 50, duration: { kind: 'lognormal', medianMs: 1_000, sigma: 0.5 }, seed: 3 });
    const b = makeFleet({ regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 50, duration: { kind: 'lognormal', medianMs: 1_000, sigma: 0.5 }, seed: 3 });
    expect([...a.durations]).toEqual([...b.durations]);
    expect(a.durations.size).toBe(100);
    for (const id of a.durations.keys()) expect(id).toMatch(/^c-[0-9a-z]{16}$/);
  });

  it('reads CPU time and peak RSS of a live process from /proc', () => {
    const u = readUsage(process.pid);
    expect(u?.peakRssMiB).toBeGreaterThan(10);
    expect(u?.cpuMs).toBeGreaterThan(0);
    expect(readUsage(2 ** 22 + 12345)).toBeUndefined();
  });

  it('the fault suite spec corpus has ≥ 60 entries (new engine fields included) and every one is rejected with a path', () => {
    const cases = badSpecs();
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const field of ['waves.order', 'estimates.', 'health.', 'window.instanceMaintainablePeriod', 'concurrency.stallTimeoutSeconds']) expect(cases.some((c) => c.why.includes(field)), field).toBe(true);
    for (const c of cases) {
      const res = validateSpec(c.spec);
      expect(res.ok, c.why).toBe(false);
    }
  });
});

describe('bench measures for duration-aware order', () => {
  it('LPT by applied durations vs the launch order (a long restart launched last)', () => {
    seq = 0;
    const rec = record([restart('a', 0, 1_000), restart('b', 0, 1_000), restart('c', 0, 1_000), restart('d', 0, 5_000)], []);
    // Launch order a,b,c,d on 2 slots ends at 6000; longest first: d | a,b,c → max(5000, 3000) = 5000.
    expect(listScheduleMs(rec, [['a', 'b', 'c', 'd']], () => 2, 0)).toBe(6_000);
    expect(listScheduleMs(rec, [['a', 'b', 'c', 'd']], () => 2, 0, 'longest_actual_first')).toBe(5_000);
  });

  it('reads are every call but the restarts, per instance', () => {
    seq = 0;
    const rec = record([], []);
    rec.stats.callsByAction = { DescribeInstances: 6, ListOperationHistory: 3, RestartInstance: 4, RestartNodeGroup: 1, ListOperationActivity: 1 };
    expect(readsPerInstance(rec, 2)).toBe(5);
  });

  it('a history fleet keeps ids and seed, drops the pinned durations and asks the emulator for medians and history', () => {
    const pinned = makeFleet({ regions: ['cn-hangzhou'], perRegion: 3, duration: { kind: 'fixed', ms: 1_000 }, seed: 5 });
    const h = withRestartHistory(pinned, { duration: { kind: 'lognormal', medianMs: 6_000, sigma: 0.5 }, noiseSigma: 0.1, perInstance: 5 });
    const seedOf = h.emulatorOptions.fleet!;
    expect(seedOf.instances!.map((i) => i.instanceId)).toEqual([...pinned.durations.keys()]);
    expect(seedOf.instances!.every((i) => i.restartDurationMs === undefined)).toBe(true);
    expect(seedOf).toMatchObject({ restartDuration: { kind: 'lognormal' }, perInstanceRestartDuration: { noiseSigma: 0.1 }, restartHistory: { perInstance: 5 } });
    expect(h.emulatorOptions.seed).toBe(pinned.emulatorOptions.seed);
  });
});
