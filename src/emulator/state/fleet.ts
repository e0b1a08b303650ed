/**
 * The fleet: instances and their node groups, built from a seed, and status transitions (each one
 * recorded). The restart lifecycle lives in ./restarts.ts.
 */
import { randomHex } from '../prng';
import type { FleetSeed, InstanceSeed, WireInstanceStatus } from '../schemas';
import type { EmulatorInstance, TransitionCause, TransitionRecord } from '../types';
import type { WorldContext } from './context';

/** Instance status → the UPPERCASE node-group status that mirrors it (spec §3.4 lists the node-group values). */
const NODE_GROUP_STATUS: Partial<Record<WireInstanceStatus, string>> = {
  updating: 'UPGRADING',
  upgrading: 'UPGRADING',
  not_init: 'CREATING',
  created: 'CREATING',
  actively_disabled: 'DISABLE',
  enabling: 'CREATING',
  deleting_failed: 'DELETING',
  deleted_with_error: 'DELETED',
  convert_from_trial_to_official: 'MODIFYING_CONFIG',
  migration_cluster_to_serverless: 'MODIFYING_CONFIG',
  agent_creating: 'CREATING',
  agent_scaling_up: 'SCALING_UP',
};

export function nodeGroupStatusFor(status: WireInstanceStatus): string {
  return NODE_GROUP_STATUS[status] ?? status.toUpperCase();
}

/** Told about every status transition after it is recorded (operations and the data plane follow the fleet). */
export type TransitionListener = (instance: EmulatorInstance, transition: TransitionRecord) => void;

export class Fleet {
  private instancesById = new Map<string, EmulatorInstance>();
  private createdSeq = 0;
  private readonly listeners: TransitionListener[] = [];

  constructor(private readonly ctx: WorldContext) {}

  /** Live instances in creation order (stable DescribeInstances ordering). */
  instances(): EmulatorInstance[] {
    return [...this.instancesById.values()].sort((a, b) => a.createdSeq - b.createdSeq);
  }

  instance(instanceId: string): EmulatorInstance | undefined {
    return this.instancesById.get(instanceId);
  }

