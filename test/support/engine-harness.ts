/**
 * A simulated world for the rollout engine: instances with real statuses, activities answered the
 * way the real ones would answer given that world (plus lost answers, refusals, exhausted
 * retries), operator control at random moments, and a small reference model of what the engine
 * must never do. Used by the model-based property tests (test/unit/engine-model.test.ts).
 */
import type { LaunchInput, LaunchResult, WatchInput, WatchObservation, WatchResult } from '../../src/contracts/activities';
import type { RolloutReport } from '../../src/contracts/rollout';
import { RolloutEngine, type EngineCommand, type EngineEvent } from '../../src/engine';
import { STALE_AFTER_POLLS } from '../../src/engine/slots';
import { resolveSize, type RolloutSpec } from '../../src/contracts/spec';
import { FILTERABLE_STATUSES, classifyInstanceStatus } from '../../src/starrocks/status';

/** Statuses a DescribeInstances listing can show (the InstanceStatus filter), minus running. */
const LISTABLE: ReadonlySet<string> = new Set(FILTERABLE_STATUSES.filter((s) => s !== 'running'));

export type WorldStatus = 'running' | 'restarting' | 'creating_failed' | 'modifying_config' | 'disable' | 'gone';

export interface WorldInstance {
  id: string;
  region: string;
  status: WorldStatus;
  /** Our restart is the one in progress (vs someone else's). */
  ours: boolean;
  /** Our restart completed and the instance is running again. */
  ourCompleted: boolean;
  healthy: boolean;
  /** Restarts of ours that took effect (sent and applied). */
  restartsApplied: number;
}

interface ModelTarget {
  launchOpen: boolean;
  ourRestartOpen: boolean;
  lastKnown: 'up' | 'down';
  /** The status that made it known down (listings cannot show every status). */
  lastStatus?: string;
  released: boolean;
  sent: boolean;
}

/** Target-state transitions seen across every harness of the process (`from->to`), for coverage checks. */
export const TRANSITIONS = new Map<string, number>();

export class Violation extends Error {
  override name = 'Violation';
}

export class Harness {
  readonly engine: RolloutEngine;
  readonly world = new Map<string, WorldInstance>();
  now = 1_000_000;
  spec: RolloutSpec;
  launches = new Map<string, LaunchInput>();
  watches = new Map<string, WatchInput>();
  resolvePending = false;
  leasePending = false;
  releasePending = false;
  estimates = new Set<string>();
  notifies: number[] = [];
  finished: RolloutReport | undefined;
  readonly model = new Map<string, ModelTarget>();
  steps = 0;
  /** The failures went over the budget in effect at some moment. */
  budgetExceededEver = false;
  readonly log: string[] = [];
  /** When each region was last listed (resolve or a watch's listing), by the harness's own clock. */
  readonly listedAt = new Map<string, number>();

  constructor(
    spec: RolloutSpec,
    readonly fleet: Array<{ id: string; region: string; status?: WorldStatus }>,
    readonly opts: { notAfterMs?: number } = {},
  ) {
    this.spec = spec;
    for (const f of fleet) {
      this.world.set(f.id, { id: f.id, region: f.region, status: f.status ?? 'running', ours: false, ourCompleted: false, healthy: true, restartsApplied: 0 });
      this.model.set(f.id, { launchOpen: false, ourRestartOpen: false, lastKnown: 'up', released: false, sent: false });
    }
    this.engine = RolloutEngine.start({ rolloutId: 'starwave-rollout-model', spec, startedAtMs: this.now, ...(opts.notAfterMs !== undefined ? { notAfterMs: this.now + opts.notAfterMs } : {}) });
    this.deliver({ type: 'tick' });
  }

  // ------------------------------------------------------------------ delivering events

