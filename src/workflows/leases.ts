/**
 * The lease registry: one long-lived workflow per task queue that records which rollout holds which
 * instance. Updates are serialised by Temporal, so two rollouts can never both acquire the same
 * instance. A rollout acquires all its targets before its first restart and releases them when it
 * ends; leases of a holder that closed without releasing (terminated) are evicted by the acquiring
 * activity after it checked that holder is no longer running.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { acquireLeasesUpdate, leasesQuery, releaseLeasesUpdate, type LeaseGrant } from '../contracts/messages';

export { LEASE_REGISTRY_ID_PREFIX } from '../contracts/messages';

export interface LeaseRegistryState {
  /** holder (rollout workflow id) → instance ids it holds */
  holders: Record<string, string[]>;
}

export async function leaseRegistryWorkflow(state: LeaseRegistryState = { holders: {} }): Promise<void> {
  const holders = new Map<string, Set<string>>(Object.entries(state.holders).map(([h, keys]) => [h, new Set(keys)]));
  const owner = new Map<string, string>();
  for (const [h, keys] of holders) for (const k of keys) owner.set(k, h);

  setHandler(leasesQuery, () => Object.fromEntries([...holders].map(([h, keys]) => [h, [...keys]])));

  setHandler(acquireLeasesUpdate, ({ holder, keys, evict = [] }): LeaseGrant => {
    for (const stale of evict) {
      for (const k of holders.get(stale) ?? []) owner.delete(k);
      holders.delete(stale);
    }
    const conflicts = keys
      .filter((k) => owner.has(k) && owner.get(k) !== holder)
      .map((k) => ({ key: k, holder: owner.get(k)! }));
    if (conflicts.length > 0) return { granted: false, conflicts };
    const mine = holders.get(holder) ?? new Set<string>();
    for (const k of keys) {
      mine.add(k);
      owner.set(k, holder);
    }
    holders.set(holder, mine);
    return { granted: true, conflicts: [] };
  });

  setHandler(releaseLeasesUpdate, ({ holder }) => {
    const keys = holders.get(holder) ?? new Set<string>();
    for (const k of keys) if (owner.get(k) === holder) owner.delete(k);
    holders.delete(holder);
    return keys.size;
  });

  // Live forever, starting a fresh run before the history grows large.
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000);
  await condition(allHandlersFinished);
  await continueAsNew<typeof leaseRegistryWorkflow>({
    holders: Object.fromEntries([...holders].map(([h, keys]) => [h, [...keys]])),
  });
}
