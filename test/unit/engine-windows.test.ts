/**
 * Per-instance maintenance windows on a fake clock (issue 10): with window.instanceMaintainablePeriod,
 * no instance is launched outside its own MaintainablePeriod (China regions: UTC+8, checked here
 * with plain arithmetic, independently of the engine's time-zone code), never with less than its
 * expected restart left before the window closes; instances whose window never fits before the
 * rollout's cutoff are not started; the progress shows who waits for a window and when it opens.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

// Property tests run thousands of sequences: on a loaded 2-core machine they need more than the default 5 s.
vi.setConfig({ testTimeout: 120_000 });
import { RolloutEngine, earliestStart, localMinuteOfDay, parsePeriod, windowAt } from '../../src/engine';
import { parseSpec } from '../../src/contracts/spec';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Local minute of day in Asia/Shanghai (UTC+8, no daylight saving time). */
const shanghaiMinute = (utcMs: number): number => (((Math.floor(utcMs / MIN) + 8 * 60) % 1440) + 1440) % 1440;

function inside(period: string, utcMs: number, durationMs: number): boolean {
  const [a, b] = period.split('-').map((x) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3)));
  const start = a!;
  const end = b! === 0 ? 1440 : b!;
  const len = end > start ? end - start : 1440 - start + end;
  const since = (shanghaiMinute(utcMs) - start + 1440) % 1440;
  return since < len && since + durationMs / MIN <= len + 1e-9;
}

interface Target {
  id: string;
  mp: string;
}

/** Runs a rollout on a fake clock: every launch is sent, and seen running `restartMs` later. */
function simulate(targets: Target[], startUtcMs: number, opts: { restartMs: number; notAfterMs?: number; concurrency: number }) {
  const spec = parseSpec({
    name: 'windows',
    targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
    waves: { sizes: ['100%'] },
    concurrency: { global: opts.concurrency },
    window: { instanceMaintainablePeriod: true },
    instance: { expectedRestartSeconds: opts.restartMs / 1000, pollIntervalSeconds: 30, confirmTimeoutSeconds: 7_200 },
    estimates: { fromHistory: false },
  });
  let now = startUtcMs;
  const e = RolloutEngine.start({ rolloutId: 'starwave-rollout-windows', spec, startedAtMs: now, ...(opts.notAfterMs !== undefined ? { notAfterMs: startUtcMs + opts.notAfterMs } : {}) });
  const launches: Array<{ id: string; atMs: number }> = [];
  const running = new Map<string, number>(); // id → when it is seen running
  const apply = (cmds: ReturnType<RolloutEngine['handle']>): void => {
    for (const c of cmds) if (c.type === 'launch') launches.push({ id: c.input.instanceId, atMs: now });
  };
  apply(e.handle({ type: 'tick' }, now));
  apply(e.handle({ type: 'resolved', fleet: { targets: targets.map((t) => ({ region: 'cn-hangzhou', instanceId: t.id, status: 'running', maintainablePeriod: t.mp })), problems: [], reads: 1 } }, now));
  apply(e.handle({ type: 'leased' }, now));
  let awaitingSeen = false;
  for (let step = 0; step < 20_000 && !e.state.finished; step++) {
    for (const id of [...e.state.outstanding.launches]) {
      apply(e.handle({ type: 'launched', instanceId: id, result: { kind: 'sent', sentAtMs: now, adopted: false, attempt: 1, reads: 0 } }, now));
      running.set(id, now + opts.restartMs);
    }
    for (const seq of [...(e.state.outstanding.notifies ?? [])]) apply(e.handle({ type: 'notified', seq, receivers: [] }, now));
    if (e.state.outstanding.release) apply(e.handle({ type: 'released' }, now));
    if (e.state.regions['cn-hangzhou']?.watching) {
      const done = [...running].filter(([, at]) => at <= now).map(([id]) => id);
      for (const id of done) running.delete(id);
      apply(
        e.handle(
          {
            type: 'watched',
            region: 'cn-hangzhou',
            result: { atMs: now, lastPollAtMs: now, observations: done.map((id) => ({ instanceId: id, status: 'running', ended: 'running' as const, seenRestarting: true })), notRunning: [], reads: 1, failedPolls: 0 },
          },
          now,
        ),
      );
    }
    if ((e.progress('summary').awaitingWindow?.length ?? 0) > 0) awaitingSeen = true;
    // The clock moves to the engine's next deadline or the next restart end, whichever comes first (≥ 30 s: one poll).
    const next = Math.min(e.nextWakeAtMs() ?? Number.POSITIVE_INFINITY, ...[...running.values()]);
    now = Number.isFinite(next) ? Math.max(now + 30_000, next) : now + 30_000;
    apply(e.handle({ type: 'tick' }, now));
  }
  return { e, launches, awaitingSeen };
}

