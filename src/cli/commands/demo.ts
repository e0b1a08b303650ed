/**
 * `starwave demo` / `npm run demo`: the whole system on one machine. Starts the embedded Temporal dev server
 * (with its Web UI), the StarRocks emulator with a multi-region fleet (lognormal restart times, a little
 * throttling with Retry-After, one instance whose restart fails), an in-process worker, and a canary rollout
 * with growing waves; shows live progress and ends with the report. Everything it started is stopped at the
 * end and on Ctrl-C (unless --keep-running).
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { startRollout } from '../../client';
import { EXIT, type ExitCode } from '../../contracts/errors';
import type { DevServer } from '../../devserver/temporal-cli';
import type { Emulator } from '../../emulator';
import type { RolloutSpecInput } from '../../contracts/spec';
import { act, arg, examples } from '../context';
import { parsePositiveInt } from '../flags';
import { follow } from '../follow';
import { formatDuration } from '../render/format';
import { reportTable } from '../render/report';

export interface DemoOptions {
  /** Number of regions (default 3). */
  regions: number;
  /** Instances per region (default 20). */
  instances: number;
  /** Leave Temporal and the Web UI up after the report until Ctrl-C. */
  keepRunning?: boolean;
  out?: NodeJS.WriteStream;
}

const DEMO_REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen', 'cn-zhangjiakou', 'cn-hongkong', 'ap-southeast-1', 'eu-central-1'];
const TASK_QUEUE = 'starwave-demo';
const PREFERRED_UI_PORT = 8233;

