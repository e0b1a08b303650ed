/** What activities need from the outside world, injected by the worker (or a test). */
import type { StarRocksClient } from '../starrocks/client';

/** The slice of the StarRocks client the activities use, for one region. */
export type RegionApi = Pick<StarRocksClient, 'restartInstance' | 'describeInstance' | 'describeAllInstances' | 'listOperationHistory'>;
export type RegionApiFor = (region: string) => RegionApi;

/** Access to the lease registry (a Temporal workflow), used by the lease activities. */
export interface LeaseRegistry {
  acquire(request: { holder: string; keys: string[]; evict?: string[] }): Promise<{ granted: boolean; conflicts: Array<{ key: string; holder: string }> }>;
  release(holder: string): Promise<number>;
  /** Whether a rollout workflow is still running (leases of closed holders may be evicted). */
  isRunning(workflowId: string): Promise<boolean>;
}

export interface ActivityDeps {
  starrocks: RegionApiFor;
  leases: LeaseRegistry;
  /** Wall clock (epoch ms). */
  now?: () => number;
  /** Sleep used between status polls. */
  sleep?: (ms: number) => Promise<void>;
}
