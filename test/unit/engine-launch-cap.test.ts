/**
 * The engine keeps at most `launchCap` launches outstanding (one launch activity each): the targets beyond it
 * stay queued — not launching, not down — so a cancel still stops them, and each answer lets one more go.
 */
import { describe, expect, it } from 'vitest';
import { MAX_LAUNCHES_IN_FLIGHT, RolloutEngine, type EngineCommand } from '../../src/engine';
import { parseSpec } from '../../src/contracts/spec';

const REGION = 'cn-hangzhou';

function started(cap: number, n: number): { e: RolloutEngine; now: () => number; launches: (cmds: EngineCommand[]) => string[] } {
  const e = RolloutEngine.start({
    rolloutId: 'starwave-rollout-cap',
    spec: parseSpec({ name: 'cap', targets: { selectors: [{ regions: [REGION] }] }, estimates: { fromHistory: false }, waves: { sizes: ['100%'] }, concurrency: { global: n } }),
    startedAtMs: 1_000_000,
  });
  e.launchCap = cap;
  let t = 1_000_000;
  const now = (): number => (t += 100);
  e.handle({ type: 'tick' }, now());
  const targets = Array.from({ length: n }, (_, i) => ({ region: REGION, instanceId: `c-${String(i).padStart(16, '0')}`, status: 'running' }));
  e.handle({ type: 'resolved', fleet: { targets, problems: [], reads: 1 } }, now());
  e.handle({ type: 'leased' }, now());
  const launches = (cmds: EngineCommand[]): string[] => cmds.flatMap((c) => (c.type === 'launch' ? [c.input.instanceId] : []));
  return { e, now, launches };
}

describe('launches outstanding at once', () => {
  it('never more than the cap; each answer lets the next one go; a cancel stops the ones still queued', () => {
    const cap = 3;
    const { e, now, launches } = started(cap, 10);
    const at = now();
    const first = launches(e.handle({ type: 'watched', region: REGION, result: { atMs: at, lastPollAtMs: at, observations: [], notRunning: [], reads: 1, failedPolls: 0 } }, at));
    expect(first).toHaveLength(cap);
    expect(e.state.outstanding.launches).toHaveLength(cap);
    expect(e.state.targets.filter((t) => t.s === 'launching')).toHaveLength(cap);
    expect(e.state.targets.filter((t) => t.s === 'queued')).toHaveLength(10 - cap);

    const answer = (id: string): string[] => {
      const t = now();
      return launches(e.handle({ type: 'launched', instanceId: id, result: { kind: 'sent', sentAtMs: t, requestId: `R-${id}`, adopted: false, attempt: 1, reads: 0 } }, t));
    };
    const next = answer(first[0]!);
    expect(next).toHaveLength(1);
    expect(e.state.outstanding.launches.length).toBeLessThanOrEqual(cap);

    e.handle({ type: 'cancel', reason: 'test', by: 'test' }, now());
    const after = [...first.slice(1), ...next].flatMap((id) => answer(id));
    expect(after).toEqual([]);
    const sent = new Set([...first, ...next]);
    expect(e.state.targets.filter((t) => !sent.has(t.id)).every((t) => t.s === 'not_started' && t.notStarted === 'cancelled')).toBe(true);
  });

  it('is 32 for new runs, and unbounded for an engine the workflow did not bound (histories from before)', () => {
    expect(MAX_LAUNCHES_IN_FLIGHT).toBe(32);
    const { e, now } = started(Number.POSITIVE_INFINITY, 50);
    const at = now();
    e.handle({ type: 'watched', region: REGION, result: { atMs: at, lastPollAtMs: at, observations: [], notRunning: [], reads: 1, failedPolls: 0 } }, at);
    expect(e.state.outstanding.launches).toHaveLength(50);
  });
});