/** The demo's rollout: canary region first, growing waves, concurrency 4, one failure tolerated. */
export function demoSpec(regions: string[], name: string): RolloutSpecInput {
  return {
    name,
    description: 'starwave demo: canary region first, growing waves',
    targets: { selectors: [{ regions }] },
    regions: { order: [regions[0]!], mode: 'sequential' },
    waves: { sizes: [1, '25%', '100%'] },
    concurrency: { global: 4 },
    failureBudget: { total: 1 },
    instance: { pollIntervalSeconds: 0.5, confirmTimeoutSeconds: 120, expectedRestartSeconds: 4, heartbeatTimeoutSeconds: 10 },
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function registerDemo(program: Command): void {
  const demo = program
    .command('demo')
    .description('The whole thing on this machine: embedded Temporal, the emulator, a worker and a canary rollout with live progress')
    .addOption(new Option('--regions <n>', 'number of regions').default(3).argParser(arg((raw) => parsePositiveInt('--regions', raw, { max: DEMO_REGIONS.length }))))
    .addOption(new Option('--instances <n>', 'instances per region').default(20).argParser(arg((raw) => parsePositiveInt('--instances', raw, { max: 2_000 }))))
    .option('--keep-running', 'leave Temporal and its Web UI up after the report (Ctrl-C stops)')
    .action(act((o: { regions: number; instances: number; keepRunning?: boolean }) => runDemo(o)));
  examples(demo, ['starwave demo', 'starwave demo --regions 2 --instances 10', 'starwave demo --keep-running']);
}

export async function runDemo(opts: DemoOptions): Promise<ExitCode> {
  // Loaded on demand: the dev server, the emulator and the worker SDK are heavy.
  const { Client, Connection } = require('@temporalio/client') as typeof import('@temporalio/client');
  const { DefaultLogger, NativeConnection, Runtime } = require('@temporalio/worker') as typeof import('@temporalio/worker');
  const { startDevServer } = require('../../devserver/temporal-cli') as typeof import('../../devserver/temporal-cli');
  const { DEFAULT_KEY, startEmulator } = require('../../emulator') as typeof import('../../emulator');
  const { staticCredentials } = require('../../starrocks/credentials') as typeof import('../../starrocks/credentials');
  const { createStarwaveWorker } = require('../../worker/worker') as typeof import('../../worker/worker');
  const out = opts.out ?? process.stdout;
  const say = (line: string): void => {
    out.write(`${line}\n`);
  };
  const regions = DEMO_REGIONS.slice(0, opts.regions);
  const began = Date.now();
  const workerLog = join(tmpdir(), `starwave-demo-worker-${process.pid}.log`);
  // Worker and SDK logs go to a file: the terminal belongs to the live progress view.
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      appendFileSync(workerLog, `${JSON.stringify({ ts: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, msg: entry.message, ...entry.meta })}\n`);
    }),
  });

  let server: DevServer | undefined;
  let emulator: Emulator | undefined;
  let clientConnection: Connection | undefined;
  let workerConnection: NativeConnection | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (keepServer: boolean): Promise<void> =>
    (cleaning ??= (async () => {
      await stopWorker?.().catch(() => {});
      await clientConnection?.close().catch(() => {});
      await workerConnection?.close().catch(() => {});
      await emulator?.close().catch(() => {});
      if (!keepServer) await server?.stop().catch(() => {});
    })());
  const onSignal = (): void => {
    process.stderr.write('\nInterrupted: stopping the worker, the emulator and Temporal…\n');
    void cleanup(false).then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    say(`starwave demo: ${regions.length} region(s) x ${opts.instances} instances, canary region ${regions[0]} first.`);
    const uiPort = (await portIsFree(PREFERRED_UI_PORT)) ? PREFERRED_UI_PORT : 0;
    say('Starting the embedded Temporal dev server…');
    server = await startDevServer({ uiPort, log: (line) => process.stderr.write(`  ${line}\n`) });
    say(`  Temporal ${server.address}; Web UI ${server.uiUrl ?? '(off)'}`);

    emulator = await startEmulator({
      regions,
      seed: 42,
      fleet: { generate: { regions, perRegion: opts.instances } },
      restartDuration: { kind: 'lognormal', medianMs: 3_000, sigma: 0.35 },
    });
    const all = emulator.instances();
    // One instance whose restart fails, in the second region (or the only one): within the budget of 1.
    const failing = all.filter((i) => i.regionId === (regions[1] ?? regions[0]))[3] ?? all[0]!;
    emulator.setFaults({ throttling: { rate: 0.05, retryAfterMs: 400 }, restarts: { failInstanceIds: [failing.instanceId] } });
    say(`Emulator: ${all.length} instances; ~5% of calls throttled (Retry-After 400 ms); the restart of ${failing.instanceId} (${failing.regionId}) will fail.`);

    clientConnection = await Connection.connect({ address: server.address });
    const client = new Client({ connection: clientConnection });
    workerConnection = await NativeConnection.connect({ address: server.address });
    say('Starting a worker (bundling the workflows takes a few seconds)…');
    const { worker, close } = await createStarwaveWorker({
      connection: workerConnection,
      client,
      taskQueue: TASK_QUEUE,
      credentials: staticCredentials(DEFAULT_KEY),
      endpointOverrides: emulator.endpoints,
    });
    const running = worker.run();
    stopWorker = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await close();
    };

    const spec = demoSpec(regions, `demo-${new Date().toISOString().slice(0, 19).replace(/[^0-9]/g, '')}`);
    const started = await startRollout(client, spec, { taskQueue: TASK_QUEUE, trigger: 'demo' });
    say(`Rollout ${started.workflowId} started. Watch it in the Web UI:`);
    say(`  ${server.uiUrl ?? ''}/namespaces/default/workflows/${encodeURIComponent(started.workflowId)}`);
    say('');
    const { report } = await follow(client, started.workflowId, { runId: started.runId, mode: 'view', intervalMs: 500, io: { out, err: process.stderr }, explainInterrupt: false });
    say('');
    say(reportTable(report, { runId: started.runId }).join('\n'));
    say(`Demo finished in ${formatDuration(Date.now() - began)}. Worker log: ${workerLog}`);

    if (opts.keepRunning) {
      await cleanup(true);
      say(`Temporal and its Web UI keep running at ${server.uiUrl ?? server.address}; Ctrl-C stops them.`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.stop();
      return EXIT.ok;
    }
    return report.phase === 'completed' ? EXIT.ok : EXIT.rolloutNotCompleted;
  } finally {
    await cleanup(false);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
