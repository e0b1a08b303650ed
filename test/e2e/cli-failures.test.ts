/**
 * Clear failures instead of silent waits, with the real CLI as child processes: no worker polling the
 * task queue is named within seconds by start --wait, status (--watch) and every control command; a
 * control message nobody answers times out with a sentence (exit 3); misspelt regions, regions.order
 * and targets.exclude entries are problems in plan and start (exit 2, nothing started, no API call).
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutRun } from '../../src/client/list';
import { fleet, startStack, type Stack } from '../support/stack';
import { uniqueId, uniqueTaskQueue } from '../support/temporal';
import { cli, fastPolicy, json, specFile, stackEnv, type Run } from './cli-support';

let stack: Stack;
let env: Record<string, string | undefined>;
const run = (args: string[], extra: Record<string, string | undefined> = {}): Promise<Run> => cli(args, { ...env, ...extra });
/** "Within seconds": well under the old 50 s DEADLINE_EXCEEDED and the minutes a cancel used to hang. */
const SECONDS = 15_000;

const spec = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] },
  waves: { sizes: [1, '100%'] },
  instance: fastPolicy,
  ...extra,
});

beforeAll(async () => {
  stack = await startStack(fleet(['cn-hangzhou', 'cn-shanghai'], 2, 300), { startWorker: false });
  env = stackEnv(stack);
});
afterAll(async () => {
  await stack?.close();
});

/** Takes workflow tasks of `taskQueue` and never answers them: a worker that polls but is stuck. */
function stuckPoller(client: Client, taskQueue: string): { stop: () => void } {
  const abort = new AbortController();
  void (async () => {
    while (!abort.signal.aborted) {
      await client
        .withAbortSignal(abort.signal, () =>
          // A long poll needs a deadline; the task it gets is never completed.
          client.withDeadline(Date.now() + 30_000, () => client.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'stuck-poller' })),
        )
        .catch(() => undefined);
    }
  })();
  return { stop: () => abort.abort() };
}

