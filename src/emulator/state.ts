/**
 * The emulator's mutable world: the fleet, the operations, the faults, the anti-replay nonce
 * store and THE RECORD (the source of truth tests assert on). No HTTP here.
 */
import { performance } from 'node:perf_hooks';
import { chance, drawDuration, randomHex, randomStreams, type RandomStreams } from './prng';
import type {
  DurationDistribution,
  FaultConfig,
  FleetSeed,
  InstancePatch,
  InstanceSeed,
  WireInstanceStatus,
} from './schemas';
import type {
  CallRecord,
  EmulatorInstance,
  EmulatorNodeGroup,
  EmulatorOperation,
  EmulatorRecord,
  RecordStats,
  RestartRecord,
  TransitionCause,
  TransitionRecord,
} from './types';

export const DEFAULT_RESTART_DURATION: DurationDistribution = { kind: 'lognormal', medianMs: 2000, sigma: 0.3 };
export const DEFAULT_FAST_MODE_FACTOR = 0.5;
export const DEFAULT_FAIL_STATUS: WireInstanceStatus = 'creating_failed';
/** Nonces are remembered (and dates accepted) for 15 minutes, like the gateway. */
export const NONCE_WINDOW_MS = 15 * 60 * 1000;

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

type RestartOutcomePlan = { kind: 'complete' } | { kind: 'fail'; status: WireInstanceStatus } | { kind: 'stuck' };

export interface StateConfig {
  regions: string[];
  seed: number;
  restartDuration: DurationDistribution;
  fastModeFactor: number;
  maxPageSize: number;
}

export class EmulatorState {
  readonly regions: string[];
  readonly maxPageSize: number;
  readonly startedPerf = performance.now();
  prngSeed: number;
  restartDuration: DurationDistribution;
  fastModeFactor: number;
  random: RandomStreams;
  faults: FaultConfig = {};

  private instancesById = new Map<string, EmulatorInstance>();
  private operations: EmulatorOperation[] = [];
  private timers = new Map<string, NodeJS.Timeout[]>();
  private nonces = new Map<string, number>();
  private seq = 0;
  private createdSeq = 0;
  private calls: CallRecord[] = [];
  private restarts: RestartRecord[] = [];
  private transitions: TransitionRecord[] = [];

  constructor(config: StateConfig) {
    this.regions = config.regions;
    this.maxPageSize = config.maxPageSize;
    this.prngSeed = config.seed;
    this.restartDuration = config.restartDuration;
    this.fastModeFactor = config.fastModeFactor;
    this.random = randomStreams(config.seed);
  }

  // ---------------------------------------------------------------- clock & record

  tMs(): number {
    return Math.round((performance.now() - this.startedPerf) * 1000) / 1000;
  }

  private stamp(): { seq: number; atMs: number; tMs: number } {
    return { seq: this.seq++, atMs: Date.now(), tMs: this.tMs() };
  }

  /** Emulator time used for `x-acs-date` validation (wall clock shifted by the clockSkewMs fault). */
  gatewayNow(): number {
    return Date.now() + (this.faults.clockSkewMs ?? 0);
  }

  recordCall(call: Omit<CallRecord, 'seq' | 'atMs' | 'tMs'>): CallRecord {
    const entry: CallRecord = { ...this.stamp(), ...call };
    this.calls.push(entry);
    return entry;
  }

  private recordTransition(instance: EmulatorInstance, to: WireInstanceStatus, cause: TransitionCause): void {
    if (instance.status === to) return;
    const from = instance.status;
    instance.status = to;
    if (to === 'running') instance.runningSince = Date.now();
    for (const group of instance.nodeGroups) group.status = nodeGroupStatusFor(to);
    this.transitions.push({ ...this.stamp(), region: instance.regionId, instanceId: instance.instanceId, from, to, cause });
  }

  record(since = 0): EmulatorRecord {
    const keep = <T extends { seq: number }>(list: T[]): T[] => list.filter((e) => e.seq >= since).map((e) => ({ ...e }));
    return {
      calls: keep(this.calls),
      restarts: keep(this.restarts),
      transitions: keep(this.transitions),
      stats: this.stats(),
      nextSeq: this.seq,
    };
  }

  stats(): RecordStats {
    const stats: RecordStats = { callsByAction: {}, callsByRegion: {}, callsByRegionAction: {}, restartsByInstance: {} };
    const bump = (map: Record<string, number>, key: string): void => {
      map[key] = (map[key] ?? 0) + 1;
    };
    for (const call of this.calls) {
      bump(stats.callsByAction, call.action);
      bump(stats.callsByRegion, call.region);
      bump(stats.callsByRegionAction, `${call.region}/${call.action}`);
    }
    for (const restart of this.restarts) bump(stats.restartsByInstance, restart.instanceId);
    return stats;
  }

  // ---------------------------------------------------------------- nonces