  deliver(event: EngineEvent): void {
    if (this.finished) {
      const cmds = this.engine.handle(event, this.now);
      if (cmds.length) throw new Violation(`a command after finishing: ${JSON.stringify(cmds[0])}`);
      return;
    }
    this.steps++;
    this.log.push(`${this.now} ${JSON.stringify(event).slice(0, 300)}`);
    this.observeForModel(event);
    const before = this.engine.state.targets.map((t) => t.s);
    const cmds = this.engine.handle(event, this.now);
    this.engine.state.targets.forEach((t, i) => {
      const from = before[i] ?? 'planned';
      if (from !== t.s) {
        const key = `${from}->${t.s}${t.failure && t.s === 'failed' ? `:${t.failure}` : ''}${t.notStarted && t.s === 'not_started' ? `:${t.notStarted}` : ''}`;
        TRANSITIONS.set(key, (TRANSITIONS.get(key) ?? 0) + 1);
      }
    });
    for (const c of cmds) this.accept(c);
    this.checkState();
  }

  private accept(c: EngineCommand): void {
    this.log.push(`  → ${JSON.stringify(c).slice(0, 300)}`);
    if (this.finished) throw new Violation(`a command after finishing: ${c.type}`);
    switch (c.type) {
      case 'resolve':
        this.resolvePending = true;
        return;
      case 'estimate':
        this.estimates.add(c.region);
        return;
      case 'acquire_leases':
        this.leasePending = true;
        return;
      case 'release_leases':
        this.releasePending = true;
        return;
      case 'launch':
        this.checkLaunch(c.input);
        this.launches.set(c.input.instanceId, c.input);
        return;
      case 'watch':
        if (this.watches.has(c.input.region)) throw new Violation(`two watches of ${c.input.region} at once`);
        this.watches.set(c.input.region, c.input);
        return;
      case 'finish':
        this.finished = c.report;
        this.checkReport(c.report);
        return;
      case 'notify':
        this.notifies.push(c.notification.seq);
        return;
      case 'log':
        return;
    }
  }

  /** A notification's delivery ends (ok: every receiver got it; else it failed after its retries). */
  answerNotify(ok: boolean): void {
    const seq = this.notifies.shift();
    if (seq === undefined) return;
    this.deliver(ok ? { type: 'notified', seq, receivers: [{ name: 'hook', delivered: true, attempts: 1 }] } : { type: 'notify_failed', seq, error: 'receiver answered 500' });
  }

  // ------------------------------------------------------------------ the reference model

  /** Limits of the running wave, computed from the spec as patched, independently of the engine. */
  private limits(): { global: number; perRegion: Map<string, number>; wave: number; members: Set<string>; upTo: Set<string> } {
    const st = this.engine.state;
    const wave = st.plan!.waves[st.wave - 1]!;
    const members = new Set<string>();
    const upTo = new Set<string>();
    const regionCount = new Map<string, number>();
    for (const w of st.plan!.waves) {
      for (let i = w.first; i < w.first + w.count; i++) {
        const t = st.targets[i]!;
        if (w.number <= st.wave) upTo.add(t.id);
        if (w.number === st.wave) {
          members.add(t.id);
          regionCount.set(t.region, (regionCount.get(t.region) ?? 0) + 1);
        }
      }
    }
    const perRegion = new Map<string, number>();
    for (const [r, n] of regionCount) {
      perRegion.set(r, this.spec.concurrency.perRegion === undefined ? Number.POSITIVE_INFINITY : resolveSize(this.spec.concurrency.perRegion, n, { atLeastOne: true }));
    }
    return { global: resolveSize(this.spec.concurrency.global, wave.count, { atLeastOne: true }), perRegion, wave: wave.number, members, upTo };
  }

  private knownDown(id: string): boolean {
    const m = this.model.get(id)!;
    // A terminal status (failed for good, released) is not waited for: the issue's rule.
    const terminal = m.lastStatus !== undefined && ['FAILED', 'GONE'].includes(classifyInstanceStatus(m.lastStatus));
    if (m.released) return false;
    if (m.launchOpen) return true;
    if (terminal && m.lastKnown === 'down') return false;
    return m.ourRestartOpen || m.lastKnown === 'down';
  }

