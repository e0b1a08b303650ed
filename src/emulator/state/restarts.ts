/**
 * The restart lifecycle: an accepted restart (origin `api`) or one made by someone else (origin
 * `foreign`) is recorded, gets a `restart_cluster` / `restart_node_group` operation, and is
 * scheduled (optional flip delay → `restarting` → `running` / failure status / forever).
 */
import { chance, drawDuration, noiseFactor } from '../prng';
import type { DurationDistribution, FleetSeed, WireInstanceStatus } from '../schemas';
import type { EmulatorInstance, EmulatorOperation, RestartRecord } from '../types';
import type { WorldContext } from './context';
import type { Fleet } from './fleet';
import type { OperationLog } from './operations';

export const DEFAULT_RESTART_DURATION: DurationDistribution = { kind: 'lognormal', medianMs: 2000, sigma: 0.3 };
export const DEFAULT_FAST_MODE_FACTOR = 0.5;
export const DEFAULT_FAIL_STATUS: WireInstanceStatus = 'creating_failed';
/** Spread of one instance's restarts around its own median (lognormal sigma). */
export const DEFAULT_PER_INSTANCE_NOISE_SIGMA = 0.1;
export const DEFAULT_HISTORY_INTERVAL_MS = 86_400_000;

type RestartOutcomePlan = { kind: 'complete' } | { kind: 'fail'; status: WireInstanceStatus } | { kind: 'stuck' };

export interface RestartRequest {
  instance: EmulatorInstance;
  action: 'RestartInstance' | 'RestartNodeGroup';
  nodeGroupId?: string;
  fastMode: boolean;
  requestId: string;
}

export class RestartLifecycle {
  restartDuration: DurationDistribution;
  fastModeFactor: number;
  /** Set when the current fleet was seeded with per-instance restart durations: the noise around each median. */
  private perInstanceNoiseSigma: number | undefined;
  /** Instances with an accepted restart that has not flipped to `restarting` yet (flipDelayMs). */
  private readonly flipping = new Set<string>();

  constructor(
    private readonly ctx: WorldContext,
    private readonly fleet: Fleet,
    private readonly operations: OperationLog,
    config: { restartDuration: DurationDistribution; fastModeFactor: number },
  ) {
    this.restartDuration = config.restartDuration;
    this.fastModeFactor = config.fastModeFactor;
  }

  /**
   * How long the next restart of this instance takes (ms): its fixed restartDurationMs, else its
   * own median with noise (per-instance durations), else a draw from the fleet's distribution.
   */
  plannedDurationMs(instance: EmulatorInstance, fastMode: boolean): number {
    const base =
      instance.restartDurationMs ??
      (instance.restartMedianMs !== undefined && this.perInstanceNoiseSigma !== undefined
        ? instance.restartMedianMs * noiseFactor(this.ctx.random.durations, this.perInstanceNoiseSigma)
        : drawDuration(this.ctx.random.durations, this.restartDuration));
    return Math.max(0, Math.round(fastMode ? base * this.fastModeFactor : base));
  }

  /**
   * Per seed: with perInstanceRestartDuration or restartHistory, every instance draws its own
   * median (profiles stream, so ids, restart and fault draws stay as they were) and, with
   * restartHistory, its past restart_cluster operations (oldest first). Without them: as before.
   */
  profile(instances: readonly EmulatorInstance[], spec: Pick<FleetSeed, 'perInstanceRestartDuration' | 'restartHistory'>): Array<Omit<EmulatorOperation, 'operationId'>> {
    const perInstance = spec.perInstanceRestartDuration ?? (spec.restartHistory ? {} : undefined);
    this.perInstanceNoiseSigma = perInstance ? (perInstance.noiseSigma ?? DEFAULT_PER_INSTANCE_NOISE_SIGMA) : undefined;
    if (this.perInstanceNoiseSigma === undefined) return [];
    const sigma = this.perInstanceNoiseSigma;
    const random = this.ctx.random.profiles;
    const history: Array<Omit<EmulatorOperation, 'operationId'>> = [];
    const now = Date.now();
    for (const instance of instances) {
      const median = instance.restartDurationMs ?? Math.max(1, drawDuration(random, this.restartDuration));
      instance.restartMedianMs = median;
      const n = spec.restartHistory?.perInstance ?? 0;
      if (n === 0) continue;
      // Never before the instance existed: a young instance's history is packed closer together.
      const interval = Math.min(spec.restartHistory?.intervalMs ?? DEFAULT_HISTORY_INTERVAL_MS, Math.floor((now - instance.beginTime) / (n + 1)));
      for (let k = n; k >= 1; k--) {
        const durationMs = Math.max(0, Math.round(instance.restartDurationMs ?? median * noiseFactor(random, sigma)));
        const gmtEnd = Math.round(now - k * interval + (random() - 0.5) * (interval / 2));
        history.push({
          instanceId: instance.instanceId,
          regionId: instance.regionId,
          operationType: 'restart_cluster',
          operationStatus: 'COMPLETED',
          gmtCreate: gmtEnd - durationMs,
          gmtEnd,
          plannedDurationMs: durationMs,
          fastMode: false,
        });
      }
    }
    return history;
  }

  /** An instance whose accepted restart is still in its flip delay (it reads running, but a restart is under way). */
  isFlipping(instanceId: string): boolean {
    return this.flipping.has(instanceId);
  }

