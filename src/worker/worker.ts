/**
 * Building the starwave worker: the one place that creates real dependencies (StarRocks clients
 * with the credential chain, the lease registry client) and wires them into the activities.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type NotifierConfig } from '../activities';
import { temporalLeaseRegistry } from '../activities/leases';
import { defaultCredentialSource, type CredentialSource } from '../starrocks/credentials';
import { parseEndpointOverrides } from '../starrocks/endpoints';
import { StarRocksClients } from '../starrocks/client';
import { parseRegionQps } from '../starrocks/rate-limit';
import { REGION_HOSTS } from '../starrocks/endpoints';
import { DataPlaneClient } from '../starrocks/dataplane';
import { dataPlaneProber } from '../activities/probes';
import { parseReceivers } from '../activities/notify';
import { ConfigError, loadEnv } from '../config/env';
import { approveLinkFromEnv } from '../api/approve-link';
import { workflowWebpackConfig } from './bundle-options';


export interface StarwaveWorkerOptions {
  connection: NativeConnection;
  /** A client on the same namespace, used by the lease activities to reach the lease registry. */
  client: Client;
  namespace?: string;
  taskQueue: string;
  /** Defaults to the standard Alibaba Cloud credential chain. */
  credentials?: CredentialSource;
  /** Region → base URL for non-cloud targets; defaults to env STARWAVE_ENDPOINTS. */
  endpointOverrides?: Record<string, string>;
  /**
   * Client-side requests per second per region (`*` = any other region); defaults to env
   * STARWAVE_REGION_QPS. Unset = no client-side limit (the gateway's throttling still applies and is
   * honoured); the StarRocks API pages publish no quota figure, so set it to your account's quota.
   */
  regionQps?: Record<string, number>;
  /** Max activities running at once on this worker. */
  maxConcurrentActivities?: number;
  /** A prebuilt workflow bundle (path); defaults to env STARWAVE_WORKFLOW_BUNDLE, else bundles src/workflows. */
  workflowBundlePath?: string;
  /** Cluster token per instance for the proof of restart; default STARWAVE_PROBE_TOKENS_FILE, then STARWAVE_PROBE_TOKEN. */
  probeTokenFor?: (instanceId: string) => string | undefined;
  /** Notification receivers; default from STARWAVE_NOTIFY_URLS / STARWAVE_WEBHOOK_SECRET / STARWAVE_DASHBOARD_URL. */
  notifier?: NotifierConfig;
  /** Extra Worker options (tests). */
  workerOptions?: Partial<WorkerOptions>;
}

/**
 * How long one workflow activation may run in the worker's V8 context before the SDK stops it (the SDK's
 * `isolateExecutionTimeout`, 5 s by default and not in its public option types; Worker.create takes it and
 * test/e2e checks the compiled option). Two reasons for more than 5 s:
 *  - A rollout of 10,000 targets is one workflow with a large state, and on a busy 2-core machine one activation
 *    has taken seconds; a stopped activation fails the task, which is then replayed and takes as long again.
 *  - Node can crash when a vm timeout fires while the context runs its microtasks (nodejs/node#38503, seen by the
 *    SDK in sdk-typescript#939): "async hook stack has become corrupted" and the process is gone. That killed the
 *    worker once in the benchmark at 10,000 (semi-space 8 MiB, 2 malloc arenas variant, docs/footprint.md).
 * 25 s stays under the rollout's workflow task timeout (ROLLOUT_WORKFLOW_TASK_TIMEOUT, 30 s): a task the server
 * would time out anyway is still cut by the worker, and a workflow stuck in a loop is still stopped.
 */
export const ISOLATE_EXECUTION_TIMEOUT_MS = 25_000;

export function workflowsPath(): string {
  const dir = path.resolve(__dirname, '../workflows');
  for (const candidate of ['index.ts', 'index.js']) {
    const p = path.join(dir, candidate);
    if (existsSync(p)) return p;
  }
  throw new Error(`Cannot find the workflow sources in ${dir}.`);
}

