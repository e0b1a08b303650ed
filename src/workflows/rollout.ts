/**
 * The rollout workflow: thin wiring around the pure engine (src/engine). It turns the engine's
 * commands into activities and timers, hands their results back as events, answers queries from
 * the engine's state, runs control updates through the engine's validator, and continues-as-new
 * with the engine's state before history grows large. It decides nothing itself.
 *
 * A Temporal-level cancellation (the Web UI's "Request Cancellation", `temporal workflow cancel`)
 * is the same graceful cancel as the `cancel` update: launches stop, restarts in flight are watched
 * to the end, and every instance gets its outcome in the report.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import type { LaunchHeartbeat, WatchInput } from '../contracts/activities';
import { FAILURE_TYPES, NON_RETRYABLE_FAILURE_TYPES, errorClassOfFailureType, type ErrorClass } from '../contracts/errors';
import { approveUpdate, cancelUpdate, pauseUpdate, progressQuery, resumeUpdate, setLimitsUpdate, skipUpdate } from '../contracts/messages';
import type { ApproveArgs, CancelArgs, ControlAck, ControlBase, LimitsPatch, RolloutInput, RolloutReport, SkipArgs } from '../contracts/rollout';
import { MAX_LAUNCHES_IN_FLIGHT, RolloutEngine, decodeCarried, decodeFleet, encodeCarried, phaseOf, type ControlEvent, type EngineCommand, type EngineEvent, type EngineState, type PackedState } from '../engine';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { validateSpec } from '../contracts/spec';
import { workflowNow } from './clock';
import { currentDetails } from './details';

/** How often (workflow time) the Web UI's details table is rebuilt at most. */
const DETAILS_EVERY_MS = 5_000;

/** Default continue-as-new threshold: well below Temporal's 10,240-event warning. */
export const DEFAULT_HISTORY_LIMIT = 7_000;

