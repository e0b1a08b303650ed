/**
 * The rollout workflow's wiring on Temporal's time-skipping test server, with fake activities:
 * hours of bake time and window cutoffs pass in seconds, a Temporal cancellation during a day-long
 * bake is the graceful cancel, and continue-as-new carries the engine's state so a rollout across
 * many runs reports every target once. The fakes are deterministic worlds where every restart
 * succeeds; what they record (launches, watches) is what the assertions read.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutActivities } from '../../src/activities';
import type { LaunchInput, LaunchResult, WatchInput, WatchResult } from '../../src/contracts/activities';
import type { RolloutReport } from '../../src/contracts/rollout';
import { parseSpec, type RolloutSpecInput } from '../../src/contracts/spec';
import { workflowBundle } from '../support/stack';
import { timeSkippingEnvironment, uniqueId } from '../support/temporal';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

interface World {
  launches: Array<{ instanceId: string; atMs: number }>;
  watches: number;
  notifications: string[];
}

/** The test server's clock (skipped time included), as the activity was scheduled. */
function serverNow(): number {
  return Context.current().info.currentAttemptScheduledTimestampMs;
}

/** Fake activities: n instances in one region; every restart is accepted and seen running at the next watch. */
function fakes(n: number, world: World): Partial<RolloutActivities> {
  const ids = Array.from({ length: n }, (_, i) => `c-${i.toString(16).padStart(16, '0')}`);
  const sent = new Set<string>();
  return {
    async resolveTargets() {
      return { targets: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId, status: 'running' })), problems: [], reads: 1 };
    },
    async estimateRestarts() {
      return { estimates: {}, reads: 0, unread: 0 };
    },
    async acquireLeases() {},
    async releaseLeases() {
      return 0;
    },
    async deliverNotification({ notification }) {
      world.notifications.push(notification.event);
      return { receivers: {} };
    },
    async launchRestart(input: LaunchInput): Promise<LaunchResult> {
      const now = serverNow();
      world.launches.push({ instanceId: input.instanceId, atMs: now });
      sent.add(input.instanceId);
      return { kind: 'sent', sentAtMs: now, adopted: false, attempt: 1, reads: 0 };
    },
    async watchRegion(input: WatchInput): Promise<WatchResult> {
      world.watches++;
      const now = serverNow();
      return {
        atMs: now,
        lastPollAtMs: now,
        observations: input.entries.filter((e) => e.kind === 'restart' && sent.has(e.instanceId)).map((e) => ({ instanceId: e.instanceId, status: 'running', ended: 'running', seenRestarting: true })),
        notRunning: input.wantSnapshot ? [] : null,
        reads: 1,
        failedPolls: 0,
      };
    },
  };
}

async function run(
  spec: RolloutSpecInput,
  n: number,
  opts: { notAfterMs?: number; historyLimit?: number; world?: World; during?: (handle: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void> } = {},
) {
  const taskQueue = uniqueId('tq-ts');
  const world: World = opts.world ?? { launches: [], watches: 0, notifications: [] };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: fakes(n, world),
  });
  const startedAt = await env.currentTimeMs();
  const report = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('rolloutWorkflow', {
      taskQueue,
      workflowId: `starwave-rollout-${uniqueId('ts')}`,
      args: [
        {
          spec: parseSpec({ estimates: { fromHistory: false }, ...spec }),
          ...(opts.notAfterMs !== undefined ? { notAfter: new Date(startedAt + opts.notAfterMs).toISOString() } : {}),
          ...(opts.historyLimit ? { historyLimit: opts.historyLimit } : {}),
        },
      ],
    });
    if (opts.during) await opts.during(handle);
    return (await handle.result()) as RolloutReport;
  });
  return { report, world, startedAt };
}

const policy = { pollIntervalSeconds: 60, confirmTimeoutSeconds: 3_600, expectedRestartSeconds: 600 };

describe('rollout workflow wiring (time-skipping server, fake activities)', () => {
  it('bakes two hours between waves in seconds of wall time', async () => {
    const wall = Date.now();
    const world: World = { launches: [], watches: 0, notifications: [] };
    const { report } = await run({ name: 'bake', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'], bakeSeconds: 7_200 }, instance: policy }, 3, { world });
    expect(report.phase).toBe('completed');
    expect(report.counts.restarted).toBe(3);
    expect(world.notifications).toEqual(['started', 'wave_started', 'wave_completed', 'wave_started', 'wave_completed', 'completed']);
    const [w1, w2] = report.waves;
    expect(w2!.startedAtMs! - w1!.finishedAtMs!).toBeGreaterThanOrEqual(2 * HOUR);
    expect(Date.now() - wall).toBeLessThan(60_000);
  });

  it('stops at the window cutoff: no wave starts whose restarts cannot finish before it', async () => {
    // Window 2 h; the bake after wave 1 takes 90 min; a restart is expected to take 10 min, then the measured time.
    const { report, world } = await run(
      { name: 'window', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'], bakeSeconds: 7_000 }, instance: policy },
      4,
      { notAfterMs: 2 * HOUR },
    );
    expect(report.phase).toBe('stopped_window');
    expect(world.launches).toHaveLength(1);
    expect(report.instances.filter((r) => r.outcome === 'not_started').every((r) => r.notStartedReason === 'window')).toBe(true);
  });

  it('an approval gate that is never opened ends at the window cutoff', async () => {
    const { report, world } = await run(
      { name: 'gate', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'], approvalBefore: [2] }, instance: policy },
      3,
      { notAfterMs: 5 * HOUR },
    );
    expect(report.phase).toBe('stopped_window');
    expect(world.launches).toHaveLength(1);
    expect(report.finishedAtMs - report.startedAtMs).toBeGreaterThanOrEqual(5 * HOUR - 60_000);
  });

  it('a Temporal cancellation during a day-long bake ends the rollout gracefully, with every target in the report', async () => {
    const world: World = { launches: [], watches: 0, notifications: [] };
    const { report } = await run(
      { name: 'cancel-bake', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'], bakeSeconds: 86_400 }, instance: policy },
      3,
      {
        world,
        during: async (handle) => {
          // Once wave 1 is done the workflow sits in its bake timer; skip a few hours, then cancel.
          for (let i = 0; i < 200 && world.launches.length < 1; i++) await env.sleep(1_000);
          await env.sleep(3 * HOUR);
          await handle.cancel();
        },
      },
    );
    expect(report.phase).toBe('cancelled');
    expect(report.instances).toHaveLength(3);
    expect(world.launches).toHaveLength(1);
    expect(report.audit.some((a) => a.action === 'cancel' && a.by === 'temporal')).toBe(true);
  });

  it('continues-as-new many times with a low history limit and reports every target exactly once', async () => {
    const n = 60;
    const { report, world } = await run(
      { name: 'can', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [10, '100%'] }, concurrency: { global: 3 }, instance: policy },
      n,
      { historyLimit: 120 },
    );
    expect(report.phase).toBe('completed');
    expect(report.runs).toBeGreaterThan(3);
    expect(report.instances).toHaveLength(n);
    expect(new Set(world.launches.map((l) => l.instanceId)).size).toBe(n);
    expect(world.launches).toHaveLength(n); // none launched twice across runs
  });
});
