/**
 * Launching one restart, safely. RestartInstance has no idempotency token, so a retried attempt
 * first looks for the effect of an earlier attempt whose answer was lost (a `restart_cluster`
 * operation created since the activity was scheduled, or the instance already `restarting`) and
 * adopts it instead of sending a second restart.
 */
import { ApplicationFailure } from '@temporalio/common';
import { StarRocksApiError } from '../starrocks/errors';
import type { LaunchInput, LaunchResult } from '../workflows/types';
import type { RegionApi } from './deps';
import { failureType, toApplicationFailure } from './failures';

/** Tolerated clock difference between this worker and the cloud when matching operation history. */
export const ADOPT_SKEW_MS = 120_000;

export interface LaunchContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** When the workflow scheduled this launch (first attempt), epoch ms. */
  scheduledAtMs: number;
  now: () => number;
}

export async function launchRestart(api: RegionApi, input: LaunchInput, ctx: LaunchContext): Promise<LaunchResult> {
  let reads = 0;
  try {
    if (ctx.attempt > 1) {
      const since = ctx.scheduledAtMs - ADOPT_SKEW_MS;
      const history = await api.listOperationHistory({ instanceId: input.instanceId, operationType: 'restart_cluster', startTimeMs: since, pageSize: 10 });
      reads += 1;
      const earlier = history.items.find((op) => op.operationType === 'restart_cluster' && (op.gmtCreateMs ?? 0) >= since);
      if (earlier) return { kind: 'sent', sentAtMs: earlier.gmtCreateMs ?? ctx.now(), adopted: true, reads };
    }

    if (ctx.attempt === 1 && input.preflightFromSnapshot) {
      // Preflight already done in the region's batched read; the call itself re-checks the status.
      try {
        const res = await api.restartInstance({ instanceId: input.instanceId, fastMode: input.fastMode });
        return { kind: 'sent', sentAtMs: ctx.now(), requestId: res.requestId, adopted: false, reads };
      } catch (err) {
        if (!(err instanceof StarRocksApiError && err.errorClass === 'busy')) throw err;
        // Changed since the snapshot: fall through to read its status and apply the policy.
      }
    }

    // Preflight: the instance must be running right before we restart it.
    const instance = await api.describeInstance(input.instanceId);
    reads += 1;
    if (!instance) {
      throw ApplicationFailure.create({
        type: failureType('not_found'),
        nonRetryable: true,
        message: `Instance ${input.instanceId} does not exist in ${input.region}.`,
        details: [{ errorClass: 'not_found' }],
      });
    }
    if (instance.statusClass === 'RESTARTING' && ctx.attempt > 1) {
      // Our earlier attempt's restart took effect (history may lag behind the status).
      return { kind: 'sent', sentAtMs: ctx.scheduledAtMs, adopted: true, reads };
    }
    if (instance.statusClass !== 'READY') return notReady(input, instance.status, reads);

    try {
      const res = await api.restartInstance({ instanceId: input.instanceId, fastMode: input.fastMode });
      return { kind: 'sent', sentAtMs: ctx.now(), requestId: res.requestId, adopted: false, reads };
    } catch (err) {
      // The instance changed state between preflight and the call: treat it like not running.
      if (err instanceof StarRocksApiError && err.errorClass === 'busy') return notReady(input, 'busy', reads, err.message);
      throw err;
    }
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

function notReady(input: LaunchInput, status: string, reads: number, why?: string): LaunchResult {
  if (input.notRunning === 'skip') return { kind: 'skipped', status, reads };
  if (input.notRunning === 'fail') return { kind: 'not_running', status, reads };
  // wait: retry (as a Temporal activity retry) until it runs or the launch deadline passes.
  throw ApplicationFailure.create({
    type: 'InstanceNotReady',
    message: `Instance ${input.instanceId} in ${input.region} is ${status}, not running${why ? ` (${why})` : ''}; waiting for it to settle.`,
    nextRetryDelay: input.pollIntervalMs,
    details: [{ errorClass: 'busy', status }],
  });
}