  /** Expands a seed (explicit instances first, then generated ones) and returns the problems that forbid it. */
  static expand(spec: FleetSeed, regions: readonly string[]): { seeds: InstanceSeed[]; problems: string[] } {
    const problems: string[] = [];
    const seeds: InstanceSeed[] = [...(spec.instances ?? [])];
    if (spec.generate) {
      const g = spec.generate;
      for (const region of g.regions) {
        for (let i = 0; i < g.perRegion; i++) {
          seeds.push({
            regionId: region,
            instanceName: `${g.namePrefix ?? 'sr-'}${region}-${String(i).padStart(3, '0')}`,
            tags: [...(g.tags ?? []), { Key: 'starwave-index', Value: String(i) }],
            ...(g.resourceGroupId ? { resourceGroupId: g.resourceGroupId } : {}),
          });
        }
      }
    }
    seeds.forEach((s, i) => {
      if (!regions.includes(s.regionId)) {
        problems.push(`instances.${i}.regionId: region ${s.regionId} is not served by this emulator (${regions.join(', ')})`);
      }
    });
    const ids = seeds.map((s) => s.instanceId).filter((id): id is string => id !== undefined);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) problems.push(`instances: duplicate instanceId ${dup}`);
    return { seeds, problems };
  }

  /** Replaces every instance with the given seeds (already expanded and checked). */
  replace(seeds: readonly InstanceSeed[]): EmulatorInstance[] {
    this.instancesById.clear();
    const now = Date.now();
    const built: EmulatorInstance[] = [];
    for (const s of seeds) {
      const instance = this.build(s, now);
      this.instancesById.set(instance.instanceId, instance);
      built.push(instance);
    }
    return built;
  }

  uniqueId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = `${prefix}${randomHex(this.ctx.random.ids, 16)}`;
      if (!taken(id)) return id;
    }
  }

  private build(s: InstanceSeed, now: number): EmulatorInstance {
    const random = this.ctx.random;
    const instanceId = s.instanceId ?? this.uniqueId('c-', (id) => this.instancesById.has(id));
    const busy = s.settleAfterMs !== undefined || s.busyUntilMs !== undefined;
    const status: WireInstanceStatus = s.status ?? (busy ? 'updating' : 'running');
    const runMode = s.runMode ?? 'shared_data';
    const beginTime = now - 86_400_000 * (30 + Math.floor(random.ids() * 300));
    const hour = Math.floor(random.ids() * 6);
    const instance: EmulatorInstance = {
      instanceId,
      instanceName: s.instanceName ?? `sr-${instanceId.slice(2, 8)}`,
      regionId: s.regionId,
      resourceGroupId: s.resourceGroupId ?? 'rg-acfmemulator000',
      tags: s.tags ?? [],
      status,
      version: s.version ?? '3.3',
      minorVersion: s.minorVersion ?? '3.3.9-1.97-2.0.1',
      runMode,
      packageType: s.packageType ?? 'official',
      payType: s.payType ?? 'postPaid',
      architecture: s.architecture ?? 'onECS',
      maintainablePeriod: s.maintainablePeriod ?? `0${hour}:00-0${hour + 1}:00`,
      beginTime,
      expireTime: s.payType === 'prePaid' ? beginTime + 365 * 86_400_000 : 4_102_444_800_000,
      runningSince: beginTime,
      createdSeq: this.createdSeq++,
      nodeGroups: [],
    };
    for (const key of ['restartDurationMs', 'stuck', 'failRestart', 'settleAfterMs', 'busyUntilMs'] as const) {
      if (s[key] !== undefined) (instance as unknown as Record<string, unknown>)[key] = s[key];
    }
    const groupStatus = nodeGroupStatusFor(status);
    instance.nodeGroups = [
      { nodeGroupId: this.uniqueId('ng-', () => false), nodeGroupName: 'fe_default', componentType: 'FE', status: groupStatus, residentNodeNumber: 3 },
      {
        nodeGroupId: this.uniqueId('ng-', () => false),
        nodeGroupName: runMode === 'shared_nothing' ? 'be_default' : 'cn_default',
        componentType: runMode === 'shared_nothing' ? 'BE' : 'CN',
        status: groupStatus,
        residentNodeNumber: 3,
      },
    ];
    return instance;
  }

  onTransition(listener: TransitionListener): void {
    this.listeners.push(listener);
  }

  /** Moves an instance to a status (node groups follow) and records the transition; undefined (no-op) when unchanged. */
  transition(instance: EmulatorInstance, to: WireInstanceStatus, cause: TransitionCause): TransitionRecord | undefined {
    if (instance.status === to) return undefined;
    const from = instance.status;
    instance.status = to;
    if (to === 'running') instance.runningSince = Date.now();
    for (const group of instance.nodeGroups) group.status = nodeGroupStatusFor(to);
    const record = this.ctx.recorder.addTransition({ region: instance.regionId, instanceId: instance.instanceId, from, to, cause });
    for (const listener of this.listeners) listener(instance, record);
    return record;
  }

  /** Starts the settle timer of a busy instance (settleAfterMs / busyUntilMs), consuming those fields; returns the delay (ms). */
  scheduleSettle(instance: EmulatorInstance): number | undefined {
    const delay = instance.busyUntilMs !== undefined ? instance.busyUntilMs - Date.now() : instance.settleAfterMs;
    delete instance.settleAfterMs;
    delete instance.busyUntilMs;
    if (delay === undefined) return undefined;
    const ms = Math.max(0, delay);
    this.ctx.timers.add(instance.instanceId, ms, () => {
      this.transition(instance, 'running', 'settle');
    });
    return ms;
  }

  clear(): void {
    this.instancesById.clear();
    this.createdSeq = 0;
  }
}
