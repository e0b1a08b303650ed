/**
 * Failure handling end to end: each error class ends as its class says. Outcomes are read from the
 * emulator's record (what really happened to each instance), then compared with the report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_KEY } from '../../src/emulator';
import { maxConcurrentRestarting, multipleRestarts, restartCountsByInstance } from '../../src/emulator/invariants';
import { fleet, startStack, type Stack } from '../support/stack';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const fastPolicy = { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5 };

describe('rollout under faults', () => {
  it('rides out a throttling storm, 5xx answers and dropped connections without restarting anything twice', async () => {
    stack = await startStack({
      ...fleet(['cn-hangzhou'], 10, 250),
      faults: {
        throttling: { rate: 0.3, retryAfterMs: 150 },
        serverErrors: { rate: 0.1, statuses: [500, 503] },
        // Half of the restarts take effect but the answer never arrives: the retry must adopt, not re-send.
        drops: { dropAfterRate: 0.5, actions: ['RestartInstance'] },
      },
    });
    const report = await stack.runRollout({
      name: 'storm',
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: ['100%'] },
      concurrency: { global: 3 },
      instance: fastPolicy,
    });
    const record = stack.emulator.record();
    const ids = stack.emulator.instances().map((i) => i.instanceId).sort();
    expect(report.phase).toBe('completed');
    expect(multipleRestarts(record)).toEqual([]);
    expect(Object.keys(restartCountsByInstance(record)).sort()).toEqual(ids);
    expect(maxConcurrentRestarting(record)).toBeLessThanOrEqual(3);
    // The faults really fired, and the dropped restarts were adopted rather than re-sent.
    expect(record.calls.filter((c) => c.code?.startsWith('Throttling')).length).toBeGreaterThan(0);
    expect(record.calls.filter((c) => c.httpStatus >= 500).length).toBeGreaterThan(0);
    const droppedAfter = record.calls.filter((c) => c.fault === 'drop-after' && c.action === 'RestartInstance');
    expect(droppedAfter.length).toBeGreaterThan(0);
    const adopted = report.instances.filter((r) => r.adopted).map((r) => r.instanceId).sort();
    expect(adopted).toEqual([...new Set(droppedAfter.map((c) => c.instanceId!))].sort());
    expect(report.counts).toMatchObject({ restarted: 10, failed: 0 });
  });

  it('counts stuck and failing restarts against the budget, waits for a busy instance, and reports each class', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 6, 200));
    const [stuck, failing, busy, ...healthy] = stack.emulator.instances().map((i) => i.instanceId) as [string, string, string, ...string[]];
    stack.emulator.patchFaults({ restarts: { stuckInstanceIds: [stuck], failInstanceIds: [failing] } });
    stack.emulator.patchInstance(busy, { status: 'modifying_config', settleAfterMs: 1_500 });
    const report = await stack.runRollout({
      name: 'classes',
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: ['100%'] },
      concurrency: { global: 2 },
      failureBudget: { total: 2 },
      instance: { ...fastPolicy, confirmTimeoutSeconds: 3, notRunning: 'wait', notRunningWaitSeconds: 30 },
    });
    const record = stack.emulator.record();
    const byId = new Map(report.instances.map((r) => [r.instanceId, r]));
    expect(byId.get(stuck)).toMatchObject({ outcome: 'failed', failure: 'confirm_timeout', errorClass: 'timeout' });
    expect(byId.get(failing)).toMatchObject({ outcome: 'failed', failure: 'restart_failed' });
    expect(byId.get(busy)).toMatchObject({ outcome: 'restarted' });
    for (const id of healthy) expect(byId.get(id)).toMatchObject({ outcome: 'restarted' });
    expect(report.phase).toBe('completed'); // 2 failures, budget 2: within budget
    // The busy instance was restarted only after it settled back to running.
    const settled = record.transitions.find((t) => t.instanceId === busy && t.cause === 'settle');
    const busyRestart = record.restarts.find((r) => r.instanceId === busy);
    expect(settled).toBeDefined();
    expect(busyRestart!.seq).toBeGreaterThan(settled!.seq);
    // The busy instance held a slot while waiting, and the stuck one keeps its slot while down: ours
    // (stuck included) plus the busy one never exceeded 2.
    expect(multipleRestarts(record)).toEqual([]);
    expect(maxConcurrentRestarting(record, { includeFailed: false })).toBeLessThanOrEqual(2);
  });

  it('a permission error on RestartInstance fails the rollout at once with the API code and the RAM action, and never sends the restart', async () => {
    stack = await startStack({
      ...fleet(['cn-hangzhou'], 3, 200),
      keys: [{ ...DEFAULT_KEY, deniedActions: ['RestartInstance'] }],
    });
    const report = await stack.runRollout({
      name: 'denied',
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: ['100%'] },
      concurrency: { global: 1 },
      failureBudget: { total: 0 },
      instance: fastPolicy,
    });
    const record = stack.emulator.record();
    expect(record.restarts).toHaveLength(0);
    // Non-retryable: exactly one RestartInstance attempt reached the API.
    expect(record.calls.filter((c) => c.action === 'RestartInstance')).toHaveLength(1);
    expect(report.phase).toBe('failed');
    expect(report.stopSentence).toMatch(/Forbidden\.RAM.*sr:RestartInstance/);
    const failed = report.instances.filter((r) => r.outcome === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ failure: 'api_error', errorClass: 'permission', apiCode: 'Forbidden.RAM' });
    expect(failed[0]!.requestId).toBeTruthy();
    expect(report.instances.filter((r) => r.outcome === 'not_started')).toHaveLength(2);
  });

  it('skips or fails a target that is not running at its turn, as the policy says', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 4, 150));
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    stack.emulator.patchInstance(ids[0]!, { status: 'disable' });
    const skipReport = await stack.runRollout({
      name: 'skip',
      targets: { instances: ids.slice(0, 2).map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'] },
      instance: { ...fastPolicy, notRunning: 'skip' },
    });
    expect(skipReport.instances.find((r) => r.instanceId === ids[0])).toMatchObject({ outcome: 'skipped', status: 'disable' });
    stack.emulator.patchInstance(ids[2]!, { status: 'disable' });
    const failReport = await stack.runRollout({
      name: 'fail',
      targets: { instances: ids.slice(2).map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'] },
      failureBudget: { total: 1 },
      instance: { ...fastPolicy, notRunning: 'fail' },
    });
    expect(failReport.instances.find((r) => r.instanceId === ids[2])).toMatchObject({ outcome: 'failed', failure: 'not_running' });
    const record = stack.emulator.record();
    expect(Object.keys(restartCountsByInstance(record)).sort()).toEqual([ids[1]!, ids[3]!].sort());
  });
});
