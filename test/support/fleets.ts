/**
 * Fleets and rollouts for end-to-end tests and the benchmark: an emulator with pre-drawn restart
 * durations pinned per instance, rollouts started on a task queue, what they leave behind (every
 * execution and its history length), and the exactly-once check against the emulator's record.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startEmulator, type Emulator, type EmulatorOptions, type EmulatorRecord, type FaultConfig } from '../../src/emulator';
import { drawDuration, mulberry32 } from '../../src/emulator/prng';
import type { DurationDistribution, InstanceSeed } from '../../src/emulator/schemas';
import { ROLLOUT_WORKFLOW_TASK_TIMEOUT, type RolloutInput } from '../../src/contracts/rollout';
import { parseSpec, rolloutWorkflowId, type RolloutSpec, type RolloutSpecInput } from '../../src/contracts/spec';


export interface FleetOptions {
  regions: string[];
  perRegion: number;
  duration: DurationDistribution;
  seed?: number;
}

export interface Fleet {
  emulatorOptions: EmulatorOptions;
  /** instanceId → the restart duration (ms) this instance will take. */
  durations: Map<string, number>;
}

/** Deterministic ids `c-` + 16 hex chars from the seed, region and index. */
function instanceIdFor(seed: number, region: string, index: number): string {
  return `c-${createHash('sha1').update(`${seed}/${region}/${index}`).digest('hex').slice(0, 16)}`;
}

/**
 * A fleet whose restart durations are drawn here, once, from a seeded PRNG and pinned per instance
 * (`restartDurationMs`), so the rollout and the baselines restart identical fleets.
 */
export function makeFleet(opts: FleetOptions): Fleet {
  const seed = opts.seed ?? 1;
  const random = mulberry32(seed);
  const instances: InstanceSeed[] = [];
  const durations = new Map<string, number>();
  for (const region of opts.regions) {
    for (let i = 0; i < opts.perRegion; i++) {
      const instanceId = instanceIdFor(seed, region, i);
      const ms = Math.round(drawDuration(random, opts.duration));
      durations.set(instanceId, ms);
      instances.push({ instanceId, regionId: region, instanceName: `sr-${region}-${String(i).padStart(5, '0')}`, restartDurationMs: ms });
    }
  }
  return { emulatorOptions: { regions: opts.regions, fleet: { instances }, seed, maxPageSize: 100 }, durations };
}

export async function startFleetEmulator(fleet: Fleet, faults?: FaultConfig, extra: Pick<EmulatorOptions, 'keys'> = {}): Promise<Emulator> {
  return startEmulator({ ...fleet.emulatorOptions, ...(faults ? { faults } : {}), ...extra });
}


export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function startRollout(
  client: Client,
  taskQueue: string,
  specInput: RolloutSpecInput,
  extra: Omit<RolloutInput, 'spec'> = {},
): Promise<{ handle: WorkflowHandle; spec: RolloutSpec; rolloutId: string }> {
  const spec = parseSpec(specInput);
  const rolloutId = `${rolloutWorkflowId(spec)}-${uniqueSuffix()}`;
  const handle = await client.workflow.start('rolloutWorkflow', { taskQueue, workflowId: rolloutId, args: [{ spec, ...extra }], workflowTaskTimeout: ROLLOUT_WORKFLOW_TASK_TIMEOUT });
  return { handle, spec, rolloutId };
}

export interface ExecutionHistory {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  historyLength: number;
}

/**
 * Every execution of a rollout: the rollout itself, each wave child and each of their
 * continue-as-new runs (visibility query on the id prefix), plus the lease registry of the task
 * queue. History lengths come from describe() of each run (authoritative, not from visibility).
 */
export async function collectExecutions(client: Client, rolloutId: string, taskQueue?: string): Promise<ExecutionHistory[]> {
  const runs = new Map<string, { workflowId: string; runId: string }>();
  // Visibility may lag a moment behind the last close: list until it is stable.
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = runs.size;
    for await (const ex of client.workflow.list({ query: `WorkflowId STARTS_WITH '${rolloutId}'` })) {
      runs.set(ex.runId, { workflowId: ex.workflowId, runId: ex.runId });
    }
    if (runs.size > 0 && runs.size === before) break;
    await sleep(300);
  }
  if (taskQueue) {
    const leaseId = `starwave-leases-${taskQueue}`;
    for await (const ex of client.workflow.list({ query: `WorkflowId = '${leaseId}'` })) runs.set(ex.runId, { workflowId: ex.workflowId, runId: ex.runId });
  }
  const out: ExecutionHistory[] = [];
  for (const r of runs.values()) {
    const d = await client.workflow.getHandle(r.workflowId, r.runId).describe();
    out.push({ workflowId: r.workflowId, runId: r.runId, type: d.type, status: d.status.name, historyLength: d.historyLength });
  }
  return out.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/** The full JSON of every history (for secret scans). */
export async function historiesJson(client: Client, executions: readonly ExecutionHistory[]): Promise<string[]> {
  const out: string[] = [];
  for (const e of executions) {
    const h = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    out.push(JSON.stringify(h));
  }
  return out;
}

export interface ExactlyOnce {
  targets: number;
  restartedOnce: number;
  duplicates: Array<{ instanceId: string; count: number }>;
  neverRestarted: string[];
}

export function exactlyOnce(record: EmulatorRecord, targetIds: readonly string[]): ExactlyOnce {
  const counts = new Map<string, number>();
  for (const r of record.restarts) counts.set(r.instanceId, (counts.get(r.instanceId) ?? 0) + 1);
  return {
    targets: targetIds.length,
    restartedOnce: targetIds.filter((id) => counts.get(id) === 1).length,
    duplicates: [...counts].filter(([, n]) => n > 1).map(([instanceId, count]) => ({ instanceId, count })),
    neverRestarted: targetIds.filter((id) => !counts.has(id)),
  };
}

/** Machine line for the docs. */
