/**
 * Every query and update of starwave's workflows, declared once. Other services import these (through
 * src/client) to talk to a rollout; the names are part of the public contract.
 *
 * Workflow-safe: `define*` from @temporalio/workflow only creates named definitions.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApproveArgs, CancelArgs, ControlAck, ControlBase, LimitsPatch, ProgressDetail, RolloutProgress, SkipArgs } from './rollout';

/** Rollout: progress snapshot. `detail` picks which per-instance results are included (default `problems`). */
export const progressQuery = defineQuery<RolloutProgress, [ProgressDetail?]>('progress');

/** Rollout: stop launching new restarts; in-flight ones finish. The argument may be omitted (`temporal workflow update execute --name pause`). */
export const pauseUpdate = defineUpdate<ControlAck, [ControlBase]>('pause');
/** Rollout: resume launching. */
export const resumeUpdate = defineUpdate<ControlAck, [ControlBase]>('resume');
/** Rollout: graceful cancel; in-flight restarts finish, the rest is reported not started. */
export const cancelUpdate = defineUpdate<ControlAck, [CancelArgs]>('cancel');
/** Rollout: open the approval gate before a wave (1-based wave number). */
export const approveUpdate = defineUpdate<ControlAck, [ApproveArgs]>('approve');
/** Rollout: change concurrency and failure budgets at run time (validated before it is accepted). */
export const setLimitsUpdate = defineUpdate<ControlAck, [LimitsPatch]>('setLimits');
/** Rollout: release one instance by hand (a hung restart, a down instance holding a slot, or one not to restart). */
export const skipUpdate = defineUpdate<ControlAck, [SkipArgs]>('skip');

/** Wire names, for `temporal workflow update execute --name …`. */
export const MESSAGE_NAMES = {
  progress: progressQuery.name,
  pause: pauseUpdate.name,
  resume: resumeUpdate.name,
  cancel: cancelUpdate.name,
  approve: approveUpdate.name,
  setLimits: setLimitsUpdate.name,
  skip: skipUpdate.name,
} as const;

// ---- Lease registry: no two running rollouts restart the same instance at the same time ----

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
export const LEASE_REGISTRY_ID_PREFIX = 'starwave-leases';
