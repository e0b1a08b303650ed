/**
 * A real process kill mid-wave: the worker runs as a child process, is SIGKILLed while restarts are
 * in flight (seen in the emulator's record), a new worker process takes over, and the rollout
 * completes with every target restarted exactly once — all read from the emulator's record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Emulator } from '../../src/emulator';
import { maxConcurrentRestarting, multipleRestarts } from '../../src/emulator/invariants';
import type { RolloutReport } from '../../src/contracts/rollout';
import { exactlyOnce, makeFleet, startFleetEmulator, startRollout } from '../support/fleets';
import { connectTemporal, spawnChildWorker, workflowBundleFile, type ChildWorker } from '../support/processes';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

describe('worker process killed mid-wave', () => {
  it('a new worker process finishes the rollout: every target restarted exactly once, none skipped', async () => {
    const fleet = makeFleet({ regions: ['cn-hangzhou'], perRegion: 24, duration: { kind: 'uniform', minMs: 1_500, maxMs: 3_000 }, seed: 11 });
    const emulator: Emulator = await startFleetEmulator(fleet);
    cleanup.push(() => emulator.close());
    const client: Client = await connectTemporal(temporalAddress());
    cleanup.push(() => client.connection.close());
    const taskQueue = uniqueTaskQueue('kill');
    const bundlePath = await workflowBundleFile();
    const workerOpts = { address: temporalAddress(), taskQueue, endpoints: emulator.endpoints, bundlePath };

    const first: ChildWorker = await spawnChildWorker(workerOpts);
    cleanup.push(() => first.kill());
    const ids = [...fleet.durations.keys()];
    const { handle } = await startRollout(client, taskQueue, {
      name: 'kill-worker',
      targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: [4, '100%'] },
      concurrency: { global: 4 },
      instance: { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 120, heartbeatTimeoutSeconds: 2 },
    });

    // Kill while wave 2 has restarts in flight: at least 6 restarts taken effect and some not yet finished.
    const deadline = Date.now() + 120_000;
    let inFlightAtKill = 0;
    for (;;) {
      const rec = emulator.record();
      const open = rec.restarts.filter((r) => r.outcome === 'pending').length;
      if (rec.restarts.length >= 6 && open > 0) {
        inFlightAtKill = open;
        break;
      }
      if (Date.now() > deadline) throw new Error('restarts never got in flight');
      await sleep(50);
    }
    await first.kill();
    const restartsAtKill = emulator.record().restarts.length;
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(restartsAtKill).toBeLessThan(ids.length); // work remained for the next worker

    // Nothing restarts while no worker runs (beyond what the dead worker already sent).
    await sleep(1_000);
    const second = await spawnChildWorker(workerOpts);
    cleanup.push(() => second.stop());
    const report = (await handle.result()) as RolloutReport;

    const record = emulator.record();
    const once = exactlyOnce(record, ids);
    expect(report.phase).toBe('completed');
    expect(once.duplicates).toEqual([]);
    expect(multipleRestarts(record)).toEqual([]);
    expect(once.neverRestarted).toEqual([]);
    expect(once.restartedOnce).toBe(ids.length);
    expect(maxConcurrentRestarting(record)).toBeLessThanOrEqual(4);
    expect(report.counts).toMatchObject({ targets: ids.length, restarted: ids.length, failed: 0, skipped: 0, notStarted: 0 });
    expect(emulator.instances().every((i) => i.status === 'running')).toBe(true);
  });
});