  /** Returns false when the nonce was already used by this key within the window; otherwise remembers it. */
  useNonce(accessKeyId: string, nonce: string): boolean {
    const now = Date.now();
    if (this.nonces.size > 10_000) {
      for (const [key, at] of this.nonces) if (now - at > NONCE_WINDOW_MS) this.nonces.delete(key);
    }
    const key = `${accessKeyId}\n${nonce}`;
    const seenAt = this.nonces.get(key);
    if (seenAt !== undefined && now - seenAt <= NONCE_WINDOW_MS) return false;
    this.nonces.set(key, now);
    return true;
  }

  // ---------------------------------------------------------------- fleet

  instances(): EmulatorInstance[] {
    return [...this.instancesById.values()].sort((a, b) => a.createdSeq - b.createdSeq);
  }

  instance(instanceId: string): EmulatorInstance | undefined {
    return this.instancesById.get(instanceId);
  }

  /** Replaces the fleet (and the operations). Returns problems (e.g. unknown region, duplicate id) without changing anything on error. */
  seed(spec: FleetSeed): string[] {
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
      if (!this.regions.includes(s.regionId)) {
        problems.push(`instances.${i}.regionId: region ${s.regionId} is not served by this emulator (${this.regions.join(', ')})`);
      }
    });
    const ids = seeds.map((s) => s.instanceId).filter((id): id is string => id !== undefined);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) problems.push(`instances: duplicate instanceId ${dup}`);
    if (problems.length > 0) return problems;

    this.clearTimers();
    if (spec.seed !== undefined) this.prngSeed = spec.seed;
    if (spec.restartDuration) this.restartDuration = spec.restartDuration;
    if (spec.fastModeFactor !== undefined) this.fastModeFactor = spec.fastModeFactor;
    this.random = randomStreams(this.prngSeed);
    this.instancesById.clear();
    this.operations = [];
    const now = Date.now();
    for (const s of seeds) {
      const instance = this.buildInstance(s, now);
      this.instancesById.set(instance.instanceId, instance);
      this.scheduleSettle(instance);
    }
    return [];
  }

  private uniqueId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = `${prefix}${randomHex(this.random.ids, 16)}`;
      if (!taken(id)) return id;
    }
  }

  private buildInstance(s: InstanceSeed, now: number): EmulatorInstance {
    const instanceId = s.instanceId ?? this.uniqueId('c-', (id) => this.instancesById.has(id));
    const busy = s.settleAfterMs !== undefined || s.busyUntilMs !== undefined;
    const status: WireInstanceStatus = s.status ?? (busy ? 'updating' : 'running');
    const runMode = s.runMode ?? 'shared_data';
    const beginTime = now - 86_400_000 * (30 + Math.floor(this.random.ids() * 300));
    const hour = Math.floor(this.random.ids() * 6);
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

  private scheduleSettle(instance: EmulatorInstance): void {
    const delay =
      instance.busyUntilMs !== undefined ? instance.busyUntilMs - Date.now() : instance.settleAfterMs;
    delete instance.settleAfterMs;
    delete instance.busyUntilMs;
    if (delay === undefined) return;
    this.addTimer(instance.instanceId, Math.max(0, delay), () => {
      this.recordTransition(instance, 'running', 'settle');
    });
  }

  /** Control-API patch. Returns undefined when the instance does not exist. */
  patchInstance(instanceId: string, patch: InstancePatch): EmulatorInstance | undefined {
    const instance = this.instancesById.get(instanceId);
    if (!instance) return undefined;
    if (patch.instanceName !== undefined) instance.instanceName = patch.instanceName;
    if (patch.tags !== undefined) instance.tags = patch.tags;
    for (const key of ['restartDurationMs', 'stuck', 'failRestart'] as const) {
      if (patch[key] !== undefined) (instance as unknown as Record<string, unknown>)[key] = patch[key];
    }
    if (patch.status !== undefined) {
      // A forced status ends whatever the instance was doing (pending restart timers included).
      this.cancelTimers(instanceId);
      this.finishOpenOperations(instance, 'TERMINATED');
      for (const r of this.restarts) {
        if (r.instanceId === instanceId && (r.outcome === 'pending' || r.outcome === 'stuck')) r.outcome = 'failed';
      }
      this.recordTransition(instance, patch.status, 'control');
    }
    if (patch.settleAfterMs !== undefined || patch.busyUntilMs !== undefined) {
      if (patch.settleAfterMs !== undefined) instance.settleAfterMs = patch.settleAfterMs;
      if (patch.busyUntilMs !== undefined) instance.busyUntilMs = patch.busyUntilMs;
      if (patch.status === undefined && instance.status === 'running') this.recordTransition(instance, 'updating', 'control');
      this.scheduleSettle(instance);
    }
    return instance;
  }

  // ---------------------------------------------------------------- restarts

  /**
   * Applies an accepted restart: records it, creates the operation and schedules the lifecycle
   * (optional flip delay → `restarting` → `running` / failure status / forever).
   */
  applyRestart(args: {
    instance: EmulatorInstance;
    action: 'RestartInstance' | 'RestartNodeGroup';
    nodeGroupId?: string;
    fastMode: boolean;
    requestId: string;
  }): RestartRecord {
    const { instance, fastMode } = args;
    const base = instance.restartDurationMs ?? drawDuration(this.random.durations, this.restartDuration);
    const plannedDurationMs = Math.max(0, Math.round(fastMode ? base * this.fastModeFactor : base));
    const plan = this.planOutcome(instance);
    const operation: EmulatorOperation = {
      operationId: this.uniqueId('op-', (id) => this.operations.some((o) => o.operationId === id)),
      instanceId: instance.instanceId,
      regionId: instance.regionId,
      operationType: args.action === 'RestartInstance' ? 'restart_cluster' : 'restart_node_group',
      operationStatus: 'RUNNING',
      gmtCreate: Date.now(),
      plannedDurationMs,
      fastMode,
      ...(args.nodeGroupId ? { nodeGroupId: args.nodeGroupId } : {}),
    };
    this.operations.push(operation);
    const restart: RestartRecord = {
      ...this.stamp(),
      region: instance.regionId,
      instanceId: instance.instanceId,
      action: args.action,
      ...(args.nodeGroupId ? { nodeGroupId: args.nodeGroupId } : {}),
      fastMode,
      requestId: args.requestId,
      operationId: operation.operationId,
      plannedDurationMs,
      outcome: plan.kind === 'stuck' ? 'stuck' : 'pending',
    };
    this.restarts.push(restart);

    const goDown = (): void => {
      // The instance may have been force-patched meanwhile; only a still-running instance flips.
      if (instance.status !== 'running') return;
      this.recordTransition(instance, 'restarting', 'restart');
      if (args.nodeGroupId) {
        for (const g of instance.nodeGroups) g.status = g.nodeGroupId === args.nodeGroupId ? 'RESTARTING' : 'RUNNING';
      }
      if (plan.kind === 'stuck') return;
      this.addTimer(instance.instanceId, plannedDurationMs, () => {
        if (instance.status !== 'restarting') return;
        const ended = { endedAtMs: Date.now(), endedTMs: this.tMs() };
        if (plan.kind === 'fail') {
          restart.outcome = 'failed';
          Object.assign(restart, ended);
          operation.operationStatus = 'TERMINATED';
          operation.gmtEnd = Date.now();
          this.recordTransition(instance, plan.status, 'restart-failed');
        } else {
          restart.outcome = 'running';
          Object.assign(restart, ended);
          operation.operationStatus = 'COMPLETED';
          operation.gmtEnd = Date.now();
          this.recordTransition(instance, 'running', 'restart-complete');
        }
      });
    };
    const flipDelayMs = this.faults.flipDelayMs ?? 0;
    if (flipDelayMs > 0) this.addTimer(instance.instanceId, flipDelayMs, goDown);
    else goDown();
    return restart;
  }

  private planOutcome(instance: EmulatorInstance): RestartOutcomePlan {
    const f = this.faults.restarts;
    const inScope = f && (!f.regions || f.regions.includes(instance.regionId));
    if (instance.stuck || (inScope && f.stuckInstanceIds?.includes(instance.instanceId))) return { kind: 'stuck' };
    const failStatus = f?.failStatus ?? DEFAULT_FAIL_STATUS;
    if (instance.failRestart) {
      return { kind: 'fail', status: instance.failRestart === true ? failStatus : instance.failRestart };
    }
    if (inScope && f.failInstanceIds?.includes(instance.instanceId)) return { kind: 'fail', status: failStatus };
    if (inScope && chance(this.random.faults, f.stuckRate)) return { kind: 'stuck' };
    if (inScope && chance(this.random.faults, f.failRate)) return { kind: 'fail', status: failStatus };
    return { kind: 'complete' };
  }

  private finishOpenOperations(instance: EmulatorInstance, status: 'COMPLETED' | 'TERMINATED'): void {
    for (const op of this.operations) {
      if (op.instanceId === instance.instanceId && op.operationStatus === 'RUNNING') {
        op.operationStatus = status;
        op.gmtEnd = Date.now();
      }
    }
  }

  operationsFor(instanceId: string): EmulatorOperation[] {
    return this.operations.filter((o) => o.instanceId === instanceId);
  }

  // ---------------------------------------------------------------- timers

  private addTimer(instanceId: string, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      const list = this.timers.get(instanceId);
      if (list) {
        const i = list.indexOf(timer);
        if (i >= 0) list.splice(i, 1);
      }
      fn();
    }, ms);
    timer.unref();
    const list = this.timers.get(instanceId) ?? [];
    list.push(timer);
    this.timers.set(instanceId, list);
  }

  private cancelTimers(instanceId: string): void {
    for (const t of this.timers.get(instanceId) ?? []) clearTimeout(t);
    this.timers.delete(instanceId);
  }

  clearTimers(): void {
    for (const list of this.timers.values()) for (const t of list) clearTimeout(t);
    this.timers.clear();
  }

  /** Clears record, faults, fleet, operations and nonces (keeps regions, keys and the start options' seed). */
  reset(seed: number): void {
    this.clearTimers();
    this.instancesById.clear();
    this.operations = [];
    this.nonces.clear();
    this.calls = [];
    this.restarts = [];
    this.transitions = [];
    this.faults = {};
    this.seq = 0;
    this.createdSeq = 0;
    this.prngSeed = seed;
    this.random = randomStreams(seed);
  }
}
