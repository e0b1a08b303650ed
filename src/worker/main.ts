/**
 * `starwave worker`: run a worker until SIGINT/SIGTERM. Everything comes from the environment:
 * Temporal via TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE/profiles, the task queue via STARWAVE_TASK_QUEUE,
 * Alibaba Cloud credentials via the standard chain, endpoint overrides via STARWAVE_ENDPOINTS.
 */
import { Runtime, DefaultLogger, type LogLevel } from '@temporalio/worker';
import { connectClient, connectWorkerConnection, DEFAULT_TASK_QUEUE, type TemporalTarget } from './temporal';
import { createStarwaveWorker } from './worker';

export interface RunWorkerOptions extends TemporalTarget {
  taskQueue?: string;
  logLevel?: LogLevel;
  maxConcurrentActivities?: number;
  /** Called once the worker polls (the CLI prints a line). */
  onReady?: (info: { taskQueue: string; address: string; namespace: string }) => void;
}

let runtimeInstalled = false;

/** Routes the SDK's and our activities' logs to one structured JSON-lines logger on stderr. */
export function installJsonLogger(level: LogLevel = 'INFO', metricsAddress: string | undefined = process.env.STARWAVE_METRICS_ADDRESS): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    // Temporal SDK metrics (task latencies, schedule-to-start, activity failures…) for Prometheus at
    // http://<STARWAVE_METRICS_ADDRESS>/metrics, e.g. STARWAVE_METRICS_ADDRESS=0.0.0.0:9464.
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
    logger: new DefaultLogger(level, (entry) => {
      process.stderr.write(
        `${JSON.stringify({ ts: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, msg: entry.message, ...entry.meta })}\n`,
      );
    }),
  });
}

export async function runWorkerMain(opts: RunWorkerOptions = {}): Promise<void> {
  installJsonLogger(opts.logLevel ?? (process.env.STARWAVE_LOG_LEVEL as LogLevel | undefined) ?? 'INFO');
  const taskQueue = opts.taskQueue ?? process.env.STARWAVE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  const { connection, namespace } = await connectWorkerConnection(opts);
  const { client, connection: clientConnection } = await connectClient(opts);
  const { worker, close } = await createStarwaveWorker({
    connection,
    client,
    namespace,
    taskQueue,
    ...(opts.maxConcurrentActivities ? { maxConcurrentActivities: opts.maxConcurrentActivities } : {}),
  });
  opts.onReady?.({ taskQueue, address: clientConnection.options.address, namespace });
  try {
    await worker.run(); // resolves after SIGINT/SIGTERM (the SDK installs the handlers) and a graceful drain
  } finally {
    await close();
    await clientConnection.close();
    await connection.close();
  }
}

if (require.main === module) {
  runWorkerMain({ onReady: ({ taskQueue, address }) => process.stderr.write(`starwave worker polling task queue "${taskQueue}" on ${address}\n`) }).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(3);
  });
}
