/**
 * `starwave worker`: run a worker until SIGINT/SIGTERM. Everything comes from the environment:
 * Temporal via TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE/profiles, the task queue via STARWAVE_TASK_QUEUE,
 * Alibaba Cloud credentials via the standard chain, endpoint overrides via STARWAVE_ENDPOINTS.
 */
import { Runtime, DefaultLogger, type LogLevel } from '@temporalio/worker';
import { defaultCredentialSource, type CredentialSource } from '../starrocks/credentials';
import { redactSecrets } from '../starrocks/errors';
import { connectClient, connectWorkerConnection, type TemporalTarget } from './temporal';
import { createStarwaveWorker } from './worker';
import { loadEnv } from '../config/env';

export interface RunWorkerOptions extends TemporalTarget {
  taskQueue?: string;
  logLevel?: LogLevel;
  maxConcurrentActivities?: number;
  /** Called once the worker polls (the CLI prints a line). */
  onReady?: (info: { taskQueue: string; address: string; namespace: string }) => void;
}

let runtimeInstalled = false;

/**
 * How long `starwave worker` may take to stop after SIGTERM/SIGINT, in seconds: the SDK stops polling, cancels
 * running activities (they heartbeat, see the cancellation and fail; Temporal retries them elsewhere) and waits for
 * the tasks in hand; closing the connections comes after. A worker still draining at the deadline writes one
 * sentence and exits with code 1. Under bin/starwave.js the launcher kills it 5 s after the deadline in any case
 * (a wedged event loop cannot keep it alive). 30 s fits a Kubernetes terminationGracePeriodSeconds of 35 s or more.
 */
export const DEFAULT_WORKER_SHUTDOWN_SECONDS = 30;

/**
 * Arms the shutdown deadline on the first SIGINT/SIGTERM. The listeners stay installed until uninstalled, so a
 * second signal (a terminal's Ctrl-C reaches both the launcher, which passes it on, and the worker) does not kill
 * the process mid-drain the default way after the SDK has removed its own handler.
 */
function installShutdownDeadline(seconds: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (timer) return;
    timer = setTimeout(() => {
      process.stderr.write(
        `starwave worker did not finish draining within ${seconds} s of ${signal}; exiting now (Temporal retries its unfinished tasks on another worker).\n`,
      );
      process.exit(1);
    }, seconds * 1000);
    timer.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (timer) clearTimeout(timer);
  };
}

function workerShutdownSeconds(): number {
  // bin/starwave.js reads the same variable for its backstop (this plus 5 s).
  return loadEnv().workerShutdownSeconds ?? DEFAULT_WORKER_SHUTDOWN_SECONDS;
}

const LEVEL_RANK: Record<string, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/**
 * The bundler logs webpack's whole statistics table at INFO when it bundles the workflows at start:
 * useful only when debugging a bundle, so it is shown at DEBUG.
 */
function isBundlerStatistics(message: string): boolean {
  return /^asset workflow-bundle|webpack \d+\.\d+\.\d+ compiled/m.test(message);
}

/** An error in a log line's metadata as plain JSON (JSON.stringify drops an Error's message), secrets redacted. */
function errorJson(err: Error, secrets: readonly string[], depth = 0): Record<string, unknown> {
  const extra = err as Error & { type?: unknown; nonRetryable?: unknown; code?: unknown };
  return {
    name: err.name,
    message: redactSecrets(err.message, secrets),
    ...(typeof extra.type === 'string' ? { type: extra.type } : {}),
    ...(typeof extra.nonRetryable === 'boolean' ? { nonRetryable: extra.nonRetryable } : {}),
    ...(typeof extra.code === 'string' || typeof extra.code === 'number' ? { code: extra.code } : {}),
    ...(err.cause instanceof Error && depth < 4 ? { cause: errorJson(err.cause, secrets, depth + 1) } : {}),
  };
}

/** Strings anywhere in a log entry's metadata with secrets redacted; Errors as JSON that keeps their message. */
function redactedMeta(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (value instanceof Error) return errorJson(value, secrets);
  if (depth > 5 || value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => redactedMeta(v, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactedMeta(v, secrets, depth + 1)]));
}

/** One JSON line per log entry: an Error in the metadata keeps its message, also in the line's message; secrets redacted. */
export function formatLogLine(entry: { level: string; message: string; meta?: Record<string, unknown>; timestampNanos: bigint }, secrets: readonly string[]): string {
  const meta = redactedMeta(entry.meta ?? {}, secrets) as Record<string, unknown>;
  const failure = Object.values(entry.meta ?? {}).find((v): v is Error => v instanceof Error);
  // "Activity failed" alone says nothing: the failure's own sentence goes into the line's message.
  const msg = redactSecrets(failure ? `${entry.message}: ${failure.message}` : entry.message, secrets);
  return `${JSON.stringify({ ts: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, msg, ...meta })}\n`;
}

/** Routes the SDK's and our activities' logs to one structured JSON-lines logger on stderr. */
export function installJsonLogger(level?: LogLevel, metricsAddress?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const env = loadEnv();
  const threshold = level ?? (env.logLevel as LogLevel);
  const metrics = metricsAddress ?? env.metricsAddress;
  // Everything at or above DEBUG reaches the callback, which applies the threshold after demotions.
  const floor: LogLevel = LEVEL_RANK[threshold]! <= LEVEL_RANK['DEBUG']! ? threshold : 'INFO';
  Runtime.install({
    // Temporal SDK metrics (task latencies, schedule-to-start, activity failures…) for Prometheus at
    // http://<STARWAVE_METRICS_ADDRESS>/metrics, e.g. STARWAVE_METRICS_ADDRESS=0.0.0.0:9464.
    ...(metrics ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metrics } } } } : {}),
    logger: new DefaultLogger(floor, (entry) => {
      const effective = entry.level === 'INFO' && isBundlerStatistics(entry.message) ? 'DEBUG' : entry.level;
      if (LEVEL_RANK[effective]! < LEVEL_RANK[threshold]!) return;
      process.stderr.write(formatLogLine({ ...entry, level: effective }, env.secrets));
    }),
  });
}

/**
 * Warns once, at start, when the Alibaba Cloud credential chain yields no key: the worker would
 * poll and then fail every StarRocks call. The line names the variables to set, never a value.
 */
export async function warnWithoutCredentials(source: CredentialSource = defaultCredentialSource(), timeoutMs = 5_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      source.getCredentials(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the credential chain gave no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const how = /ALIBABA_CLOUD_ACCESS_KEY_ID/.test(reason) ? '' : ' Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or ALIBABA_CLOUD_PROFILE, or the OIDC variables ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE.';
    Runtime.instance().logger.warn(`No Alibaba Cloud credentials resolve, so every StarRocks call of this worker will fail until they do: ${reason}${how}`, { sdkComponent: 'starwave' });
    return false;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export async function runWorkerMain(opts: RunWorkerOptions = {}): Promise<void> {
  const uninstallDeadline = installShutdownDeadline(workerShutdownSeconds());
  try {
    await runUntilStopped(opts);
  } finally {
    uninstallDeadline();
  }
}

async function runUntilStopped(opts: RunWorkerOptions): Promise<void> {
  installJsonLogger(opts.logLevel);
  const taskQueue = opts.taskQueue ?? loadEnv().taskQueue;
  await warnWithoutCredentials();
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
