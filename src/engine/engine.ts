/**
 * The rollout engine: a state machine from (state, event) to (state, commands). It decides
 * everything a rollout decides — what to launch and when, what an observation means, when a wave
 * ends, when the rollout stops and why — and does nothing else: the workflow turns its commands
 * into activities and timers and hands their results back as events.
 *
 * Safety rules it keeps (README "Concepts"), checked after every step by the model-based tests:
 * - Availability: the targets that are down (launching, restarting, health-checking, waiting at
 *   their turn, seen down before their turn, or failed/skipped/deferred but still down) never
 *   exceed the wave's limits, globally and per region. A slot frees only when the instance is seen
 *   running or gone, or an operator releases it.
 * - One restart of ours per target: a target is launched at most once per rollout, except that one
 *   found not running at its turn is launched again once it runs (its first launch sent nothing).
 * - Every target ends in exactly one outcome; the failure budget is exact; after `finish`, nothing.
 *
 * Pure module: no Temporal, no Node built-ins; time arrives with every event.
 */
import { isPermanentClass } from '../contracts/errors';
import type { LaunchResult } from '../contracts/activities';
import type { ControlAck, NotStartedReason, NotifyEventName, ProgressDetail, RolloutNotification, RolloutProgress, RolloutReport } from '../contracts/rollout';
import { planRollout } from '../planning/planner';
import { classifyInstanceStatus } from '../starrocks/status';
import { resolveBudget, resolveSize } from '../planning/spec';
import { applyControl, validateControl, type Rejection } from './control';
import { longestFirst, percentiles } from './eta';
import { applyObservations, checkDeadlines } from './observe';
import { buildAck, buildProgress, buildReport } from './progress';
import { fillSlots, regionsToWatch, watchInputFor } from './slots';
import {
  ACTIVE_STATES,
  FINAL_STATES,
  MEASURED_KEEP,
  NOTICES_KEEP,
  READ_REFUSAL_LIMIT,
  initialState,
  type ControlEvent,
  type EngineCommand,
  type EngineEvent,
  type EngineInit,
  type EngineState,
  type StopReason,
  type TargetRec,
} from './state';

export class RolloutEngine {
  readonly state: EngineState;
  /** instance id → index into state.targets. */
  readonly index = new Map<string, number>();
  /** Targets that hold a slot (see `holdsSlot`). */
  readonly holders = new Set<number>();
  /** Targets in an active state (launching, waiting, restarting, checking). */
  readonly active = new Set<number>();
  /** Region → ids its last listing showed not running. */
  readonly notRunning = new Map<string, Set<string>>();
  /** Region → indexes of its targets. */
  readonly regionTargets = new Map<string, number[]>();
  /** Region → how many of its targets are queued (any wave). */
  readonly queuedInRegion = new Map<string, number>();
  private readonly countedQueued = new Set<number>();
  private out: EngineCommand[] = [];

  constructor(state: EngineState) {
    this.state = state;
    this.reindex();
  }

  static start(init: EngineInit): RolloutEngine {
    return new RolloutEngine(initialState(init));
  }

  // ------------------------------------------------------------------------------------------
  // The machine

  /** Applies one event at workflow time `nowMs` and returns the commands it produced. */
  handle(event: EngineEvent, nowMs: number): EngineCommand[] {
    if (this.state.finished) return [];
    this.state.nowMs = Math.max(this.state.nowMs, nowMs);
    this.apply(event);
    this.advance();
    return this.out.splice(0);
  }

  /** Why a control message would be rejected now (code and sentence), or undefined when it is accepted. */
  validate(event: ControlEvent): Rejection | undefined {
    return validateControl(this, event);
  }

  /** The earliest time the engine has something to decide without an event, if any. */
  nextWakeAtMs(): number | undefined {
    const st = this.state;
    if (st.finished || st.life !== 'running') return undefined;
    const policy = st.spec.instance;
    const wakes: number[] = [];
    for (const idx of this.active) {
      const t = st.targets[idx]!;
      if (t.s === 'restarting' && t.sent !== undefined) wakes.push(t.sent + policy.confirmTimeoutSeconds * 1000);
      if (t.s === 'waiting' && t.waitUntil !== undefined) wakes.push(t.waitUntil);
      if (t.s === 'checking' && t.healthUntil !== undefined) wakes.push(t.healthUntil);
    }
    if (st.stalledSinceMs !== undefined) wakes.push(st.stalledSinceMs + st.spec.concurrency.stallTimeoutSeconds * 1000);
    if (st.stage === 'baking' && st.bakeUntilMs !== undefined) wakes.push(st.bakeUntilMs);
    if (st.stage === 'gate' && st.notAfterMs !== undefined) wakes.push(st.notAfterMs);
    if (st.stage === 'running' && st.spec.window.instanceMaintainablePeriod) {
      const opens = this.nextQueuedStartMs();
      if (opens !== undefined) wakes.push(opens);
    }
    return wakes.length ? Math.min(...wakes) : undefined;
  }

