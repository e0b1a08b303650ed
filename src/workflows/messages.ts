/**
 * Every signal, query and update of starwave's workflows, declared once. Other services import these
 * (through src/client) to talk to a rollout; the names are part of the public contract.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RolloutSpec } from '../planning/spec';
import type { RolloutProgress, WaveControl, WaveProgress } from './types';

export type ProgressDetail = 'summary' | 'problems' | 'all';

/** Rollout: progress snapshot. `detail` picks which per-instance results are included (default `problems`). */
export const progressQuery = defineQuery<RolloutProgress, [ProgressDetail?]>('progress');

export interface ControlAck {
  paused: boolean;
  cancelRequested: boolean;
  phase: RolloutProgress['phase'];
}

/** Rollout: stop launching new restarts; in-flight ones finish. */
export const pauseUpdate = defineUpdate<ControlAck, []>('pause');
/** Rollout: resume launching. */
export const resumeUpdate = defineUpdate<ControlAck, []>('resume');
/** Rollout: graceful cancel; in-flight restarts finish, the rest is reported not started. */
export const cancelUpdate = defineUpdate<ControlAck, [{ reason?: string }]>('cancel');
/** Rollout: open the approval gate before a wave (1-based wave number). */
export const approveUpdate = defineUpdate<ControlAck, [{ wave: number }]>('approve');

export interface LimitsPatch {
  concurrency?: Partial<RolloutSpec['concurrency']>;
  failureBudget?: Partial<RolloutSpec['failureBudget']>;
}
/** Rollout: change concurrency and failure budget at run time (validated before it is accepted). */
export const setLimitsUpdate = defineUpdate<RolloutProgress['limits'], [LimitsPatch]>('setLimits');

/** Wave (child): control forwarded by the rollout. */
export const waveControlSignal = defineSignal<[WaveControl]>('waveControl');
/** Wave (child): live per-instance state of the running wave. */
export const waveProgressQuery = defineQuery<WaveProgress>('waveProgress');

/** Lease registry: no two running rollouts restart the same instance at the same time. */
export interface LeaseRequest {
  holder: string;
  keys: string[];
  /** Holders the caller verified are closed; their leases are taken over. */
  evict?: string[];
}
export interface LeaseGrant {
  granted: boolean;
  conflicts: Array<{ key: string; holder: string }>;
}
export const acquireLeasesUpdate = defineUpdate<LeaseGrant, [LeaseRequest]>('acquireLeases');
export const releaseLeasesUpdate = defineUpdate<number, [{ holder: string }]>('releaseLeases');
export const leasesQuery = defineQuery<Record<string, string[]>>('leases');