  private checkLaunch(input: LaunchInput): void {
    const st = this.engine.state;
    const m = this.model.get(input.instanceId)!;
    if (m.sent) throw new Violation(`a second launch for ${input.instanceId}, whose restart was already sent`);
    if (m.launchOpen) throw new Violation(`a launch for ${input.instanceId} while its first launch is in flight`);
    if (m.released) throw new Violation(`a launch for ${input.instanceId}, released by an operator`);
    if (st.paused) throw new Violation('a launch while paused');
    if (st.cancel) throw new Violation('a launch after cancel');
    if (st.stop) throw new Violation(`a launch after the rollout stopped (${st.stop.reason})`);
    // Failures counted from the targets' outcomes, not from the engine's own counter.
    const failed = st.targets.filter((t) => t.s === 'failed').length;
    const budget = this.engine.rolloutBudget();
    if (failed > budget) throw new Violation(`a launch after failure ${failed} with budget ${budget}`);
    const lim = this.limits();
    if (!lim.members.has(input.instanceId)) throw new Violation(`a launch for ${input.instanceId}, not in the running wave ${lim.wave} (wave barrier)`);
    // Wave barrier: every target of an earlier wave has finished.
    for (const w of st.plan!.waves) {
      if (w.number >= lim.wave) continue;
      for (let i = w.first; i < w.first + w.count; i++) {
        const t = st.targets[i]!;
        if (!['restarted', 'failed', 'skipped', 'deferred', 'not_started', 'unknown'].includes(t.s)) throw new Violation(`wave ${lim.wave} launched while ${t.id} of wave ${w.number} is ${t.s}`);
      }
    }
    // Launching a target already known down does not change how many are down (its launch finds it
    // not running and waits); any other launch must keep the count within the limits.
    const wasDown = this.knownDown(input.instanceId);
    m.launchOpen = true;
    if (wasDown) return;
    // What is known down is only as good as the listings: every region with targets still to start was
    // listed recently (an instance may have gone down unseen while nobody looked).
    const maxAgeMs = STALE_AFTER_POLLS * this.spec.instance.pollIntervalSeconds * 1000;
    for (const t of st.targets) {
      if (t.s !== 'queued') continue;
      const age = this.now - (this.listedAt.get(t.region) ?? Number.NEGATIVE_INFINITY);
      if (age > maxAgeMs) throw new Violation(`launching ${input.instanceId} on a listing of ${t.region} ${age} ms old (at most ${maxAgeMs} ms): an instance there may be down unseen`);
    }
    let total = 0;
    const perRegion = new Map<string, number>();
    // Every target counts, whatever its wave: the limits bound the targets that are down.
    for (const id of this.model.keys()) {
      if (!this.knownDown(id)) continue;
      total++;
      const r = this.world.get(id)!.region;
      perRegion.set(r, (perRegion.get(r) ?? 0) + 1);
    }
    if (total > lim.global) throw new Violation(`launching ${input.instanceId} makes ${total} targets down, over the limit ${lim.global}`);
    const r = input.region;
    const n = perRegion.get(r) ?? 0;
    if (n > (lim.perRegion.get(r) ?? Number.POSITIVE_INFINITY)) throw new Violation(`launching ${input.instanceId} makes ${n} targets down in ${r}, over ${lim.perRegion.get(r)}`);
  }

