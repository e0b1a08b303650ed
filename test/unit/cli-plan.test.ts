/**
 * `starwave plan` without a network: the ETA with every limit (global, per region, waves, bake,
 * cutoff, maintenance windows), per-instance estimates, wave instances and the canary; and the
 * reading part against fake readers that throttle (bounded retries, what it gave up on).
 */
import { describe, expect, it } from 'vitest';
import { buildPlanReport, waveDuration, type PlanInputs, type RestartEstimate } from '../../src/cli/plan/model';
import { gatherPlan, type PlanReader } from '../../src/cli/plan/fetch';
import { renderPlan } from '../../src/cli/render/plan';
import { parseSpec, type RolloutSpecInput } from '../../src/contracts/spec';
import type { ResolvedTarget } from '../../src/planning/planner';
import { StarRocksApiError } from '../../src/starrocks/errors';

const NOW = Date.UTC(2026, 5, 7, 12, 0, 0); // 20:00 in Asia/Shanghai
const id = (region: string, i: number): string => `c-${region === 'cn-hangzhou' ? 'a' : 'b'}${String(i).padStart(15, '0')}`;
const fleet = (regions: string[], per: number, extra: (t: ResolvedTarget) => Partial<ResolvedTarget> = () => ({})): ResolvedTarget[] =>
  regions.flatMap((region) => Array.from({ length: per }, (_, i) => {
    const t: ResolvedTarget = { region, instanceId: id(region, i), instanceName: `sr-${region}-${i}`, status: 'running' };
    return { ...t, ...extra(t) };
  }));

function plan(spec: RolloutSpecInput, targets: ResolvedTarget[], estimates = new Map<string, RestartEstimate>()) {
  const inputs: PlanInputs = {
    fleet: { targets, problems: [], reads: 2 },
    estimates,
    history: { fromHistory: true, asked: targets.length, withHistory: estimates.size, reads: targets.length },
    leases: { checked: true, held: [] },
    blocking: [],
    notes: [],
    nowMs: NOW,
  };
  return buildPlanReport(parseSpec(spec), inputs);
}

const base = { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, instance: { expectedRestartSeconds: 600 } };

