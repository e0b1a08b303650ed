import { describe, expect, it } from 'vitest';
import { planRollout, waveLowerBoundMs, waveSizes, type ResolvedFleet } from '../../src/planning/planner';
import { parseSpec, resolveBudget, resolveSize, validateSpec, type RolloutSpecInput } from '../../src/contracts/spec';

const id = (n: number): string => `c-${n.toString(16).padStart(16, '0')}`;
const fleetOf = (counts: Record<string, number>): ResolvedFleet => {
  let n = 0;
  const targets = Object.entries(counts).flatMap(([region, count]) => Array.from({ length: count }, () => ({ region, instanceId: id(++n) })));
  return { targets, problems: [], reads: 0 };
};
const spec = (over: Partial<RolloutSpecInput> = {}) => parseSpec({ name: 'p', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, ...over });

describe('wave sizes', () => {
  it('applies each size once, repeats the last, clips to what remains, never an empty wave', () => {
    expect(waveSizes([1, '10%', '50%', '100%'], 100)).toEqual([1, 10, 50, 39]);
    expect(waveSizes([1, 5], 17)).toEqual([1, 5, 5, 5, 1]);
    expect(waveSizes(['1%'], 3)).toEqual([1, 1, 1]);
    expect(waveSizes([10], 0)).toEqual([]);
  });
  it('rounds percentages of sizes up and of budgets down', () => {
    expect(resolveSize('10%', 15, { atLeastOne: true })).toBe(2);
    expect(resolveSize('0.5%', 10, { atLeastOne: true })).toBe(1);
    expect(resolveBudget('5%', 30)).toBe(1);
    expect(resolveBudget('10%', 30)).toBe(3);
    expect(resolveBudget(2, 30)).toBe(2);
  });
});

describe('planRollout', () => {
  it('sequential mode: regions in the given order, each with its own waves', () => {
    const plan = planRollout(spec({ regions: { order: ['cn-shanghai'], mode: 'sequential' }, waves: { sizes: [1, '100%'] } }), fleetOf({ 'cn-hangzhou': 3, 'cn-shanghai': 2 }));
    expect(plan.regions).toEqual(['cn-shanghai', 'cn-hangzhou']);
    expect(plan.waves.map((w) => [w.targets.length, [...new Set(w.targets.map((t) => t.region))]])).toEqual([
      [1, ['cn-shanghai']],
      [1, ['cn-shanghai']],
      [1, ['cn-hangzhou']],
      [2, ['cn-hangzhou']],
    ]);
  });
  it('parallel mode: every wave spans all regions, with per-region and global limits', () => {
    const plan = planRollout(
      spec({ regions: { mode: 'parallel' }, waves: { sizes: [1, '100%'] }, concurrency: { global: '50%', perRegion: 2 } }),
      fleetOf({ 'cn-hangzhou': 5, 'cn-beijing': 3 }),
    );
    expect(plan.waves).toHaveLength(2);
    expect(plan.waves[1]!.targets).toHaveLength(6);
    expect(plan.waves[1]!.concurrency).toBe(3);
    expect(plan.waves[1]!.regionConcurrency).toEqual({ 'cn-beijing': 2, 'cn-hangzhou': 2 });
  });
  it('reports duplicates and exclusions instead of dropping them silently', () => {
    const f = fleetOf({ 'cn-hangzhou': 3 });
    f.targets.push({ ...f.targets[0]! });
    const plan = planRollout(spec({ targets: { selectors: [{ regions: ['cn-hangzhou'] }], exclude: [id(2)] } }), f);
    expect(plan.targetCount).toBe(2);
    expect(plan.problems.map((p) => [p.kind, p.instanceId])).toEqual([
      ['excluded', id(2)],
      ['duplicate', id(1)],
    ]);
  });
  it('resolves budgets and marks approval gates', () => {
    const plan = planRollout(spec({ failureBudget: { total: '10%', perWave: 1 }, waves: { sizes: [2], approvalBefore: [2] } }), fleetOf({ 'cn-hangzhou': 20 }));
    expect(plan.failureBudget).toBe(2);
    expect(plan.waves.map((w) => w.approvalRequired).slice(0, 3)).toEqual([false, true, false]);
    expect(plan.waves[0]!.failureBudget).toBe(1);
  });
  it('is deterministic', () => {
    const s = spec({ regions: { mode: 'parallel' } });
    expect(planRollout(s, fleetOf({ a: 0, 'cn-hangzhou': 7, 'cn-beijing': 4 }))).toEqual(planRollout(s, fleetOf({ a: 0, 'cn-hangzhou': 7, 'cn-beijing': 4 })));
  });
  it('computes the wave lower bound max(max D, ΣD/C)', () => {
    expect(waveLowerBoundMs([10, 10, 10, 10], 2)).toBe(20);
    expect(waveLowerBoundMs([50, 1, 1], 3)).toBe(50);
    expect(waveLowerBoundMs([], 3)).toBe(0);
  });
});

describe('spec validation', () => {
  it('lists every problem with its path, and starts from sane defaults', () => {
    const result = validateSpec({
      name: 'Bad Name',
      targets: { instances: [{ region: 'hangzhou', instanceId: 'i-123' }] },
      waves: { sizes: [0, '120%'] },
      concurrency: { global: -1 },
      instance: { notRunning: 'ignore' },
      extra: true,
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['name', 'targets.instances.0.region', 'targets.instances.0.instanceId', 'waves.sizes.0', 'waves.sizes.1', 'concurrency.global', 'instance.notRunning']),
    );
    expect(result.ok ? undefined : result.problems.find((p) => p.path === 'extra')?.message).toMatch(/unknown field "extra"; check its spelling/);
    const missing = validateSpec({ targets: { selectors: [{ regions: ['cn-hangzhou'] }] } });
    expect(missing.ok ? [] : missing.problems).toEqual([{ path: 'name', message: 'is required (a string)' }]);
    const ok = parseSpec({ name: 'ok', targets: { selectors: [{ regions: ['cn-hangzhou'] }] } });
    expect(ok.waves.sizes).toEqual([1, '10%', '50%', '100%']);
    expect(ok.failureBudget.total).toBe(0);
    expect(ok.instance.notRunning).toBe('wait');
  });
  it('needs at least one target and a poll interval shorter than the confirm timeout', () => {
    const r1 = validateSpec({ name: 'x', targets: {} });
    expect(r1.ok ? '' : r1.problems[0]!.message).toMatch(/at least one instance/);
    const r2 = validateSpec({ name: 'x', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, instance: { pollIntervalSeconds: 60, confirmTimeoutSeconds: 30 } });
    expect(r2.ok ? '' : r2.problems[0]!.path).toBe('instance.pollIntervalSeconds');
  });
});