  apply(args: RestartRequest): RestartRecord {
    const { instance, fastMode } = args;
    const plannedDurationMs = this.plannedDurationMs(instance, fastMode);
    const plan = this.planOutcome(instance);
    const operation = this.operations.create({
      instanceId: instance.instanceId,
      regionId: instance.regionId,
      operationType: args.action === 'RestartInstance' ? 'restart_cluster' : 'restart_node_group',
      operationStatus: 'RUNNING',
      gmtCreate: Date.now(),
      plannedDurationMs,
      fastMode,
      origin: 'api',
      ...(args.nodeGroupId ? { nodeGroupId: args.nodeGroupId } : {}),
    });
    const restart: RestartRecord = {
      ...this.ctx.recorder.stamp(),
      region: instance.regionId,
      instanceId: instance.instanceId,
      action: args.action,
      origin: 'api',
      ...(args.nodeGroupId ? { nodeGroupId: args.nodeGroupId } : {}),
      fastMode,
      requestId: args.requestId,
      operationId: operation.operationId,
      plannedDurationMs,
      outcome: plan.kind === 'stuck' ? 'stuck' : 'pending',
    };
    this.ctx.recorder.addRestart(restart);

    const goDown = (): void => {
      this.flipping.delete(instance.instanceId);
      // The instance may have been force-patched meanwhile; only a still-running instance flips.
      if (instance.status !== 'running') return;
      this.fleet.transition(instance, 'restarting', 'restart');
      if (args.nodeGroupId) {
        for (const g of instance.nodeGroups) g.status = g.nodeGroupId === args.nodeGroupId ? 'RESTARTING' : 'RUNNING';
      }
      if (plan.kind === 'stuck') return;
      this.ctx.timers.add(instance.instanceId, plannedDurationMs, () => {
        if (instance.status !== 'restarting') return;
        if (plan.kind === 'fail') this.end(instance, restart, operation, 'failed', plan.status);
        else this.end(instance, restart, operation, 'running', 'running');
      });
    };
    const flipDelayMs = this.ctx.faults.flipDelayMs ?? 0;
    if (flipDelayMs > 0) {
      this.flipping.add(instance.instanceId);
      this.ctx.timers.add(instance.instanceId, flipDelayMs, goDown);
    } else goDown();
    return restart;
  }

  /**
   * A restart NOT made through RestartInstance (the console, another tool): the instance turns
   * `restarting` at once, a `restart_cluster` operation appears, and it is `running` again after
   * `durationMs`. It always completes (the failure faults apply to API restarts only).
   */
  foreign(instance: EmulatorInstance, opts: { durationMs?: number; fastMode?: boolean }): RestartRecord {
    const fastMode = opts.fastMode ?? false;
    const plannedDurationMs = opts.durationMs ?? this.plannedDurationMs(instance, fastMode);
    const operation = this.operations.create({
      instanceId: instance.instanceId,
      regionId: instance.regionId,
      operationType: 'restart_cluster',
      operationStatus: 'RUNNING',
      gmtCreate: Date.now(),
      plannedDurationMs,
      fastMode,
      origin: 'foreign',
    });
    const restart: RestartRecord = {
      ...this.ctx.recorder.stamp(),
      region: instance.regionId,
      instanceId: instance.instanceId,
      action: 'RestartInstance',
      origin: 'foreign',
      fastMode,
      requestId: `foreign-${operation.operationId}`,
      operationId: operation.operationId,
      plannedDurationMs,
      outcome: 'pending',
    };
    this.ctx.recorder.addRestart(restart);
    this.fleet.transition(instance, 'restarting', 'foreign-restart');
    this.ctx.timers.add(instance.instanceId, plannedDurationMs, () => {
      if (instance.status !== 'restarting') return;
      this.end(instance, restart, operation, 'running', 'running', 'foreign-restart-complete');
    });
    return restart;
  }

  private end(
    instance: EmulatorInstance,
    restart: RestartRecord,
    operation: EmulatorOperation,
    outcome: 'running' | 'failed',
    status: WireInstanceStatus,
    cause: 'restart-complete' | 'restart-failed' | 'foreign-restart-complete' = outcome === 'running' ? 'restart-complete' : 'restart-failed',
  ): void {
    restart.outcome = outcome;
    restart.endedAtMs = Date.now();
    restart.endedTMs = this.ctx.recorder.tMs();
    operation.operationStatus = outcome === 'running' ? 'COMPLETED' : 'TERMINATED';
    operation.gmtEnd = Date.now();
    if (outcome === 'failed') operation.endReason = `the instance did not come back: it is ${status}`;
    const transition = this.fleet.transition(instance, status, cause);
    if (transition) restart.endedSeq = transition.seq;
  }

  private planOutcome(instance: EmulatorInstance): RestartOutcomePlan {
    const f = this.ctx.faults.restarts;
    const inScope = f && (!f.regions || f.regions.includes(instance.regionId));
    if (instance.stuck || (inScope && f.stuckInstanceIds?.includes(instance.instanceId))) return { kind: 'stuck' };
    const failStatus = f?.failStatus ?? DEFAULT_FAIL_STATUS;
    if (instance.failRestart) {
      return { kind: 'fail', status: instance.failRestart === true ? failStatus : instance.failRestart };
    }
    if (inScope && f.failInstanceIds?.includes(instance.instanceId)) return { kind: 'fail', status: failStatus };
    if (inScope && chance(this.ctx.random.faults, f.stuckRate)) return { kind: 'stuck' };
    if (inScope && chance(this.ctx.random.faults, f.failRate)) return { kind: 'fail', status: failStatus };
    return { kind: 'complete' };
  }

  /** A forced status fails the instance's restarts that had not ended. */
  failOpenRestarts(instanceId: string): void {
    this.flipping.delete(instanceId);
    for (const r of this.ctx.recorder.liveRestarts()) {
      if (r.instanceId === instanceId && (r.outcome === 'pending' || r.outcome === 'stuck')) r.outcome = 'failed';
    }
  }

  clear(): void {
    this.flipping.clear();
  }
}
