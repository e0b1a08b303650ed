/**
 * What a rollout run carries besides its input: its search attributes (src/contracts/search-attributes.ts),
 * the Web UI's static details, the workflow id of scheduled runs, and the default task queue. Shared by
 * starting a run directly and by schedules.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE, loadEnv } from '../config/env';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import type { RolloutSpec } from '../contracts/spec';

/** Workflow id prefix of scheduled runs; Temporal appends each run's scheduled time. */
export function scheduledWorkflowIdPrefix(spec: Pick<RolloutSpec, 'name'>): string {
  return `starwave-rollout-${spec.name}-scheduled`;
}

/** The task queue from STARWAVE_TASK_QUEUE, else {@link DEFAULT_TASK_QUEUE}. */
export function taskQueueFromEnv(): string {
  return loadEnv().taskQueue || DEFAULT_TASK_QUEUE;
}

/**
 * Temporal refuses a search attribute value above 2,048 bytes (`limit.searchAttributesSizeOfValue`, e.g.
 * "search attribute StarwaveRegions value size 2467 exceeds size limit 2048"); the regions list keeps to a
 * margin below it. A spec naming more regions than fit (Alibaba Cloud has about 30, ~500 bytes) is still
 * started; the regions left out are only not filterable.
 */
export const SEARCH_ATTRIBUTE_VALUE_BUDGET_BYTES = 1_900;

function regionsWithinBudget(regions: string[]): string[] {
  const kept: string[] = [];
  let bytes = 2; // []
  for (const region of regions) {
    const cost = Buffer.byteLength(JSON.stringify(region)) + 1;
    if (bytes + cost > SEARCH_ATTRIBUTE_VALUE_BUDGET_BYTES) break;
    kept.push(region);
    bytes += cost;
  }
  return kept;
}

/** The search attributes a rollout starts with (src/contracts/search-attributes.ts). */
export function searchAttributesOf(spec: RolloutSpec, trigger?: string): SearchAttributePair[] {
  const regions = regionsWithinBudget([...new Set([...spec.targets.instances.map((i) => i.region), ...spec.targets.selectors.flatMap((s) => s.regions)])].sort());
  return [
    { key: SEARCH_ATTRIBUTES.name, value: spec.name },
    { key: SEARCH_ATTRIBUTES.phase, value: 'resolving' },
    { key: SEARCH_ATTRIBUTES.regions, value: regions },
    ...(trigger ? [{ key: SEARCH_ATTRIBUTES.trigger, value: trigger }] : []),
  ] as SearchAttributePair[];
}

function messagesOf(err: unknown): string {
  return err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err);
}

export function isUnknownSearchAttribute(err: unknown): boolean {
  const text = messagesOf(err);
  // INVALID_ARGUMENT from the frontend, e.g. "search attribute StarwaveName is not defined".
  return /search attribute/i.test(text) && /not (defined|registered)|unknown/i.test(text);
}

/** The frontend's INVALID_ARGUMENT for search attributes beyond its size limits (a trigger or name too long for one). */
export function isSearchAttributeTooLarge(err: unknown): boolean {
  const text = messagesOf(err);
  return /search attribute/i.test(text) && /exceeds? (the )?(size )?limit|too (large|long)/i.test(text);
}

/** The Web UI's static details of a rollout: what it restarts and how (Markdown). */
export function staticDetailsOf(spec: RolloutSpec, trigger?: string): string {
  const selectors = spec.targets.selectors.map((s) => `${s.regions.join(', ')}${s.instanceName ? ` name ${s.instanceName}` : ''}${s.tags ? ` tags ${JSON.stringify(s.tags)}` : ''}`);
  return [
    `**Rollout ${spec.name}**${trigger ? ` (started by ${trigger})` : ''}`,
    '',
    `- targets: ${[...selectors, ...(spec.targets.instances.length ? [`${spec.targets.instances.length} listed instance(s)`] : [])].join('; ')}${spec.targets.exclude.length ? `; ${spec.targets.exclude.length} excluded` : ''}`,
    `- regions: ${spec.regions.mode}${spec.regions.order.length ? `, ${spec.regions.order.join(' → ')} first` : ''}`,
    `- waves: ${JSON.stringify(spec.waves.sizes)}${spec.waves.approvalBefore.length ? `, approval before ${spec.waves.approvalBefore.join(', ')}` : ''}${spec.waves.bakeSeconds ? `, bake ${spec.waves.bakeSeconds}s` : ''}`,
    `- concurrency: ${spec.concurrency.global}${spec.concurrency.perRegion !== undefined ? `, ${spec.concurrency.perRegion} per region` : ''}; failure budget ${spec.failureBudget.total}${spec.failureBudget.perWave !== undefined ? ` (${spec.failureBudget.perWave} per wave)` : ''}`,
    ...(spec.health.enabled ? [`- health gate: on${spec.health.proveRestart ? ', proof of restart' : ''}`] : []),
  ].join('\n');
}

