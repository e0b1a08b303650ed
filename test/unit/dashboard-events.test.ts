/**
 * The live views behind GET /v1/rollouts/{id}/events, on a hand-driven timer (no sleeping): one read per
 * interval per rollout however many watch it, a view pushed only when it changed, the detail picked by size,
 * slower polls for big views and failing reads (each failure told once), the end of a closed run, and no
 * poller left once nobody watches.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../src/client';
import { StarwaveError } from '../../src/contracts/errors';
import { createRolloutEvents, frame, type ViewMessage } from '../../src/api/dashboard/events';
import { syntheticProgress } from './dashboard-fixtures';

interface Timer {
  fn: () => void;
  ms: number;
  cancelled: boolean;
}

function harness(initial: { targets?: number; perRegion?: number } = {}) {
  const timers: Timer[] = [];
  const reads: Array<{ id: string; detail: string }> = [];
  let done = 1;
  let execution: RolloutStatus['executionStatus'] = 'RUNNING';
  let failure: StarwaveError | undefined;
  const perRegion = initial.perRegion ?? 10;
  const events = createRolloutEvents({
    pollMs: 1_000,
    maxPollMs: 10_000,
    now: () => 5,
    setTimer: (fn, ms) => {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
    read: async (id, detail) => {
      reads.push({ id, detail });
      if (failure) throw failure;
      const progress = syntheticProgress({ regions: ['cn-hangzhou'], perRegion, waves: 2, done, inFlight: 1, listed: detail === 'all' ? 'all' : 'problems' });
      return { workflowId: id, runId: 'r1', executionStatus: execution, progress };
    },
  });
  const pending = (): Timer[] => timers.filter((t) => !t.cancelled);
  /** Fires the next timer and lets its read finish. */
  const fire = async (): Promise<Timer> => {
    const t = pending()[0];
    if (!t) throw new Error('no timer is pending');
    t.cancelled = true;
    t.fn();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    return t;
  };
  return {
    events,
    reads,
    pending,
    fire,
    set: (o: { done?: number; execution?: RolloutStatus['executionStatus']; failure?: StarwaveError | undefined }) => {
      if (o.done !== undefined) done = o.done;
      if (o.execution) execution = o.execution;
      if ('failure' in o) failure = o.failure;
    },
  };
}

const kinds = (messages: ViewMessage[]): string[] => messages.map((m) => (m.event === 'view' ? `view#${m.id}` : m.event));

