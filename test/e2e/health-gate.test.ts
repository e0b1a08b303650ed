/**
 * StarRocks-aware restarts end to end (issue 10), judged from the emulator's record: with the health
 * gate on, an instance counts restarted only when FE /api/bootstrap is ready and /api/health has
 * every backend online; one whose backends stay offline holds its wave and fails by its health
 * timeout; with proof of restart, one whose FE start time did not move fails as not restarted; a
 * healthy fleet with the gate on costs no more DescribeInstances calls than without it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { maxConcurrentRestarting, multipleRestarts } from '../../src/emulator/invariants';
import { fleet, startStack, type Stack } from '../support/stack';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const policy = { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5 };
const dataPlane = { feReadyDelayMs: 100, backendsOnlineDelayMs: 600 };

describe('health gate and proof of restart', () => {
  it('backends that stay offline hold their wave and fail by the health timeout; the next wave waits', async () => {
    stack = await startStack({ ...fleet(['cn-hangzhou'], 4, 300), dataPlane });
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    stack.emulator.patchFaults({ dataPlane: { backendsOfflineInstanceIds: [ids[0]!] } });
    const report = await stack.runRollout({
      name: 'offline',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: [1, '100%'], order: 'listing' },
      concurrency: { global: 2 },
      failureBudget: { total: 1 },
      health: { enabled: true, timeoutSeconds: 3 },
      instance: policy,
    });
    const record = stack.emulator.record();
    const first = report.instances.find((r) => r.instanceId === ids[0])!;
    expect(first).toMatchObject({ outcome: 'failed', failure: 'health_timeout', stillDown: true });
    expect(first.detail).toMatch(/backends online/);
    // Wave 2 started only after wave 1's instance ended by its health timeout (≥ 3 s after it ran again).
    const ranAgain = record.transitions.find((t) => t.instanceId === ids[0] && t.to === 'running' && t.cause === 'restart-complete')!;
    const wave2First = Math.min(...record.restarts.filter((r) => r.instanceId !== ids[0]).map((r) => r.tMs));
    expect(wave2First - ranAgain.tMs).toBeGreaterThanOrEqual(3_000);
    // The unhealthy instance kept its slot: with it, never more than 2 were down or unhealthy at once.
    expect(record.restarts.filter((r) => r.instanceId !== ids[0]).length).toBe(3);
    expect(multipleRestarts(record)).toEqual([]);
    expect(maxConcurrentRestarting(record)).toBeLessThanOrEqual(2);
    // The probes were real requests to the instance's own FE endpoint.
    expect((record.probes ?? []).filter((p) => p.instanceId === ids[0]).length).toBeGreaterThan(2);
  });

  it('a restart that did not really restart (FE start time unchanged) fails the proof of restart', async () => {
    stack = await startStack({ ...fleet(['cn-hangzhou'], 3, 300), dataPlane }, { probeTokenFor: (emulator, id) => emulator.dataPlaneOf(id).clusterToken });
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    stack.emulator.patchFaults({ dataPlane: { restartNotRealInstanceIds: [ids[1]!] } });
    const report = await stack.runRollout({
      name: 'proof',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: ['100%'] },
      concurrency: { global: 3 },
      failureBudget: { total: 1 },
      health: { enabled: true, timeoutSeconds: 10, proveRestart: true },
      instance: policy,
    });
    const byId = new Map(report.instances.map((r) => [r.instanceId, r]));
    expect(byId.get(ids[1]!)).toMatchObject({ outcome: 'failed', failure: 'not_restarted' });
    expect(byId.get(ids[1]!)!.detail).toMatch(/FE start time .* is not later than our restart/);
    for (const id of [ids[0]!, ids[2]!]) expect(byId.get(id)).toMatchObject({ outcome: 'restarted' });
    // The token never reached a log of the record, the report or the history.
    const token = stack.emulator.dataPlaneOf(ids[0]!).clusterToken;
    expect(JSON.stringify(report)).not.toContain(token);
  });

  it('a healthy fleet with the gate on makes no more DescribeInstances calls than without it', async () => {
    const describeCalls = async (gate: boolean): Promise<{ describe: number; report: Awaited<ReturnType<Stack['runRollout']>> }> => {
      stack = await startStack({ ...fleet(['cn-hangzhou'], 6, 1_000), dataPlane: { feReadyDelayMs: 0, backendsOnlineDelayMs: 0 } });
      const report = await stack.runRollout({
        name: `calls-${gate}`,
        targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
        waves: { sizes: ['100%'] },
        concurrency: { global: 3 },
        health: { enabled: gate, timeoutSeconds: 30 },
        instance: policy,
      });
      const describe = stack.emulator.record().calls.filter((c) => c.action === 'DescribeInstances').length;
      await stack.close();
      stack = undefined;
      return { describe, report };
    };
    const off = await describeCalls(false);
    const on = await describeCalls(true);
    process.stderr.write(`[health] DescribeInstances calls: gate off ${off.describe}, gate on ${on.describe}\n`);
    expect(off.report.phase).toBe('completed');
    expect(on.report.phase).toBe('completed');
    // Probes ride along with the region's shared listing: no extra DescribeInstances (a 10 % allowance for poll timing).
    expect(on.describe).toBeLessThanOrEqual(Math.ceil(off.describe * 1.1) + 1);
  });
});
