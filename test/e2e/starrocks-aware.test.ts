/**
 * StarRocks-aware details end to end: an instance with another operation in flight is deferred
 * (not failed, no budget spent) when it stays busy past the wait, and waits for it otherwise; a
 * restart in flight shows its operation's Progress and current step; restart-duration estimates
 * come from each instance's own history and order the wave longest first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { multipleRestarts } from '../../src/emulator/invariants';
import { progressQuery } from '../../src/contracts/messages';
import type { RolloutReport } from '../../src/contracts/rollout';
import { fleet, startStack, type Stack } from '../support/stack';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const policy = { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 60, heartbeatTimeoutSeconds: 5 };

describe('StarRocks-aware restarts', () => {
  it('an instance busy with another operation past the wait is deferred, without spending the failure budget', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 3, 200));
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    stack.emulator.patchInstance(ids[0]!, { status: 'scaling_out', settleAfterMs: 60_000 });
    const report = await stack.runRollout({
      name: 'deferred',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'] },
      concurrency: { global: 2 },
      failureBudget: { total: 0 },
      instance: { ...policy, notRunning: 'wait', notRunningWaitSeconds: 2 },
    });
    const byId = new Map(report.instances.map((r) => [r.instanceId, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ outcome: 'deferred', stillDown: true });
    expect(byId.get(ids[0]!)!.waited).toMatchObject({ cause: 'busy', status: 'scaling_out' });
    expect(report.phase).toBe('completed'); // budget 0 and still completed: a deferral is not a failure
    expect(report.counts).toMatchObject({ restarted: 2, failed: 0, deferred: 1 });
    const record = stack.emulator.record();
    expect(record.restarts.map((r) => r.instanceId).sort()).toEqual([ids[1]!, ids[2]!].sort());
    // Its own operation showed in the history while it was busy: the emulator's record of it.
    expect(multipleRestarts(record)).toEqual([]);
  });

  it('a restart in flight shows its operation Progress and current step in the progress', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 1, 6_000));
    const handle = await stack.startRollout({ name: 'op-progress', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, instance: policy });
    let seen: { progress?: number; step?: string } | undefined;
    const deadline = Date.now() + 30_000;
    while (!seen && Date.now() < deadline) {
      const p = await handle.query(progressQuery, 'summary');
      const f = p.inFlight.find((x) => x.progress !== undefined && x.step !== undefined);
      if (f) seen = f;
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen, 'no in-flight restart showed its progress').toBeDefined();
    expect(seen!.progress).toBeGreaterThanOrEqual(0);
    expect(seen!.progress).toBeLessThanOrEqual(100);
    expect(seen!.step).toMatch(/\w/);
    expect(((await handle.result()) as RolloutReport).phase).toBe('completed');
  });

  it('estimates from each instance’s own restart history order the wave longest first', async () => {
    stack = await startStack({
      regions: ['cn-hangzhou'],
      fleet: {
        instances: [200, 1_200, 600, 900].map((restartDurationMs, i) => ({ regionId: 'cn-hangzhou', instanceId: `c-00000000000000a${i}`, restartDurationMs })),
        restartHistory: { perInstance: 4 },
      },
      seed: 5,
    });
    const report = await stack.runRollout({
      name: 'longest-first',
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: ['100%'] },
      concurrency: { global: 1 },
      instance: policy,
    });
    const record = stack.emulator.record();
    expect(record.restarts.map((r) => r.instanceId)).toEqual(['c-00000000000000a1', 'c-00000000000000a3', 'c-00000000000000a2', 'c-00000000000000a0']);
    const expected = new Map(report.instances.map((r) => [r.instanceId, r.expectedMs]));
    expect(expected.get('c-00000000000000a1')).toBeGreaterThan(expected.get('c-00000000000000a0')!);
    expect(record.calls.filter((c) => c.action === 'ListOperationHistory').length).toBeGreaterThanOrEqual(4);
  });
});
