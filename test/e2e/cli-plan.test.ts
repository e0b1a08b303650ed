/**
 * `starwave plan` against the emulator and the dev server, with the real CLI as a child process: the
 * ETA with a per-region limit matches what a run of the same spec measures (±20 %), per-instance
 * estimates come from each target's restart history, throttled reads are retried a bounded number of
 * times and what plan gave up on is said, maintenance windows show when they open, and leases held
 * by a running rollout are warned about.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanReport } from '../../src/cli/plan/model';
import type { RolloutReport } from '../../src/contracts/rollout';
import { startStack, type Stack } from '../support/stack';
import { uniqueId } from '../support/temporal';
import { cli, json, specFile, stackEnv, waitFor, type Run } from './cli-support';

let stack: Stack;
let env: Record<string, string | undefined>;
const run = (args: string[], extra: Record<string, string | undefined> = {}): Promise<Run> => cli(args, { ...env, ...extra });
const regions = ['cn-hangzhou', 'cn-shanghai'];
const MEDIAN_MS = 3_000;

beforeAll(async () => {
  stack = await startStack({
    regions,
    seed: 11,
    // Each instance has its own restart time around 3 s, and a history of five past restarts of it.
    fleet: { generate: { regions, perRegion: 8 }, perInstanceRestartDuration: { noiseSigma: 0.05 }, restartHistory: { perInstance: 5 } },
    restartDuration: { kind: 'lognormal', medianMs: MEDIAN_MS, sigma: 0.25 },
  });
  env = stackEnv(stack);
});
afterAll(async () => {
  await stack?.close();
});

const spec = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  targets: { selectors: [{ regions }] },
  regions: { mode: 'parallel' },
  waves: { sizes: ['100%'] },
  // Parallel regions, one restart per region at a time: 2 at once, although the global limit is 4.
  concurrency: { global: 4, perRegion: 1 },
  instance: { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 60, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: 30 },
  ...extra,
});

describe('starwave plan', () => {
  it('gives the ETA a run of the spec measures (±20 %), counting the per-region limit', async () => {
    const path = specFile(spec(uniqueId('eta')));
    const planned = await run(['plan', path, '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = json<PlanReport>(planned);
    expect(plan.waves).toHaveLength(1);
    expect(plan.waves[0]).toMatchObject({ size: 16, concurrency: 4, parallelism: 2, limitedBy: 'concurrency.perRegion 1 × 2 regions' });

    const before = stack.emulator.record().restarts.length;
    const started = await run(['start', path, '--wait', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const report = json<RolloutReport>(started);
    expect(report.counts.restarted).toBe(16);
    const measured = report.finishedAtMs - report.startedAtMs;
    process.stderr.write(`[plan-eta] plan p50 ${(plan.eta.p50Ms / 1000).toFixed(1)} s, run measured ${(measured / 1000).toFixed(1)} s (${(((plan.eta.p50Ms - measured) / measured) * 100).toFixed(0)} %)\n`);
    expect(Math.abs(plan.eta.p50Ms - measured) / measured, `plan ${plan.eta.p50Ms} ms, run ${measured} ms`).toBeLessThanOrEqual(0.2);
    // What the old plan did (the global limit alone) is far outside that: this test tells the two apart.
    const globalOnly = plan.waves[0]!.instances.reduce((n, i) => n + i.expectedMs, 0) / 4;
    expect(Math.abs(globalOnly - measured) / measured).toBeGreaterThan(0.2);

    // The run really had 2 restarts at once at most (the emulator's record, not the report).
    const restarts = stack.emulator.record().restarts.slice(before);
    let peak = 0;
    for (const r of restarts) peak = Math.max(peak, restarts.filter((o) => o.atMs <= r.atMs && (o.endedAtMs ?? Infinity) > r.atMs).length);
    expect(peak).toBe(2);
  });

  it('estimates each instance from its restart history and prints p50/p90 and the instances of each wave', async () => {
    const r = await run(['plan', specFile(spec(uniqueId('history'), { waves: { sizes: [1, '100%'] }, regions: { mode: 'sequential', order: ['cn-shanghai'] } }))]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("restart estimates: from each target's own restart history for 16 of 16");
    const canary = /Wave 1 \(canary\): 1 instance, starts about 0s in\n {2}(c-[0-9a-z]{16}) \(sr-cn-shanghai-\d+\) cn-shanghai ~\d+s \(p90 \d+s, \d+ past restarts\)/.exec(r.stdout);
    expect(canary, r.stdout).not.toBeNull();
    expect(r.stdout).toMatch(/… and \d+ more \(all of them with --json\)/);
    expect(r.stdout).toMatch(/Expected duration: about \S+ \(p50\), up to \S+ \(p90\)/);

    const plan = json<PlanReport>(await run(['plan', specFile(spec(uniqueId('history'))), '--json']));
    const byId = new Map(stack.emulator.instances().map((i) => [i.instanceId, i]));
    for (const i of plan.waves.flatMap((w) => w.instances)) {
      expect(i.estimate).toBe('history');
      const median = byId.get(i.instanceId)!.restartMedianMs!;
      expect(Math.abs(i.expectedMs - median) / median, i.instanceId).toBeLessThan(0.2);
      expect(i.expectedP90Ms).toBeGreaterThanOrEqual(i.expectedMs);
    }
    expect(plan.eta.p90Ms).toBeGreaterThanOrEqual(plan.eta.p50Ms);
    expect(plan.history).toMatchObject({ fromHistory: true, withHistory: 16 });
  });

  it('retries throttled reads a bounded number of times and says what it gave up on', async () => {
    const path = specFile(spec(uniqueId('throttled')));
    try {
      // Every history read is throttled: plan still plans, with the default expectation, and says so.
      stack.emulator.setFaults({ throttling: { rate: 1, retryAfterMs: 10, actions: ['ListOperationHistory'] } });
      const history = await run(['plan', path]);
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).toContain('Gave up on the restart history of 16 target(s) (16 throttled) after bounded retries; they use instance.expectedRestartSeconds (30s).');
      // Resolution itself throttled for good: exit 3, with how many attempts failed.
      stack.emulator.setFaults({ throttling: { rate: 1, retryAfterMs: 10, actions: ['DescribeInstances'] } });
      const calls = stack.emulator.record().calls.length;
      const resolve = await run(['plan', path]);
      expect(resolve.code).toBe(3);
      expect(resolve.stderr).toMatch(/Gave up after 4 attempts, all failed \(4 throttled\)/);
      expect(stack.emulator.record().calls.slice(calls).filter((c) => c.action === 'DescribeInstances').length).toBeLessThanOrEqual(8);
      // A tight per-action quota: reads are throttled and retried after Retry-After; whatever still fails is said.
      stack.emulator.setFaults({ throttling: { apiQps: 20, burst: 1, actions: ['ListOperationHistory'] } });
      const retried = await run(['plan', path]);
      expect(retried.code, retried.stderr).toBe(0);
      expect(retried.stdout).toMatch(/Retried \d+ throttled read\(s\) before they succeeded or were given up/);
      const read = Number(/restart history for (\d+) of 16/.exec(retried.stdout)?.[1]);
      const gaveUp = Number(/Gave up on the restart history of (\d+) target/.exec(retried.stdout)?.[1] ?? 0);
      expect(read).toBeGreaterThan(0);
      expect(read + gaveUp).toBe(16);
    } finally {
      stack.emulator.setFaults({});
    }
  });

  it('shows when each instance’s own maintenance window opens', async () => {
    const targets = stack.emulator.instances().filter((i) => i.regionId === 'cn-hangzhou').slice(0, 2);
    // cn-hangzhou is Asia/Shanghai (UTC+8): one window open now, one opening in three hours.
    const local = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 16);
    const now = Date.now();
    stack.emulator.patchInstance(targets[0]!.instanceId, { maintainablePeriod: `${local(now - 3_600_000)}-${local(now + 3 * 3_600_000)}` });
    stack.emulator.patchInstance(targets[1]!.instanceId, { maintainablePeriod: `${local(now + 3 * 3_600_000)}-${local(now + 5 * 3_600_000)}` });
    const body = spec(uniqueId('windows'), {
      targets: { instances: targets.map((t) => ({ region: t.regionId, instanceId: t.instanceId })) },
      window: { instanceMaintainablePeriod: true },
    });
    const r = await run(['plan', specFile(body)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${targets[0]!.instanceId} .* window \\d\\d:\\d\\d-\\d\\d:\\d\\d Asia/Shanghai is open`));
    expect(r.stdout).toMatch(new RegExp(`${targets[1]!.instanceId} .* window \\d\\d:\\d\\d-\\d\\d:\\d\\d Asia/Shanghai opens \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:00 \\+08:00 \\(in 2h5\\dm\\)`));
    const plan = json<PlanReport>(await run(['plan', specFile(body), '--json']));
    // The wave waits for the later window: about three hours plus a restart.
    expect(plan.eta.p50Ms).toBeGreaterThan(2.9 * 3_600_000);
  });

  it('warns about leases held by a running rollout, and notes when Temporal cannot be asked', async () => {
    const holder = json<{ workflowId: string }>(await run(['start', specFile(spec(uniqueId('holder'), { waves: { sizes: [1, '100%'], approvalBefore: [2] } })), '--json']));
    try {
      await waitFor(async () => {
        const s = await run(['status', holder.workflowId, '--json']);
        return (JSON.parse(s.stdout) as { progress?: { phase: string } }).progress?.phase === 'awaiting_approval' ? true : undefined;
      }, 'the holder at its gate');
      const r = await run(['plan', specFile(spec(uniqueId('second')))]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`WARNING: 16 targets are leased by running rollout(s) ${holder.workflowId}:`);
      expect(r.stdout).toContain('A start now would stop before restarting anything (lease conflict)');
    } finally {
      await run(['cancel', holder.workflowId]);
      await run(['report', holder.workflowId, '--wait']);
    }
    const unreachable = await run(['plan', specFile(spec(uniqueId('offline')))], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(unreachable.code, unreachable.stderr).toBe(0);
    expect(unreachable.stdout).toMatch(/Leases: not checked \(Could not reach Temporal at 127\.0\.0\.1:1/);
  });
});
