/**
 * Activities, built by a factory from their dependencies (`createActivities(deps)`): the worker's
 * main file wires the real StarRocks clients and the lease registry; tests can wire others.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { ResolvedFleet } from '../planning/planner';
import type { RolloutSpec } from '../planning/spec';
import type { LaunchInput, LaunchResult, UnhealthyInput, WatchInput, WatchResult } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { adaptErrors } from './failures';
import { launchRestart } from './restart';
import { resolveTargets } from './resolve';
import { findUnhealthy, watchRestarts, type WatchHeartbeat } from './watch';

export type { ActivityDeps, LeaseRegistry, RegionApi, RegionApiFor } from './deps';

export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? Date.now;
  return {
    async resolveTargets({ spec }: { spec: RolloutSpec }): Promise<ResolvedFleet> {
      return adaptErrors(() => resolveTargets(deps.starrocks, spec));
    },

    async launchRestart(input: LaunchInput): Promise<LaunchResult> {
      const info = Context.current().info;
      const result = await launchRestart(deps.starrocks(input.region), input, {
        attempt: info.attempt,
        scheduledAtMs: info.scheduledTimestampMs,
        now,
      });
      result.attempt = info.attempt;
      Context.current().log.info('restart launched', { region: input.region, instanceId: input.instanceId, kind: result.kind, attempt: info.attempt, ...(result.kind === 'sent' ? { adopted: result.adopted } : {}) });
      return result;
    },

    async watchRestarts(input: WatchInput): Promise<WatchResult> {
      const ctx = Context.current();
      return watchRestarts(deps.starrocks(input.region), input, {
        now,
        // Context.sleep rejects on cancellation, which ends the watch promptly.
        sleep: deps.sleep ?? ((ms) => ctx.sleep(ms)),
        heartbeat: (details) => ctx.heartbeat(details),
        resumed: ctx.info.heartbeatDetails as WatchHeartbeat | undefined,
        cancelled: () => ctx.cancellationSignal.aborted,
      });
    },

    async findUnhealthy(input: UnhealthyInput) {
      return findUnhealthy(deps.starrocks(input.region), input);
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
          type: 'LeaseConflict',
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