  /** Updates the model from what the engine is told, before the engine sees it. */
  private observeForModel(event: EngineEvent): void {
    switch (event.type) {
      case 'resolved':
        for (const t of event.fleet.targets) {
          const m = this.model.get(t.instanceId)!;
          if (t.status && t.status !== 'running' && t.status !== 'deleted') {
            m.lastKnown = 'down';
            m.lastStatus = t.status;
          }
        }
        return;
      case 'launched': {
        const m = this.model.get(event.instanceId);
        if (!m) return;
        m.launchOpen = false;
        if (event.result.kind === 'sent') {
          m.sent = true;
          m.ourRestartOpen = true;
        } else if (event.result.kind === 'not_running') {
          m.lastKnown = 'down';
          m.lastStatus = event.result.status;
        }
        return;
      }
      case 'launch_failed': {
        const m = this.model.get(event.instanceId);
        if (!m) return;
        m.launchOpen = false;
        if (event.maybeSentAtMs !== undefined) {
          m.sent = true;
          m.ourRestartOpen = true;
        }
        return;
      }
      case 'watched': {
        if (event.result.notRunning) {
          // A listing is the latest word on every target of its region, except statuses it cannot show.
          const listed = new Map(event.result.notRunning);
          for (const [id, m] of this.model) {
            if (this.world.get(id)!.region !== event.region) continue;
            const status = listed.get(id);
            if (status !== undefined) {
              m.lastKnown = 'down';
              m.lastStatus = status;
            } else if (m.lastKnown === 'down' && (m.lastStatus === undefined || LISTABLE.has(m.lastStatus))) m.lastKnown = 'up';
          }
        }
        for (const obs of event.result.observations) {
          const m = this.model.get(obs.instanceId);
          if (!m) continue;
          if (obs.status === null || classifyInstanceStatus(obs.status) === 'GONE') {
            m.lastKnown = 'up';
            m.ourRestartOpen = false;
            continue;
          }
          const running = classifyInstanceStatus(obs.status) === 'READY';
          m.lastKnown = running ? 'up' : 'down';
          m.lastStatus = obs.status;
          // Our restart stops counting once the instance is seen running again (and healthy, with the gate),
          // or failed for good.
          if (m.ourRestartOpen && running && (!this.spec.health.enabled || obs.health?.ok === true)) m.ourRestartOpen = false;
          if (m.ourRestartOpen && classifyInstanceStatus(obs.status) === 'FAILED') m.ourRestartOpen = false;
        }
        return;
      }
      case 'skip': {
        const m = this.model.get(event.instanceId);
        if (m && this.engine.validate(event) === undefined) m.released = true;
        return;
      }
      case 'set_limits':
        if (this.engine.validate(event) === undefined) {
          this.spec = {
            ...this.spec,
            concurrency: { ...this.spec.concurrency, ...event.patch.concurrency },
            failureBudget: { ...this.spec.failureBudget, ...event.patch.failureBudget },
          };
        }
        return;
      default:
        return;
    }
  }

  private checkState(): void {
    const st = this.engine.state;
    if (st.plan && st.failures > this.engine.rolloutBudget()) this.budgetExceededEver = true;
    if (st.plan && st.waveFailures > (this.engine.waveBudget() ?? Number.POSITIVE_INFINITY)) this.budgetExceededEver = true;
    let failed = 0;
    for (const t of st.targets) if (t.s === 'failed') failed++;
    if (failed !== st.failures) throw new Violation(`failures counted ${st.failures} but ${failed} targets failed`);
  }

  private checkReport(report: RolloutReport): void {
    const ids = this.engine.state.targets.map((t) => t.id);
    if (report.counts.targets !== ids.length) throw new Violation(`report counts ${report.counts.targets} targets, plan has ${ids.length}`);
    const seen = new Set<string>();
    for (const r of report.instances) {
      if (seen.has(r.instanceId)) throw new Violation(`${r.instanceId} reported twice`);
      seen.add(r.instanceId);
      if (r.outcome === 'not_started' && !r.notStartedReason) throw new Violation(`${r.instanceId} not started without a reason`);
      if (r.outcome === 'failed' && !r.failure) throw new Violation(`${r.instanceId} failed without a failure kind`);
      if (!r.detail) throw new Violation(`${r.instanceId} has no sentence`);
      if (r.outcome === 'restarted' && !this.model.get(r.instanceId)!.sent) throw new Violation(`${r.instanceId} reported restarted, but no restart of ours was sent`);
    }
    if (report.instances.length !== ids.length) throw new Violation(`report lists ${report.instances.length} of ${ids.length} targets`);
    const c = report.counts;
    if (c.restarted + c.failed + c.skipped + c.deferred + c.notStarted + c.unknown !== c.targets) throw new Violation(`outcome counts do not add up: ${JSON.stringify(c)}`);
    const budget = this.engine.rolloutBudget();
    if (report.phase === 'completed' && c.failed > budget) throw new Violation(`completed with ${c.failed} failures over budget ${budget}`);
    if (report.phase === 'stopped_budget' && !this.budgetExceededEver) throw new Violation(`stopped_budget although the failures (${c.failed}) never exceeded the budget`);
  }

  // ------------------------------------------------------------------ answering like the world would

  answerResolve(): void {
    this.resolvePending = false;
    for (const f of this.fleet) this.listedAt.set(f.region, this.now);
    this.deliver({
      type: 'resolved',
      fleet: { targets: this.fleet.map((f) => ({ region: f.region, instanceId: f.id, status: this.world.get(f.id)!.status === 'gone' ? 'deleted' : this.world.get(f.id)!.status })), problems: [], reads: 1 },
    });
  }

