/**
 * Building the starwave worker: the one place that creates real dependencies (StarRocks clients
 * with the credential chain, the lease registry client) and wires them into the activities.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { temporalLeaseRegistry } from '../activities/leases';
import { defaultCredentialSource, type CredentialSource } from '../starrocks/credentials';
import { parseEndpointOverrides } from '../starrocks/endpoints';
import { StarRocksClients } from '../starrocks/client';
import { parseRegionQps } from '../starrocks/rate-limit';


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
  /** Extra Worker options (tests). */
  workerOptions?: Partial<WorkerOptions>;
}

export function workflowsPath(): string {
  const dir = path.resolve(__dirname, '../workflows');
  for (const candidate of ['index.ts', 'index.js']) {
    const p = path.join(dir, candidate);
    if (existsSync(p)) return p;
  }
  throw new Error(`Cannot find the workflow sources in ${dir}.`);
}

export async function createStarwaveWorker(opts: StarwaveWorkerOptions): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const endpointOverrides = opts.endpointOverrides ?? parseEndpointOverrides(process.env.STARWAVE_ENDPOINTS);
  const regionQps = opts.regionQps ?? parseRegionQps(process.env.STARWAVE_REGION_QPS);
  const clients = new StarRocksClients({
    credentials: opts.credentials ?? defaultCredentialSource(),
    ...(endpointOverrides ? { endpointOverrides } : {}),
    ...(regionQps ? { regionQps } : {}),
  });
  const namespace = opts.namespace ?? 'default';
  const activities = createActivities({
    starrocks: (region) => clients.forRegion(region),
    leases: temporalLeaseRegistry(opts.client, opts.taskQueue),
  });
  const bundlePath = opts.workflowBundlePath ?? process.env.STARWAVE_WORKFLOW_BUNDLE;
  const worker = await Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue: opts.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: workflowsPath() }),
    activities,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 200,
    ...opts.workerOptions,
  });
  return { worker, close: () => clients.close() };
}
