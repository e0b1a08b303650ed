/**
 * The fault suite's judge: checkReport compares starwave's report with the emulator's record. These
 * cases hold that a report which claims more than the record shows (or leaves a skip unexplained) is
 * caught, so "report correct: yes" in docs/reliability.md means something.
 */
import { describe, expect, it } from 'vitest';
import type { EmulatorRecord, RestartRecord } from '../../src/emulator';
import type { InstanceResult, RolloutReport } from '../../src/contracts/rollout';
import { checkReport } from '../../bench/fault-runs';

let seq = 0;
function restart(instanceId: string, outcome: RestartRecord['outcome']): RestartRecord {
  return { seq: seq++, atMs: 0, tMs: 0, region: 'cn-hangzhou', instanceId, action: 'RestartInstance', fastMode: false, requestId: 'r', operationId: 'o', plannedDurationMs: 1, outcome };
}
function record(restarts: RestartRecord[]): EmulatorRecord {
  return { calls: [], restarts, transitions: [], stats: { callsByAction: {}, callsByRegion: {}, callsByRegionAction: {}, restartsByInstance: {} }, nextSeq: seq } as unknown as EmulatorRecord;
}
function report(instances: Array<Partial<InstanceResult> & Pick<InstanceResult, 'instanceId' | 'outcome'>>, phase: RolloutReport['phase'] = 'completed'): RolloutReport {
  const full = instances.map((i) => ({ region: 'cn-hangzhou', wave: 1, ...i }));
  const n = (o: string) => full.filter((i) => i.outcome === o).length;
  return {
    phase,
    instances: full,
    counts: { targets: full.length, restarted: n('restarted'), failed: n('failed'), skipped: n('skipped'), deferred: n('deferred'), notStarted: n('not_started'), unknown: n('unknown'), inFlight: 0, waiting: 0, down: 0, pending: 0 },
  } as unknown as RolloutReport;
}

describe('checkReport', () => {
  it('accepts a report that matches the record', () => {
    const got = checkReport(report([{ instanceId: 'a', outcome: 'restarted' }, { instanceId: 'b', outcome: 'failed', failure: 'confirm_timeout' }]), record([restart('a', 'running'), restart('b', 'stuck')]), ['a', 'b']);
    expect(got).toEqual({ correct: true, skippedWithoutReason: 0, notes: [] });
  });

  it('catches a restart claimed but restarted twice or not at all, and one restarted but reported not started', () => {
    const got = checkReport(
      report([{ instanceId: 'a', outcome: 'restarted' }, { instanceId: 'b', outcome: 'restarted' }, { instanceId: 'c', outcome: 'not_started', notStartedReason: 'budget' }]),
      record([restart('a', 'running'), restart('a', 'running'), restart('c', 'running')]),
      ['a', 'b', 'c'],
    );
    expect(got.correct).toBe(false);
    expect(got.notes.join('\n')).toMatch(/a: reported restarted, record has running,running/);
    expect(got.notes.join('\n')).toMatch(/b: reported restarted, record has no restart/);
    expect(got.notes.join('\n')).toMatch(/c: reported not started but restarted/);
  });

  it('counts skips without a reason and targets missing from the report', () => {
    const got = checkReport(report([{ instanceId: 'a', outcome: 'skipped' }]), record([]), ['a', 'b']);
    expect(got.skippedWithoutReason).toBe(2);
  });

  it('catches counts that disagree with the instances and unknown outcomes in a completed rollout', () => {
    const r = report([{ instanceId: 'a', outcome: 'unknown' }]);
    r.counts.restarted = 1;
    const got = checkReport(r, record([restart('a', 'pending')]), ['a']);
    expect(got.notes.join('\n')).toMatch(/outcome unknown in a completed rollout/);
    expect(got.notes.join('\n')).toMatch(/counts disagree.*restarted 1 vs 0/);
  });
});
