/**
 * The progress ETA is a list schedule of what is left over the wave's limits: the global limit and each
 * region's own (a single-region wave with perRegion 2 runs two at a time whatever the global limit says).
 */
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/contracts/spec';
import { Harness } from '../support/engine-harness';

const MIN = 60_000;

function etaAtFirstWave(fleet: Array<{ id: string; region: string }>, concurrency: { global: number; perRegion?: number }, mode: 'sequential' | 'parallel'): number | undefined {
  const regions = [...new Set(fleet.map((f) => f.region))];
  const spec = parseSpec({
    name: 'eta',
    targets: { selectors: [{ regions }] },
    regions: { mode },
    waves: { sizes: ['100%'] },
    concurrency,
    estimates: { fromHistory: false },
    instance: { expectedRestartSeconds: 60 },
  });
  const h = new Harness(spec, fleet);
  h.answerResolve();
  if (h.leasePending) h.answerLease(true);
  while (h.notifies.length) h.answerNotify(true);
  expect(h.engine.state.wave).toBe(1);
  return h.engine.progress('summary').eta?.p50Ms;
}

const instances = (region: string, n: number): Array<{ id: string; region: string }> => Array.from({ length: n }, (_, i) => ({ id: `c-${region}-${i}`, region }));

describe('progress ETA', () => {
  it('a single-region wave runs at its per-region limit, not the global one', () => {
    // 8 restarts of 60 s, 2 at a time: 4 rounds. The global limit alone (4) would say 2 rounds.
    expect(etaAtFirstWave(instances('cn-hangzhou', 8), { global: 4, perRegion: 2 }, 'sequential')).toBe(4 * MIN);
    expect(etaAtFirstWave(instances('cn-hangzhou', 8), { global: 4 }, 'sequential')).toBe(2 * MIN);
  });

  it('a wave over regions takes as long as the slowest of the global and the per-region schedules', () => {
    const fleet = [...instances('cn-hangzhou', 6), ...instances('cn-shanghai', 2)];
    // Global 4: 8 restarts in 2 rounds; cn-hangzhou at 3 at a time also 2 rounds.
    expect(etaAtFirstWave(fleet, { global: 4, perRegion: 3 }, 'parallel')).toBe(2 * MIN);
    // cn-hangzhou at 2 at a time: 3 rounds, longer than the global schedule.
    expect(etaAtFirstWave(fleet, { global: 4, perRegion: 2 }, 'parallel')).toBe(3 * MIN);
  });
});

describe('progress waves', () => {
  it('give per-region counts for a wave over several regions, and only then', () => {
    const fleet = [...instances('cn-hangzhou', 3), ...instances('cn-shanghai', 2)];
    const spec = parseSpec({ name: 'by-region', targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, regions: { mode: 'parallel' }, waves: { sizes: ['100%'] }, estimates: { fromHistory: false } });
    const h = new Harness(spec, fleet);
    h.settle();
    const [wave] = h.engine.progress('summary').waves;
    expect(wave!.byRegion).toEqual({ 'cn-hangzhou': { size: 3, restarted: 3, failed: 0, done: 3 }, 'cn-shanghai': { size: 2, restarted: 2, failed: 0, done: 2 } });
    const single = new Harness(parseSpec({ name: 'one-region', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, estimates: { fromHistory: false } }), instances('cn-hangzhou', 2));
    single.settle();
    expect(single.engine.progress('summary').waves.every((w) => w.byRegion === undefined)).toBe(true);
  });
});
