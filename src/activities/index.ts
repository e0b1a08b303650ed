/**
 * Activities, built by a factory from their dependencies (`createActivities(deps)`): the worker's
 * composition root wires the real StarRocks clients, the health prober and the lease registry;
 * tests can wire others. Each one is thin: the domain work lives in planning/, starrocks/ and the
 * functions of this room; the decisions live in the engine.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { EstimateInput, EstimateResult, LaunchHeartbeat, LaunchInput, LaunchResult, ResolveInput, ResolveResult, WatchInput, WatchResult } from '../contracts/activities';
import { FAILURE_TYPES } from '../contracts/errors';
import { resolveTargets } from '../planning/resolve';
import { encodeFleet } from '../engine';
import { unknownRegionProblems } from '../planning/regions';
import type { ActivityDeps } from './deps';
import { estimateRestarts } from './estimate';
import { adaptErrors } from './failures';
import { launchRestart } from './launch';
import { watchRegion, type WatchHeartbeat } from './watch';
import { deliverNotification, type DeliveryState } from './notify';
import type { RolloutNotification } from '../contracts/rollout';

export type { ActivityDeps, HealthProber, LeaseRegistry, NotifierConfig, RegionApi, RegionApiFor } from './deps';

export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? Date.now;
  return {
    async resolveTargets({ spec, compact }: ResolveInput): Promise<ResolveResult> {
      if (deps.knownRegions) {
        const problems = unknownRegionProblems(spec, deps.knownRegions);
        if (problems.length) {
          throw ApplicationFailure.create({
            type: 'StarRocks.bad_request',
            nonRetryable: true,
            message: `The spec names region(s) this worker cannot reach: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`,
            details: [{ errorClass: 'bad_request', problems }],
          });
        }
      }
      const fleet = await adaptErrors(() => resolveTargets(deps.starrocks, spec));
      return compact ? encodeFleet(fleet) : fleet;
    },

    async estimateRestarts(input: EstimateInput): Promise<EstimateResult> {
      const ctx = Context.current();
      return adaptErrors(() => estimateRestarts(deps.starrocks(input.region), input, { heartbeat: () => ctx.heartbeat(), signal: ctx.cancellationSignal }));
    },

    async launchRestart(input: LaunchInput): Promise<LaunchResult> {
      const ctx = Context.current();
      const info = ctx.info;
      const deadlineMs = Math.min(
        info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs,
        info.scheduleToCloseTimeoutMs > 0 ? info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs : Number.POSITIVE_INFINITY,
      );
      const result = await launchRestart(deps.starrocks(input.region), input, {
        attempt: info.attempt,
        ...(info.heartbeatDetails ? { previous: info.heartbeatDetails as LaunchHeartbeat } : {}),
        heartbeat: (d) => ctx.heartbeat(d),
        deadlineMs,
        signal: ctx.cancellationSignal,
        now,
      });
      ctx.log.info('launch', {
        region: input.region,
        instanceId: input.instanceId,
        kind: result.kind,
        attempt: info.attempt,
        ...(result.kind === 'sent' ? { adopted: result.adopted } : {}),
        ...(result.kind === 'not_running' ? { status: result.status } : {}),
        ...(result.kind === 'refused' ? { errorClass: result.refusal.errorClass, apiCode: result.refusal.apiCode, message: result.refusal.message } : {}),
      });
      return result;
    },

    async watchRegion(input: WatchInput): Promise<WatchResult> {
      const ctx = Context.current();
      const heartbeatMs = ctx.info.heartbeatTimeoutMs ?? 30_000;
      return watchRegion(deps.starrocks(input.region), input, {
        now,
        // Context.sleep rejects on cancellation, which ends the watch promptly.
        sleep: deps.sleep ?? ((ms) => ctx.sleep(ms)),
        heartbeat: (details) => ctx.heartbeat(details),
        heartbeatEveryMs: Math.max(100, Math.floor(heartbeatMs / 3)),
        ...(ctx.info.heartbeatDetails ? { resumed: ctx.info.heartbeatDetails as WatchHeartbeat } : {}),
        cancelled: () => ctx.cancellationSignal.aborted,
        signal: ctx.cancellationSignal,
        ...(deps.health ? { health: deps.health } : {}),
      });
    },

    async deliverNotification({ notification, receivers }: { notification: RolloutNotification; receivers?: string[] }): Promise<DeliveryState> {
      const ctx = Context.current();
      const n = deps.notifier;
      if (!n || n.receivers.length === 0) return { receivers: {} };
      const approveLink = notification.event === 'approval_needed' && notification.wave !== undefined ? n.approveLink?.(notification.rolloutId, notification.wave) : undefined;
      return deliverNotification(notification, {
        receivers: n.receivers,
        ...(receivers ? { only: receivers } : {}),
        ...(ctx.info.heartbeatDetails ? { previous: ctx.info.heartbeatDetails as DeliveryState } : {}),
        heartbeat: (state) => ctx.heartbeat(state),
        format: { ...(n.webhookSecret ? { webhookSecret: n.webhookSecret } : {}), ...(n.dashboardUrl ? { dashboardUrl: n.dashboardUrl } : {}), ...(approveLink ? { approveLink } : {}) },
        now,
        signal: ctx.cancellationSignal,
      });
    },

    async acquireLeases({ holder, keys }: { holder: string; keys: string[] }): Promise<void> {
      let grant = await deps.leases.acquire({ holder, keys });
      if (!grant.granted) {
        // Leases of rollouts that closed without releasing (e.g. terminated) are taken over.
        const others = [...new Set(grant.conflicts.map((c) => c.holder))];
        const closed: string[] = [];
        for (const other of others) if (!(await deps.leases.isRunning(other))) closed.push(other);
        if (closed.length > 0) grant = await deps.leases.acquire({ holder, keys, evict: closed });
      }
      if (!grant.granted) {
        const holders = [...new Set(grant.conflicts.map((c) => c.holder))];
        const sample = grant.conflicts.slice(0, 5).map((c) => c.key).join(', ');
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.leaseConflict,
          nonRetryable: true,
          message:
            `${grant.conflicts.length} target(s) are being restarted by another running rollout (${holders.join(', ')}): ${sample}` +
            `${grant.conflicts.length > 5 ? ', …' : ''}. Nothing was restarted; wait for that rollout or exclude these instances.`,
          details: [grant.conflicts],
        });
      }
    },

    async releaseLeases({ holder }: { holder: string }): Promise<number> {
      return deps.leases.release(holder);
    },
  };
}

export type RolloutActivities = ReturnType<typeof createActivities>;