const PERIODS = ['00:00-06:00', '02:00-03:00', '22:00-01:00', '13:00-14:00', '23:00-00:00', '05:00-06:00'];

describe('per-instance maintenance windows', () => {
  it('launches every instance only inside its own window, with its expected restart to spare', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...PERIODS), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 48 * 60 }),
        fc.constantFrom(10, 30, 55),
        fc.integer({ min: 1, max: 4 }),
        (periods, startMinute, restartMin, concurrency) => {
          const targets = periods.map((mp, i) => ({ id: `c-${i.toString(16).padStart(16, '0')}`, mp }));
          const start = Date.UTC(2026, 11, 1) + startMinute * MIN;
          const { e, launches } = simulate(targets, start, { restartMs: restartMin * MIN, concurrency });
          expect(e.state.finished).toBe(true);
          for (const l of launches) {
            const mp = targets.find((t) => t.id === l.id)!.mp;
            expect(inside(mp, l.atMs, restartMin * MIN), `${l.id} (${mp}) launched at ${new Date(l.atMs).toISOString()} for ${restartMin} min`).toBe(true);
          }
          // Without a cutoff every instance gets its turn (each window here is at least an hour long).
          expect(e.report().counts.restarted).toBe(targets.length);
        },
      ),
      { numRuns: 200, seed: 1201 },
    );
  });

  it('an instance whose window never fits before the rollout’s cutoff is not started (window); the progress shows who waits and when their window opens', () => {
    const targets = [
      { id: 'c-0000000000000001', mp: '02:00-03:00' },
      { id: 'c-0000000000000002', mp: '13:00-14:00' },
    ];
    // 01:30 Shanghai: the first window opens in 30 min; the second not before the 6 h cutoff.
    const start = Date.UTC(2026, 11, 1, 17, 30);
    const { e, launches, awaitingSeen } = simulate(targets, start, { restartMs: 20 * MIN, concurrency: 2, notAfterMs: 6 * HOUR });
    expect(awaitingSeen).toBe(true);
    expect(launches.map((l) => l.id)).toEqual(['c-0000000000000001']);
    expect(shanghaiMinute(launches[0]!.atMs)).toBe(120);
    const report = e.report();
    expect(report.phase).toBe('stopped_window');
    expect(report.instances.find((r) => r.instanceId === 'c-0000000000000002')).toMatchObject({ outcome: 'not_started', notStartedReason: 'window' });
  });
});

describe('window arithmetic', () => {
  it('parses periods, including ones that cross midnight and end at 24:00', () => {
    expect(parsePeriod('02:00-03:00')).toEqual({ startMin: 120, endMin: 180 });
    expect(parsePeriod('22:00-01:00')).toEqual({ startMin: 1320, endMin: 60 });
    expect(parsePeriod('23:00-24:00')).toEqual({ startMin: 1380, endMin: 1440 });
    expect(parsePeriod('2:00-3:00')).toBeUndefined();
    expect(parsePeriod('')).toBeUndefined();
  });

  it('knows the window open now or the next one, across midnight', () => {
    const p = parsePeriod('22:00-01:00')!;
    const at = Date.UTC(2026, 11, 1, 15, 30); // 23:30 in Shanghai
    const w = windowAt(p, at, 'Asia/Shanghai');
    expect(w.opensAtMs).toBe(Date.UTC(2026, 11, 1, 14, 0));
    expect(w.closesAtMs).toBe(Date.UTC(2026, 11, 1, 17, 0));
    expect(earliestStart(p, at, 2 * HOUR, 'Asia/Shanghai')).toBe(Date.UTC(2026, 11, 2, 14, 0)); // 1.5 h left today: tomorrow
  });

  it('follows daylight saving time in us-east-1 (America/New_York)', () => {
    // 2026-03-08 02:00 local: clocks jump to 03:00. 04:00 local is 08:00 UTC after the change (09:00 before).
    expect(localMinuteOfDay(Date.UTC(2026, 2, 7, 9, 0), 'America/New_York')).toBe(4 * 60);
    expect(localMinuteOfDay(Date.UTC(2026, 2, 9, 8, 0), 'America/New_York')).toBe(4 * 60);
  });
});