const setup = proxyActivities<Pick<RolloutActivities, 'resolveTargets'>>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
});
const estimates = proxyActivities<Pick<RolloutActivities, 'estimateRestarts'>>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});
const leases = proxyActivities<Pick<RolloutActivities, 'acquireLeases' | 'releaseLeases'>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 30, nonRetryableErrorTypes: [FAILURE_TYPES.leaseConflict] },
});
const notifications = proxyActivities<Pick<RolloutActivities, 'deliverNotification'>>({
  // A receiver that fails is retried for a minute at most, then recorded failed: never the rollout's problem.
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '60s',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s', maximumAttempts: 5 },
});
const launches = proxyActivities<Pick<RolloutActivities, 'launchRestart'>>({
  startToCloseTimeout: '60s',
  // Throttled and transient errors retry until this runs out; the rest come back as results.
  scheduleToCloseTimeout: '5m',
  // A launch makes two or three calls, each of which may be throttled: keep the backoff gentle so a
  // storm costs seconds, not minutes (throttling answers override it with their Retry-After).
  retry: { initialInterval: '500ms', backoffCoefficient: 1.5, maximumInterval: '10s', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
});

/** The watch proxy for a rollout: its timeouts follow the spec's poll interval (up to 600 s). */
function watchActivities(pollMs: number, heartbeatSeconds: number) {
  return proxyActivities<Pick<RolloutActivities, 'watchRegion'>>({
    // A watch sleeps at most one poll, waits at most five, and makes one listing per poll.
    startToCloseTimeout: 7 * pollMs + 120_000,
    heartbeatTimeout: Math.max(heartbeatSeconds * 1000, 10_000),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  }).watchRegion;
}

/** Temporal patch id: launches count only on region listings younger than a few poll intervals (engine/slots.ts). */
export const FRESH_LISTINGS_PATCH = 'fresh-listings-before-launch';

/** Temporal patch id: at most MAX_LAUNCHES_IN_FLIGHT launches outstanding (engine/slots.ts). */
export const BOUNDED_LAUNCHES_PATCH = 'bounded-launch-activities';

/** Temporal patch id: the resolve activity answers with the fleet deflated (engine/codec.ts encodeFleet). */
export const COMPACT_RESOLVE_PATCH = 'compact-resolve-result';

export async function rolloutWorkflow(input: RolloutInput, resume?: Uint8Array | PackedState | EngineState): Promise<RolloutReport> {
  let engine: RolloutEngine;
  if (resume) engine = new RolloutEngine(decodeCarried(resume));
  else {
    const validated = validateSpec(input.spec);
    if (!validated.ok) {
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.invalidSpec,
        nonRetryable: true,
        message: `The rollout spec is invalid: ${validated.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        details: [validated.problems],
      });
    }
    const startedAtMs = workflowNow();
    const notAfterMs = windowEnd(input, validated.spec.window.notAfter, startedAtMs);
    engine = RolloutEngine.start({
      rolloutId: workflowInfo().workflowId,
      spec: validated.spec,
      startedAtMs,
      ...(input.trigger ? { trigger: input.trigger } : {}),
      ...(notAfterMs !== undefined ? { notAfterMs } : {}),
    });
  }

  // Histories recorded before launches waited for fresh listings replay as they ran (no marker: false).
  engine.freshListings = patched(FRESH_LISTINGS_PATCH);
  // Histories recorded before launches were bounded replay as they ran (no marker: unbounded).
  if (patched(BOUNDED_LAUNCHES_PATCH)) engine.launchCap = MAX_LAUNCHES_IN_FLIGHT;

  const spec = engine.state.spec;
  const watchRegion = watchActivities(spec.instance.pollIntervalSeconds * 1000, spec.instance.heartbeatTimeoutSeconds);
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const inbox: EngineEvent[] = [];
  let report: RolloutReport | undefined;
  let dirty = false;
  let watchesInFlight = 0;
  let timerAtMs: number | undefined;

  const post = (event: EngineEvent): void => {
    inbox.push(event);
    dirty = true;
  };

  /**
   * Runs the engine on one event now. Its commands wait in the outbox for the main loop, which
   * starts them inside the non-cancellable scope (an update handler runs in the root scope, and a
   * Temporal cancellation must not cancel the activities a control message started).
   */
  const outbox: EngineCommand[] = [];
  const handle = (event: EngineEvent): void => {
    outbox.push(...engine.handle(event, workflowNow()));
    dirty = true;
  };

  const dispatch = (c: EngineCommand): void => {
    switch (c.type) {
      case 'resolve':
        // From this patch on the fleet comes back deflated (10,000 targets are about the 2 MB payload limit as JSON).
        setup.resolveTargets({ spec: engine.state.spec, ...(patched(COMPACT_RESOLVE_PATCH) ? { compact: true } : {}) }).then(
          (answer) => post({ type: 'resolved', fleet: decodeFleet(answer) }),
          (err) => post({ type: 'resolve_failed', sentence: `The targets could not be resolved: ${innermost(err)}` }),
        );
        return;
      case 'estimate':
        estimates
          .estimateRestarts({ region: c.region, instanceIds: c.instanceIds, sinceMs: c.sinceMs, maxPagesPerInstance: 2 })
          .then(
            (result) => post({ type: 'estimated', region: c.region, result }),
            () => post({ type: 'estimate_failed', region: c.region }),
          );
        return;
      case 'acquire_leases':
        leases.acquireLeases({ holder: engine.state.rolloutId, keys: c.keys }).then(
          () => post({ type: 'leased' }),
          (err) => post({ type: 'lease_failed', sentence: innermost(err) }),
        );
        return;
      case 'release_leases':
        leases.releaseLeases({ holder: engine.state.rolloutId }).then(
          () => post({ type: 'released' }),
          // The registry evicts leases of closed rollouts on the next acquire: ending here is safe.
          () => post({ type: 'released' }),
        );
        return;
      case 'launch':
        launches.launchRestart(c.input).then(
          (result) => post({ type: 'launched', instanceId: c.input.instanceId, result }),
          (err) => post(launchFailed(c.input.instanceId, err)),
        );
        return;
      case 'watch':
        watchesInFlight++;
        startWatch(c.input);
        return;
      case 'notify':
        notifications.deliverNotification({ notification: c.notification, ...(c.receivers ? { receivers: c.receivers } : {}) }).then(
          (state) => post({ type: 'notified', seq: c.notification.seq, receivers: receiversOf(state) }),
          (err) => {
            const last = (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure ? err.cause.lastHeartbeatDetails : undefined) as { receivers?: Record<string, { attempts: number; delivered: boolean; error?: string }> } | undefined;
            post(last?.receivers ? { type: 'notified', seq: c.notification.seq, receivers: receiversOf(last as { receivers: Record<string, { attempts: number; delivered: boolean; error?: string }> }) } : { type: 'notify_failed', seq: c.notification.seq, error: innermost(err) });
          },
        );
        return;
      case 'log':
        log[c.level](c.message, { rolloutId: engine.state.rolloutId, ...c.attrs });
        return;
      case 'finish':
        report = c.report;
        return;
    }
  };

  const startWatch = (watchInput: WatchInput): void => {
    watchRegion(watchInput).then(
      (result) => {
        watchesInFlight--;
        post({ type: 'watched', region: watchInput.region, result });
      },
      (err) => {
        watchesInFlight--;
        post({ type: 'watch_failed', region: watchInput.region, message: innermost(err) });
      },
    );
  };

  // ---- queries and control (validated by the engine before they are accepted) ----

  setHandler(progressQuery, (detail) => engine.progress(detail ?? 'problems'));
  const by = (a?: { by?: string }): { by?: string } => (a?.by ? { by: a.by } : {});
  const guard = (event: ControlEvent): void => {
    const rejected = engine.validate(event);
    // The failure type is the error code: callers match on it, never on the sentence.
    if (rejected) throw ApplicationFailure.create({ type: rejected.code, message: rejected.message, nonRetryable: true, details: rejected.problems ? [rejected.problems] : [] });
  };
  const apply = (event: ControlEvent, message: () => string): ControlAck => {
    handle(event);
    return engine.ack(message());
  };
  const pauseOf = (a?: ControlBase): ControlEvent => ({ type: 'pause', ...by(a) });
  const resumeOf = (a?: ControlBase): ControlEvent => ({ type: 'resume', ...by(a) });
  const cancelOf = (a?: CancelArgs): ControlEvent => ({ type: 'cancel', ...(a?.reason ? { reason: a.reason } : {}), ...by(a) });
  const approveOf = (a: ApproveArgs): ControlEvent => ({ type: 'approve', wave: a?.wave, ...by(a) });
  const limitsOf = (patch: LimitsPatch): ControlEvent => ({ type: 'set_limits', patch });
  const skipOf = (a: SkipArgs): ControlEvent => ({ type: 'skip', instanceId: a?.instanceId, ...by(a) });
  setHandler(pauseUpdate, (a) => apply(pauseOf(a), () => pausedMessage(engine)), { validator: (a) => guard(pauseOf(a)) });
  setHandler(resumeUpdate, (a) => apply(resumeOf(a), () => 'Resumed: launches continue.'), { validator: (a) => guard(resumeOf(a)) });
  setHandler(cancelUpdate, (a) => apply(cancelOf(a), () => cancelMessage(engine)), { validator: (a) => guard(cancelOf(a)) });
  setHandler(approveUpdate, (a) => apply(approveOf(a), () => `Wave ${a.wave} approved.`), { validator: (a) => guard(approveOf(a)) });
  setHandler(setLimitsUpdate, (p) => apply(limitsOf(p), () => 'Limits changed.'), { validator: (p) => guard(limitsOf(p)) });
  setHandler(skipUpdate, (a) => apply(skipOf(a), () => `${a.instanceId} released: it no longer holds a slot or waits for its turn.`), { validator: (a) => guard(skipOf(a)) });

  // A cancellation requested through Temporal is the graceful cancel.
  CancellationScope.current().cancelRequested.catch((err: unknown) => {
    if (isCancellation(err)) post({ type: 'cancel', by: 'temporal', reason: 'cancellation requested through Temporal' });
  });

  // Search attributes are upserted only when the starter set them (so they are registered on this server).
  const visible = workflowInfo().typedSearchAttributes.get(SEARCH_ATTRIBUTES.name) !== undefined;
  let shownPhase: string | undefined;
  let shownDetails: string | undefined;
  let detailsAtMs = 0;
  /**
   * Keeps the Web UI's view current: the phase search attribute on every phase change, the details
   * table at most every few seconds of workflow time (building it reads every target).
   */
  const show = (force = false): void => {
    const phase = phaseOf(engine);
    const changed = phase !== shownPhase;
    if (visible && changed) {
      upsertSearchAttributes([
        { key: SEARCH_ATTRIBUTES.phase, value: phase },
        ...(engine.state.plan ? [{ key: SEARCH_ATTRIBUTES.regions, value: engine.state.plan.regions }] : []),
      ]);
    }
    shownPhase = phase;
    const now = workflowNow();
    if (!force && !changed && now - detailsAtMs < DETAILS_EVERY_MS) return;
    detailsAtMs = now;
    const details = currentDetails(engine.progress('summary'));
    if (details !== shownDetails) {
      shownDetails = details;
      setCurrentDetails(details);
    }
  };

  await CancellationScope.nonCancellable(async () => {
    handle({ type: 'tick' });
    let drainAsked = false;
    while (!report) {
      while ((inbox.length > 0 || outbox.length > 0) && !report) {
        while (outbox.length > 0 && !report) dispatch(outbox.shift()!);
        if (inbox.length > 0) handle(inbox.shift()!);
      }
      if (report) break;

      const info = workflowInfo();
      if (!drainAsked && (info.continueAsNewSuggested || info.historyLength > historyLimit)) {
        drainAsked = true;
        handle({ type: 'drain' });
      }
      if (drainAsked && engine.canContinueAsNew()) {
        // Restarts in flight are carried forward and watched by the next run; none is re-sent.
        await condition(allHandlersFinished);
        await continueAsNew<typeof rolloutWorkflow>(input, encodeCarried(engine.snapshotForContinueAsNew()));
      }

      // A timer only when no watch will wake us sooner (a watch returns by the engine's next deadline).
      const wake = engine.nextWakeAtMs();
      if (wake !== undefined && watchesInFlight === 0 && (timerAtMs === undefined || wake < timerAtMs)) {
        timerAtMs = wake;
        const at = wake;
        void sleep(Math.max(1, wake - workflowNow())).then(() => {
          if (timerAtMs === at) timerAtMs = undefined;
          post({ type: 'tick' });
        });
      }
      if (inbox.length === 0 && outbox.length === 0) {
        show();
        dirty = false;
        await condition(() => dirty);
      }
    }
  });
  show(true);
  if (visible && shownPhase !== report!.phase) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.phase, value: report!.phase }]);
  // Still non-cancellable: after a Temporal cancellation the root scope is cancelled, and the report must still be returned.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return report!;
}

/** A launch activity that failed for good: its class, and whether its last attempt was about to send. */
function launchFailed(instanceId: string, err: unknown): EngineEvent {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  let errorClass: ErrorClass | 'timeout' | undefined;
  let maybeSentAtMs: number | undefined;
  let message = innermost(err);
  if (cause instanceof TimeoutFailure) {
    errorClass = 'timeout';
    const hb = cause.lastHeartbeatDetails as LaunchHeartbeat | undefined;
    if (hb?.aboutToSendAtMs !== undefined) maybeSentAtMs = hb.aboutToSendAtMs;
    const last = cause.cause instanceof ApplicationFailure ? cause.cause : undefined;
    if (last) {
      errorClass = errorClassOfFailureType(last.type) ?? 'timeout';
      message = last.message;
    }
  } else if (cause instanceof ApplicationFailure) {
    errorClass = errorClassOfFailureType(cause.type);
  }
  return {
    type: 'launch_failed',
    instanceId,
    message,
    ...(errorClass ? { errorClass } : {}),
    ...(maybeSentAtMs !== undefined ? { maybeSentAtMs } : {}),
  };
}

function receiversOf(state: { receivers: Record<string, { attempts: number; delivered: boolean; error?: string }> }): Array<{ name: string; delivered: boolean; attempts: number; error?: string }> {
  return Object.entries(state.receivers).map(([name, r]) => ({ name, ...r }));
}

function innermost(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(err);
}

function pausedMessage(engine: RolloutEngine): string {
  const flying = engine.progress('summary').counts.inFlight;
  return `Paused: no new restarts${flying ? `; ${flying} in flight finish` : ''}. Resume with "starwave resume".`;
}

function cancelMessage(engine: RolloutEngine): string {
  const flying = engine.progress('summary').counts.inFlight;
  return `Cancelling: no new restarts${flying ? `; ${flying} in flight are watched to the end` : ''}; the rest is reported not started.`;
}

function windowEnd(input: RolloutInput, specNotAfter: string | undefined, startedAtMs: number): number | undefined {
  const candidates: number[] = [];
  if (specNotAfter) candidates.push(Date.parse(specNotAfter));
  if (input.notAfter) candidates.push(Date.parse(input.notAfter));
  if (input.windowSeconds !== undefined) candidates.push(startedAtMs + input.windowSeconds * 1000);
  return candidates.length ? Math.min(...candidates) : undefined;
}
