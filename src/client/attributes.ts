/**
 * What a rollout run carries besides its input: its search attributes (src/contracts/search-attributes.ts),
 * the Web UI's static details, the workflow id of scheduled runs, and the default task queue. Shared by
 * starting a run directly and by schedules.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE, loadEnv } from '../config/env';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import type { RolloutSpec } from '../planning/spec';

/** Workflow id prefix of scheduled runs; Temporal appends each run's scheduled time. */
export function scheduledWorkflowIdPrefix(spec: Pick<RolloutSpec, 'name'>): string {
  return `starwave-rollout-${spec.name}-scheduled`;
}

/** The task queue from STARWAVE_TASK_QUEUE, else {@link DEFAULT_TASK_QUEUE}. */
export function taskQueueFromEnv(): string {
  return loadEnv().taskQueue || DEFAULT_TASK_QUEUE;
}

/** The search attributes a rollout starts with (src/contracts/search-attributes.ts). */
export function searchAttributesOf(spec: RolloutSpec, trigger?: string): SearchAttributePair[] {
  const regions = [...new Set([...spec.targets.instances.map((i) => i.region), ...spec.targets.selectors.flatMap((s) => s.regions)])].sort();
  return [
    { key: SEARCH_ATTRIBUTES.name, value: spec.name },
    { key: SEARCH_ATTRIBUTES.phase, value: 'resolving' },
    { key: SEARCH_ATTRIBUTES.regions, value: regions },
    ...(trigger ? [{ key: SEARCH_ATTRIBUTES.trigger, value: trigger }] : []),
  ] as SearchAttributePair[];
}

export function isUnknownSearchAttribute(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err);
  // INVALID_ARGUMENT from the frontend, e.g. "search attribute StarwaveName is not defined".
  return /search attribute/i.test(text) && /not (defined|registered)|unknown/i.test(text);
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

