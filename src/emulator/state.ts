/**
 * The emulator's mutable world, composed of its parts: the fleet (./state/fleet.ts), the restart
 * lifecycle and operations (./state/restarts.ts), the anti-replay nonces and THE RECORD
 * (./state/record.ts). No HTTP here.
 */
import { randomStreams, type RandomStreams } from './prng';
import type { DurationDistribution, FaultConfig, FleetSeed, InstancePatch } from './schemas';
import type { WorldContext } from './state/context';
import { Fleet } from './state/fleet';
import { NonceStore } from './state/nonces';
import { Recorder } from './state/record';
import { RestartLifecycle, type RestartRequest } from './state/restarts';
import { InstanceTimers } from './state/timers';
import type { CallRecord, EmulatorInstance, EmulatorOperation, EmulatorRecord, RecordStats, RestartRecord } from './types';

export { DEFAULT_FAIL_STATUS, DEFAULT_FAST_MODE_FACTOR, DEFAULT_RESTART_DURATION } from './state/restarts';
export { NONCE_WINDOW_MS } from './state/nonces';
export { nodeGroupStatusFor } from './state/fleet';

export interface StateConfig {
  regions: string[];
  seed: number;
  restartDuration: DurationDistribution;
  fastModeFactor: number;
  maxPageSize: number;
}

export class EmulatorState implements WorldContext {
  readonly regions: string[];
  readonly maxPageSize: number;
  readonly recorder = new Recorder();
  readonly timers = new InstanceTimers();
  prngSeed: number;
  random: RandomStreams;
  faults: FaultConfig = {};

  private readonly nonces = new NonceStore();
  private readonly fleet: Fleet;
  private readonly lifecycle: RestartLifecycle;

  constructor(config: StateConfig) {
    this.regions = config.regions;
    this.maxPageSize = config.maxPageSize;
    this.prngSeed = config.seed;
    this.random = randomStreams(config.seed);
    this.fleet = new Fleet(this);
    this.lifecycle = new RestartLifecycle(this, this.fleet, { restartDuration: config.restartDuration, fastModeFactor: config.fastModeFactor });
  }

  get restartDuration(): DurationDistribution {
    return this.lifecycle.restartDuration;
  }

  set restartDuration(value: DurationDistribution) {
    this.lifecycle.restartDuration = value;
  }

  get fastModeFactor(): number {
    return this.lifecycle.fastModeFactor;
  }

  set fastModeFactor(value: number) {
    this.lifecycle.fastModeFactor = value;
  }

  // ---------------------------------------------------------------- clock & record

  tMs(): number {
    return this.recorder.tMs();
  }

  /** Emulator time used for `x-acs-date` validation (wall clock shifted by the clockSkewMs fault). */
  gatewayNow(): number {
    return Date.now() + (this.faults.clockSkewMs ?? 0);
  }

  recordCall(call: Omit<CallRecord, 'seq' | 'atMs' | 'tMs'>): CallRecord {
    return this.recorder.recordCall(call);
  }

  record(since = 0): EmulatorRecord {
    return this.recorder.record(since);
  }

  stats(): RecordStats {
    return this.recorder.stats();
  }

  useNonce(accessKeyId: string, nonce: string): boolean {
    return this.nonces.use(accessKeyId, nonce);
  }

  // ---------------------------------------------------------------- fleet

  instances(): EmulatorInstance[] {
    return this.fleet.instances();
  }

  instance(instanceId: string): EmulatorInstance | undefined {
    return this.fleet.instance(instanceId);
  }

  /** Replaces the fleet (and the operations). Returns problems (e.g. unknown region, duplicate id) without changing anything on error. */
  seed(spec: FleetSeed): string[] {
    const { seeds, problems } = Fleet.expand(spec, this.regions);
    if (problems.length > 0) return problems;
    this.timers.clear();
    if (spec.seed !== undefined) this.prngSeed = spec.seed;
    if (spec.restartDuration) this.restartDuration = spec.restartDuration;
    if (spec.fastModeFactor !== undefined) this.fastModeFactor = spec.fastModeFactor;
    this.random = randomStreams(this.prngSeed);
    this.lifecycle.clearOperations();
    for (const instance of this.fleet.replace(seeds)) this.fleet.scheduleSettle(instance);
    return [];
  }

  /** Control-API patch. Returns undefined when the instance does not exist. */
  patchInstance(instanceId: string, patch: InstancePatch): EmulatorInstance | undefined {
    const instance = this.fleet.instance(instanceId);
    if (!instance) return undefined;
    if (patch.instanceName !== undefined) instance.instanceName = patch.instanceName;
    if (patch.tags !== undefined) instance.tags = patch.tags;
    for (const key of ['restartDurationMs', 'stuck', 'failRestart'] as const) {
      if (patch[key] !== undefined) (instance as unknown as Record<string, unknown>)[key] = patch[key];
    }
    if (patch.status !== undefined) {
      // A forced status ends whatever the instance was doing (pending restart timers included).
      this.timers.cancel(instanceId);
      this.lifecycle.finishOpenOperations(instanceId, 'TERMINATED');
      this.lifecycle.failOpenRestarts(instanceId);
      this.fleet.transition(instance, patch.status, 'control');
    }
    if (patch.settleAfterMs !== undefined || patch.busyUntilMs !== undefined) {
      if (patch.settleAfterMs !== undefined) instance.settleAfterMs = patch.settleAfterMs;
      if (patch.busyUntilMs !== undefined) instance.busyUntilMs = patch.busyUntilMs;
      if (patch.status === undefined && instance.status === 'running') this.fleet.transition(instance, 'updating', 'control');
      this.fleet.scheduleSettle(instance);
    }
    return instance;
  }

  // ---------------------------------------------------------------- restarts

  /** Applies an accepted restart (see RestartLifecycle.apply). */
  applyRestart(args: RestartRequest): RestartRecord {
    return this.lifecycle.apply(args);
  }

  operationsFor(instanceId: string): EmulatorOperation[] {
    return this.lifecycle.operationsFor(instanceId);
  }

  clearTimers(): void {
    this.timers.clear();
  }

  /** Clears record, faults, fleet, operations and nonces (keeps regions, keys and the start options' seed). */
  reset(seed: number): void {
    this.timers.clear();
    this.fleet.clear();
    this.lifecycle.clearOperations();
    this.nonces.clear();
    this.recorder.clear();
    this.faults = {};
    this.prngSeed = seed;
    this.random = randomStreams(seed);
  }
}