describe('live views', () => {
  it('reads once per interval for every watcher and pushes a view only when it changed', async () => {
    const h = harness();
    const a: ViewMessage[] = [];
    const b: ViewMessage[] = [];
    const offA = h.events.subscribe('starwave-rollout-a', (m) => a.push(m));
    const offB = h.events.subscribe('starwave-rollout-a', (m) => b.push(m));
    expect(h.pending().map((t) => t.ms)).toEqual([0]);
    await h.fire();
    // First read learns the size (summary), then reads with the detail it allows.
    expect(h.reads.map((r) => r.detail)).toEqual(['summary', 'all']);
    expect(kinds(a)).toEqual(['view#1']);
    expect(kinds(b)).toEqual(['view#1']);
    expect(h.pending().map((t) => t.ms)).toEqual([1_000]);
    await h.fire();
    expect(h.reads.map((r) => r.detail)).toEqual(['summary', 'all', 'all']);
    expect(kinds(a)).toEqual(['view#1']); // unchanged: nothing pushed
    h.set({ done: 3 });
    await h.fire();
    expect(kinds(a)).toEqual(['view#1', 'view#2']);
    expect(kinds(b)).toEqual(['view#1', 'view#2']);
    if (a[1]!.event === 'view') expect(a[1]!.view.progress?.counts.restarted).toBe(3);
    // A late watcher gets the current view at once.
    const c: ViewMessage[] = [];
    const offC = h.events.subscribe('starwave-rollout-a', (m) => c.push(m));
    expect(kinds(c)).toEqual(['view#2']);
    offA();
    offB();
    offC();
    expect(h.events.watched()).toEqual([]);
    expect(h.pending()).toEqual([]);
  });

  it('reads big rollouts with the problems detail, and less often', async () => {
    const h = harness({ perRegion: 6_000 });
    const got: ViewMessage[] = [];
    const off = h.events.subscribe('starwave-rollout-big', (m) => got.push(m));
    await h.fire();
    expect(h.reads.map((r) => r.detail)).toEqual(['summary', 'problems']);
    expect(kinds(got)).toEqual(['view#1']);
    if (got[0]!.event === 'view') expect(got[0]!.view.grid.listed).toBe('problems');
    off();

    // A read answering 2,000 finished instances (detail all: about half a MiB) waits longer than one interval.
    const all = harness({ perRegion: 2_000 });
    const off2 = all.events.subscribe('starwave-rollout-all', () => {});
    all.set({ done: 2_000 });
    await all.fire();
    const delay = all.pending()[0]!.ms;
    expect(delay).toBeGreaterThan(1_000);
    expect(delay).toBeLessThanOrEqual(10_000);
    off2();
  });

  it('tells each distinct failure once, backs off, and recovers', async () => {
    const h = harness();
    const got: ViewMessage[] = [];
    const off = h.events.subscribe('starwave-rollout-f', (m) => got.push(m));
    await h.fire();
    h.set({ failure: new StarwaveError('ERR_NO_WORKER', 'No starwave worker is polling task queue "q".') });
    await h.fire();
    expect(h.pending()[0]!.ms).toBe(2_000);
    await h.fire();
    expect(h.pending()[0]!.ms).toBe(4_000);
    await h.fire();
    expect(h.pending()[0]!.ms).toBe(8_000);
    await h.fire();
    expect(h.pending()[0]!.ms).toBe(10_000);
    expect(got.filter((m) => m.event === 'problem')).toEqual([{ event: 'problem', error: 'No starwave worker is polling task queue "q".', code: 'ERR_NO_WORKER' }]);
    h.set({ failure: undefined, done: 4 });
    await h.fire();
    expect(kinds(got)).toEqual(['view#1', 'problem', 'view#2']);
    expect(h.pending()[0]!.ms).toBe(1_000);
    off();
  });

  it('ends the streams of a closed run after its last view and stops polling', async () => {
    const h = harness();
    const got: ViewMessage[] = [];
    h.events.subscribe('starwave-rollout-e', (m) => got.push(m));
    await h.fire();
    h.set({ execution: 'COMPLETED', done: 20 });
    await h.fire();
    expect(kinds(got)).toEqual(['view#1', 'view#2', 'end']);
    if (got[1]!.event === 'view') expect(got[1]!.view.final).toBe(true);
    expect(h.pending()).toEqual([]);
    expect(h.events.watched()).toEqual([]);
  });

  it('serves a snapshot from the poller when it has one, else reads', async () => {
    const h = harness();
    const first = await h.events.snapshot('starwave-rollout-s');
    expect(h.reads.length).toBe(2);
    const off = h.events.subscribe('starwave-rollout-s', () => {}, first);
    // Seeded with the snapshot: the first poll waits an interval instead of reading again at once.
    expect(h.pending().map((t) => t.ms)).toEqual([1_000]);
    expect(await h.events.snapshot('starwave-rollout-s')).toBe(first);
    expect(h.reads.length).toBe(2);
    off();
  });

  it('frames messages as server-sent events, one data line of JSON', async () => {
    const h = harness();
    const view = await h.events.snapshot('starwave-rollout-x');
    const text = frame({ event: 'view', id: 3, view });
    expect(text.startsWith('id: 3\nevent: view\ndata: {')).toBe(true);
    expect(text.endsWith('}\n\n')).toBe(true);
    expect(text.split('\n').length).toBe(5);
    expect(frame({ event: 'problem', error: 'x', code: 'ERR_TIMEOUT' })).toBe('event: problem\ndata: {"error":"x","code":"ERR_TIMEOUT"}\n\n');
    expect(frame({ event: 'end' })).toBe('event: end\ndata: {}\n\n');
  });
});
