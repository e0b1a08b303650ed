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
import type { ControlAck, NotifyEventName, ProgressDetail, RolloutNotification, RolloutProgress, RolloutReport } from '../contracts/rollout';
import { resolveBudget, resolveSize } from '../contracts/spec';
import { applyControl, validateControl, type Rejection } from './control';
import { failOnRefusedReads, onLaunchFailed, onLaunched } from './launches';
import { advance, nextQueuedStartMs } from './lifecycle';
import { holdsSlot, notStartedReasonFor, waitedOf } from './rules';
import { startEstimates } from './setup';
import { percentiles } from './eta';
import { applyObservations } from './observe';
import { buildAck, buildProgress, buildReport } from './progress';
import {
  ACTIVE_STATES,
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
  /**
   * Launch only on listings younger than STALE_AFTER_POLLS poll intervals (slots.ts). The workflow sets it
   * from a Temporal patch, so histories recorded before it replay as they ran.
   */
  freshListings = true;
  /**
   * Launch commands outstanding at once (slots.ts; MAX_LAUNCHES_IN_FLIGHT for new runs). The workflow sets it
   * from a Temporal patch, so histories recorded before it replay as they ran (no bound).
   */
  launchCap = Number.POSITIVE_INFINITY;
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
    advance(this);
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
      const opens = nextQueuedStartMs(this);
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
    return this.limitsOfWave(this.state.wave);
  }

  /** A wave's limits (1-based number), resolved against its size and its regions' shares; unbounded regions are Infinity. */
  limitsOfWave(number: number): { global: number; perRegion: Record<string, number> } {
    const st = this.state;
    const wave = st.plan?.waves[number - 1];
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
        startEstimates(this);
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
        onLaunched(this, event.instanceId, event.result);
        return;
      case 'launch_failed':
        onLaunchFailed(this, event);
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
          if (st.refusal.count >= READ_REFUSAL_LIMIT && st.life === 'running') failOnRefusedReads(this);
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






  // ------------------------------------------------------------------------------------------
  // Advancing











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

  /** Rebuilds the derived indexes from the state (after planning, or a state read from history). */
  reindex(): void {
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

function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
