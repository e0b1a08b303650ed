/**
 * The real `starwave` CLI as child processes (node bin/starwave.js …) against the run's Temporal dev
 * server, a real worker on its own task queue and the emulator. Restart outcomes are read from the
 * emulator's record; states, outcomes and exit codes from what the CLI prints.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutRun } from '../../src/client/list';
import type { ControlAck, RolloutReport } from '../../src/contracts/rollout';
import { multipleRestarts } from '../../src/emulator/invariants';
import { fleet, startStack, type Stack } from '../support/stack';
import { uniqueId } from '../support/temporal';
import { cli, fastPolicy, json, me, spawnCli, specFile, stackEnv, waitFor, type Run } from './cli-support';

let stack: Stack;
let env: Record<string, string | undefined>;
const regions = ['cn-hangzhou', 'cn-shanghai'];
const run = (args: string[]): Promise<Run> => cli(args, env);

const spec = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  targets: { selectors: [{ regions }] },
  regions: { order: ['cn-shanghai'] },
  waves: { sizes: [1, '100%'] },
  concurrency: { global: 2 },
  estimates: { fromHistory: false },
  instance: fastPolicy,
  ...extra,
});
const inRegion = (region: string) => stack.emulator.instances().filter((i) => i.regionId === region);

async function phaseOf(id: string): Promise<string | undefined> {
  const s = await run(['status', id, '--json']);
  return (JSON.parse(s.stdout) as { progress?: { phase: string } }).progress?.phase;
}

/** Cancels a run and waits until it has closed (and released its leases), so the next test's run can lease the same instances. */
async function end(id: string): Promise<void> {
  const cancel = await run(['cancel', id]);
  expect([0, 2], cancel.stderr).toContain(cancel.code); // 2: it had already finished
  const report = await run(['report', id, '--wait', '--json']);
  expect(report.code, report.stderr).toBe(0);
}

/** Runs to end after the current test, passed or failed, so a failure does not leave leases behind for the next. */
let toEnd: string[] = [];
let cleanups: Array<() => void> = [];
const onExit = (id: string): void => void toEnd.push(id);
const onCleanup = (fn: () => void): void => void cleanups.push(fn);
afterEach(async () => {
  const ids = toEnd;
  toEnd = [];
  for (const id of ids) await end(id);
  for (const fn of cleanups.splice(0)) fn();
});

async function listed(args: string[]): Promise<RolloutRun[]> {
  const l = await run(['list', ...args, '--json']);
  expect(l.code, l.stderr).toBe(0);
  return json<RolloutRun[]>(l);
}

beforeAll(async () => {
  stack = await startStack(fleet(regions, 3, 300));
  env = stackEnv(stack);
});
afterAll(async () => {
  await stack?.close();
});