describe('no worker polling the task queue', () => {
  it('start --wait says so within seconds and starts nothing', async () => {
    const name = uniqueId('noworker');
    const r = await run(['start', specFile(spec(name)), '--wait']);
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(SECONDS);
    expect(r.stderr).toContain(`No starwave worker is polling task queue "${stack.taskQueue}": start one with "starwave worker --task-queue ${stack.taskQueue}" and try again (nothing was sent).`);
    expect(json<RolloutRun[]>(await run(['list', '--name', name, '--json']))).toEqual([]);
  });

  it('start without --wait starts and notes it; status, status --watch and every control command say so within seconds', async () => {
    const started = await run(['start', specFile(spec(uniqueId('queued'), { waves: { sizes: [1, '100%'], approvalBefore: [2] } })), '--json']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toContain(`Note: no starwave worker is polling task queue "${stack.taskQueue}" yet`);
    const { workflowId: id } = json<{ workflowId: string }>(started);
    try {
      const commands = [
        ['status', id],
        ['status', id, '--watch'],
        ['pause', id],
        ['resume', id],
        ['cancel', id, '--reason', 'x'],
        ['approve', id, '--wave', '2'],
        ['set', id, '--concurrency', '2'],
        ['skip', id, stack.emulator.instances()[0]!.instanceId],
      ];
      for (const args of commands) {
        const r = await run(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
        expect(r.ms, args.join(' ')).toBeLessThan(SECONDS);
        expect(r.stderr, args.join(' ')).toContain(`No starwave worker is polling task queue "${stack.taskQueue}"`);
      }
    } finally {
      await stack.client.workflow.getHandle(id).terminate('test cleanup');
    }
  });

  it('a control message that a polling worker never answers times out with a sentence (exit 3)', async () => {
    const taskQueue = uniqueTaskQueue('stuck');
    const poller = stuckPoller(stack.client, taskQueue);
    const started = await run(['start', specFile(spec(uniqueId('stuck'))), '--task-queue', taskQueue, '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { workflowId: id } = json<{ workflowId: string }>(started);
    try {
      const r = await run(['pause', id, '--timeout', '2s']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.ms).toBeLessThan(SECONDS);
      expect(r.stderr).toMatch(new RegExp(`^Temporal did not answer the pause of ${id} in time .*Nothing is known to have changed; check the worker's log, then retry \\(or give a longer --timeout\\)\\.\\n$`));
    } finally {
      poller.stop();
      await stack.client.workflow.getHandle(id).terminate('test cleanup');
    }
  });
});

describe('regions, regions.order and targets.exclude', () => {
  /** Exit 2 with every problem on stderr; `reads`: whether the command may read the API to find them. */
  async function refused(args: string[], problems: RegExp[], opts: { extra?: Record<string, string | undefined>; reads?: boolean } = {}): Promise<void> {
    const calls = stack.emulator.record().calls.length;
    const r = await run(args, opts.extra);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    for (const p of problems) expect(r.stderr).toMatch(p);
    if (args[0] === 'start') expect(r.stderr).toContain('Nothing was started.');
    if (!opts.reads) expect(stack.emulator.record().calls.length - calls, 'no API call').toBe(0);
  }

  it('a misspelt region is refused by plan and start with the closest known one, before any API call', async () => {
    const body = specFile(spec(uniqueId('typo'), { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-hangzou'] }] } }));
    const problem = /targets\.selectors\.0\.regions\.1: unknown region "cn-hangzou" \(did you mean "cn-hangzhou"\?\); known regions: cn-hangzhou, cn-shanghai \(STARWAVE_ENDPOINTS is set/;
    await refused(['plan', body], [problem]);
    await refused(['start', body, '--wait'], [problem]);
    // Against the real cloud (no STARWAVE_ENDPOINTS): the SDK's regions are the known ones.
    await refused(['start', body], [/unknown region "cn-hangzou" \(did you mean "cn-hangzhou"\?\); known regions: ap-southeast-1, /], { extra: { STARWAVE_ENDPOINTS: undefined } });
  });

  it('with STARWAVE_ENDPOINTS set, a cloud region without an override is an error, not a request to the real cloud', async () => {
    const body = specFile(spec(uniqueId('cloud'), { targets: { selectors: [{ regions: ['cn-beijing'] }] } }));
    await refused(['plan', body], [/targets\.selectors\.0\.regions\.0: unknown region "cn-beijing".*add an entry for it there/]);
    await refused(['start', body], [/unknown region "cn-beijing"/]);
  });

  it('regions.order naming a misspelt region or one no target is in is a problem', async () => {
    const typo = specFile(spec(uniqueId('order'), { regions: { order: ['cn-shangai'] } }));
    await refused(['start', typo], [/regions\.order\.0: unknown region "cn-shangai" \(did you mean "cn-shanghai"\?\)/]);
    const unused = specFile(spec(uniqueId('order'), { targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, regions: { order: ['cn-shanghai'] } }));
    await refused(['start', unused], [/regions\.order\.0: no target is in region "cn-shanghai"; it has no effect/]);
    await refused(['plan', unused], [/regions\.order\.0: no target is in region "cn-shanghai"/], { reads: true });
  });

  it('targets.exclude naming an instance the spec does not target is a problem in plan and start', async () => {
    const real = stack.emulator.instances()[0]!.instanceId;
    const body = specFile(spec(uniqueId('exclude'), { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }], exclude: [real, 'c-0000000000000000'] } }));
    const problem = /targets\.exclude\.1: c-0000000000000000 is not a target of this spec, so excluding it has no effect; check the id/;
    // These resolve the targets (read-only) to know; the excluded real instance is no problem.
    await refused(['plan', body], [problem], { reads: true });
    const plan = await run(['plan', body]);
    expect(plan.stdout).toMatch(problem);
    expect(plan.stdout).not.toMatch(/targets\.exclude\.0/);
    const name = uniqueId('exclude');
    const start = await run(['start', specFile(spec(name, { targets: { selectors: [{ regions: ['cn-hangzhou'] }], exclude: ['c-0000000000000000'] } })), '--json']);
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(/targets\.exclude\.0: c-0000000000000000 is not a target/);
    expect(json<RolloutRun[]>(await run(['list', '--name', name, '--json']))).toEqual([]);
    // Explicit instances are checked without the API.
    const listed = specFile({ name: uniqueId('listed'), targets: { instances: [{ region: 'cn-hangzhou', instanceId: real }], exclude: ['c-1111111111111111'] } });
    await refused(['start', listed], [/targets\.exclude\.0: c-1111111111111111 is not a target/]);
  });
});
