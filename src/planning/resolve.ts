/**
 * Resolving a spec's targets against the cloud: explicit ids are checked, selectors are expanded.
 * Domain logic with its I/O behind a small port (`FleetReader`): the resolve activity and
 * `starwave plan` both run it, with the real client or a test double.
 */
import type { PlanProblem, ResolvedFleet, ResolvedTarget } from './planner';
import type { RolloutSpec, Selector } from '../contracts/spec';

/** What resolution reads of an instance. */
export interface InstanceSummary {
  instanceId: string;
  instanceName: string;
  status: string;
  regionId: string;
  resourceGroupId?: string;
  tags: Array<{ key: string; value: string }>;
  maintainablePeriod?: string;
}

/** The read-only slice of the StarRocks client that resolution needs, per region. */
export interface FleetReader {
  describeInstance(instanceId: string): Promise<InstanceSummary | undefined>;
  describeAllInstances(q: {
    regionId: string;
    instanceName?: string;
    resourceGroupId?: string;
    statuses?: string[];
    tags?: Array<{ key: string; value: string }>;
  }): Promise<{ items: InstanceSummary[]; pages: number }>;
}
export type FleetReaderFor = (region: string) => FleetReader;

/** Explicit targets in a region above this count are checked with one paged listing instead of one call each. */
const LIST_INSTEAD_OF_GET = 20;

export async function resolveTargets(api: FleetReaderFor, spec: RolloutSpec): Promise<ResolvedFleet> {
  const targets: ResolvedTarget[] = [];
  const problems: PlanProblem[] = [];
  let reads = 0;

  const explicitByRegion = new Map<string, string[]>();
  for (const ref of spec.targets.instances) {
    explicitByRegion.set(ref.region, [...(explicitByRegion.get(ref.region) ?? []), ref.instanceId]);
  }
  for (const [region, ids] of explicitByRegion) {
    const client = api(region);
    const found = new Map<string, InstanceSummary>();
    if (new Set(ids).size > LIST_INSTEAD_OF_GET) {
      const all = await client.describeAllInstances({ regionId: region });
      reads += all.pages;
      for (const item of all.items) found.set(item.instanceId, item);
    } else {
      for (const id of new Set(ids)) {
        const item = await client.describeInstance(id);
        reads += 1;
        if (item) found.set(id, item);
      }
    }
    for (const id of ids) {
      const item = found.get(id);
      if (!item) {
        problems.push({ kind: 'not_found', region, instanceId: id, message: `${id} was not found in ${region}; it is not restarted` });
        continue;
      }
      targets.push(toTarget(region, item));
    }
  }

  const selected: ResolvedTarget[] = [];
  for (const selector of spec.targets.selectors) {
    for (const region of selector.regions) {
      const result = await api(region).describeAllInstances({
        regionId: region,
        ...(selector.instanceName ? { instanceName: selector.instanceName } : {}),
        ...(selector.resourceGroupId ? { resourceGroupId: selector.resourceGroupId } : {}),
        ...(selector.statuses?.length ? { statuses: selector.statuses } : {}),
        ...(selector.tags ? { tags: Object.entries(selector.tags).map(([key, value]) => ({ key, value })) } : {}),
      });
      reads += result.pages;
      for (const item of result.items) if (matches(selector, item)) selected.push(toTarget(region, item));
    }
  }
  selected.sort((a, b) => (a.region === b.region ? cmp(a.instanceId, b.instanceId) : cmp(a.region, b.region)));
  return { targets: [...targets, ...selected], problems, reads };
}

function toTarget(region: string, item: InstanceSummary): ResolvedTarget {
  return {
    region,
    instanceId: item.instanceId,
    ...(item.instanceName ? { instanceName: item.instanceName } : {}),
    status: item.status,
    ...(item.maintainablePeriod ? { maintainablePeriod: item.maintainablePeriod } : {}),
  };
}

/** The API's name filter may match substrings, so filters are re-checked exactly here. */
function matches(selector: Selector, item: InstanceSummary): boolean {
  if (selector.instanceName && item.instanceName !== selector.instanceName) return false;
  if (selector.resourceGroupId && item.resourceGroupId !== selector.resourceGroupId) return false;
  if (selector.statuses?.length && !selector.statuses.includes(item.status)) return false;
  for (const [key, value] of Object.entries(selector.tags ?? {})) {
    if (!item.tags.some((t) => t.key === key && t.value === value)) return false;
  }
  return true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
