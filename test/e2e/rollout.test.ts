/**
 * Rolling restarts end to end: real Temporal dev server, real worker, emulator over HTTP. Every
 * invariant is read from the emulator's record, not from the rollout's report of itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { maxConcurrentRestarting, multipleRestarts, restartCountsByInstance, wavesRespected } from '../../src/emulator/invariants';
import { msToNumber } from '@temporalio/common/lib/time';
import { ROLLOUT_WORKFLOW_TASK_TIMEOUT } from '../../src/contracts/rollout';
import { ISOLATE_EXECUTION_TIMEOUT_MS } from '../../src/worker/worker';
import { fleet, startStack, type Stack } from '../support/stack';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const fastPolicy = { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5 };

function waveIds(report: { instances: Array<{ wave: number; instanceId: string }> }): string[][] {
  const waves: string[][] = [];
  for (const r of report.instances) (waves[r.wave - 1] ??= []).push(r.instanceId);
  return waves;
}

describe('rollout on the real stack', () => {
  it('restarts every target exactly once, in waves, never more than the concurrency limit at once', async () => {
    stack = await startStack(fleet(['cn-hangzhou', 'cn-shanghai'], 6, 300));
    const report = await stack.runRollout({
      name: 'basic',
      targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] },
      regions: { order: ['cn-shanghai'], mode: 'sequential' },
      waves: { sizes: [1, '50%', '100%'] },
      concurrency: { global: 2 },
      instance: fastPolicy,
    });
    const record = stack.emulator.record();
    const all = stack.emulator.instances().map((i) => i.instanceId).sort();

    expect(report.phase).toBe('completed');
    expect(Object.keys(restartCountsByInstance(record)).sort()).toEqual(all); // none skipped
    expect(multipleRestarts(record)).toEqual([]); // none twice
    expect(maxConcurrentRestarting(record)).toBeLessThanOrEqual(2);
    expect(maxConcurrentRestarting(record)).toBe(2); // the limit is used, not just respected
    expect(wavesRespected(record, waveIds(report), { requireAll: true })).toEqual([]);
    // Canary region first: every cn-shanghai restart precedes every cn-hangzhou restart.
    const lastShanghai = Math.max(...record.restarts.filter((r) => r.region === 'cn-shanghai').map((r) => r.seq));
    const firstHangzhou = Math.min(...record.restarts.filter((r) => r.region === 'cn-hangzhou').map((r) => r.seq));
    expect(lastShanghai).toBeLessThan(firstHangzhou);
    // Every instance is running at the end, and the report agrees with the record.
    expect(stack.emulator.instances().every((i) => i.status === 'running')).toBe(true);
    expect(report.counts).toMatchObject({ targets: 12, restarted: 12, failed: 0, notStarted: 0 });
    expect(report.waves.map((w) => w.size)).toEqual([1, 3, 2, 1, 3, 2]);
  });

  it('runs its worker with starwave’s activation time limit, under the rollout’s workflow task timeout', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 1, 100));
    const [worker] = stack.workers;
    // The SDK's option is not in its public types: this fails if an SDK upgrade stops passing it through.
    expect(worker!.options.isolateExecutionTimeoutMs).toBe(ISOLATE_EXECUTION_TIMEOUT_MS);
    expect(ISOLATE_EXECUTION_TIMEOUT_MS).toBeGreaterThan(5_000);
    expect(ISOLATE_EXECUTION_TIMEOUT_MS).toBeLessThan(msToNumber(ROLLOUT_WORKFLOW_TASK_TIMEOUT));
  });

  it('parallel regions respect the per-region and the global limit', async () => {
    stack = await startStack(fleet(['cn-hangzhou', 'cn-shanghai', 'cn-beijing'], 5, 250));
    const report = await stack.runRollout({
      name: 'parallel',
      targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai', 'cn-beijing'] }] },
      regions: { mode: 'parallel' },
      waves: { sizes: [1, '100%'], bakeSeconds: 1 },
      concurrency: { global: 4, perRegion: 2 },
      instance: fastPolicy,
    });
    const record = stack.emulator.record();
    expect(report.phase).toBe('completed');
    expect(multipleRestarts(record)).toEqual([]);
    expect(Object.keys(restartCountsByInstance(record))).toHaveLength(15);
    for (const region of ['cn-hangzhou', 'cn-shanghai', 'cn-beijing']) {
      expect(maxConcurrentRestarting(record, { region })).toBeLessThanOrEqual(2);
    }
    expect(maxConcurrentRestarting(record)).toBeLessThanOrEqual(4);
    expect(maxConcurrentRestarting(record)).toBeGreaterThanOrEqual(3);
    expect(wavesRespected(record, waveIds(report), { requireAll: true })).toEqual([]);
    // Bake time: wave 2's first restart comes at least 1 s after wave 1's last instance was running again.
    const [wave1] = waveIds(report);
    const wave1Done = Math.max(...record.transitions.filter((t) => wave1!.includes(t.instanceId) && t.to === 'running').map((t) => t.tMs));
    const wave2First = Math.min(...record.restarts.filter((r) => !wave1!.includes(r.instanceId)).map((r) => r.tMs));
    expect(wave2First - wave1Done).toBeGreaterThanOrEqual(1_000);
  });

  it('stops launching at exactly the (k+1)-th failure and reports the rest as not started', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 8, 200));
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    const failing = [ids[1]!, ids[2]!, ids[3]!, ids[4]!];
    stack.emulator.patchFaults({ restarts: { failInstanceIds: failing } });
    const report = await stack.runRollout({
      name: 'budget',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'] },
      concurrency: { global: 1 },
      failureBudget: { total: 2 },
      instance: fastPolicy,
    });
    const record = stack.emulator.record();
    const failedRestarts = record.restarts.filter((r) => failing.includes(r.instanceId));
    expect(failedRestarts).toHaveLength(3); // budget 2 → the 3rd failure stops new restarts
    expect(record.restarts.map((r) => r.instanceId)).toEqual(ids.slice(0, 4));
    expect(report.phase).toBe('stopped_budget');
    expect(report.counts).toMatchObject({ restarted: 1, failed: 3, notStarted: 4 });
    const notStarted = report.instances.filter((r) => r.outcome === 'not_started');
    expect(notStarted.every((r) => r.notStartedReason === 'budget')).toBe(true);
    expect(report.instances.find((r) => r.instanceId === failing[0])).toMatchObject({ outcome: 'failed', failure: 'restart_failed', status: 'creating_failed' });
  });
});
