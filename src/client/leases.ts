/**
 * Reading the lease registry (`starwave-leases-<taskQueue>`): which running rollout holds which
 * instance. `starwave plan` uses it to warn before a start would meet a lease conflict.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { LEASE_REGISTRY_ID_PREFIX, leasesQuery } from '../contracts/messages';
import { DEFAULT_QUERY_TIMEOUT_MS, withDeadline } from './deadline';

export interface HeldLease {
  instanceId: string;
  /** The rollout (workflow id) holding it. */
  holder: string;
  /** Whether that rollout is still running (a closed holder's leases are taken over by the next acquire). */
  holderRunning: boolean;
}

/** The registry's workflow id for a task queue. */
export function leaseRegistryId(taskQueue: string): string {
  return `${LEASE_REGISTRY_ID_PREFIX}-${taskQueue}`;
}

/**
 * Leases held on any of `instanceIds` (all leases when omitted). No registry yet → none. A registry
 * that no worker answers throws ERR_NO_WORKER / ERR_TIMEOUT within `timeoutMs`.
 */
export async function getLeases(client: Client, taskQueue: string, opts: { instanceIds?: readonly string[]; timeoutMs?: number } = {}): Promise<HeldLease[]> {
  const handle = client.workflow.getHandle(leaseRegistryId(taskQueue));
  let holders: Record<string, string[]>;
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return [];
    holders = await withDeadline(client, opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, `the lease registry ${leaseRegistryId(taskQueue)}`, taskQueue, () => handle.query(leasesQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
  const wanted = opts.instanceIds ? new Set(opts.instanceIds) : undefined;
  const out: HeldLease[] = [];
  const running = new Map<string, boolean>();
  for (const [holder, keys] of Object.entries(holders)) {
    const mine = wanted ? keys.filter((k) => wanted.has(k)) : keys;
    if (mine.length === 0) continue;
    if (!running.has(holder)) running.set(holder, await isRunning(client, holder));
    for (const instanceId of mine) out.push({ instanceId, holder, holderRunning: running.get(holder)! });
  }
  return out;
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch {
    return false;
  }
}