export async function createStarwaveWorker(opts: StarwaveWorkerOptions): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const env = loadEnv();
  const endpointOverrides = opts.endpointOverrides ?? parseEndpointOverrides(env.endpointsJson);
  const regionQps = opts.regionQps ?? parseRegionQps(env.regionQpsText);
  const clients = new StarRocksClients({
    credentials: opts.credentials ?? defaultCredentialSource(),
    ...(endpointOverrides ? { endpointOverrides } : {}),
    ...(regionQps ? { regionQps } : {}),
  });
  const namespace = opts.namespace ?? 'default';
  const starrocks = (region: string) => clients.forRegion(region);
  const dataPlane = new DataPlaneClient(env.probe.user && env.probe.password ? { auth: { user: env.probe.user, password: env.probe.password } } : {});
  const tokens = probeTokens(env.probe.tokensFile);
  const activities = createActivities({
    starrocks,
    leases: temporalLeaseRegistry(opts.client, opts.taskQueue),
    health: dataPlaneProber({ starrocks, dataPlane, tokenFor: opts.probeTokenFor ?? ((id) => tokens[id] ?? env.probe.token) }),
    knownRegions: knownRegions(endpointOverrides),
    notifier: opts.notifier ?? {
      receivers: parseReceivers(env.notify.receiversJson),
      ...(env.notify.webhookSecret ? { webhookSecret: env.notify.webhookSecret } : {}),
      ...(env.notify.dashboardUrl ? { dashboardUrl: env.notify.dashboardUrl } : {}),
      // Signed, expiring approve links in approval-needed notifications, when both the key and the URL are set.
      ...approveLinkFromEnv(env.notify),
    },
  });
  const bundlePath = opts.workflowBundlePath ?? env.workflowBundlePath ?? defaultBundlePath();
  const worker = await Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue: opts.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: workflowsPath(), bundlerOptions: { webpackConfigHook: workflowWebpackConfig } }),
    activities,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 200,
    // One rollout is one workflow (plus the queue's lease registry), so a handful of cached workflows covers
    // several rollouts at once; the SDK's default follows the heap (10 at starwave's 160 MiB). Evicted
    // workflows replay from history on their next task (CPU, not correctness).
    ...(env.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: env.maxCachedWorkflows } : {}),
    // Not in WorkerOptions' type (see ISOLATE_EXECUTION_TIMEOUT_MS); the SDK's option defaults let it through.
    ...({ isolateExecutionTimeout: ISOLATE_EXECUTION_TIMEOUT_MS } as Partial<WorkerOptions>),
    ...opts.workerOptions,
  });
  return { worker, close: async () => Promise.all([clients.close(), dataPlane.close()]).then(() => undefined) };
}

/**
 * Regions this worker can reach. With endpoint overrides (the emulator or another non-cloud target)
 * exactly those: a region without one would otherwise become a request to the real cloud. Without
 * them, the built-in map of the official SDK.
 */
export function knownRegions(endpointOverrides: Record<string, string> | undefined): ReadonlySet<string> {
  const overrides = Object.keys(endpointOverrides ?? {});
  return new Set(overrides.length > 0 ? overrides : Object.keys(REGION_HOSTS));
}

/** Instance id → cluster token, from STARWAVE_PROBE_TOKENS_FILE (a JSON map); read once at start. */
function probeTokens(file: string | undefined): Record<string, string> {
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ path: 'STARWAVE_PROBE_TOKENS_FILE', message: `cannot read ${file} as JSON (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new ConfigError([{ path: 'STARWAVE_PROBE_TOKENS_FILE', message: 'must hold a JSON object mapping instance ids to cluster tokens' }]);
  }
  return parsed as Record<string, string>;
}

/** The workflow bundle `npm run build` leaves next to the compiled code, when present. */
function defaultBundlePath(): string | undefined {
  const candidate = path.resolve(__dirname, '..', 'workflow-bundle.js');
  return existsSync(candidate) ? candidate : undefined;
}