describe('starwave CLI on the real stack', () => {
  it('re-runs a spec: each start is a new run with its own id and report, and list --name finds every run', async () => {
    const name = uniqueId('weekly');
    const id = `starwave-rollout-${name}`;
    const path = specFile(spec(name));
    const before = stack.emulator.record().restarts.length;

    const first = await run(['start', path, '--wait']);
    expect(first.code, first.stderr).toBe(0);
    const started = /Started rollout (\S+): run (\S+) started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ by (\S+) on task queue/.exec(first.stdout);
    expect(started?.[1]).toBe(id);
    expect(started?.[3]).toBe(me);
    const run1 = started![2]!;
    expect(first.stdout).toContain(`run ${run1}`);
    expect(first.stdout).toMatch(/completed in .*: 6 restarted/);

    // The same spec again, a week later: a new run of the same rollout, not "already exists".
    const second = await run(['start', path, '--wait', '--json']);
    expect(second.code, second.stderr).toBe(0);
    const report2 = json<RolloutReport & { runId: string }>(second);
    expect(report2.phase).toBe('completed');
    expect(report2.runId).not.toBe(run1);
    expect(second.stderr).toContain(`run ${report2.runId} started`);

    // Both runs restarted every instance once each, from the emulator's record.
    const restarts = stack.emulator.record().restarts.slice(before);
    expect(restarts).toHaveLength(12);
    const ids = stack.emulator.instances().map((i) => i.instanceId);
    for (const i of ids) expect(restarts.filter((r) => r.instanceId === i)).toHaveLength(2);
    const cut = report2.startedAtMs;
    expect(multipleRestarts({ restarts: restarts.filter((r) => r.atMs < cut) })).toEqual([]);
    expect(multipleRestarts({ restarts: restarts.filter((r) => r.atMs >= cut) })).toEqual([]);

    // The CLI starts runs with starwave's workflow task timeout (contracts/rollout.ts), not Temporal's 10 s.
    const described = await stack.client.workflow.getHandle(id, run1).describe();
    expect(Number(described.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds)).toBe(30);

    // Each run keeps its own report.
    const r1 = json<RolloutReport & { runId: string }>(await run(['report', id, '--run', run1, '--json']));
    const r2 = json<RolloutReport & { runId: string }>(await run(['report', id, '--run', report2.runId, '--json']));
    expect([r1.runId, r2.runId]).toEqual([run1, report2.runId]);
    expect(r1.startedAtMs).toBeLessThan(r2.startedAtMs);
    expect([r1.counts.restarted, r2.counts.restarted]).toEqual([6, 6]);

    const runs = await waitFor(async () => {
      const items = await listed(['--name', name]);
      return items.length === 2 && items.every((i) => i.outcome === 'completed') ? items : undefined;
    }, 'both runs in visibility');
    expect(runs.map((r) => r.runId).sort()).toEqual([run1, report2.runId].sort());
    const text = await run(['list', '--name', name]);
    expect(text.stdout).toMatch(new RegExp(`${id}\\s+${report2.runId}\\s+completed`));

    const status = await run(['status', id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`run ${report2.runId}  [completed]`);
  });

  it('refuses a second start while a run is going (naming it), and a requestId never starts twice', async () => {
    // Each gated run holds leases on its targets until it ends: the two use one region each.
    const gated = (name: string, region: string, extra: Record<string, unknown> = {}) =>
      specFile(spec(name, { targets: { selectors: [{ regions: [region] }] }, regions: { order: [] }, waves: { sizes: [1, '100%'], approvalBefore: [2] }, ...extra }));
    const name = uniqueId('busy');
    const path = gated(name, 'cn-shanghai');
    const started = json<{ workflowId: string; runId: string }>(await run(['start', path, '--json']));
    const keyed = gated(uniqueId('keyed'), 'cn-hangzhou', { requestId: uniqueId('req') });
    const k1 = json<{ workflowId: string; runId: string; existing: boolean }>(await run(['start', keyed, '--json']));
    try {
      const again = await run(['start', path]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`A rollout named "${name}" is still running (${started.workflowId}, run ${started.runId}`);
      expect(again.stderr).toContain('nothing new was started');

      const k2 = await run(['start', keyed]);
      expect(k2.code, k2.stderr).toBe(0);
      expect(k2.stdout).toContain('already has a run for requestId');
      expect(k2.stdout).toContain(`run ${k1.runId}`);
      expect(k1.existing).toBe(false);
    } finally {
      for (const id of [started.workflowId, k1.workflowId]) await end(id);
    }
  });

  it('every control reply shows the state after the action, and who did what is in every report format', async () => {
    // Slow restarts in the first region, one at a time: the pause lands while its first restart is in flight.
    const slow = inRegion('cn-shanghai');
    for (const i of slow) stack.emulator.patchInstance(i.instanceId, { restartDurationMs: 3_000 });
    onCleanup(() => {
      for (const i of slow) stack.emulator.patchInstance(i.instanceId, { restartDurationMs: 300 });
    });
    const name = uniqueId('ctl');
    const before = stack.emulator.record().restarts.length;
    const started = json<{ workflowId: string; runId: string }>(
      await run(['start', specFile(spec(name, { waves: { sizes: [2, '100%'], approvalBefore: [2], order: 'listing' }, concurrency: { global: 1 } })), '--json']),
    );
    const id = started.workflowId;
    onExit(id);

    const pause = json<ControlAck & { by: string; runId: string }>(await run(['pause', id, '--json']));
    expect(pause).toMatchObject({ paused: true, by: me, runId: started.runId });
    const paused = await waitFor(async () => {
      const s = await run(['status', id]);
      return s.stdout.includes('[paused]') && s.stdout.includes(' 0 in flight') ? s.stdout : undefined;
    }, 'the paused state with nothing in flight');
    expect(paused).toContain(`PAUSED by ${me}`);
    // Paused: the restart in flight finished, nothing new was launched.
    expect(stack.emulator.record().restarts.length - before).toBeLessThanOrEqual(1);

    const resume = await run(['resume', id]);
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stdout).toMatch(/now: running, wave 1/);
    await waitFor(async () => ((await phaseOf(id)) === 'awaiting_approval' ? true : undefined), 'the approval gate');
    expect((await run(['status', id])).stdout).toContain('[awaiting approval]');
    expect(stack.emulator.record().restarts.length - before).toBe(2);

    const set = json<ControlAck>(await run(['set', id, '--concurrency', '3', '--budget', '1', '--json']));
    expect(set.limits).toMatchObject({ concurrency: { global: 3 }, failureBudget: { total: 1 } });
    expect(set.phase).toBe('awaiting_approval');

    const approve = await run(['approve', id, '--wave', '2']);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toMatch(/now: running, wave 2/);
    const watch = await run(['status', id, '--watch']);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(new RegExp(`2\\s+cn-shanghai .*done \\(approved by ${me}\\)`));
    expect(watch.stdout).toMatch(/completed in .*: 6 restarted/);

    const table = await run(['report', id]);
    const markdown = await run(['report', id, '--format', 'markdown']);
    const report = json<RolloutReport>(await run(['report', id, '--format', 'json']));
    expect(report.audit.map((a) => [a.action, a.by])).toEqual([
      ['start', me],
      ['pause', me],
      ['resume', me],
      ['setLimits', me],
      ['approve', me],
    ]);
    for (const text of [table.stdout, markdown.stdout]) {
      for (const action of ['pause', 'resume', 'setLimits', 'approve']) expect(text).toMatch(new RegExp(`${action}\\s*\\|?\\s*${me}`));
    }
  });

  it('cancel shows cancelling while restarts finish; the reason and who cancelled are in every report format', async () => {
    const slow = inRegion('cn-hangzhou');
    for (const i of slow) stack.emulator.patchInstance(i.instanceId, { restartDurationMs: 4_000 });
    try {
      const name = uniqueId('cancel');
      const started = json<{ workflowId: string }>(await run(['start', specFile(spec(name, { targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, regions: { order: [] }, waves: { sizes: ['100%'] }, concurrency: { global: 3 } })), '--json']));
      const id = started.workflowId;
      onExit(id);
      await waitFor(() => (stack.emulator.record().restarts.some((r) => slow.some((s) => s.instanceId === r.instanceId) && r.outcome === 'pending') ? true : undefined), 'a restart in flight');

      const cancel = await run(['cancel', id, '--reason', 'maintenance freeze']);
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toMatch(new RegExp(`^${id} \\(run \\S+\\): Cancelling`));
      expect(cancel.stdout).toContain('now: cancelling');
      const during = await run(['status', id]);
      expect(during.stdout).toContain('[cancelling]');
      expect(during.stdout).toContain(`CANCELLING (asked by ${me}: maintenance freeze)`);

      const watch = await run(['status', id, '--watch']);
      expect(watch.code).toBe(1);
      const table = await run(['report', id]);
      const markdown = await run(['report', id, '--format', 'markdown']);
      const report = json<RolloutReport>(await run(['report', id, '--json']));
      expect(report.phase).toBe('cancelled');
      expect(report.cancelReason).toBe('maintenance freeze');
      expect(report.audit.find((a) => a.action === 'cancel')).toMatchObject({ by: me, detail: 'maintenance freeze' });
      for (const text of [table.stdout, markdown.stdout]) {
        expect(text).toContain('maintenance freeze');
        expect(text).toMatch(new RegExp(`cancel\\s*\\|?\\s*${me}`));
      }
      expect((await run(['status', id])).code).toBe(1);
      await waitFor(async () => ((await listed(['--status', 'cancelled'])).some((r) => r.workflowId === id) ? true : undefined), 'the cancelled run listed as cancelled');
      expect((await listed(['--status', 'completed'])).some((r) => r.workflowId === id)).toBe(false);
    } finally {
      for (const i of slow) stack.emulator.patchInstance(i.instanceId, { restartDurationMs: 300 });
    }
  });

  it('a stopped rollout exits 1 from start --wait and status, and list shows and filters its outcome', async () => {
    const failing = inRegion('cn-shanghai')[1]!;
    stack.emulator.setFaults({ restarts: { failInstanceIds: [failing.instanceId] } });
    try {
      const name = uniqueId('budget');
      const waited = await run(['start', specFile(spec(name, { targets: { selectors: [{ regions: ['cn-shanghai'] }] }, waves: { sizes: ['100%'] }, concurrency: { global: 1 } })), '--wait']);
      expect(waited.code).toBe(1);
      expect(waited.stdout).toContain('stopped by the failure budget');
      const id = `starwave-rollout-${name}`;
      const status = await run(['status', id]);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain('[stopped by the failure budget]');
      await waitFor(async () => ((await listed(['--status', 'stopped_budget'])).some((r) => r.workflowId === id) ? true : undefined), 'the run under stopped_budget');
      expect((await listed(['--status', 'completed', '--name', name]))).toEqual([]);
      expect((await listed(['--region', 'cn-shanghai', '--name', name])).map((r) => r.outcome)).toEqual(['stopped_budget']);
      expect(await listed(['--region', 'cn-hangzhou', '--name', name])).toEqual([]);
      expect((await run(['list', '--status', 'stopped_budget'])).stdout).toMatch(new RegExp(`${id}\\s+\\S+\\s+stopped_budget`));
    } finally {
      stack.emulator.setFaults({});
      stack.emulator.patchInstance(failing.instanceId, { status: 'running' });
    }
  });

  it('a down instance holding every slot shows as Blocked; skip releases it by hand', async () => {
    const hung = inRegion('cn-shanghai')[0]!;
    stack.emulator.patchInstance(hung.instanceId, { stuck: true });
    try {
      const name = uniqueId('blocked');
      const body = spec(name, {
        targets: { selectors: [{ regions: ['cn-shanghai'] }] },
        waves: { sizes: ['100%'], order: 'listing' },
        concurrency: { global: 1, stallTimeoutSeconds: 600 },
        failureBudget: { total: 1 },
        instance: { ...fastPolicy, confirmTimeoutSeconds: 2 },
      });
      const { workflowId: id } = json<{ workflowId: string }>(await run(['start', specFile(body), '--json']));
      onExit(id);
      const blocked = await waitFor(async () => {
        const s = await run(['status', id]);
        return s.stdout.includes('Blocked since') ? s.stdout : undefined;
      }, 'the Blocked section');
      expect(blocked).toMatch(new RegExp(`${hung.instanceId}\\s+cn-shanghai\\s+restarting\\s+\\S+\\s+failed \\(confirm_timeout\\) and still down`));
      expect(blocked).toContain('The rollout stops (stopped_stalled) at');
      expect(blocked).toContain(`starwave skip ${id} ${hung.instanceId}`);

      const bad = await run(['skip', id, 'not-an-instance']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('<instance> must be an instance id');
      const unknown = await run(['skip', id, 'c-0000000000000000']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('is not a target of this rollout');

      const skip = await run(['skip', id, hung.instanceId]);
      expect(skip.code, skip.stderr).toBe(0);
      expect(skip.stdout).toContain(`${hung.instanceId} released`);
      const report = json<RolloutReport>(await run(['report', id, '--wait', '--json']));
      expect(report.phase).toBe('completed');
      expect(report.instances.find((i) => i.instanceId === hung.instanceId)).toMatchObject({ outcome: 'failed', releasedBy: me });
      expect(report.audit.find((a) => a.action === 'skip')).toMatchObject({ by: me, detail: hung.instanceId });
      expect(report.counts.restarted).toBe(2);
    } finally {
      stack.emulator.patchInstance(hung.instanceId, { stuck: false, status: 'running' });
    }
  });

  it('status --watch --json streams one JSON line per change', async () => {
    const { workflowId: id } = json<{ workflowId: string }>(await run(['start', specFile(spec(uniqueId('stream'))), '--json']));
    onExit(id);
    const watch = await run(['status', id, '--watch', '--json']);
    expect(watch.code, watch.stderr).toBe(0);
    const lines = watch.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const parsed = lines.map((l) => JSON.parse(l) as { runId: string; executionStatus: string; progress?: { counts: { restarted: number } } });
    for (let i = 1; i < lines.length; i++) expect(lines[i]).not.toBe(lines[i - 1]);
    expect(parsed[0]!.executionStatus).toBe('RUNNING');
    expect(parsed.at(-1)).toMatchObject({ executionStatus: 'COMPLETED', progress: { counts: { restarted: 6 } } });
    expect(new Set(parsed.map((p) => p.runId)).size).toBe(1);
  });

  it('Ctrl-C during start --wait says the rollout keeps running and how to cancel it', async () => {
    const name = uniqueId('ctrlc');
    const id = `starwave-rollout-${name}`;
    onExit(id);
    const p = spawnCli(['start', specFile(spec(name, { waves: { sizes: [1, '100%'], approvalBefore: [2] } })), '--wait'], env);
    await waitFor(() => (p.output().stdout.includes('Started rollout') ? true : undefined), 'the start line');
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(130);
    const { stderr } = p.output();
    expect(stderr).toContain(`Rollout ${id} (run `);
    expect(stderr).toContain('keeps running on the worker; nothing was cancelled');
    expect(stderr).toContain(`starwave cancel ${id} --reason`);
    expect(await waitFor(async () => ((await phaseOf(id)) === 'awaiting_approval' ? true : undefined), 'the rollout still going')).toBe(true);
  });

  it('bad flags and a bad spec exit 2 with a sentence naming the problem, and start nothing', async () => {
    const before = stack.emulator.record().restarts.length;
    const wave = await run(['approve', 'some-id', '--wave', 'zero']);
    expect(wave.code).toBe(2);
    expect(wave.stderr).toMatch(/--wave must be a whole number/);
    const set = await run(['set', 'starwave-rollout-x']);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/--concurrency/);
    const unknown = await run(['start', '--bogus', 'x.json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/);
    const status = await run(['list', '--status', 'done']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('--status must be one of running, completed, stopped_budget');

    const name = uniqueId('bad');
    const bad = specFile({ ...spec(name), waves: { sizes: [0] }, concurrency: { global: 'lots' } });
    const started = await run(['start', bad, '--wait']);
    expect(started.code).toBe(2);
    expect(started.stderr).toContain('waves.sizes.0');
    expect(started.stderr).toContain('concurrency.global');
    expect(started.stderr).toContain('Nothing was started');
    expect(json<RolloutRun[]>(await run(['list', '--name', name, '--json']))).toEqual([]);
    expect(stack.emulator.record().restarts.length).toBe(before);

    const missing = await run(['status', 'starwave-rollout-does-not-exist']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No rollout with id/);
    const finished = await run(['pause', `starwave-rollout-${name}`]);
    expect(finished.code).toBe(2);
  });

  it('exits 3 when Temporal cannot be reached', async () => {
    const r = await cli(['list'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/Could not reach Temporal at 127\.0\.0\.1:1/);
  });
});
