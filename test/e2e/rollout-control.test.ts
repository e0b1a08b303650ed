/**
 * Operator control end to end: approval gates, pause/resume, setLimits (validated), cancel and the
 * progress query, on the real stack. What happened is read from the emulator's record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { maxConcurrentRestarting, multipleRestarts } from '../../src/emulator/invariants';
import { approveUpdate, cancelUpdate, pauseUpdate, progressQuery, resumeUpdate, setLimitsUpdate } from '../../src/contracts/messages';
import type { RolloutProgress } from '../../src/contracts/rollout';
import { fleet, startStack, type Stack } from '../support/stack';
import { until } from '../support/wait';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** The validator's sentence of a rejected Update. */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return (err as WorkflowUpdateFailedError).cause?.message ?? '';
  }
  throw new Error('the update was accepted');
}


describe('operator control', () => {
  it('gates, pauses, resumes, re-limits and cancels a running rollout', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 14, 600));
    const handle = await stack.startRollout({
      name: 'control',
      targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
      waves: { sizes: [2, '100%'], approvalBefore: [2] },
      concurrency: { global: 1 },
      failureBudget: { total: 0 },
      instance: { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5 },
    });
    const progress = (): Promise<RolloutProgress> => handle.query(progressQuery, 'all');
    const restarts = (): number => stack!.emulator.record().restarts.length;

    // Wave 1 runs, then the gate holds wave 2 until it is approved.
    await until('the approval gate', async () => ((await progress()).phase === 'awaiting_approval' ? true : undefined));
    expect(restarts()).toBe(2);
    const gated = await progress();
    expect(gated).toMatchObject({ currentWave: 2, counts: { targets: 14, restarted: 2, pending: 12 } });
    expect(gated.waves.map((w) => w.status)).toEqual(['done', 'awaiting_approval']);

    // Invalid updates are rejected before they reach history, with a sentence naming the problem.
    expect(await rejection(handle.executeUpdate(approveUpdate, { args: [{ wave: 1 }] }))).toMatch(/Wave 1 has no approval gate/);
    expect(await rejection(handle.executeUpdate(approveUpdate, { args: [{ wave: 7 }] }))).toMatch(/There is no wave 7/);
    expect(await rejection(handle.executeUpdate(setLimitsUpdate, { args: [{ concurrency: { global: 0 } }] }))).toMatch(/concurrency\.global: must be at least 1/);
    // A misspelt key is rejected by path, not acknowledged and ignored.
    expect(await rejection(handle.executeUpdate(setLimitsUpdate, { args: [{ concurency: { global: 2 } } as never] }))).toMatch(/concurency: unknown field/);

    const limits = await handle.executeUpdate(setLimitsUpdate, { args: [{ concurrency: { global: 3 } }] });
    expect(limits.limits.concurrency.global).toBe(3);
    expect(limits.message).toMatch(/Limits changed/);
    const wave2Start = stack.emulator.record().nextSeq;
    await handle.executeUpdate(approveUpdate, { args: [{ wave: 2 }] });

    // Pause once wave 2 is under way: in-flight restarts finish, no new one starts.
    await until('wave 2 restarts', () => (restarts() >= 4 ? true : undefined));
    const ack = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'test' }] });
    expect(ack).toMatchObject({ paused: true, phase: 'paused' });
    await until('in-flight restarts to drain', async () => ((await progress()).inFlight.length === 0 ? true : undefined));
    const pausedAt = restarts();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(restarts()).toBe(pausedAt);
    expect((await progress()).phase).toBe('paused');

    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'test' }] });
    await until('restarts after resume', () => (restarts() >= pausedAt + 3 ? true : undefined));
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] });
    const report = await handle.result();

    const record = stack.emulator.record();
    expect(report.phase).toBe('cancelled');
    expect(multipleRestarts(record)).toEqual([]);
    expect(record.restarts.length).toBeLessThan(14);
    expect(report.counts.restarted).toBe(record.restarts.length);
    const notStarted = report.instances.filter((r) => r.outcome === 'not_started');
    expect(notStarted.length).toBe(14 - record.restarts.length);
    expect(notStarted.every((r) => r.notStartedReason === 'cancelled')).toBe(true);
    // The raised limit took effect in wave 2 (wave 1 ran one at a time).
    const wave2 = { restarts: record.restarts.filter((r) => r.seq >= wave2Start), transitions: record.transitions.filter((t) => t.seq >= wave2Start) };
    expect(maxConcurrentRestarting(wave2)).toBe(3);
  });

  it('never lets two running rollouts restart the same instance, and releases leases when done', async () => {
    stack = await startStack(fleet(['cn-hangzhou'], 4, 300));
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    const policy = { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5 };
    const first = await stack.startRollout({
      name: 'holder',
      targets: { instances: ids.slice(0, 3).map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      waves: { sizes: [1, '100%'], approvalBefore: [2] },
      instance: policy,
    });
    await until('the first rollout to hold its gate', async () => ((await first.query(progressQuery)).phase === 'awaiting_approval' ? true : undefined));
    const before = stack.emulator.record().restarts.length;

    // Overlaps the first rollout on ids[2]: refused before any restart.
    const second = await stack.startRollout({
      name: 'intruder',
      targets: { instances: ids.slice(2).map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      instance: policy,
    });
    const refused = await second.result();
    expect(refused.phase).toBe('failed');
    expect(refused.stopSentence).toMatch(/being restarted by another running rollout/);
    expect(stack.emulator.record().restarts.length).toBe(before);

    // Once the first finishes, its leases are released and the same targets can be rolled again.
    await first.executeUpdate(approveUpdate, { args: [{ wave: 2 }] });
    expect((await first.result()).counts.restarted).toBe(3);
    const third = await stack.runRollout({
      name: 'after',
      targets: { instances: ids.slice(2).map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
      instance: policy,
    });
    expect(third.counts.restarted).toBe(2);
    expect(stack.emulator.record().stats.restartsByInstance[ids[2]!]).toBe(2);
  });
});
