/**
 * One wave of a rollout: restart its targets under the concurrency limits, confirm each is running,
 * stop launching when the failure budget is exceeded, and continue-as-new before history grows past
 * the limit (carrying restarts in flight forward so they are watched, never re-sent).
 *
 * History cost per instance: one launch activity (3 events) plus a share of the region's status
 * watch (3 events per watch round, shared by every instance in flight) and workflow tasks.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import { workflowNow } from './clock';
import { notStartedDetail } from './outcomes';
import type { Target } from '../planning/planner';
import { waveControlSignal, waveProgressQuery } from './messages';
import type {
  ErrorClass,
  InstanceResult,
  LaunchResult,
  NotStartedReason,
  WatchResult,
  WatchedRestart,
  WaveInput,
  WaveLimits,
  WaveResult,
} from './types';

/** Default continue-as-new threshold: well below Temporal's 10,240-event warning. */
export const DEFAULT_HISTORY_LIMIT = 7_000;

const NON_RETRYABLE_CLASSES: ErrorClass[] = ['auth', 'permission', 'bad_request', 'not_found', 'unsupported'];

function activitiesFor(input: WaveInput) {
  const p = input.policy;
  const pollMs = Math.round(p.pollIntervalSeconds * 1000);
  const launchWindowMs = Math.max(p.notRunningWaitSeconds * 1000, 300_000);
  const launch = proxyActivities<Pick<RolloutActivities, 'launchRestart'>>({
    startToCloseTimeout: '60s',
    // Throttled/transient/busy errors retry until this runs out; the class decides retryability.
    scheduleToCloseTimeout: launchWindowMs + 60_000,
    // A launch makes two or three calls, each of which may be throttled: keep the backoff gentle so a
    // storm costs seconds, not minutes (throttling answers override it with their Retry-After).
    retry: {
      initialInterval: '500ms',
      backoffCoefficient: 1.5,
      maximumInterval: '10s',
      nonRetryableErrorTypes: NON_RETRYABLE_CLASSES.map((c) => `StarRocks.${c}`),
    },
  });
  const watch = proxyActivities<Pick<RolloutActivities, 'watchRestarts' | 'findUnhealthy'>>({
    startToCloseTimeout: Math.max(pollMs * 4, 30_000) + 120_000,
    heartbeatTimeout: Math.max(p.heartbeatTimeoutSeconds * 1000, pollMs * 3),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  // proxyActivities returns Proxies: keep them as they are (spreading one would lose its methods).
  return { launchRestart: launch.launchRestart, watchRestarts: watch.watchRestarts, findUnhealthy: watch.findUnhealthy, pollMs };
}

interface Launching {
  target: Target;
}

export async function waveWorkflow(input: WaveInput): Promise<WaveResult> {
  const acts = activitiesFor(input);
  const policy = input.policy;
  const confirmTimeoutMs = policy.confirmTimeoutSeconds * 1000;
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;

  let limits: WaveLimits = input.limits;
  let paused = input.paused;
  let cancelled = input.cancelled;
  let expectedRestartMs = input.expectedRestartMs;
  let dirty = false;

  const carry = input.carry;
  let queue: Target[] = carry ? [...carry.queue] : [...input.targets];
  const launching = new Map<string, Launching>();
  const watching = new Map<string, WatchedRestart>((carry?.watching ?? []).map((w) => [w.target.instanceId, w]));
  const results: InstanceResult[] = carry ? [...carry.results] : [];
  let failures = carry?.failures ?? 0;
  let stopReason: NotStartedReason | undefined = carry?.stopReason;
  let reads = carry?.reads ?? 0;
  const runs = (carry?.runs ?? 0) + 1;
  const watchersRunning = new Set<string>();
  /** Per region: the last batched status read (instances listed as not running, and when). */
  const snapshots = new Map<string, { atMs: number; notRunning: Set<string> }>();
  const snapshotMaxAgeMs = Math.max(2 * acts.pollMs, 2_000);

  setHandler(waveControlSignal, (control) => {
    if (control.paused !== undefined) paused = control.paused;
    if (control.cancelled) cancelled = true;
    if (control.limits) limits = control.limits;
    if (control.expectedRestartMs !== undefined) expectedRestartMs = control.expectedRestartMs;
    dirty = true;
  });
  setHandler(waveProgressQuery, () => ({
    wave: input.wave,
    paused,
    ...(stopReason ? { stopReason } : {}),
    queued: queue.length,
    launching: [...launching.values()].map((l) => l.target),
    restarting: [...watching.values()],
    results,
    limits,
  }));

  const finish = (target: Target, result: Omit<InstanceResult, keyof Target | 'wave'>): void => {
    results.push({ ...target, wave: input.wave, ...result });
    if (result.outcome === 'failed') failures += 1;
  };

  // Unhealthy targets go first: while they wait to settle they hold a slot, so instances that are
  // down for any reason count against the availability limit, not only our own restarts.
  if (!carry) {
    const regions = [...new Set(queue.map((t) => t.region))];
    const unhealthy = new Set<string>();
    await Promise.all(
      regions.map(async (region) => {
        const res = await acts.findUnhealthy({ region, instanceIds: queue.filter((t) => t.region === region).map((t) => t.instanceId) });
        reads += res.reads;
        for (const u of res.unhealthy) unhealthy.add(u.instanceId);
      }),
    );
    queue = [...queue.filter((t) => unhealthy.has(t.instanceId)), ...queue.filter((t) => !unhealthy.has(t.instanceId))];
    for (const region of regions) snapshots.set(region, { atMs: workflowNow(), notRunning: unhealthy });
  }


  const budgetExceeded = (): boolean =>
    failures > limits.rolloutBudgetRemaining || (limits.waveBudget !== undefined && failures > limits.waveBudget);

  const onLaunched = (target: Target, res: LaunchResult): void => {
    reads += res.reads;
    launching.delete(target.instanceId);
    if (res.kind === 'sent') {
      watching.set(target.instanceId, {
        target,
        sentAtMs: res.sentAtMs,
        seenRestarting: false,
        ...(res.attempt && res.attempt > 1 ? { attempts: res.attempt } : {}),
        ...(res.requestId ? { requestId: res.requestId } : {}),
        ...(res.adopted ? { adopted: true } : {}),
      });
    } else if (res.kind === 'skipped') {
      finish(target, { outcome: 'skipped', status: res.status, detail: `not running at its turn (status ${res.status}); skipped by policy` });
    } else {
      finish(target, {
        outcome: 'failed',
        failure: 'not_running',
        status: res.status,
        detail: `not running at its turn (status ${res.status}); counted as failed by policy`,
      });
    }
    dirty = true;
  };

  const onLaunchFailed = (target: Target, err: unknown): void => {
    launching.delete(target.instanceId);
    finish(target, { outcome: 'failed', ...describeLaunchFailure(err) });
    dirty = true;
  };

  const startLaunch = (target: Target): void => {
    launching.set(target.instanceId, { target });
    const snapshot = snapshots.get(target.region);
    const fresh = snapshot !== undefined && workflowNow() - snapshot.atMs <= snapshotMaxAgeMs && !snapshot.notRunning.has(target.instanceId);
    acts
      .launchRestart({
        region: target.region,
        instanceId: target.instanceId,
        fastMode: policy.fastMode,
        notRunning: policy.notRunning,
        pollIntervalMs: acts.pollMs,
        ...(fresh ? { preflightFromSnapshot: true } : {}),
      })
      .then(
        (res) => onLaunched(target, res),
        (err) => onLaunchFailed(target, err),
      );
  };

  const onWatched = (region: string, res: WatchResult): void => {
    watchersRunning.delete(region);
    reads += res.reads;
    if (res.notRunning) snapshots.set(region, { atMs: workflowNow(), notRunning: new Set(res.notRunning) });
    else snapshots.delete(region);
    for (const id of res.seenRestarting) {
      const w = watching.get(id);
      if (w) w.seenRestarting = true;
    }
    for (const ev of res.events) {
      const w = watching.get(ev.instanceId);
      if (!w) continue;
      watching.delete(ev.instanceId);
      const common = {
        sentAtMs: w.sentAtMs,
        ...(w.attempts ? { attempts: w.attempts } : {}),
        ...(w.requestId ? { requestId: w.requestId } : {}),
        ...(w.adopted ? { adopted: true } : {}),
        ...(ev.status ? { status: ev.status } : {}),
      };
      if (ev.kind === 'running') {
        // Restarted instances are the bulk of a large wave: keep their record slim (the result and
        // the continue-as-new carry must stay well under Temporal's 2 MB payload limit at 10,000).
        finish({ region: w.target.region, instanceId: w.target.instanceId }, {
          outcome: 'restarted',
          ...(w.adopted ? { adopted: true } : {}),
          ...(w.attempts ? { attempts: w.attempts } : {}),
          confirmedAtMs: ev.atMs,
          durationMs: Math.max(0, ev.atMs - w.sentAtMs),
          ...(ev.restartNotObserved ? { restartNotObserved: true } : {}),
        });
      } else if (ev.kind === 'timeout') {
        finish(w.target, {
          outcome: 'failed',
          failure: 'confirm_timeout',
          errorClass: 'timeout',
          ...common,
          detail: `not running ${policy.confirmTimeoutSeconds}s after the restart was accepted (last status ${ev.status ?? 'unknown'})`,
        });
      } else if (ev.kind === 'gone') {
        finish(w.target, { outcome: 'failed', failure: 'gone', ...common, detail: 'the instance no longer exists' });
      } else {
        finish(w.target, {
          outcome: 'failed',
          failure: 'restart_failed',
          ...common,
          detail: `the restart ended in status ${ev.status ?? 'unknown'} instead of running`,
        });
      }
    }
    dirty = true;
  };

  const onWatchFailed = (region: string): void => {
    // The watch activity retries itself (heartbeats carry its progress); reaching here means its
    // timeouts ran out. Start a fresh watch on the next loop turn rather than guessing outcomes.
    watchersRunning.delete(region);
    dirty = true;
  };

  const startWatch = (region: string): void => {
    const list = [...watching.values()].filter((w) => w.target.region === region);
    watchersRunning.add(region);
    acts
      .watchRestarts({
        region,
        watching: list.map((w) => ({ instanceId: w.target.instanceId, sentAtMs: w.sentAtMs, seenRestarting: w.seenRestarting })),
        pollIntervalMs: acts.pollMs,
        confirmTimeoutMs,
        flipGraceMs: Math.max(acts.pollMs * 3, 5_000),
        maxWaitMs: Math.max(acts.pollMs * 5, 1_000),
      })
      .then(
        (res) => onWatched(region, res),
        () => onWatchFailed(region),
      );
  };


  const canStartBeforeCutoff = (): boolean => input.notAfterMs === undefined || workflowNow() + expectedRestartMs <= input.notAfterMs;

  let drainingForContinueAsNew = false;
  for (;;) {
    if (!stopReason) {
      if (cancelled) stopReason = 'cancelled';
      else if (budgetExceeded()) stopReason = 'budget';
      else if (queue.length > 0 && !canStartBeforeCutoff()) stopReason = 'window';
    }
    if (stopReason && queue.length > 0) {
      for (const t of queue) finish(t, { outcome: 'not_started', notStartedReason: stopReason, detail: notStartedDetail(stopReason) });
      queue = [];
    }

    const info = workflowInfo();
    if (!drainingForContinueAsNew && (info.continueAsNewSuggested || info.historyLength > historyLimit)) {
      drainingForContinueAsNew = true;
    }

    // Fill free slots, in queue order, within the global and per-region limits. Counts are taken
    // once and kept up to date here: this loop runs on every activation, over queues of thousands.
    if (!paused && !stopReason && !drainingForContinueAsNew) {
      const perRegion = new Map<string, number>();
      for (const { target } of [...launching.values(), ...watching.values()]) perRegion.set(target.region, (perRegion.get(target.region) ?? 0) + 1);
      let total = launching.size + watching.size;
      const remaining: Target[] = [];
      for (let i = 0; i < queue.length; i++) {
        const t = queue[i]!;
        if (total >= limits.concurrency || !canStartBeforeCutoff()) {
          remaining.push(...queue.slice(i));
          break;
        }
        const inRegion = perRegion.get(t.region) ?? 0;
        if (inRegion >= (limits.regionConcurrency[t.region] ?? limits.concurrency)) {
          remaining.push(t);
          continue;
        }
        startLaunch(t);
        total += 1;
        perRegion.set(t.region, inRegion + 1);
      }
      queue = remaining;
    }

    if (drainingForContinueAsNew && launching.size === 0) {
      // Restarts in flight are carried forward and watched by the next run; none is re-sent.
      await continueAsNew<typeof waveWorkflow>({
        ...input,
        targets: [], // the queue in the carry holds what is left; don't carry the original list twice
        limits,
        paused,
        cancelled,
        expectedRestartMs,
        carry: { queue, watching: [...watching.values()], results, failures, ...(stopReason ? { stopReason } : {}), reads, runs },
      });
    }

    for (const region of new Set([...watching.values()].map((w) => w.target.region))) {
      if (!watchersRunning.has(region)) startWatch(region);
    }

    if (queue.length === 0 && launching.size === 0 && watching.size === 0) break;
    await condition(() => dirty);
    dirty = false;
  }

  return { wave: input.wave, results, failures, ...(stopReason ? { stopReason } : {}), reads, runs };
}

/** Turns a launch activity failure into the report's terms: class, API code and message. */
function describeLaunchFailure(err: unknown): Omit<InstanceResult, keyof Target | 'wave' | 'outcome'> {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as { errorClass?: ErrorClass; apiCode?: string; apiMessage?: string; requestId?: string; status?: string };
    const errorClass = details.errorClass ?? (cause.type?.startsWith('StarRocks.') ? (cause.type.slice(10) as ErrorClass) : undefined);
    if (cause.type === 'InstanceNotReady') {
      return { failure: 'not_running', ...(details.status ? { status: details.status } : {}), detail: cause.message };
    }
    return {
      failure: 'api_error',
      ...(errorClass ? { errorClass } : {}),
      ...(details.apiCode ? { apiCode: details.apiCode } : {}),
      ...(details.apiMessage ? { apiMessage: details.apiMessage } : {}),
      ...(details.requestId ? { requestId: details.requestId } : {}),
      detail: cause.message,
    };
  }
  if (cause instanceof TimeoutFailure) {
    const last = cause.cause instanceof ApplicationFailure ? `; last error: ${cause.cause.message}` : '';
    return {
      failure: 'not_running',
      errorClass: 'timeout',
      detail: `could not be restarted before the launch deadline (${cause.timeoutType ?? 'timeout'})${last}`,
    };
  }
  return { failure: 'api_error', detail: err instanceof Error ? err.message : String(err) };
}