  answerEstimate(region: string, ok: boolean): void {
    this.estimates.delete(region);
    if (!ok) return this.deliver({ type: 'estimate_failed', region });
    const estimates: Record<string, { medianMs: number; p90Ms: number; samples: number }> = {};
    let k = 1;
    for (const f of this.fleet) if (f.region === region) estimates[f.id] = { medianMs: 1000 * k, p90Ms: 1500 * k++, samples: 3 };
    this.deliver({ type: 'estimated', region, result: { estimates, reads: 3, unread: 0 } });
  }

  answerLease(ok: boolean): void {
    this.leasePending = false;
    this.deliver(ok ? { type: 'leased' } : { type: 'lease_failed', sentence: 'held by another rollout' });
  }

  answerRelease(): void {
    this.releasePending = false;
    this.deliver({ type: 'released' });
  }

  /** variant: 0 normal, 1 refused (permission), 2 answer lost after sending, 3 retries exhausted before sending. */
  answerLaunch(id: string, variant: number): void {
    this.launches.delete(id);
    const w = this.world.get(id)!;
    if (variant === 1) {
      const result: LaunchResult = { kind: 'refused', refusal: { errorClass: 'permission', action: 'RestartInstance', region: w.region, apiCode: 'Forbidden.RAM', message: 'denied' }, attempt: 1, reads: 1 };
      return this.deliver({ type: 'launched', instanceId: id, result });
    }
    if (variant === 3) return this.deliver({ type: 'launch_failed', instanceId: id, errorClass: 'throttled', message: 'throttled for too long', attempts: 9 });
    if (w.status !== 'running') {
      const cause = w.status === 'restarting' ? 'restarting' : classifyInstanceStatus(w.status) === 'BUSY' ? 'busy' : 'unavailable';
      return this.deliver({ type: 'launched', instanceId: id, result: { kind: 'not_running', status: w.status === 'gone' ? 'deleted' : w.status, cause, attempt: 1, reads: 1 } });
    }
    w.status = 'restarting';
    w.ours = true;
    w.ourCompleted = false;
    w.restartsApplied++;
    if (variant === 2) return this.deliver({ type: 'launch_failed', instanceId: id, errorClass: 'timeout', message: 'answer lost', maybeSentAtMs: this.now, attempts: 3 });
    this.deliver({ type: 'launched', instanceId: id, result: { kind: 'sent', sentAtMs: this.now, adopted: false, attempt: 1, reads: 0 } });
  }

  /** variant: 0 truthful, 1 refused (permission), 2 the watch activity failed. */
  answerWatch(region: string, variant: number): void {
    const input = this.watches.get(region)!;
    this.watches.delete(region);
    // The activity's first listing comes after its initial delay (at most one per poll interval).
    this.now += input.initialDelayMs;
    if (variant === 2) return this.deliver({ type: 'watch_failed', region, message: 'retries exhausted' });
    if (variant === 1) {
      const result: WatchResult = { atMs: this.now, lastPollAtMs: this.now, observations: [], notRunning: null, reads: 1, refused: { errorClass: 'permission', action: 'DescribeInstances', region, apiCode: 'Forbidden.RAM', message: 'denied' }, failedPolls: 0 };
      return this.deliver({ type: 'watched', region, result });
    }
    this.listedAt.set(region, this.now);
    const observations: WatchObservation[] = [];
    for (const entry of input.entries) {
      const w = this.world.get(entry.instanceId)!;
      const status = w.status === 'gone' ? null : w.status;
      const obs: WatchObservation = { instanceId: w.id, status };
      if (entry.kind === 'restart') {
        if (w.status === 'restarting') obs.seenRestarting = true;
        if (w.status === 'gone') obs.ended = 'gone';
        else if (w.status === 'creating_failed' || w.status === 'disable') obs.ended = 'failed';
        else if (w.status === 'running' && w.ourCompleted) obs.ended = 'running';
        else if (w.status === 'running' && !w.ours && w.restartsApplied === 0) obs.ended = 'running';
      }
      if ((entry.kind === 'health' || entry.kind === 'restart') && w.status === 'running') obs.health = { ok: w.healthy, ...(w.healthy ? {} : { reason: 'backends offline' }) };
      observations.push(obs);
    }
    const notRunning: Array<[string, string]> | null = input.wantSnapshot
      ? [...this.world.values()].filter((w) => w.region === region && LISTABLE.has(w.status)).map((w) => [w.id, w.status])
      : null;
    this.deliver({ type: 'watched', region, result: { atMs: this.now, lastPollAtMs: this.now, observations, notRunning, reads: 1, failedPolls: 0 } });
  }

