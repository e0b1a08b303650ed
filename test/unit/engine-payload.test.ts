/**
 * Payloads stay bounded at 10,000 targets in every ending (completed, budget stop, window stop,
 * cancel): the state continue-as-new carries stays under Temporal's 512 KB payload warning and the
 * final report far below its 2 MB limit, on targets shaped like a real fleet's (16-hex ids, names of
 * ~30 characters, every one with its MaintainablePeriod, 2,000 with estimates), and the encoding
 * of the state is lossless.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

// Property tests run thousands of sequences: on a loaded 2-core machine they need more than the default 5 s.
vi.setConfig({ testTimeout: 120_000 });
import { RolloutEngine, decodeCarried, decodeFleet, encodeCarried, encodeFleet, packState, unpackState, type EngineState } from '../../src/engine';
import type { ResolvedFleet } from '../../src/contracts/fleet';
import { parseSpec } from '../../src/contracts/spec';

const LIMIT = 2 * 1024 * 1024;
/** The SDK warns (TMPRL1103) above this payload size. */
const WARNING = 512 * 1024;
const N = 10_000;
const WORDS = ['orders', 'analytics', 'billing', 'events', 'risk', 'search', 'ads', 'logs'];
/** 16 hex digits that look random (a 64-bit mix of i), like real instance ids. */
const hex = (i: number, salt: number): string => {
  let h = BigInt(i * 2 + salt) * 0x9e3779b97f4a7c15n;
  h ^= h >> 29n;
  h = (h * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0').slice(-16);
};

/** What resolving a real-looking fleet of N returns. */
function realFleet(): ResolvedFleet {
  const targets = Array.from({ length: N }, (_, i) => ({
    region: i % 2 ? 'cn-shanghai' : 'cn-hangzhou',
    instanceId: `c-${hex(i, 0)}`,
    instanceName: `prod-${WORDS[i % WORDS.length]}-starrocks-${hex(i, 1).slice(0, 6)}-${i}`,
    status: 'running',
    maintainablePeriod: `${String(i % 23).padStart(2, '0')}:00-${String((i % 23) + 1).padStart(2, '0')}:00`,
    ...(i < 2_000 ? { estimateMs: 60_000 + i * 7, estimateP90Ms: 90_000 + i * 11 } : {}),
  }));
  return { targets, problems: [], reads: 100 };
}

function engineOf(spec: object, notAfterMs?: number): RolloutEngine {
  const e = RolloutEngine.start({
    rolloutId: 'starwave-rollout-big',
    spec: parseSpec({ name: 'big', targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, estimates: { fromHistory: false }, ...spec }),
    startedAtMs: 1_000_000,
    ...(notAfterMs !== undefined ? { notAfterMs } : {}),
  });
  let now = 1_000_000;
  e.handle({ type: 'tick' }, now);
  e.handle({ type: 'resolved', fleet: realFleet() }, now);
  e.handle({ type: 'leased' }, now);
  return Object.assign(e, { now: () => (now += 1) });
}

/** Drives launches and observations: every launched target is sent, then confirmed running. */
function drive(e: RolloutEngine, rounds: number, failEvery = 0): void {
  let now = 1_000_000;
  for (let r = 0; r < rounds && !e.state.finished; r++) {
    now += 1_000;
    if (e.state.outstanding.release) e.handle({ type: 'released' }, now);
    for (const seq of [...(e.state.outstanding.notifies ?? [])]) e.handle({ type: 'notified', seq, receivers: [] }, now);
    const launches = e.state.outstanding.launches.slice();
    for (const id of launches) e.handle({ type: 'launched', instanceId: id, result: { kind: 'sent', sentAtMs: now, requestId: `REQ-${id}`, adopted: false, attempt: 1, reads: 0 } }, now);
    for (const region of ['cn-hangzhou', 'cn-shanghai']) {
      const watching = e.state.regions[region]?.watching;
      if (!watching) continue;
      const observations = e.state.targets
        .filter((t) => t.region === region && t.s === 'restarting')
        .map((t, k) => (failEvery && k % failEvery === 0 ? { instanceId: t.id, status: 'creating_failed', ended: 'failed' as const } : { instanceId: t.id, status: 'running', ended: 'running' as const, seenRestarting: true }));
      e.handle({ type: 'watched', region, result: { atMs: now, lastPollAtMs: now, observations, notRunning: [], reads: 1, failedPolls: 0 } }, now);
    }
  }
}

/** `packed`: the bytes continue-as-new carries; `json`: the packed state as JSON, before deflate. */
function sizes(e: RolloutEngine): { packed: number; json: number; report?: number } {
  const state = JSON.parse(JSON.stringify(e.state)) as EngineState;
  return { packed: encodeCarried(state).length, json: JSON.stringify(packState(state)).length, ...(e.state.finished ? { report: JSON.stringify(e.report()).length } : {}) };
}

describe('the resolve answer at 10,000 targets', () => {
  it('is deflated far under the payload warning where the plain JSON is close to the 2 MB limit, and loses nothing', () => {
    const fleet = realFleet();
    const plain = Buffer.byteLength(JSON.stringify(fleet));
    const bytes = encodeFleet(fleet);
    expect(plain).toBeGreaterThan(LIMIT * 0.75); // why it is deflated: longer names would not fit at all
    expect(bytes.byteLength).toBeLessThan(WARNING);
    expect(decodeFleet(bytes)).toEqual(fleet);
    // What workers before the patch answered, and recorded histories hold, is read as it is.
    expect(decodeFleet(fleet)).toBe(fleet);
  });
});

describe('payloads at 10,000 targets', () => {
  it('completed: the carried state and the report fit', () => {
    const e = engineOf({ waves: { sizes: ['100%'] }, concurrency: { global: 500 } });
    drive(e, 10);
    const mid = sizes(e);
    drive(e, 100);
    expect(e.state.final?.phase).toBe('completed');
    const end = sizes(e);
    process.stdout.write(
      `[payload] completed: carried state mid-run ${(mid.packed / 1024).toFixed(0)} KiB (JSON ${(mid.json / 1024).toFixed(0)} KiB), ` +
        `at the end ${(end.packed / 1024).toFixed(0)} KiB (JSON ${(end.json / 1024).toFixed(0)} KiB), report ${((end.report ?? 0) / 1024).toFixed(0)} KiB\n`,
    );
    expect(mid.packed).toBeLessThan(WARNING);
    expect(end.packed).toBeLessThan(WARNING);
    expect(end.report!).toBeLessThan(LIMIT / 2);
  });

  it('budget stop, window stop and an early cancel: the carried state and the report fit', () => {
    const budget = engineOf({ waves: { sizes: ['100%'] }, concurrency: { global: 500 }, failureBudget: { total: 10 } });
    drive(budget, 40, 3);
    expect(budget.state.final?.phase).toBe('stopped_budget');
    // The window closes 5 minutes in; restarts are expected to take 10 minutes, then 1 s once measured.
    const window = engineOf({ waves: { sizes: ['100%'] }, concurrency: { global: 500 }, instance: { expectedRestartSeconds: 1 } }, 1_000_000 + 3_000);
    drive(window, 40);
    expect(window.state.final?.phase).toBe('stopped_window');
    const cancel = engineOf({ waves: { sizes: ['100%'] }, concurrency: { global: 500 } });
    drive(cancel, 1);
    cancel.handle({ type: 'cancel', reason: 'early', by: 'test' }, 1_002_000);
    drive(cancel, 20);
    expect(cancel.state.final?.phase).toBe('cancelled');
    for (const [name, e] of Object.entries({ budget, window, cancel })) {
      const s = sizes(e);
      process.stdout.write(`[payload] ${name}: carried state ${(s.packed / 1024).toFixed(0)} KiB (JSON ${(s.json / 1024).toFixed(0)} KiB), report ${((s.report ?? 0) / 1024).toFixed(0)} KiB\n`);
      expect(s.packed).toBeLessThan(WARNING);
      expect(s.report!).toBeLessThan(LIMIT / 2);
    }
  });

  it('the compact encoding is lossless', () => {
    const e = engineOf({ waves: { sizes: [5, '100%'] }, concurrency: { global: 7 }, failureBudget: { total: 3 } });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 5 }), (rounds, failEvery) => {
        const copy = new RolloutEngine(unpackState(packState(JSON.parse(JSON.stringify(e.state)) as EngineState)));
        drive(copy, rounds, failEvery);
        const plain = JSON.parse(JSON.stringify(copy.state)) as EngineState;
        expect(unpackState(JSON.parse(JSON.stringify(packState(copy.state))))).toEqual(plain);
        // What continue-as-new carries (bytes), and the packed object and raw state older runs carried.
        expect(decodeCarried(encodeCarried(copy.state))).toEqual(plain);
        expect(decodeCarried(JSON.parse(JSON.stringify(packState(copy.state))))).toEqual(plain);
        expect(decodeCarried(plain)).toEqual(plain);
      }),
      { numRuns: 50, seed: 3 },
    );
  });
});
