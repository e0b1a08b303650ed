/**
 * 10,000 instances in one rollout: it completes, every instance is restarted exactly once (from the
 * emulator's record), and EVERY execution involved — each run of the rollout (it continues-as-new,
 * carrying the engine's state) and the lease registry — stays under Temporal's 10,240-event warning, and no
 * workflow task of the rollout fails or times out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { multipleRestarts } from '../../src/emulator/invariants';
import type { RolloutReport } from '../../src/contracts/rollout';
import { collectExecutions, exactlyOnce, makeFleet, startFleetEmulator, startRollout } from '../support/fleets';
import { connectTemporal, spawnChildWorker, workflowBundleFile } from '../support/processes';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal';

const HISTORY_WARNING = 10_240;
/** temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND */
const UNHANDLED_COMMAND = 1;
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

describe('scale', () => {
  it('restarts 10,000 instances with every execution under 10,240 history events', { timeout: 600_000 }, async () => {
    const regions = ['cn-hangzhou', 'cn-shanghai'];
    const fleet = makeFleet({ regions, perRegion: 5_000, duration: { kind: 'fixed', ms: 300 }, seed: 5 });
    const emulator = await startFleetEmulator(fleet);
    cleanup.push(() => emulator.close());
    const client: Client = await connectTemporal(temporalAddress());
    cleanup.push(() => client.connection.close());
    const taskQueue = uniqueTaskQueue('scale');
    const worker = await spawnChildWorker({ address: temporalAddress(), taskQueue, endpoints: emulator.endpoints, bundlePath: await workflowBundleFile(), logLevel: 'WARN' });
    cleanup.push(() => worker.stop());

    const started = Date.now();
    const { handle, rolloutId } = await startRollout(client, taskQueue, {
      name: 'scale-10k',
      targets: { selectors: [{ regions }] },
      regions: { mode: 'parallel' },
      waves: { sizes: [100, '100%'] },
      concurrency: { global: 500 },
      instance: { pollIntervalSeconds: 0.5, confirmTimeoutSeconds: 600, heartbeatTimeoutSeconds: 10 },
    });
    // A worker that dies (seen: a crash in its workflow thread) would leave the rollout waiting until the test's timeout.
    const died = worker.exited.then((code) => {
      throw new Error(`the worker exited (code ${code}) during the rollout:\n${worker.logLines.slice(-30).join('\n')}`);
    });
    died.catch(() => {}); // the race below observes it; the stop at cleanup must not count as an unhandled rejection
    const report = (await Promise.race([handle.result(), died])) as RolloutReport;
    const elapsedMs = Date.now() - started;

    const record = emulator.record();
    const ids = [...fleet.durations.keys()];
    const once = exactlyOnce(record, ids);
    const executions = await collectExecutions(client, rolloutId, taskQueue);
    const usage = worker.usage();
    process.stderr.write(
      `[scale] 10,000 instances in ${(elapsedMs / 1000).toFixed(1)} s; executions: ${executions.length}; ` +
        `max history ${Math.max(...executions.map((e) => e.historyLength))}; worker CPU ${(usage.cpuMs / 1000).toFixed(1)} s, peak RSS ${usage.peakRssMiB.toFixed(0)} MiB\n` +
        executions.map((e) => `  ${e.workflowId} ${e.runId.slice(0, 8)} ${e.status} ${e.historyLength}`).join('\n') + '\n',
    );

    expect(report.phase).toBe('completed');
    expect(report.counts).toMatchObject({ targets: 10_000, restarted: 10_000, failed: 0, skipped: 0, notStarted: 0 });
    expect(once.duplicates).toEqual([]);
    expect(multipleRestarts(record)).toEqual([]);
    expect(once.restartedOnce).toBe(10_000);

    // The rollout's runs (it did continue-as-new) and the lease registry.
    expect(executions.filter((e) => e.workflowId === rolloutId).length).toBeGreaterThan(1);
    expect(executions.some((e) => e.workflowId === `starwave-leases-${taskQueue}`)).toBe(true);
    for (const e of executions) expect(e.historyLength, `${e.workflowId} run ${e.runId}`).toBeLessThan(HISTORY_WARNING);

    // No workflow task of the rollout timed out or failed (other than UnhandledCommand): the server fails a task once more than 100 events
    // arrive while it runs (FORCE_CLOSE_COMMAND), and each failure means a full replay; 500 launch activities
    // in flight did that until the worker fell behind for good.
    const troubled: string[] = [];
    for (const e of executions.filter((x) => x.workflowId === rolloutId)) {
      // Every run keeps the start's workflow task timeout across continue-as-new (a replay at 10,000 can take seconds).
      const described = await client.workflow.getHandle(e.workflowId, e.runId).describe();
      expect(Number(described.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds), `run ${e.runId}`).toBe(30);
      const history = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
      for (const ev of history.events ?? []) {
        const failed = ev.workflowTaskFailedEventAttributes;
        // UnhandledCommand is the server refusing a continue-as-new because an activity completed meanwhile;
        // the worker retries with the new events (Temporal's protocol, bounded by the timeout asserted above).
        if (failed && failed.cause !== UNHANDLED_COMMAND) {
          troubled.push(`${e.runId.slice(0, 8)} #${ev.eventId} failed: ${String(failed.cause)}`);
        }
        if (ev.workflowTaskTimedOutEventAttributes) troubled.push(`${e.runId.slice(0, 8)} #${ev.eventId} timed out`);
      }
    }
    expect(troubled).toEqual([]);
  });
});