  /** Something happens in the world. kind: 0 finish, 1 fail, 2 foreign restart / busy, 3 recover, 4 health flips. */
  worldEvent(id: string, kind: number): void {
    const w = this.world.get(id)!;
    if (kind === 0 && w.status === 'restarting') {
      w.status = 'running';
      if (w.ours) w.ourCompleted = true;
      w.ours = false;
      // Some instances' backends come back online only a while after `running` (the health gate waits).
      if (id.charCodeAt(id.length - 1) % 3 === 0) w.healthy = false;
    } else if (kind === 1 && w.status === 'restarting') {
      w.status = 'creating_failed';
      w.ours = false;
    } else if (kind === 2 && w.status === 'running') {
      w.status = id.charCodeAt(id.length - 1) % 2 ? 'restarting' : 'modifying_config';
      w.ours = false;
      w.ourCompleted = false;
    } else if (kind === 3 && w.status !== 'running' && w.status !== 'gone') {
      w.status = 'running';
      w.ours = false;
    } else if (kind === 4) {
      w.healthy = !w.healthy;
    }
  }

  advance(ms: number): void {
    this.now += ms;
    this.deliver({ type: 'tick' });
  }

  /**
   * Drives the world benignly until the rollout finishes: answers every pending activity truthfully,
   * finishes restarts, brings down instances back, opens gates, resumes, and lets time pass.
   */
  settle(maxSteps = 20_000): void {
    for (let i = 0; i < maxSteps && !this.finished; i++) {
      if (this.resolvePending) this.answerResolve();
      else if (this.estimates.size) this.answerEstimate([...this.estimates][0]!, true);
      else if (this.leasePending) this.answerLease(true);
      else if (this.releasePending) this.answerRelease();
      else if (this.notifies.length) this.answerNotify(true);
      else if (this.launches.size) this.answerLaunch([...this.launches.keys()][0]!, 0);
      else if ([...this.world.values()].some((w) => w.status !== 'running' && w.status !== 'gone')) {
        for (const w of this.world.values()) if (w.status !== 'running' && w.status !== 'gone') this.worldEvent(w.id, w.status === 'restarting' ? 0 : 3);
      } else if (i % 7 === 6 && [...this.world.values()].some((w) => !w.healthy)) {
        // Backends come back online a few watches later (so the gate's checking state is exercised).
        for (const w of this.world.values()) w.healthy = true;
      } else if (this.engine.state.paused && this.engine.validate({ type: 'resume' }) === undefined) this.deliver({ type: 'resume', by: 'settle' });
      else if (this.engine.state.stage === 'gate' && this.engine.validate({ type: 'approve', wave: this.engine.state.wave }) === undefined) {
        this.deliver({ type: 'approve', wave: this.engine.state.wave, by: 'settle' });
      } else if (this.watches.size) this.answerWatch([...this.watches.keys()][i % this.watches.size]!, 0);
      else if ([...this.world.values()].some((w) => !w.healthy)) for (const w of this.world.values()) w.healthy = true;
      else this.advance(Math.max(1, (this.engine.nextWakeAtMs() ?? this.now + 1000) - this.now));
    }
    if (!this.finished) {
      const st = this.engine.state;
      const holders = [...this.engine.holders].map((i) => `${st.targets[i]!.id}:${st.targets[i]!.s}${st.targets[i]!.down ? '/down' : ''}${st.targets[i]!.downQueued ? '/dq' : ''}:${st.targets[i]!.st}`);
      throw new Violation(`the rollout did not finish within ${maxSteps} benign steps (life ${st.life}, stage ${st.stage}, wave ${st.wave}, queue ${st.queue.length}, holders ${holders.join(' ')}, paused ${st.paused}, refusal ${st.refusal?.count ?? 0})`);
    }
  }
}

