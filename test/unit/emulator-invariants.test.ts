import { describe, expect, it } from 'vitest';
import {
  downIntervals,
  maxConcurrentRestarting,
  multipleRestarts,
  restartCountsByInstance,
  restartsAfterForeignSettled,
  restartsDuringForeign,
  wavesRespected,
} from '../../src/emulator/invariants';
import type { RestartRecord, TransitionCause, TransitionRecord } from '../../src/emulator/types';

// Hand-made records: seq is the only ordering the helpers rely on.
function restart(seq: number, instanceId: string, region = 'cn-hangzhou'): RestartRecord {
  return {
    seq,
    atMs: 1_000 + seq,
    tMs: seq,
    region,
    instanceId,
    action: 'RestartInstance',
    fastMode: false,
    requestId: `rid-${seq}`,
    operationId: `op-${seq}`,
    plannedDurationMs: 10,
    outcome: 'pending',
  };
}
function transition(seq: number, instanceId: string, from: string, to: string, cause: TransitionCause, region = 'cn-hangzhou'): TransitionRecord {
  return { seq, atMs: 1_000 + seq, tMs: seq, region, instanceId, from, to, cause };
}
const down = (seq: number, id: string, region?: string) => transition(seq, id, 'running', 'restarting', 'restart', region);
const up = (seq: number, id: string, region?: string) => transition(seq, id, 'restarting', 'running', 'restart-complete', region);
const failed = (seq: number, id: string) => transition(seq, id, 'restarting', 'creating_failed', 'restart-failed');

describe('maxConcurrentRestarting', () => {
  it('is 0 for an empty record', () => {
    expect(maxConcurrentRestarting({ restarts: [], transitions: [] })).toBe(0);
  });

  it('counts overlapping restarts and not sequential ones', () => {
    // a and b overlap; c starts after both ended.
    const record = {
      restarts: [restart(1, 'a'), restart(3, 'b'), restart(7, 'c')],
      transitions: [down(2, 'a'), down(4, 'b'), up(5, 'a'), up(6, 'b'), down(8, 'c'), up(9, 'c')],
    };
    expect(maxConcurrentRestarting(record)).toBe(2);
  });

  it('counts an accepted restart as down before the status flips (stale running)', () => {
    // b's restart took effect (seq 3) while a was still restarting; b's flip came later.
    const record = {
      restarts: [restart(1, 'a'), restart(3, 'b')],
      transitions: [down(2, 'a'), up(5, 'a'), down(6, 'b'), up(7, 'b')],
    };
    expect(maxConcurrentRestarting(record)).toBe(2);
  });

  it('filters by region', () => {
    const record = {
      restarts: [restart(1, 'a', 'cn-hangzhou'), restart(2, 'b', 'cn-shanghai')],
      transitions: [down(3, 'a', 'cn-hangzhou'), down(4, 'b', 'cn-shanghai')],
    };
    expect(maxConcurrentRestarting(record)).toBe(2);
    expect(maxConcurrentRestarting(record, { region: 'cn-shanghai' })).toBe(1);
  });

  it('ends a failed restart unless includeFailed', () => {
    const record = {
      restarts: [restart(1, 'a'), restart(4, 'b')],
      transitions: [down(2, 'a'), failed(3, 'a'), down(5, 'b')],
    };
    expect(maxConcurrentRestarting(record)).toBe(1);
    expect(maxConcurrentRestarting(record, { includeFailed: true })).toBe(2);
  });

  it('counts a double restart of one instance once', () => {
    const record = { restarts: [restart(1, 'a'), restart(2, 'a')], transitions: [down(3, 'a')] };
    expect(maxConcurrentRestarting(record)).toBe(1);
    expect(downIntervals(record).map((i) => i.end)).toEqual(['open', 'open']);
  });
});

describe('restart counts', () => {
  it('counts restarts per instance and flags doubles', () => {
    const record = { restarts: [restart(1, 'a'), restart(2, 'b'), restart(3, 'a')] };
    expect(restartCountsByInstance(record)).toEqual({ a: 2, b: 1 });
    expect(multipleRestarts(record)).toEqual([{ instanceId: 'a', count: 2 }]);
    expect(multipleRestarts(record, 2)).toEqual([]);
  });
});