describe('plan ETA', () => {
  it('counts the per-region limit: global 4, perRegion 2 in one region at a time runs 2 at once', () => {
    const p = plan({ ...base, name: 'n', waves: { sizes: ['100%'] }, concurrency: { global: 4, perRegion: 2 } }, fleet(['cn-hangzhou', 'cn-shanghai'], 8));
    expect(p.waves.map((w) => [w.size, w.parallelism])).toEqual([
      [8, 2],
      [8, 2],
    ]);
    expect(p.waves[0]!.limitedBy).toBe('concurrency.perRegion 2 × 1 region');
    // 8 restarts of 10 min, 2 at a time, per region: 40 min each, 80 min in all (not the 40 min global 4 would give).
    expect(p.eta).toEqual({ p50Ms: 80 * 60_000, p90Ms: 80 * 60_000 });
  });

  it('in parallel mode the per-region limits add up, and the global limit still caps them', () => {
    const two = plan({ ...base, name: 'n', regions: { mode: 'parallel' }, waves: { sizes: ['100%'] }, concurrency: { global: 4, perRegion: 1 } }, fleet(['cn-hangzhou', 'cn-shanghai'], 4));
    expect(two.waves[0]!.parallelism).toBe(2);
    expect(two.eta.p50Ms).toBe(4 * 600_000);
    const capped = plan({ ...base, name: 'n', regions: { mode: 'parallel' }, waves: { sizes: ['100%'] }, concurrency: { global: 3, perRegion: 4 } }, fleet(['cn-hangzhou', 'cn-shanghai'], 4));
    expect(capped.waves[0]!.parallelism).toBe(3);
    expect(capped.waves[0]!.limitedBy).toBe('concurrency.global 3');
  });

  it('adds bake time between waves, not after the last', () => {
    const p = plan({ ...base, name: 'n', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'], bakeSeconds: 300 }, concurrency: { global: 4 } }, fleet(['cn-hangzhou'], 5));
    expect(p.waves.map((w) => w.expected.p50Ms)).toEqual([600_000, 600_000]);
    expect(p.waves[1]!.startsAfterMs).toBe(900_000);
    expect(p.eta.p50Ms).toBe(1_500_000);
  });

  it('uses each instance’s history (p50 and p90), longest first, and names the canary', () => {
    const targets = fleet(['cn-hangzhou'], 4);
    const estimates = new Map<string, RestartEstimate>([
      [targets[1]!.instanceId, { medianMs: 1_200_000, p90Ms: 1_500_000, samples: 5 }],
      [targets[2]!.instanceId, { medianMs: 300_000, p90Ms: 400_000, samples: 5 }],
    ]);
    const p = plan({ ...base, name: 'n', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'] }, concurrency: { global: 2 } }, targets, estimates);
    expect(p.waves[0]!.canary).toBe(true);
    expect(p.waves[0]!.instances.map((i) => i.instanceId)).toEqual([targets[0]!.instanceId]);
    // Wave 2 launches the 20-min restart first: [20, 10 | 5] on 2 slots → 20 min (p50); p90 [25, 10 | 6.7] → 25 min.
    expect(p.waves[1]!.instances.map((i) => i.estimate)).toEqual(['history', 'history', 'default']);
    expect(p.waves[1]!.expected).toEqual({ p50Ms: 1_200_000, p90Ms: 1_500_000 });
    const text = renderPlan(p, NOW).join('\n');
    expect(text).toContain(`Wave 1 (canary): 1 instance, starts about 0s in\n  ${targets[0]!.instanceId} (sr-cn-hangzhou-0) cn-hangzhou ~10m00s (default)`);
    expect(text).toContain(`${targets[1]!.instanceId} (sr-cn-hangzhou-1) cn-hangzhou ~20m00s (p90 25m00s, 5 past restarts)`);
    expect(text).toContain('restart estimates: from each target\'s own restart history for 2 of 4; 2 without history use instance.expectedRestartSeconds (10m00s)');
  });

  it('lists the first few instances of a wave in text and all of them in JSON', () => {
    const p = plan({ ...base, name: 'n', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'] } }, fleet(['cn-hangzhou'], 12));
    expect(p.waves[1]!.instances).toHaveLength(11);
    const text = renderPlan(p, NOW).join('\n');
    expect(text).toContain('  … and 6 more (all of them with --json)');
  });

  it('leaves out what cannot finish before the cutoff', () => {
    const notAfter = new Date(NOW + 25 * 60_000).toISOString();
    const p = { ...plan({ ...base, name: 'n', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: ['100%'] }, concurrency: { global: 1 }, window: { notAfter } }, fleet(['cn-hangzhou'], 4)) };
    expect(p.waves[0]!.notStartedByWindow).toBe(2);
    expect(p.eta.p50Ms).toBe(20 * 60_000);
    expect(renderPlan(p, NOW).join('\n')).toContain('about 2 targets cannot be expected to finish inside the window');
  });

  it('shows when each instance’s maintenance window opens and waits for it', () => {
    // 20:00 local now; one window open now, one at 22:00-23:00 local, one too short for a 10-minute restart.
    const periods = ['19:00-21:00', '22:00-23:00', '22:00-22:05'];
    const targets = fleet(['cn-hangzhou'], 3, (t) => ({ maintainablePeriod: periods[Number(t.instanceId.slice(-1))]! }));
    const p = plan({ ...base, name: 'n', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: ['100%'] }, concurrency: { global: 3 }, window: { instanceMaintainablePeriod: true } }, targets);
    const [open, later, never] = p.waves[0]!.instances.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    expect(open!.window).toMatchObject({ openNow: true, fits: true });
    expect(later!.window).toMatchObject({ openNow: false, fits: true, opensAtMs: NOW + 2 * 3_600_000, timeZone: 'Asia/Shanghai' });
    expect(never!.window).toMatchObject({ fits: false });
    expect(p.waves[0]!.notStartedByWindow).toBe(1);
    expect(p.eta.p50Ms).toBe(2 * 3_600_000 + 600_000);
    const text = renderPlan(p, NOW).join('\n');
    expect(text).toContain('window 22:00-23:00 Asia/Shanghai opens 2026-06-07 22:00:00 +08:00 (in 2h00m)');
    expect(text).toContain('window 22:00-22:05 Asia/Shanghai never leaves room for its restart');
  });

  it('schedules a wave as a list schedule and never beats the longest restart or the total over slots', () => {
    expect(waveDuration([{ p50: 5, p90: 5 }, { p50: 3, p90: 3 }, { p50: 3, p90: 3 }], 2)).toEqual({ p50Ms: 6, p90Ms: 6, notStarted: 0 });
    expect(waveDuration([{ p50: 5, p90: 5, releaseMs: 10 }, { p50: 3, p90: 3 }], 2)).toEqual({ p50Ms: 15, p90Ms: 15, notStarted: 0 });
    expect(waveDuration([{ p50: 5, p90: 8 }, { p50: 5, p90: 8 }], 1, 10)).toEqual({ p50Ms: 5, p90Ms: 8, notStarted: 1 });
  });
});

describe('plan reading', () => {
  const spec = parseSpec({ name: 'n', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, instance: { expectedRestartSeconds: 60 } });
  const instances = Array.from({ length: 3 }, (_, i) => ({ instanceId: id('cn-hangzhou', i), instanceName: `sr-${i}`, status: 'running', regionId: 'cn-hangzhou', tags: [] }));
  const throttled = (action: string): StarRocksApiError =>
    new StarRocksApiError({ errorClass: 'throttled', action, region: 'cn-hangzhou', outcomeUnknown: false, retryAfterMs: 1, detail: 'Throttling.User' });

  function reader(opts: { listFailures: number; historyFails: (instanceId: string) => boolean }): PlanReader & { calls: string[] } {
    let listFailures = opts.listFailures;
    const calls: string[] = [];
    return {
      calls,
      describeInstance: async () => undefined,
      async describeAllInstances() {
        calls.push('DescribeInstances');
        if (listFailures-- > 0) throw throttled('DescribeInstances');
        return { items: instances, pages: 1 };
      },
      async listRestartHistory(q) {
        calls.push(`ListOperationHistory ${q.instanceId}`);
        if (opts.historyFails(q.instanceId)) throw throttled('ListOperationHistory');
        return { items: [{ operationId: 'op', gmtCreateMs: NOW - 100_000, gmtEndMs: NOW - 40_000, status: 'COMPLETED', durationMs: 60_000 }], reads: 1, complete: true };
      },
    };
  }
  const fast = { initialDelayMs: 0, maxDelayMs: 0, sleep: async () => {} };

  it('retries throttled reads a bounded number of times, and says what it gave up on', async () => {
    const r = reader({ listFailures: 2, historyFails: (i) => i === instances[2]!.instanceId });
    const g = await gatherPlan(spec, { readerFor: () => r, nowMs: NOW, retry: fast, leasesUnavailable: 'Temporal is not reachable' });
    expect(g.fleet.targets).toHaveLength(3);
    expect(r.calls.filter((c) => c === 'DescribeInstances')).toHaveLength(3);
    // The failing history read was tried 4 times (the default bound), then given up.
    expect(r.calls.filter((c) => c === `ListOperationHistory ${instances[2]!.instanceId}`)).toHaveLength(4);
    expect(g.estimates.size).toBe(2);
    expect(g.notes.join('\n')).toContain('Gave up on the restart history of 1 target(s) (1 throttled) after bounded retries; they use instance.expectedRestartSeconds (60s).');
    expect(g.leases).toEqual({ checked: false, note: 'Temporal is not reachable', held: [] });
  });

  it('gives up resolving after the bound with the attempts in the sentence', async () => {
    const r = reader({ listFailures: 99, historyFails: () => false });
    await expect(gatherPlan(spec, { readerFor: () => r, nowMs: NOW, retry: fast })).rejects.toThrow(/Gave up after 4 attempts, all failed \(4 throttled\)/);
  });
});