  /** True when the workflow may continue-as-new now: no launch is in flight (watches are re-issued). */
  canContinueAsNew(): boolean {
    const o = this.state.outstanding;
    // Notifications in flight do not hold it up: the next run sends them again (receivers deduplicate on seq).
    return this.state.life === 'running' && o.launches.length === 0 && !o.resolve && !o.lease && !o.release && o.estimates.length === 0;
  }

  /** The state to carry into the next run: watches in flight are dropped (the next run re-issues them). */
  snapshotForContinueAsNew(): EngineState {
    const st = structuredCloneJson(this.state);
    for (const region of Object.values(st.regions)) delete region.watching;
    delete st.draining;
    if (st.pendingNotices?.length) st.resendNotices = true;
    st.runs += 1;
    return st;
  }

  progress(detail: ProgressDetail = 'problems'): RolloutProgress {
    return buildProgress(this, detail);
  }

  ack(message: string): ControlAck {
    return buildAck(this, message);
  }

  report(): RolloutReport {
    return buildReport(this);
  }

  // ------------------------------------------------------------------------------------------
  // Helpers the rooms of the engine share

  emit(command: EngineCommand): void {
    this.out.push(command);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, attrs?: Record<string, unknown>): void {
    this.out.push({ type: 'log', level, message, ...(attrs ? { attrs } : {}) });
  }

  /** Changes one target and keeps the derived sets true. Every change of `s`, `down` or `downQueued` goes through here. */
  update(idx: number, change: Partial<TargetRec>, remove: Array<keyof TargetRec> = []): TargetRec {
    const t = this.state.targets[idx]!;
    const before = t.s;
    Object.assign(t, change);
    if (change.s !== undefined && change.s !== before) t.since = this.state.nowMs;
    for (const key of remove) delete t[key];
    this.touch(idx);
    return t;
  }

  /** The rollout-wide restart expectation: the spec's value until three restarts were measured, then their p90. */
  defaultExpectedMs(): number {
    const st = this.state;
    if (st.measured.length >= 3) return percentiles(st.measured)!.p90;
    return st.spec.instance.expectedRestartSeconds * 1000;
  }

  /** What a target's restart is expected to take, conservatively (its own p90 if it has a history). */
  expectedMs(t: TargetRec): number {
    return t.est90 ?? t.est ?? this.defaultExpectedMs();
  }

  /** What a target's restart is expected to take, as a point estimate (its own median if it has a history). */
  expectedMedianMs(t: TargetRec): number {
    return t.est ?? this.defaultExpectedMs();
  }

