/**
 * The real stack for end-to-end tests: the emulator over HTTP, a real starwave worker on the run's
 * Temporal dev server (its own task queue), and a client. Assertions read the emulator's record.
 */
import { bundleWorkflowCode, DefaultLogger, Runtime, type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startEmulator, DEFAULT_KEY, type Emulator, type EmulatorOptions } from '../../src/emulator';
import { staticCredentials } from '../../src/starrocks/credentials';
import { createStarwaveWorker, workflowsPath } from '../../src/worker/worker';
import { workflowWebpackConfig } from '../../src/worker/bundle-options';
import type { NotifierConfig } from '../../src/activities';
import { rolloutWorkflow } from '../../src/workflows/rollout';
import { parseSpec, rolloutWorkflowId, type RolloutSpecInput } from '../../src/contracts/spec';
import { ROLLOUT_WORKFLOW_TASK_TIMEOUT, type RolloutInput, type RolloutReport } from '../../src/contracts/rollout';
import { closeClient, connectClient, connectWorkerConnection, uniqueId, uniqueTaskQueue } from './temporal';

// Worker logs at ERROR only: the suite's output should show test results, not activity chatter.
Runtime.install({ logger: new DefaultLogger('ERROR') });

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundles the workflows once per test file (process). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), webpackConfigHook: workflowWebpackConfig, logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string, meta?: Record<string, unknown>) => process.stderr.write(`${message} ${JSON.stringify(meta ?? {})}\n`),
};

export interface RunningWorker {
  /** The options the SDK compiled for this worker (what it really runs with). */
  readonly options: Worker['options'];
  stop(): Promise<void>;
}

export interface Stack {
  emulator: Emulator;
  client: Client;
  taskQueue: string;
  startWorker(): Promise<RunningWorker>;
  /** The workers started so far (the first one by startStack unless `startWorker: false`). */
  workers: readonly RunningWorker[];
  startRollout(spec: RolloutSpecInput, extra?: Omit<RolloutInput, 'spec'>): Promise<WorkflowHandle<typeof rolloutWorkflow>>;
  runRollout(spec: RolloutSpecInput, extra?: Omit<RolloutInput, 'spec'>): Promise<RolloutReport>;
  close(): Promise<void>;
}

export async function startStack(
  emulatorOptions: EmulatorOptions,
  opts: { startWorker?: boolean; notifier?: NotifierConfig; probeTokenFor?: (emulator: Emulator, instanceId: string) => string | undefined } = {},
): Promise<Stack> {
  const emulator = await startEmulator(emulatorOptions);
  const client = await connectClient();
  const taskQueue = uniqueTaskQueue('rollout');
  const workers: RunningWorker[] = [];

  const startWorker = async (): Promise<RunningWorker> => {
    const connection: NativeConnection = await connectWorkerConnection();
    const { worker, close } = await createStarwaveWorker({
      connection,
      client,
      taskQueue,
      credentials: staticCredentials(DEFAULT_KEY),
      endpointOverrides: emulator.endpoints,
      ...(opts.notifier ? { notifier: opts.notifier } : {}),
      ...(opts.probeTokenFor ? { probeTokenFor: (id: string) => opts.probeTokenFor!(emulator, id) } : {}),
      workerOptions: { workflowBundle: await workflowBundle(), workflowsPath: undefined, bundlerOptions: undefined } as object,
    });
    const running = worker.run();
    const handle: RunningWorker = {
      options: worker.options,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await close();
        await connection.close();
      },
    };
    workers.push(handle);
    return handle;
  };

  if (opts.startWorker !== false) await startWorker();

  const startRollout = async (specInput: RolloutSpecInput, extra: Omit<RolloutInput, 'spec'> = {}) => {
    const spec = parseSpec({ ...specInput, name: specInput.name ?? uniqueId('r') });
    return client.workflow.start(rolloutWorkflow, {
      taskQueue,
      workflowId: `${rolloutWorkflowId(spec)}-${uniqueId('t')}`,
      args: [{ spec, ...extra }],
      workflowTaskTimeout: ROLLOUT_WORKFLOW_TASK_TIMEOUT,
    });
  };

  return {
    emulator,
    client,
    taskQueue,
    startWorker,
    workers,
    startRollout,
    async runRollout(spec, extra) {
      return (await startRollout(spec, extra)).result();
    },
    async close() {
      for (const w of workers) await w.stop().catch(() => {});
      await closeClient(client);
      await emulator.close();
    },
  };
}

/** A fleet of `perRegion` running instances in each region, with fixed restart durations. */
export function fleet(regions: string[], perRegion: number, restartMs: number): EmulatorOptions {
  return {
    regions,
    fleet: { generate: { regions, perRegion } },
    restartDuration: { kind: 'fixed', ms: restartMs },
    seed: 7,
  };
}
