/**
 * The emulator's mutable world, composed of its parts: the fleet (./state/fleet.ts), the restart
 * lifecycle and operations (./state/restarts.ts), the anti-replay nonces and THE RECORD
 * (./state/record.ts). No HTTP here.
 */
import { Engines, type EngineTiming } from './dataplane/engines';
import { randomStreams, type RandomStreams } from './prng';
import type { DurationDistribution, FaultConfig, FleetSeed, InstancePatch } from './schemas';
import type { WorldContext } from './state/context';
import { Fleet } from './state/fleet';
import { NonceStore } from './state/nonces';
import { OperationLog, isRestartOperation } from './state/operations';
import { Recorder } from './state/record';
import { RestartLifecycle, type RestartRequest } from './state/restarts';
import { InstanceTimers } from './state/timers';
import type { CallRecord, EmulatorInstance, EmulatorOperation, EmulatorRecord, RecordStats, RestartRecord } from './types';

export { DEFAULT_FAIL_STATUS, DEFAULT_FAST_MODE_FACTOR, DEFAULT_RESTART_DURATION } from './state/restarts';
export { NONCE_WINDOW_MS } from './state/nonces';
export { nodeGroupStatusFor } from './state/fleet';
export { BUSY_OPERATION_TYPES } from './state/operations';

/** Why a foreign restart cannot start (the console would refuse it too). */
export type ForeignRestartRefusal = { refused: 'unknown-instance' } | { refused: 'not-running'; status: string };

export interface StateConfig {
  regions: string[];
  seed: number;
  restartDuration: DurationDistribution;
  fastModeFactor: number;
  maxPageSize: number;
  dataPlaneTiming: EngineTiming;
}

export class EmulatorState implements WorldContext {
  readonly regions: string[];
  readonly maxPageSize: number;
  readonly recorder = new Recorder();
  readonly timers = new InstanceTimers();
  prngSeed: number;
  random: RandomStreams;
  faults: FaultConfig = {};
  /** The StarRocks engine behind every instance (data plane, spec §11). */
  readonly engines: Engines;
  /** Set once the data-plane listeners run (DescribeNodeGroups reports them); undefined when the data plane is off. */
  dataPlanePorts: { fePort: number; bePort: number } | undefined;

  private readonly nonces = new NonceStore();
  private readonly fleet: Fleet;
  private readonly operations: OperationLog;
  private readonly lifecycle: RestartLifecycle;

  constructor(config: StateConfig) {
    this.regions = config.regions;
    this.maxPageSize = config.maxPageSize;
    this.prngSeed = config.seed;
    this.random = randomStreams(config.seed);
    this.fleet = new Fleet(this);
    this.operations = new OperationLog((taken) => this.fleet.uniqueId('op-', taken));
    this.lifecycle = new RestartLifecycle(this, this.fleet, this.operations, { restartDuration: config.restartDuration, fastModeFactor: config.fastModeFactor });
    this.engines = new Engines(this, config.dataPlaneTiming);
    this.fleet.onTransition((instance, transition) => this.engines.follow(instance, transition));
    this.fleet.onTransition((instance, transition) => {
      // A BUSY status set from outside shows the operation behind it; settling completes it.
      if (transition.cause === 'control') this.operations.startBusy(instance);
      if (transition.cause === 'settle') this.operations.finishOpen(instance.instanceId, 'COMPLETED', (op) => !isRestartOperation(op));
    });
  }

  /** Replaces the faults (already validated) and records the change. */
  setFaults(faults: FaultConfig): FaultConfig {
    this.faults = faults;
    this.recorder.addFaultChange(faults);
    return faults;
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
    this.operations.clear();
    this.lifecycle.clear();
    const built = this.fleet.replace(seeds);
    this.operations.addPast(this.lifecycle.profile(built, spec));
    this.engines.replace(built);
    for (const instance of built) {
      this.operations.startBusy(instance);
      this.settleLater(instance);
    }
    return [];
  }

  /** Control-API patch. Returns undefined when the instance does not exist. */
  patchInstance(instanceId: string, patch: InstancePatch): EmulatorInstance | undefined {
    const instance = this.fleet.instance(instanceId);
    if (!instance) return undefined;
    if (patch.instanceName !== undefined) instance.instanceName = patch.instanceName;
    if (patch.tags !== undefined) instance.tags = patch.tags;
    if (patch.maintainablePeriod !== undefined) instance.maintainablePeriod = patch.maintainablePeriod;
    for (const key of ['restartDurationMs', 'stuck', 'failRestart'] as const) {
      if (patch[key] !== undefined) (instance as unknown as Record<string, unknown>)[key] = patch[key];
    }
    if (patch.status !== undefined) {
      // A forced status ends whatever the instance was doing (pending restart timers included).
      this.timers.cancel(instanceId);
      this.operations.finishOpen(instanceId, 'TERMINATED', () => true, `terminated: the instance status was set to ${patch.status}`);
      this.lifecycle.failOpenRestarts(instanceId);
      // Forcing the status it already has still restarts its BUSY operation (the old one was just ended).
      if (!this.fleet.transition(instance, patch.status, 'control')) this.operations.startBusy(instance);
    }
    if (patch.settleAfterMs !== undefined || patch.busyUntilMs !== undefined) {
      if (patch.settleAfterMs !== undefined) instance.settleAfterMs = patch.settleAfterMs;
      if (patch.busyUntilMs !== undefined) instance.busyUntilMs = patch.busyUntilMs;
      if (patch.status === undefined && instance.status === 'running') this.fleet.transition(instance, 'updating', 'control');
      this.settleLater(instance);
    }
    return instance;
  }

  private settleLater(instance: EmulatorInstance): void {
    const delay = this.fleet.scheduleSettle(instance);
    if (delay !== undefined) this.operations.planBusy(instance.instanceId, delay);
  }

  // ---------------------------------------------------------------- restarts

  /** Applies an accepted restart (see RestartLifecycle.apply). */
  applyRestart(args: RestartRequest): RestartRecord {
    return this.lifecycle.apply(args);
  }

  /** A restart made by someone else (console, another tool); see RestartLifecycle.foreign. */
  foreignRestart(instanceId: string, opts: { durationMs?: number; fastMode?: boolean }): RestartRecord | ForeignRestartRefusal {
    const instance = this.fleet.instance(instanceId);
    if (!instance) return { refused: 'unknown-instance' };
    if (instance.status !== 'running' || this.lifecycle.isFlipping(instanceId)) return { refused: 'not-running', status: instance.status === 'running' ? 'restart accepted, about to restart' : instance.status };
    return this.lifecycle.foreign(instance, opts);
  }

  /** An instance's operations, oldest first. */
  operationsFor(instanceId: string): EmulatorOperation[] {
    return this.operations.forInstance(instanceId);
  }

  operation(instanceId: string, operationId: string): EmulatorOperation | undefined {
    return this.operations.find(instanceId, operationId);
  }

  clearTimers(): void {
    this.timers.clear();
  }

  /** Clears record, faults, fleet, operations and nonces (keeps regions, keys and the start options' seed). */
  reset(seed: number): void {
    this.timers.clear();
    this.fleet.clear();
    this.engines.clear();
    this.operations.clear();
    this.lifecycle.clear();
    this.nonces.clear();
    this.recorder.clear();
    this.faults = {};
    this.prngSeed = seed;
    this.random = randomStreams(seed);
  }
}