describe('wavesRespected', () => {
  it('accepts waves that wait for the previous wave', () => {
    const record = {
      restarts: [restart(1, 'a'), restart(2, 'b'), restart(7, 'c')],
      transitions: [down(3, 'a'), down(4, 'b'), up(5, 'a'), failed(6, 'b'), down(8, 'c'), up(9, 'c')],
    };
    expect(wavesRespected(record, [['a', 'b'], ['c']])).toEqual([]);
  });

  it('reports a wave-2 restart that started before a wave-1 instance was running again', () => {
    const record = {
      restarts: [restart(1, 'a'), restart(2, 'b'), restart(5, 'c')],
      transitions: [down(3, 'a'), down(4, 'b'), up(6, 'a'), up(7, 'b')],
    };
    expect(wavesRespected(record, [['a', 'b'], ['c']])).toEqual([
      { wave: 1, instanceId: 'c', restartSeq: 5, blockingInstanceId: 'a', reason: 'not-finished' },
      { wave: 1, instanceId: 'c', restartSeq: 5, blockingInstanceId: 'b', reason: 'not-finished' },
    ]);
  });

  it('treats a stuck earlier-wave instance as blocking forever', () => {
    const record = { restarts: [restart(1, 'a'), restart(3, 'c')], transitions: [down(2, 'a')] };
    expect(wavesRespected(record, [['a'], ['c']])).toHaveLength(1);
  });

  it('reports an earlier-wave instance restarted only after the later wave', () => {
    const record = { restarts: [restart(1, 'c'), restart(4, 'a')], transitions: [down(2, 'c'), up(3, 'c'), down(5, 'a'), up(6, 'a')] };
    expect(wavesRespected(record, [['a'], ['c']])).toEqual([
      { wave: 1, instanceId: 'c', restartSeq: 1, blockingInstanceId: 'a', reason: 'not-finished' },
    ]);
  });

  it('ignores never-restarted earlier instances unless requireAll', () => {
    const record = { restarts: [restart(1, 'c')], transitions: [down(2, 'c'), up(3, 'c')] };
    expect(wavesRespected(record, [['a'], ['c']])).toEqual([]);
    expect(wavesRespected(record, [['a'], ['c']], { requireAll: true })[0]?.reason).toBe('never-restarted');
  });
});

describe('origin: restarts made by someone else', () => {
  const foreign = (seq: number, id: string, endedSeq?: number): RestartRecord => ({ ...restart(seq, id), origin: 'foreign', ...(endedSeq !== undefined ? { endedSeq } : {}) });
  const ours = (seq: number, id: string): RestartRecord => ({ ...restart(seq, id), origin: 'api' });

  it('counts, doubles, concurrency and waves judge origin api only unless includeForeign', () => {
    const record = {
      restarts: [foreign(1, 'a', 3), ours(4, 'a'), foreign(5, 'b')],
      transitions: [
        transition(2, 'a', 'running', 'restarting', 'foreign-restart'),
        transition(3, 'a', 'restarting', 'running', 'foreign-restart-complete'),
        down(6, 'a'),
        transition(7, 'b', 'running', 'restarting', 'foreign-restart'),
      ],
    };
    expect(restartCountsByInstance(record)).toEqual({ a: 1 });
    expect(restartCountsByInstance(record, { includeForeign: true })).toEqual({ a: 2, b: 1 });
    expect(multipleRestarts(record)).toEqual([]);
    expect(multipleRestarts(record, 1, { includeForeign: true })).toEqual([{ instanceId: 'a', count: 2 }]);
    expect(maxConcurrentRestarting(record)).toBe(1);
    expect(maxConcurrentRestarting(record, { includeForeign: true })).toBe(2);
    expect(wavesRespected(record, [['b'], ['a']])).toEqual([]);
    expect(wavesRespected(record, [['b'], ['a']], { includeForeign: true })).toHaveLength(2);
  });

  it('a record without origin counts as api', () => {
    expect(restartCountsByInstance({ restarts: [restart(1, 'a')] })).toEqual({ a: 1 });
  });

  it('restartsAfterForeignSettled: ours after the last foreign one settled; undefined while it runs', () => {
    expect(restartsAfterForeignSettled({ restarts: [foreign(1, 'a', 3), ours(2, 'a'), ours(4, 'a')] }, 'a')?.map((r) => r.seq)).toEqual([4]);
    expect(restartsAfterForeignSettled({ restarts: [foreign(1, 'a')] }, 'a')).toBeUndefined();
    expect(restartsAfterForeignSettled({ restarts: [ours(1, 'a')] }, 'a')).toBeUndefined();
  });

  it('restartsDuringForeign: ours inside a foreign window (open or closed), not before or after', () => {
    const record = { restarts: [ours(0, 'a'), foreign(1, 'a', 3), ours(2, 'a'), ours(4, 'a'), foreign(5, 'b'), ours(6, 'b')] };
    expect(restartsDuringForeign(record).map((x) => [x.restart.seq, x.foreign.seq])).toEqual([
      [2, 1],
      [6, 5],
    ]);
  });
});
