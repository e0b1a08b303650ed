/**
 * Maintenance windows: a schedule created with the CLI fires a rollout on the dev server (cron plus
 * --trigger-now), and the run respects its cutoff (start + window). Asserted from the emulator's record.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSchedule, getReport, scheduledWorkflowIdPrefix } from '../../src/client';
import type { RolloutReport } from '../../src/contracts/rollout';
import { fleet, startStack, type Stack } from '../support/stack';
import { waitFor } from './cli-support';
import { temporalAddress, uniqueId } from '../support/temporal';

const root = resolve(__dirname, '..', '..');
let stack: Stack;
const RESTART_MS = 400;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'starwave.js'), ...args],
      { cwd: root, env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), STARWAVE_TASK_QUEUE: stack.taskQueue }, timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startStack(fleet(['cn-hangzhou'], 12, RESTART_MS));
});
afterAll(async () => {
  await stack?.close();
});

describe('schedules', () => {
  it('a scheduled run is an ordinary rollout that stops launching at its window cutoff', async () => {
    const name = uniqueId('sched');
    const specPath = join(mkdtempSync(join(tmpdir(), 'starwave-sched-')), 'spec.json');
    writeFileSync(
      specPath,
      JSON.stringify({
        name,
        targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
        waves: { sizes: ['100%'] },
        concurrency: { global: 1 },
        instance: { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: RESTART_MS / 1000 },
      }),
    );
    const id = uniqueId('window');
    // Every minute (the first firing may come on its own), and one run right away; overlaps are skipped.
    const created = await cli(['schedule', 'create', id, '--spec', specPath, '--cron', '* * * * *', '--window', '3s', '--timezone', 'UTC', '--trigger-now', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ scheduleId: id, windowSeconds: 3, specName: name, taskQueue: stack.taskQueue });

    let runId: string | undefined;
    for (let i = 0; i < 100 && !runId; i++) {
      runId = (await describeSchedule(stack.client, id)).recentRuns[0]?.workflowId;
      if (!runId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(runId).toBeDefined();
    expect(runId!.startsWith(scheduledWorkflowIdPrefix({ name }))).toBe(true);
    const report: RolloutReport = await getReport(stack.client, runId!);

    // The window: cutoff = run start + 3 s. With 12 restarts of 400 ms one at a time (≥ 4.8 s) it must close early.
    expect(report.notAfterMs).toBe(report.startedAtMs + 3_000);
    expect(report.phase).toBe('stopped_window');
    const record = stack.emulator.record();
    // Only this run's restarts (a later minute's firing would start another run after this one finished).
    const restarts = record.restarts.filter((r) => r.atMs >= report.startedAtMs && r.atMs <= report.finishedAtMs);
    expect(restarts.length).toBeGreaterThan(0);
    expect(restarts.length).toBeLessThan(12);
    // No restart was launched that could not finish by the cutoff (expected duration ≥ the 400 ms restart;
    // 150 ms allowance for the activity's dispatch after the workflow decided), and each took effect before it.
    for (const r of restarts) {
      expect(r.atMs).toBeLessThanOrEqual(report.notAfterMs! - RESTART_MS + 150);
      expect(r.endedAtMs ?? Infinity).toBeLessThanOrEqual(report.notAfterMs! + 500);
    }
    const notStarted = report.instances.filter((i: RolloutReport['instances'][number]) => i.outcome === 'not_started');
    expect(notStarted).toHaveLength(12 - restarts.length);
    expect(notStarted.every((i: RolloutReport['instances'][number]) => i.notStartedReason === 'window')).toBe(true);
    expect(report.counts.restarted).toBe(restarts.length);

    // The CLI's other schedule commands.
    const list = await cli(['schedule', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ scheduleId: string }>).map((s) => s.scheduleId)).toContain(id);
    expect((await cli(['schedule', 'pause', id, '--note', 'freeze'])).code).toBe(0);
    const described = await cli(['schedule', 'describe', id, '--json']);
    expect(JSON.parse(described.stdout)).toMatchObject({ paused: true, note: 'freeze' });
    expect((await cli(['schedule', 'unpause', id])).code).toBe(0);
    expect((await cli(['schedule', 'delete', id])).code).toBe(0);
    const gone = await cli(['schedule', 'describe', id]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/No schedule/);
  });

  it('refuses a bad cron with a sentence naming the field (exit 2), before Temporal is asked', async () => {
    const specPath = join(mkdtempSync(join(tmpdir(), 'starwave-sched-')), 'spec.json');
    writeFileSync(specPath, JSON.stringify({ name: uniqueId('badcron'), targets: { selectors: [{ regions: ['cn-hangzhou'] }] } }));
    const id = uniqueId('badcron');
    const bad = await cli(['schedule', 'create', id, '--spec', specPath, '--cron', '0 25 * * *', '--window', '2h']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cron "0 25 * * *" is not a valid cron expression: the hour field "25" is out of range 0-23.');
    expect(bad.stderr).not.toMatch(/Hour is not in range/);
    const gone = await cli(['schedule', 'describe', id]);
    expect(gone.code).toBe(2);
  });

  it('shows times in the schedule\'s time zone, the window as a duration, and the run going now', async () => {
    const name = uniqueId('zoned');
    const specPath = join(mkdtempSync(join(tmpdir(), 'starwave-sched-')), 'spec.json');
    // A gate before wave 2 keeps the run going until it is cancelled.
    writeFileSync(
      specPath,
      JSON.stringify({
        name,
        targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
        waves: { sizes: [1, '100%'], approvalBefore: [2] },
        instance: { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: RESTART_MS / 1000 },
      }),
    );
    const id = uniqueId('zoned');
    const created = await cli(['schedule', 'create', id, '--spec', specPath, '--cron', '0 2 * * SUN', '--timezone', 'Asia/Shanghai', '--window', '2h', '--trigger-now']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Created schedule ${id}: each run restarts "${name}" at "0 2 * * SUN" (Asia/Shanghai), within a 2h window`);
    // Sunday 02:00 in Shanghai, shown as such (not as Saturday 18:00 UTC).
    expect(created.stdout).toMatch(/next runs: \d{4}-\d\d-\d\d 02:00:00 \+08:00/);

    let workflowId = '';
    try {
      const described = await waitFor(async () => {
        const d = await cli(['schedule', 'describe', id]);
        return /running now: (\S+) run \S+ \[awaiting approval\]/.test(d.stdout) ? d.stdout : undefined;
      }, 'the triggered run at its gate in describe');
      workflowId = /running now: (\S+) run/.exec(described)![1]!;
      expect(workflowId.startsWith(scheduledWorkflowIdPrefix({ name }))).toBe(true);
      expect(described).toContain(`rollout "${name}" on task queue "${stack.taskQueue}", at "0 2 * * SUN" (Asia/Shanghai), window 2h`);
      expect(described).toMatch(/next runs: \d{4}-\d\d-\d\d 02:00:00 \+08:00/);
      expect(described).toMatch(/since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00/);
      const json = JSON.parse((await cli(['schedule', 'describe', id, '--json'])).stdout) as { cron: string[]; timezone: string; windowSeconds: number; running: Array<{ workflowId: string }> };
      expect(json).toMatchObject({ cron: ['0 2 * * SUN'], timezone: 'Asia/Shanghai', windowSeconds: 7200 });
      expect(json.running.map((r) => r.workflowId)).toEqual([workflowId]);
    } finally {
      if (workflowId) {
        await cli(['cancel', workflowId]);
        await cli(['report', workflowId, '--wait']);
      }
      await cli(['schedule', 'delete', id]);
    }
  });
});