  /** The running wave's limits, resolved against its size and its regions' shares. */
  waveLimits(): { global: number; perRegion: Record<string, number> } {
    const st = this.state;
    const wave = st.plan?.waves[st.wave - 1];
    if (!wave) return { global: 0, perRegion: {} };
    const counts = new Map<string, number>();
    for (let i = wave.first; i < wave.first + wave.count; i++) {
      const r = st.targets[i]!.region;
      counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const perRegion: Record<string, number> = {};
    const spec = st.spec.concurrency;
    for (const [region, n] of counts) {
      perRegion[region] = spec.perRegion === undefined ? Number.POSITIVE_INFINITY : resolveSize(spec.perRegion, n, { atLeastOne: true });
    }
    return { global: resolveSize(spec.global, wave.count, { atLeastOne: true }), perRegion };
  }

  rolloutBudget(): number {
    return resolveBudget(this.state.spec.failureBudget.total, this.state.plan?.targetCount ?? 0);
  }

  waveBudget(): number | undefined {
    const st = this.state;
    const wave = st.plan?.waves[st.wave - 1];
    if (st.spec.failureBudget.perWave === undefined || !wave) return undefined;
    return resolveBudget(st.spec.failureBudget.perWave, wave.count);
  }

  /** Sends a notification (if the spec asks for this event) and records its delivery. */
  notify(event: NotifyEventName, fields: Partial<RolloutNotification> & { text: string }): void {
    const st = this.state;
    const wanted = st.spec.notify.events;
    if (wanted && !wanted.includes(event)) return;
    const seq = (st.notifySeq ?? 0) + 1;
    st.notifySeq = seq;
    const notification: RolloutNotification = { seq, event, rolloutId: st.rolloutId, name: st.spec.name, atMs: st.nowMs, ...fields };
    (st.outstanding.notifies ??= []).push(seq);
    const notices = (st.notices ??= []);
    notices.push({ seq, event, atMs: st.nowMs, state: 'sending' });
    if (notices.length > NOTICES_KEEP) notices.splice(0, notices.length - NOTICES_KEEP);
    const command = { notification, ...(st.spec.notify.receivers ? { receivers: st.spec.notify.receivers } : {}) };
    (st.pendingNotices ??= []).push(command);
    // One at a time, in order: receivers see events in the order they happened.
    if (st.pendingNotices.length === 1) this.emit({ type: 'notify', ...command });
  }

  /** Counts a failure against the budgets. */
  countFailure(): void {
    this.state.failures += 1;
    this.state.waveFailures += 1;
  }

  recordDuration(ms: number): void {
    const m = this.state.measured;
    m.push(ms);
    if (m.length > MEASURED_KEEP) m.splice(0, m.length - MEASURED_KEEP);
  }

  /** Stops launching for `reason`: queued and waiting targets are not started; restarts in flight finish. */
  stopWith(reason: StopReason, sentence?: string): void {
    const st = this.state;
    if (st.stop) return;
    st.stop = { reason, atMs: st.nowMs, ...(sentence ? { sentence } : {}) };
    st.stalledSinceMs = undefined;
    const why = notStartedReasonFor(reason);
    for (const idx of st.queue) this.update(idx, { s: 'not_started', notStarted: why, ...(st.targets[idx]!.downQueued ? { down: true } : {}) }, ['downQueued']);
    st.queue = [];
    for (const idx of [...this.active]) {
      const t = st.targets[idx]!;
      if (t.s === 'waiting') this.update(idx, { s: 'not_started', notStarted: why, down: true, waited: waitedOf(t, st.nowMs) });
    }
    this.log(reason === 'cancelled' || reason === 'window' ? 'info' : 'warn', `rollout stops launching: ${reason}`, { reason, ...(sentence ? { sentence } : {}) });
  }

  // ------------------------------------------------------------------------------------------
  // Events

  private apply(event: EngineEvent): void {
    const st = this.state;
    switch (event.type) {
      case 'resolved':
        delete st.outstanding.resolve;
        if (st.life !== 'resolving') return;
        st.fleet = event.fleet;
        st.reads += event.fleet.reads;
        this.startEstimates();
        return;
      case 'resolve_failed':
        delete st.outstanding.resolve;
        if (st.life === 'resolving' && !st.stop) this.stopWith('setup_failed', event.sentence);
        return;
      case 'estimated':
      case 'estimate_failed': {
        st.outstanding.estimates = st.outstanding.estimates.filter((r) => r !== event.region);
        if (event.type === 'estimated' && st.fleet) {
          st.reads += event.result.reads;
          for (const t of st.fleet.targets) {
            const e = event.result.estimates[t.instanceId];
            if (e && t.region === event.region) Object.assign(t, { estimateMs: e.medianMs, estimateP90Ms: e.p90Ms });
          }
        }
        return;
      }
      case 'leased':
        delete st.outstanding.lease;
        st.outstanding.leased = true;
        return;
      case 'lease_failed':
        delete st.outstanding.lease;
        if (!st.stop) this.stopWith('setup_failed', event.sentence);
        return;
      case 'launched':
        this.onLaunched(event.instanceId, event.result);
        return;
      case 'launch_failed':
        this.onLaunchFailed(event);
        return;
      case 'watched': {
        const region = (st.regions[event.region] ??= {});
        delete region.watching;
        st.reads += event.result.reads;
        if (event.result.lastPollAtMs !== undefined) region.lastPollAt = event.result.lastPollAtMs;
        applyObservations(this, event.region, event.result);
        if (event.result.refused) {
          const r = st.refusal;
          st.refusal = { count: (r?.count ?? 0) + 1, last: event.result.refused, firstAtMs: r?.firstAtMs ?? st.nowMs };
          this.log('warn', 'StarRocks refused a status read', { region: event.region, code: event.result.refused.apiCode, count: st.refusal.count });
          if (st.refusal.count >= READ_REFUSAL_LIMIT && st.life === 'running') this.failOnRefusedReads();
        } else if (st.refusal && event.result.reads > 0) {
          this.log('info', 'StarRocks accepts status reads again', { region: event.region });
          delete st.refusal;
        }
        return;
      }
      case 'watch_failed': {
        const region = (st.regions[event.region] ??= {});
        delete region.watching;
        region.lastPollAt = st.nowMs;
        this.log('warn', 'region watch failed; it is started again after a poll interval', { region: event.region, error: event.message });
        return;
      }
      case 'released':
        delete st.outstanding.release;
        delete st.outstanding.leased;
        return;
      case 'notified':
      case 'notify_failed': {
        st.outstanding.notifies = (st.outstanding.notifies ?? []).filter((n) => n !== event.seq);
        st.pendingNotices = (st.pendingNotices ?? []).filter((p) => p.notification.seq !== event.seq);
        const next = st.pendingNotices[0];
        if (next) this.emit({ type: 'notify', ...next });
        const notice = st.notices?.find((n) => n.seq === event.seq);
        if (notice) {
          if (event.type === 'notified') {
            notice.state = event.receivers.every((r) => r.delivered) ? 'delivered' : 'failed';
            notice.receivers = event.receivers;
          } else {
            notice.state = 'failed';
            notice.error = event.error.slice(0, 300);
          }
        }
        return;
      }
      case 'tick':
        return;
      case 'drain':
        st.draining = true;
        return;
      default:
        applyControl(this, event);
    }
  }

  private startEstimates(): void {
    const st = this.state;
    const est = st.spec.estimates;
    const targets = st.fleet!.targets;
    if (!est.fromHistory || est.maxInstances === 0 || targets.length === 0) {
      this.planNow();
      return;
    }
    const excluded = new Set(st.spec.targets.exclude);
    const byRegion = new Map<string, string[]>();
    let n = 0;
    for (const t of targets) {
      if (excluded.has(t.instanceId) || n >= est.maxInstances) continue;
      const list = byRegion.get(t.region) ?? [];
      if (!list.includes(t.instanceId)) {
        list.push(t.instanceId);
        n++;
      }
      byRegion.set(t.region, list);
    }
    st.life = 'estimating';
    const sinceMs = st.nowMs - est.lookbackDays * 86_400_000;
    for (const [region, instanceIds] of byRegion) {
      st.outstanding.estimates.push(region);
      this.emit({ type: 'estimate', region, instanceIds, sinceMs });
    }
    if (st.outstanding.estimates.length === 0) this.planNow();
  }

  /** Plans the waves (pure planner), orders each wave's targets and leaves the estimates on them. */
  private planNow(): void {
    const st = this.state;
    const fleet = st.fleet!;
    const plan = planRollout(st.spec, fleet);
    const byId = new Map(fleet.targets.map((t) => [t.instanceId, t]));
    const targets: TargetRec[] = [];
    const waves = plan.waves.map((w) => {
      const recs: TargetRec[] = w.targets.map((t) => {
        const resolved = byId.get(t.instanceId);
        return {
          id: t.instanceId,
          region: t.region,
          ...(t.instanceName ? { name: t.instanceName } : {}),
          wave: w.number,
          s: 'queued' as const,
          ...(resolved?.estimateMs !== undefined ? { est: resolved.estimateMs } : {}),
          ...(resolved?.estimateP90Ms !== undefined ? { est90: resolved.estimateP90Ms } : {}),
          ...(resolved?.maintainablePeriod ? { mp: resolved.maintainablePeriod } : {}),
          // Seen not running when the fleet was resolved: it holds a slot until a listing shows it running.
          ...(resolved?.status !== undefined && resolved.status !== 'running' ? { st: resolved.status } : {}),
          ...(resolved?.status !== undefined && holdsWhileIn(resolved.status) ? { downQueued: true as const } : {}),
        };
      });
      const ordered = st.spec.waves.order === 'longest_first' ? longestFirst(recs, (t) => t.est ?? 0) : recs;
      const first = targets.length;
      targets.push(...ordered);
      return { number: w.number, first, count: ordered.length, approvalRequired: w.approvalRequired };
    });
    st.targets = targets;
    st.plan = { waves, regions: plan.regions, targetCount: plan.targetCount, failureBudget: plan.failureBudget, problems: plan.problems };
    delete st.fleet; // its content lives in the plan now; the state stays small
    this.reindex();
    st.life = 'leasing';
    this.log('info', `planned ${plan.targetCount} target(s) in ${waves.length} wave(s)`, { targets: plan.targetCount, waves: waves.length, regions: plan.regions });
  }

  private onLaunched(instanceId: string, result: LaunchResult): void {
    const st = this.state;
    st.outstanding.launches = st.outstanding.launches.filter((id) => id !== instanceId);
    st.reads += result.reads;
    const idx = this.index.get(instanceId);
    if (idx === undefined) return;
    const t = st.targets[idx]!;
    if (t.s !== 'launching') return; // the rollout gave up on it meanwhile (it is already accounted for)
    const attempts = result.attempt > 1 ? { attempts: result.attempt } : {};
    const policy = st.spec.instance;
    if (result.kind === 'sent') {
      if (t.skipRequestedBy) {
        this.update(idx, { s: 'unknown', sent: result.sentAtMs, releasedBy: t.skipRequestedBy, ...attempts }, ['skipRequestedBy', 'down']);
        return;
      }
      this.update(idx, {
        s: 'restarting',
        sent: result.sentAtMs,
        ...attempts,
        ...(result.requestId ? { requestId: result.requestId } : {}),
        ...(result.adopted ? { adopted: true } : {}),
      });
      return;
    }
    if (result.kind === 'refused') {
      const r = result.refusal;
      this.update(idx, {
        s: 'failed',
        ...(lastSeenDown(t) ? { down: true } : {}),
        failure: r.errorClass === 'not_found' ? 'gone' : 'api_error',
        errorClass: r.errorClass,
        ...(r.apiCode ? { apiCode: r.apiCode } : {}),
        ...(r.apiMessage ? { apiMessage: r.apiMessage.slice(0, 300) } : {}),
        ...(r.requestId ? { requestId: r.requestId } : {}),
        ...attempts,
      });
      this.countFailure();
      if (isPermanentClass(r.errorClass)) this.stopWith('refused', refusalSentence(r, 'RestartInstance was refused'));
      return;
    }
    // Not running at its turn.
    const status = result.status;
    if (st.stop) {
      // Nothing was sent and the rollout launches nothing more: it is not started (and still down).
      this.update(idx, { s: 'not_started', notStarted: notStartedReasonFor(st.stop.reason), st: status, ...(holdsWhileIn(status) ? { down: true } : {}) });
      return;
    }
    if (t.skipRequestedBy) {
      this.update(idx, { s: 'skipped', skippedBy: 'operator', releasedBy: t.skipRequestedBy, st: status }, ['skipRequestedBy', 'down']);
      return;
    }
    const holds = holdsWhileIn(status) ? { down: true as const } : {};
    if (policy.notRunning === 'skip') {
      this.update(idx, { s: 'skipped', skippedBy: 'policy', st: status, ...holds });
      return;
    }
    if (policy.notRunning === 'fail' || !holdsWhileIn(status)) {
      // A terminal status (failed for good) will not run again: waiting for it would be pointless.
      this.update(idx, { s: 'failed', failure: 'not_running', st: status, ...holds });
      this.countFailure();
      return;
    }
    const from = t.waitFrom ?? st.nowMs;
    this.update(idx, { s: 'waiting', st: status, waitCause: result.cause, waitFrom: from, waitUntil: from + policy.notRunningWaitSeconds * 1000 });
  }

  private onLaunchFailed(event: Extract<EngineEvent, { type: 'launch_failed' }>): void {
    const st = this.state;
    st.outstanding.launches = st.outstanding.launches.filter((id) => id !== event.instanceId);
    const idx = this.index.get(event.instanceId);
    if (idx === undefined) return;
    const t = st.targets[idx]!;
    if (t.s !== 'launching') return;
    const attempts = event.attempts && event.attempts > 1 ? { attempts: event.attempts } : {};
    if (event.maybeSentAtMs !== undefined) {
      // An attempt got as far as sending and no answer came back: the restart may be under way.
      // It keeps its slot and is watched like any restart; only what is observed decides.
      this.update(idx, { s: 'restarting', sent: event.maybeSentAtMs, unsure: true, ...attempts });
      return;
    }
    this.update(idx, {
      s: 'failed',
      failure: 'api_error',
      // Nothing was sent; if it was last seen down, it still holds its slot.
      ...(lastSeenDown(t) ? { down: true } : {}),
      ...(event.errorClass ? { errorClass: event.errorClass } : {}),
      ...(event.apiCode ? { apiCode: event.apiCode } : {}),
      apiMessage: event.message.slice(0, 300),
      ...attempts,
    });
    this.countFailure();
  }

  /** Reads were refused READ_REFUSAL_LIMIT times in a row: the rollout fails now, in-flight restarts are unknown. */
  private failOnRefusedReads(): void {
    const st = this.state;
    const r = st.refusal!.last;
    const inFlight = [...this.active].filter((i) => st.targets[i]!.s !== 'waiting').length;
    this.stopWith('read_refused', `${refusalSentence(r, `Status reads were refused ${st.refusal!.count} times in a row`)}${inFlight ? ` ${inFlight} restart(s) in flight are reported unknown.` : ''}`);
    for (const idx of [...this.active]) {
      const t = st.targets[idx]!;
      if (t.s === 'restarting' || t.s === 'checking' || t.s === 'launching') this.update(idx, { s: 'unknown', down: true });
    }
    st.outstanding.launches = [];
    this.endRollout();
  }

  // ------------------------------------------------------------------------------------------
  // Advancing

  private advance(): void {
    const st = this.state;
    if (st.resendNotices) {
      delete st.resendNotices;
      const first = st.pendingNotices?.[0];
      if (first) this.emit({ type: 'notify', ...first });
    }
    for (let guard = 0; guard < 10_000 && this.stepOnce(); guard++);
    if (this.state.life === 'running') for (const region of regionsToWatch(this)) this.emit({ type: 'watch', input: watchInputFor(this, region) });
  }

  /** One transition; true when another pass may find more to do. */
  private stepOnce(): boolean {
    const st = this.state;
    switch (st.life) {
      case 'resolving':
        if (st.stop || st.cancel) return this.toReleasing();
        if (!st.fleet && !st.outstanding.resolve) {
          st.outstanding.resolve = true;
          this.emit({ type: 'resolve' });
        }
        return false;
      case 'estimating':
        if (st.stop || st.cancel) return this.toReleasing();
        if (st.outstanding.estimates.length === 0) {
          this.planNow();
          return true;
        }
        return false;
      case 'leasing':
        if ((st.plan?.targetCount ?? 0) === 0 && !st.outstanding.lease) return this.toReleasing();
        if (st.outstanding.leased) {
          if (st.stop || st.cancel) return this.toReleasing();
          st.life = 'running';
          const plan = st.plan!;
          this.notify('started', { text: `Rollout ${st.spec.name} started: ${plan.targetCount} target(s) in ${plan.regions.length} region(s), ${plan.waves.length} wave(s).`, waves: plan.waves.length });
          return true;
        }
        if (!st.outstanding.lease) {
          if (st.stop || st.cancel) return this.toReleasing();
          st.outstanding.lease = true;
          this.emit({ type: 'acquire_leases', keys: st.targets.map((t) => t.id) });
        }
        return false;
      case 'running':
        return this.runStep();
      case 'releasing':
        if (st.outstanding.leased && !st.outstanding.release) {
          st.outstanding.release = true;
          this.emit({ type: 'release_leases' });
          return false;
        }
        if (!st.outstanding.leased && !st.outstanding.release && !st.outstanding.lease) {
          st.life = 'done';
          return true;
        }
        return false;
      case 'done':
        if (st.finished) return false;
        if (!st.finalNotified) {
          st.finalNotified = true;
          const phase = this.finalPhase();
          const counts = this.progress('summary').counts;
          this.notify(phase, {
            text: `Rollout ${st.spec.name} ${phase.replace('_', ' ')}: ${counts.restarted}/${counts.targets} restarted, ${counts.failed} failed${counts.notStarted ? `, ${counts.notStarted} not started` : ''}.`,
            elapsedMs: st.nowMs - st.startedAtMs,
            counts,
            ...(st.stop?.sentence ? { stopSentence: st.stop.sentence } : {}),
          });
        }
        // The last word waits for its delivery (bounded by the notification activity's own timeout).
        if ((st.outstanding.notifies ?? []).length > 0) return false;
        st.final = { phase: this.finalPhase(), finishedAtMs: st.nowMs };
        {
          const report = this.report();
          this.log('info', `rollout ${report.phase}`, { phase: report.phase, ...report.counts });
          this.emit({ type: 'finish', report });
        }
        st.finished = true;
        return false;
    }
  }

  private runStep(): boolean {
    const st = this.state;
    const waves = st.plan!.waves;
    if (st.wave === 0) return this.enterWave(1);
    checkDeadlines(this);
    if (st.stop && st.queue.length > 0) {
      // Targets that came back to the queue after the stop (a wait that ended) are not started either.
      const why = notStartedReasonFor(st.stop.reason);
      for (const idx of st.queue) this.update(idx, { s: 'not_started', notStarted: why }, ['downQueued', 'waitWindowAt']);
      st.queue = [];
    }
    if (!st.stop) {
      const waveBudget = this.waveBudget();
      if (st.failures > this.rolloutBudget() || (waveBudget !== undefined && st.waveFailures > waveBudget)) {
        this.stopWith('budget', `The failure budget is exhausted: ${st.failures} failure(s) against a budget of ${this.rolloutBudget()}${waveBudget !== undefined ? ` (${waveBudget} per wave)` : ''}.`);
      }
    }
    if (st.life !== 'running') return true;
    switch (st.stage) {
      case 'gate':
        if (st.stop) return this.endRollout();
        if (st.approved[String(st.wave)] !== undefined) return this.startWave();
        if (st.notAfterMs !== undefined && st.nowMs >= st.notAfterMs) {
          st.windowMissed = true;
          return this.endRollout();
        }
        return false;
      case 'running':
        fillSlots(this);
        if (st.queue.length === 0 && this.active.size === 0) {
          st.waveFinishedAt[String(st.wave)] = st.nowMs;
          this.log('info', `wave ${st.wave} finished`, { wave: st.wave, failures: st.waveFailures });
          {
            const w = st.plan!.waves[st.wave - 1]!;
            let restarted = 0;
            let failed = 0;
            for (let i = w.first; i < w.first + w.count; i++) {
              if (st.targets[i]!.s === 'restarted') restarted++;
              else if (st.targets[i]!.s === 'failed') failed++;
            }
            const elapsedMs = st.nowMs - (st.waveStartedAt[String(st.wave)] ?? st.nowMs);
            this.notify('wave_completed', {
              text: `Rollout ${st.spec.name}: wave ${st.wave} of ${waves.length} done in ${Math.round(elapsedMs / 1000)}s: ${restarted}/${w.count} restarted, ${failed} failed.`,
              wave: st.wave,
              waves: waves.length,
              elapsedMs,
            });
          }
          if (st.stop || st.wave >= waves.length) return this.endRollout();
          if (st.spec.waves.bakeSeconds > 0) {
            st.stage = 'baking';
            st.bakeUntilMs = st.nowMs + st.spec.waves.bakeSeconds * 1000;
            return true;
          }
          return this.enterWave(st.wave + 1);
        }
        return false;
      case 'baking':
        if (st.stop) return this.endRollout();
        if (st.nowMs >= (st.bakeUntilMs ?? 0)) return this.enterWave(st.wave + 1);
        return false;
      default:
        return false;
    }
  }

  private enterWave(n: number): boolean {
    const st = this.state;
    const wave = st.plan!.waves[n - 1]!;
    st.wave = n;
    st.waveFailures = 0;
    delete st.bakeUntilMs;
    // Targets released by hand before their wave are not queued again.
    st.queue = Array.from({ length: wave.count }, (_, k) => wave.first + k).filter((i) => st.targets[i]!.s === 'queued');
    // Targets known down go first: they hold a slot already, so their turn costs no availability.
    st.queue = [...st.queue.filter((i) => st.targets[i]!.downQueued), ...st.queue.filter((i) => !st.targets[i]!.downQueued)];
    if (st.stop) return this.endRollout();
    if (wave.approvalRequired && st.approved[String(n)] === undefined) {
      st.stage = 'gate';
      this.log('info', `wave ${n} waits for approval`, { wave: n });
      this.notify('approval_needed', {
        text: `Rollout ${st.spec.name} waits for approval before wave ${n} of ${st.plan!.waves.length} (${wave.count} target(s)).`,
        wave: n,
        waves: st.plan!.waves.length,
        approveCommand: `starwave approve ${st.rolloutId} --wave ${n}`,
      });
      return true;
    }
    return this.startWave();
  }

  private startWave(): boolean {
    const st = this.state;
    st.stage = 'running';
    st.waveStartedAt[String(st.wave)] = st.nowMs;
    this.log('info', `wave ${st.wave} started`, { wave: st.wave, size: st.queue.length, limits: this.waveLimits() });
    this.notify('wave_started', { text: `Rollout ${st.spec.name}: wave ${st.wave} of ${st.plan!.waves.length} started (${st.queue.length} target(s)).`, wave: st.wave, waves: st.plan!.waves.length });
    return true;
  }

  /** Reports every target not reached as not started and moves on to releasing the leases. */
  private endRollout(): boolean {
    delete this.state.stage;
    return this.toReleasing();
  }

  /** Every target not finished yet is reported (not started, or unknown for a restart of ours in flight), then the leases go. */
  private toReleasing(): boolean {
    const st = this.state;
    const why: NotStartedReason = st.stop ? notStartedReasonFor(st.stop.reason) : 'window';
    for (let idx = 0; idx < st.targets.length; idx++) {
      const t = st.targets[idx]!;
      if (t.s === 'queued') this.update(idx, { s: 'not_started', notStarted: why, ...(t.downQueued ? { down: true } : {}) }, ['downQueued', 'waitWindowAt']);
      else if (t.s === 'waiting') this.update(idx, { s: 'not_started', notStarted: why, down: true, waited: waitedOf(t, st.nowMs) }, ['waitUntil']);
      else if (t.s === 'launching' || t.s === 'restarting' || t.s === 'checking') this.update(idx, { s: 'unknown', down: true });
    }
    st.queue = [];
    st.life = 'releasing';
    return true;
  }

  private finalPhase(): RolloutReport['phase'] {
    const st = this.state;
    switch (st.stop?.reason) {
      case 'cancelled':
        return 'cancelled';
      case 'budget':
        return 'stopped_budget';
      case 'window':
        return 'stopped_window';
      case 'stalled':
        return 'stopped_stalled';
      case 'refused':
      case 'read_refused':
      case 'setup_failed':
        return 'failed';
      default:
        if (st.cancel) return 'cancelled';
        if (st.windowMissed) return 'stopped_window';
        return st.failures > this.rolloutBudget() ? 'stopped_budget' : 'completed';
    }
  }

  /** The earliest time a queued target of the running wave waits for (its own window). */
  private nextQueuedStartMs(): number | undefined {
    let min: number | undefined;
    for (const idx of this.state.queue) {
      const at = this.state.targets[idx]!.waitWindowAt;
      if (at !== undefined && (min === undefined || at < min)) min = at;
    }
    return min;
  }

  private touch(idx: number): void {
    const t = this.state.targets[idx]!;
    if (holdsSlot(t)) this.holders.add(idx);
    else this.holders.delete(idx);
    if (ACTIVE_STATES.has(t.s)) this.active.add(idx);
    else this.active.delete(idx);
    const queued = t.s === 'queued';
    if (queued !== this.countedQueued.has(idx)) {
      if (queued) this.countedQueued.add(idx);
      else this.countedQueued.delete(idx);
      this.queuedInRegion.set(t.region, (this.queuedInRegion.get(t.region) ?? 0) + (queued ? 1 : -1));
    }
  }

  private reindex(): void {
    this.index.clear();
    this.holders.clear();
    this.active.clear();
    this.regionTargets.clear();
    this.queuedInRegion.clear();
    this.countedQueued.clear();
    this.state.targets.forEach((t, i) => {
      this.index.set(t.id, i);
      const list = this.regionTargets.get(t.region) ?? [];
      list.push(i);
      this.regionTargets.set(t.region, list);
      this.touch(i);
    });
    this.notRunning.clear();
    for (const [region, rec] of Object.entries(this.state.regions)) {
      if (rec.notRunning) this.notRunning.set(region, new Set(rec.notRunning));
    }
  }
}

/** Whether a target holds one of the availability slots right now. */
export function holdsSlot(t: TargetRec): boolean {
  if (ACTIVE_STATES.has(t.s)) return true;
  if (t.s === 'queued') return t.downQueued === true;
  return FINAL_STATES.has(t.s) && t.down === true;
}

/**
 * Whether an instance in this status holds a slot: down and able to come back (restarting, busy,
 * stopped). Running frees it; so does a terminal status (failed or released, spec §3.2 classes
 * FAILED and GONE): such an instance will not come back by itself, and holding a slot for it would
 * stop the rollout for good.
 */
export function holdsWhileIn(status: string): boolean {
  const cls = classifyInstanceStatus(status);
  return cls === 'RESTARTING' || cls === 'BUSY' || cls === 'UNAVAILABLE';
}

/** Its last observed status holds a slot. */
export function lastSeenDown(t: TargetRec): boolean {
  return t.st !== undefined && holdsWhileIn(t.st);
}

export function notStartedReasonFor(reason: StopReason): NotStartedReason {
  switch (reason) {
    case 'cancelled':
    case 'budget':
    case 'window':
    case 'stalled':
      return reason;
    default:
      return 'failed';
  }
}

export function waitedOf(t: TargetRec, nowMs: number): TargetRec['waited'] {
  return { cause: t.waitCause ?? 'busy', status: t.st ?? 'unknown', ms: Math.max(0, nowMs - (t.waitFrom ?? nowMs)) };
}

function refusalSentence(r: { errorClass: string; action: string; region: string; apiCode?: string }, lead: string): string {
  const code = r.apiCode ? ` with ${r.apiCode}` : '';
  const fix =
    r.errorClass === 'permission'
      ? `grant the worker's credentials the RAM action sr:${r.action} (and the other actions in the README's "Running against the real cloud")`
      : r.errorClass === 'auth'
        ? "check the worker's Alibaba Cloud credentials (and its clock)"
        : 'ask Alibaba Cloud to enable the operation for this account';
  return `${lead}: StarRocks ${r.action} in ${r.region} was refused${code} (${r.errorClass}). To fix: ${fix}, then start the rollout again.`;
}

function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
