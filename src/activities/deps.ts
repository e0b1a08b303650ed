/** What activities need from the outside world, injected by the worker (or a test). */
import type { HealthObservation } from '../contracts/activities';
import type { StarRocksClient } from '../starrocks/client';

/** The slice of the StarRocks client the activities use, for one region. */
export type RegionApi = Pick<
  StarRocksClient,
  'restartInstance' | 'describeInstance' | 'describeAllInstances' | 'listOperationHistory' | 'listOperationActivity' | 'listRestartHistory' | 'describeAllNodeGroups'
>;
export type RegionApiFor = (region: string) => RegionApi;

/** Access to the lease registry (a Temporal workflow), used by the lease activities. */
export interface LeaseRegistry {
  acquire(request: { holder: string; keys: string[]; evict?: string[] }): Promise<{ granted: boolean; conflicts: Array<{ key: string; holder: string }> }>;
  release(holder: string): Promise<number>;
  /** Whether a rollout workflow is still running (leases of closed holders may be evicted). */
  isRunning(workflowId: string): Promise<boolean>;
}

/** Probes StarRocks itself (FE HTTP) for one instance; credentials come from the worker's environment. */
export interface HealthProber {
  probe(input: { region: string; instanceId: string; fe?: { endpoint: string; port: number }; proveRestart: boolean; signal?: AbortSignal }): Promise<HealthObservation>;
}

/** Where notifications go: receivers from the worker's environment, plus what links and signatures need. */
export interface NotifierConfig {
  receivers: import('./notify').Receiver[];
  webhookSecret?: string;
  dashboardUrl?: string;
  /** Makes a signed, expiring approve link for a rollout's wave, when the worker has the key. */
  approveLink?: (rolloutId: string, wave: number) => string | undefined;
}

export interface ActivityDeps {
  starrocks: RegionApiFor;
  leases: LeaseRegistry;
  /** Health gate probes (spec `health:`); absent → instances with the gate on are never healthy. */
  health?: HealthProber;
  /** Notification receivers; absent → notifications are recorded as delivered to nobody. */
  notifier?: NotifierConfig;
  /** Regions the worker can reach: the built-in map plus STARWAVE_ENDPOINTS (resolve refuses others). */
  knownRegions?: ReadonlySet<string>;
  /** Wall clock (epoch ms). */
  now?: () => number;
  /** Sleep used between status polls. */
  sleep?: (ms: number) => Promise<void>;
}
