/**
 * The restart lifecycle and the operations it creates: an accepted restart is recorded, gets a
 * `restart_cluster` / `restart_node_group` operation, and is scheduled (optional flip delay →
 * `restarting` → `running` / failure status / forever).
 */
import { chance, drawDuration } from '../prng';
import type { DurationDistribution, WireInstanceStatus } from '../schemas';
import type { EmulatorInstance, EmulatorOperation, RestartRecord } from '../types';
import type { WorldContext } from './context';
import type { Fleet } from './fleet';

export const DEFAULT_RESTART_DURATION: DurationDistribution = { kind: 'lognormal', medianMs: 2000, sigma: 0.3 };
export const DEFAULT_FAST_MODE_FACTOR = 0.5;
export const DEFAULT_FAIL_STATUS: WireInstanceStatus = 'creating_failed';

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
  private operations: EmulatorOperation[] = [];

  constructor(
    private readonly ctx: WorldContext,
    private readonly fleet: Fleet,
    config: { restartDuration: DurationDistribution; fastModeFactor: number },
  ) {
    this.restartDuration = config.restartDuration;
    this.fastModeFactor = config.fastModeFactor;
  }

  apply(args: RestartRequest): RestartRecord {
    const { instance, fastMode } = args;
    const base = instance.restartDurationMs ?? drawDuration(this.ctx.random.durations, this.restartDuration);
    const plannedDurationMs = Math.max(0, Math.round(fastMode ? base * this.fastModeFactor : base));
    const plan = this.planOutcome(instance);
    const operation: EmulatorOperation = {
      operationId: this.fleet.uniqueId('op-', (id) => this.operations.some((o) => o.operationId === id)),
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
      ...this.ctx.recorder.stamp(),
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
    this.ctx.recorder.addRestart(restart);

    const goDown = (): void => {
      // The instance may have been force-patched meanwhile; only a still-running instance flips.
      if (instance.status !== 'running') return;
      this.fleet.transition(instance, 'restarting', 'restart');
      if (args.nodeGroupId) {
        for (const g of instance.nodeGroups) g.status = g.nodeGroupId === args.nodeGroupId ? 'RESTARTING' : 'RUNNING';
      }
      if (plan.kind === 'stuck') return;
      this.ctx.timers.add(instance.instanceId, plannedDurationMs, () => {
        if (instance.status !== 'restarting') return;
        const ended = { endedAtMs: Date.now(), endedTMs: this.ctx.recorder.tMs() };
        if (plan.kind === 'fail') {
          restart.outcome = 'failed';
          Object.assign(restart, ended);
          operation.operationStatus = 'TERMINATED';
          operation.gmtEnd = Date.now();
          this.fleet.transition(instance, plan.status, 'restart-failed');
        } else {
          restart.outcome = 'running';
          Object.assign(restart, ended);
          operation.operationStatus = 'COMPLETED';
          operation.gmtEnd = Date.now();
          this.fleet.transition(instance, 'running', 'restart-complete');
        }
      });
    };
    const flipDelayMs = this.ctx.faults.flipDelayMs ?? 0;
    if (flipDelayMs > 0) this.ctx.timers.add(instance.instanceId, flipDelayMs, goDown);
    else goDown();
    return restart;
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

  /** Ends an instance's open operations (a forced status ends whatever the instance was doing). */
  finishOpenOperations(instanceId: string, status: 'COMPLETED' | 'TERMINATED'): void {
    for (const op of this.operations) {
      if (op.instanceId === instanceId && op.operationStatus === 'RUNNING') {
        op.operationStatus = status;
        op.gmtEnd = Date.now();
      }
    }
  }

  /** A forced status fails the instance's restarts that had not ended. */
  failOpenRestarts(instanceId: string): void {
    for (const r of this.ctx.recorder.liveRestarts()) {
      if (r.instanceId === instanceId && (r.outcome === 'pending' || r.outcome === 'stuck')) r.outcome = 'failed';
    }
  }

  operationsFor(instanceId: string): EmulatorOperation[] {
    return this.operations.filter((o) => o.instanceId === instanceId);
  }

  clearOperations(): void {
    this.operations = [];
  }
}
