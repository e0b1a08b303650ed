/**
 * The real `starwave` CLI as a child process (node bin/starwave.js …) against the run's Temporal dev server, a real
 * worker on its own task queue and the emulator. Restart outcomes are read from the emulator's record.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KEY } from '../../src/emulator';
import { multipleRestarts, restartCountsByInstance } from '../../src/emulator/invariants';
import type { RolloutReport } from '../../src/workflows/types';
import { fleet, startStack, type Stack } from '../support/stack';
import { temporalAddress, uniqueId } from '../support/temporal';

const root = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'starwave-cli-'));
let stack: Stack;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'starwave.js'), ...args],
      {
        cwd: root,
        env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), STARWAVE_TASK_QUEUE: stack.taskQueue, ...env },
        timeout: 120_000,
      },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, stdout, stderr }),
    );
  });
}

function specFile(spec: Record<string, unknown>, ext: 'json' | 'yaml' = 'json'): string {
  const path = join(dir, `${uniqueId('spec')}.${ext}`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

const fastPolicy = { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: 0.3 };
const regions = ['cn-hangzhou', 'cn-shanghai'];
const spec = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  targets: { selectors: [{ regions }] },
  regions: { order: ['cn-shanghai'] },
  waves: { sizes: [1, '100%'] },
  concurrency: { global: 2 },
  instance: fastPolicy,
  ...extra,
});

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  stack = await startStack(fleet(regions, 3, 300));
});
afterAll(async () => {
  await stack?.close();
});

describe('starwave CLI on the real stack', () => {
  it('plan --json resolves the targets through the API and plans waves without restarting anything', async () => {
    const name = uniqueId('plan');
    const run = await cli(['plan', specFile(spec(name)), '--json'], {
      STARWAVE_ENDPOINTS: stack.emulator.endpointsJson(),
      ALIBABA_CLOUD_ACCESS_KEY_ID: DEFAULT_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEFAULT_KEY.accessKeySecret,
    });
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as { targetCount: number; regions: string[]; waves: Array<{ size: number; regions: Record<string, number> }>; expected: { durationMs: number; apiCalls: { restarts: number } }; problems: unknown[] };
    expect(plan.targetCount).toBe(6);
    expect(plan.regions).toEqual(['cn-shanghai', 'cn-hangzhou']);
    expect(plan.waves.map((w) => w.size)).toEqual([1, 2, 1, 2]);
    expect(plan.waves[0]!.regions).toEqual({ 'cn-shanghai': 1 });
    expect(plan.expected.apiCalls.restarts).toBe(6);
    expect(plan.expected.durationMs).toBeGreaterThan(0);
    expect(plan.problems).toEqual([]);
    expect(stack.emulator.record().restarts).toHaveLength(0);
  });

  it('start --wait follows the rollout to its report; status, list and report read it back', async () => {
    const name = uniqueId('cli-start');
    const before = stack.emulator.record().restarts.length;
    const run = await cli(['start', specFile(spec(name)), '--wait', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RolloutReport;
    expect(report.phase).toBe('completed');
    const restarts = stack.emulator.record().restarts.slice(before);
    expect(restarts).toHaveLength(6);
    expect(multipleRestarts({ restarts })).toEqual([]);
    expect(Object.keys(restartCountsByInstance({ restarts })).sort()).toEqual(stack.emulator.instances().map((i) => i.instanceId).sort());
    const id = report.rolloutId;
    expect(id).toBe(`starwave-rollout-${name}`);

    const status = await cli(['status', id, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ executionStatus: 'COMPLETED', progress: { phase: 'completed', counts: { restarted: 6 } } });

    const text = await cli(['status', id]);
    expect(text.stdout).toContain('[completed]');
    expect(text.stdout).toContain('6/6 restarted');

    // Starting the same spec again returns the completed rollout: nothing new is started.
    const again = await cli(['start', specFile(spec(name)), '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ workflowId: id, existing: true });
    expect(stack.emulator.record().restarts.length).toBe(before + 6);

    await waitFor(async () => {
      const list = await cli(['list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const items = JSON.parse(list.stdout) as Array<{ workflowId: string; status: string }>;
      return items.find((i) => i.workflowId === id && i.status === 'COMPLETED');
    }, 'the rollout in visibility');

    const markdown = await cli(['report', id, '--format', 'markdown']);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain(`# Rollout ${id}`);
    expect(markdown.stdout.match(/^\| c-[0-9a-z]{16} \|/gm)).toHaveLength(6);
    const out = join(dir, 'report.json');
    const json = await cli(['report', id, '--format', 'json', '--out', out]);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as RolloutReport).counts.restarted).toBe(6);
  });

  it('pause, resume, set and approve control a running rollout; cancel stops one', async () => {
    const gated = spec(uniqueId('cli-gate'), { waves: { sizes: [1, '100%'], approvalBefore: [2] } });
    const before = stack.emulator.record().restarts.length;
    const started = await cli(['start', specFile(gated), '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { workflowId: id } = JSON.parse(started.stdout) as { workflowId: string };

    const pause = await cli(['pause', id, '--json']);
    expect(pause.code, pause.stderr).toBe(0);
    expect(JSON.parse(pause.stdout)).toMatchObject({ paused: true });
    const resume = await cli(['resume', id, '--json']);
    expect(JSON.parse(resume.stdout)).toMatchObject({ paused: false });
    const set = await cli(['set', id, '--concurrency', '3', '--budget', '1', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ concurrency: { global: 3 }, failureBudget: { total: 1 } });

    // The gate holds wave 2 until approved.
    await waitFor(async () => {
      const s = await cli(['status', id, '--json']);
      return (JSON.parse(s.stdout) as { progress?: { phase: string } }).progress?.phase === 'awaiting_approval' ? true : undefined;
    }, 'the approval gate');
    expect(stack.emulator.record().restarts.length - before).toBe(1);
    const approve = await cli(['approve', id, '--wave', '2', '--json']);
    expect(approve.code, approve.stderr).toBe(0);
    const watch = await cli(['status', id, '--watch']);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(/completed in .*: 6 restarted/);

    // A second gated rollout is cancelled at its gate: status --watch ends with exit 1 and the rest is not started.
    const second = await cli(['start', specFile(spec(uniqueId('cli-cancel'), { waves: { sizes: [1, '100%'], approvalBefore: [2] } })), '--json']);
    const id2 = (JSON.parse(second.stdout) as { workflowId: string }).workflowId;
    await waitFor(async () => {
      const s = await cli(['status', id2, '--json']);
      return (JSON.parse(s.stdout) as { progress?: { phase: string } }).progress?.phase === 'awaiting_approval' ? true : undefined;
    }, 'the second gate');
    const before2 = stack.emulator.record().restarts.length;
    const cancel = await cli(['cancel', id2, '--reason', 'test']);
    expect(cancel.code, cancel.stderr).toBe(0);
    const watch2 = await cli(['status', id2, '--watch']);
    expect(watch2.code).toBe(1);
    const report = await cli(['report', id2, '--json']);
    const r = JSON.parse(report.stdout) as RolloutReport;
    expect(r.phase).toBe('cancelled');
    expect(r.counts).toMatchObject({ restarted: 1, notStarted: 5 });
    expect(stack.emulator.record().restarts.length - before2).toBe(0); // nothing restarted after the gate
  });

  it('bad flags and a bad spec exit 2 with a sentence naming the problem, and start nothing', async () => {
    const before = stack.emulator.record().restarts.length;
    const wave = await cli(['approve', 'some-id', '--wave', 'zero']);
    expect(wave.code).toBe(2);
    expect(wave.stderr).toMatch(/--wave must be a whole number/);
    const set = await cli(['set', 'some-id']);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/--concurrency/);
    const unknown = await cli(['start', '--bogus', 'x.json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/);

    const name = uniqueId('bad');
    const bad = specFile({ ...spec(name), waves: { sizes: [0] }, concurrency: { global: 'lots' } });
    const run = await cli(['start', bad, '--wait']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('waves.sizes.0');
    expect(run.stderr).toContain('concurrency.global');
    expect(run.stderr).toContain('Nothing was started');
    await expect(stack.client.workflow.getHandle(`starwave-rollout-${name}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(stack.emulator.record().restarts.length).toBe(before);

    const missing = await cli(['status', 'starwave-rollout-does-not-exist']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No rollout with id/);
  });

  it('exits 3 when Temporal cannot be reached', async () => {
    const run = await cli(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/Could not reach Temporal at 127\.0\.0\.1:1/);
  });
});
