/**
 * Records workflow histories from real runs (own dev server, the emulator over HTTP, a real worker)
 * into test/fixtures/histories/, for the replay test (test/integration/replay.test.ts): a change to
 * the workflow or the engine that would break a running rollout fails CI before it ships.
 *
 *   npm run histories:record                     every scenario
 *   npm run histories:record -- fresh-listings   only the named ones (the others' fixtures stay as they are)
 *
 * Re-record only for a deliberate, versioned change (when no running rollout could replay the old
 * history): the point of the fixtures is that they do not follow the code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { cancelUpdate, pauseUpdate, progressQuery, resumeUpdate, setLimitsUpdate, skipUpdate, approveUpdate } from '../src/contracts/messages';
import { startDevServer } from '../src/devserver/temporal-cli';
import { DEFAULT_KEY, startEmulator } from '../src/emulator';
import { parseSpec, type RolloutSpecInput } from '../src/contracts/spec';
import { staticCredentials } from '../src/starrocks/credentials';
import { createStarwaveWorker } from '../src/worker/worker';
import { workflowBundleFile } from '../test/support/processes';
import { until } from '../test/support/wait';

const OUT = join(__dirname, '..', 'test', 'fixtures', 'histories');
const policy = { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 20, heartbeatTimeoutSeconds: 5 };


async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startDevServer({ port: 0, uiPort: false });
  const emulator = await startEmulator({
    regions: ['cn-hangzhou', 'cn-shanghai'],
    fleet: { generate: { regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 6 } },
    restartDuration: { kind: 'fixed', ms: 400 },
    seed: 3,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'record-histories';
  const { worker, close } = await createStarwaveWorker({
    connection: nativeConnection,
    client,
    taskQueue,
    credentials: staticCredentials(DEFAULT_KEY),
    endpointOverrides: emulator.endpoints,
    workerOptions: { workflowBundle: { codePath: await workflowBundleFile() }, workflowsPath: undefined, bundlerOptions: undefined } as object,
  });
  const running = worker.run();
  mkdirSync(OUT, { recursive: true });
  const ids = emulator.instances().map((i) => i.instanceId);
  const hz = emulator.instances().filter((i) => i.regionId === 'cn-hangzhou').map((i) => i.instanceId);

  const start = (name: string, spec: Omit<RolloutSpecInput, 'name'>, extra: object = {}): Promise<WorkflowHandle> =>
    client.workflow.start('rolloutWorkflow', { taskQueue, workflowId: `starwave-rollout-${name}`, args: [{ spec: parseSpec({ estimates: { fromHistory: false }, ...spec, name }), ...extra }] });

  const save = async (name: string, handle: WorkflowHandle): Promise<void> => {
    await handle.result();
    // Every run of the execution chain (continue-as-new), oldest first.
    const runs: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(wf.runId);
    const histories = [];
    for (const runId of runs.reverse()) histories.push({ workflowId: handle.workflowId, history: await client.workflow.getHandle(handle.workflowId, runId).fetchHistory() });
    histories.forEach((h, i) => writeFileSync(join(OUT, `${name}${histories.length > 1 ? `-run${i + 1}` : ''}.json`), `${historyToJSON(h.history)}\n`));
    process.stdout.write(`recorded ${name}: ${histories.length} run(s)\n`);
  };

  const only = process.argv.slice(2);
  const want = (name: string): boolean => only.length === 0 || only.includes(name);

  try {
    if (want('basic')) await save('basic', await start('basic', { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, regions: { order: ['cn-shanghai'] }, waves: { sizes: [1, '100%'] }, concurrency: { global: 2 }, instance: policy }));

    // The basic rollout recorded after the resolve activity answered with the fleet deflated (workflow patch
    // compact-resolve-result); basic.json keeps the plain answer that earlier runs got.
    if (want('compact-resolve')) await save('compact-resolve', await start('compact-resolve', { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, regions: { order: ['cn-shanghai'] }, waves: { sizes: [1, '100%'] }, concurrency: { global: 2 }, instance: policy }));

    if (want('faults')) {
      emulator.patchFaults({ throttling: { rate: 0.2, retryAfterMs: 100 }, drops: { dropAfterRate: 0.3, actions: ['RestartInstance'] }, restarts: { failInstanceIds: [hz[1]!], stuckInstanceIds: [hz[2]!] } });
      await save('faults', await start('faults', { targets: { instances: hz.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) }, waves: { sizes: ['100%'] }, concurrency: { global: 2 }, failureBudget: { total: 2 }, instance: { ...policy, confirmTimeoutSeconds: 2 } }));
      emulator.setFaults({});
    }
    emulator.reset();
    emulator.seed({ generate: { regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 6 } });

    if (want('control')) {
      const control = await start('control', { targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [2, '100%'], approvalBefore: [2] }, concurrency: { global: 1 }, instance: policy });
      await until('the gate', async () => (await control.query(progressQuery, 'summary')).phase === 'awaiting_approval');
      await control.executeUpdate(setLimitsUpdate, { args: [{ concurrency: { global: 2 }, by: 'record' }] });
      await control.executeUpdate(approveUpdate, { args: [{ wave: 2, by: 'record' }] });
      await control.executeUpdate(pauseUpdate, { args: [{ by: 'record' }] });
      await control.executeUpdate(resumeUpdate, { args: [{ by: 'record' }] });
      await control.executeUpdate(cancelUpdate, { args: [{ reason: 'recorded', by: 'record' }] });
      await save('control', control);
    }

    if (want('waits')) {
      const fresh = emulator.instances().map((i) => i.instanceId);
      emulator.foreignRestart(fresh[6]!, { durationMs: 2_000 });
      emulator.patchFaults({ restarts: { stuckInstanceIds: [fresh[7]!] } });
      const waits = await start('waits', { targets: { selectors: [{ regions: ['cn-shanghai'] }] }, waves: { sizes: ['100%'], order: 'listing' }, concurrency: { global: 1, stallTimeoutSeconds: 600 }, failureBudget: { total: 2 }, instance: { ...policy, confirmTimeoutSeconds: 2 } });
      await until('the stuck instance to hold the slot', async () => (await waits.query(progressQuery, 'summary')).blocked !== undefined);
      await waits.executeUpdate(skipUpdate, { args: [{ instanceId: fresh[7]!, by: 'record' }] });
      await save('waits', waits);
      emulator.setFaults({});
    }

    if (want('continue-as-new')) await save('continue-as-new', await start('continue-as-new', { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, regions: { mode: 'parallel' }, waves: { sizes: ['100%'] }, concurrency: { global: 2 }, instance: policy }, { historyLimit: 150 }));

    // The same chain recorded after continue-as-new carried deflated bytes (engine/codec.ts encodeCarried); the
    // continue-as-new fixture above keeps the packed object that earlier runs carried.
    if (want('continue-as-new-deflated')) await save('continue-as-new-deflated', await start('continue-as-new-deflated', { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, regions: { mode: 'parallel' }, waves: { sizes: ['100%'] }, concurrency: { global: 2 }, instance: policy }, { historyLimit: 150 }));

    if (want('health')) await save('health', await start('health', { targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: ['100%'] }, concurrency: { global: 3 }, health: { enabled: true, timeoutSeconds: 30 }, instance: policy }));

    // With the fresh-listings patch: sequential regions and a bake longer than STALE_AFTER_POLLS polls, so
    // launches wait for listings of the regions whose last one is too old.
    if (want('fresh-listings')) await save('fresh-listings', await start('fresh-listings', { targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] }, regions: { order: ['cn-shanghai'] }, waves: { sizes: [1, '100%'], bakeSeconds: 3 }, concurrency: { global: 2 }, instance: policy }));
  } finally {
    worker.shutdown();
    await running;
    await close();
    await nativeConnection.close();
    await connection.close();
    await emulator.close();
    await server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
