/**
 * Views of the engine's state: the progress snapshot, the control acknowledgement and the final
 * report, with each target's outcome as a sentence. Pure.
 */
import type {
  NotStartedReason,
  ControlAck,
  InFlightInstance,
  InstanceResult,
  ProgressDetail,
  RolloutCounts,
  RolloutPhase,
  RolloutProgress,
  RolloutReport,
  WaveSummary,
} from '../contracts/rollout';
import { listScheduleMs } from './eta';
import type { RolloutEngine } from './engine';
import { FINAL_STATES, type TargetRec } from './state';

/** Reports of rollouts up to this many targets list every instance; larger ones list what did not restart. */
export const REPORT_FULL_LIMIT = 2_000;
/** A large report lists at most this many instances (without their sentences): its size stays bounded. */
export const REPORT_LIST_LIMIT = 5_000;
/** In-flight instances listed in a progress snapshot at most. */
export const IN_FLIGHT_SHOWN = 200;

export function phaseOf(e: RolloutEngine): RolloutPhase {
  const st = e.state;
  if (st.final) return st.final.phase;
  if (st.life === 'resolving' || st.life === 'estimating' || st.life === 'leasing') return st.cancel ? 'cancelling' : 'resolving';
  if (st.cancel || st.life === 'releasing' || st.life === 'done' || st.stop) return st.cancel ? 'cancelling' : 'running';
  if (st.stage === 'gate') return 'awaiting_approval';
  if (st.paused) return 'paused';
  if (st.stage === 'baking') return 'baking';
  return 'running';
}

export function countsOf(e: RolloutEngine): RolloutCounts {
  const st = e.state;
  const c: RolloutCounts = { targets: st.plan?.targetCount ?? 0, restarted: 0, failed: 0, skipped: 0, deferred: 0, notStarted: 0, unknown: 0, inFlight: 0, waiting: 0, down: e.holders.size, pending: 0 };
  for (const t of st.targets) {
    switch (t.s) {
      case 'restarted':
        c.restarted++;
        break;
      case 'failed':
        c.failed++;
        break;
      case 'skipped':
        c.skipped++;
        break;
      case 'deferred':
        c.deferred++;
        break;
      case 'not_started':
        c.notStarted++;
        break;
      case 'unknown':
        c.unknown++;
        break;
      case 'waiting':
        c.waiting++;
        break;
      case 'queued':
        c.pending++;
        break;
      default:
        c.inFlight++;
    }
  }
  return c;
}

function waves(e: RolloutEngine): WaveSummary[] {
  const st = e.state;
  return (st.plan?.waves ?? []).map((w) => {
    let restarted = 0;
    let failed = 0;
    let done = 0;
    let notStarted = 0;
    const regions = new Set<string>();
    const byRegion: NonNullable<WaveSummary['byRegion']> = {};
    for (let i = w.first; i < w.first + w.count; i++) {
      const t = st.targets[i]!;
      regions.add(t.region);
      const r = (byRegion[t.region] ??= { size: 0, restarted: 0, failed: 0, done: 0 });
      r.size++;
      if (FINAL_STATES.has(t.s)) {
        done++;
        r.done++;
      }
      if (t.s === 'restarted') {
        restarted++;
        r.restarted++;
      } else if (t.s === 'failed') {
        failed++;
        r.failed++;
      } else if (t.s === 'not_started') notStarted++;
    }
    const key = String(w.number);
    const status: WaveSummary['status'] =
      w.number < st.wave || st.waveFinishedAt[key] !== undefined
        ? notStarted === w.count
          ? 'not_started'
          : 'done'
        : w.number === st.wave && st.stage === 'gate'
          ? 'awaiting_approval'
          : w.number === st.wave && st.stage === 'running'
            ? 'running'
            : w.number === st.wave && st.stage === 'baking'
              ? 'done'
              : notStarted === w.count && w.count > 0
                ? 'not_started'
                : 'pending';
    return {
      number: w.number,
      size: w.count,
      regions: [...regions],
      status,
      approvalRequired: w.approvalRequired,
      ...(st.approved[key] !== undefined ? { approvedBy: st.approved[key] || 'someone' } : {}),
      ...(st.waveStartedAt[key] !== undefined ? { startedAtMs: st.waveStartedAt[key] } : {}),
      ...(st.waveFinishedAt[key] !== undefined ? { finishedAtMs: st.waveFinishedAt[key] } : {}),
      restarted,
      failed,
      done,
      ...(regions.size > 1 ? { byRegion } : {}),
    };
  });
}

function inFlight(e: RolloutEngine): InFlightInstance[] {
  const st = e.state;
  return [...e.active]
    .sort((a, b) => a - b)
    .map((idx) => {
      const t = st.targets[idx]!;
      return {
        region: t.region,
        instanceId: t.id,
        ...(t.name ? { instanceName: t.name } : {}),
        wave: t.wave,
        state: t.s as InFlightInstance['state'],
        sinceMs: t.since ?? st.nowMs,
        ...(t.sent !== undefined ? { sentAtMs: t.sent } : {}),
        ...(t.seen ? { seenRestarting: true } : {}),
        ...(t.st ? { status: t.st } : {}),
        ...(t.progress !== undefined ? { progress: t.progress } : {}),
        ...(t.step ? { step: t.step } : {}),
        ...(t.waitCause ? { waitCause: t.waitCause } : {}),
        expectedMs: e.expectedMs(t),
      };
    });
}

/**
 * Remaining time as p50/p90: per wave, a list schedule of what is left over the global limit and one per region
 * over its own limit (the wave takes as long as the slowest of them), plus bake times.
 */
function eta(e: RolloutEngine): { p50Ms: number; p90Ms: number } | undefined {
  const st = e.state;
  if (!st.plan || st.final || st.stop) return undefined;
  const bakeMs = st.spec.waves.bakeSeconds * 1000;
  let p50 = 0;
  let p90 = 0;
  for (const w of st.plan.waves) {
    if (w.number < st.wave) continue;
    type Lane = { median: number[]; high: number[]; busy50: number[]; busy90: number[] };
    const lane = (): Lane => ({ median: [], high: [], busy50: [], busy90: [] });
    const all = lane();
    const regions = new Map<string, Lane>();
    for (let i = w.first; i < w.first + w.count; i++) {
      const t = st.targets[i]!;
      const m = t.est ?? e.defaultExpectedMs();
      const h = t.est90 ?? t.est ?? e.defaultExpectedMs();
      const own = regions.get(t.region) ?? lane();
      regions.set(t.region, own);
      if (t.s === 'queued') {
        for (const l of [all, own]) {
          l.median.push(m);
          l.high.push(h);
        }
      } else if (t.s === 'launching' || t.s === 'restarting' || t.s === 'checking') {
        const elapsed = st.nowMs - (t.sent ?? t.since ?? st.nowMs);
        for (const l of [all, own]) {
          l.busy50.push(Math.max(0, m - elapsed));
          l.busy90.push(Math.max(0, h - elapsed));
        }
      }
    }
    const limits = e.limitsOfWave(w.number);
    let w50 = listScheduleMs(all.median, Math.max(1, Math.min(limits.global, w.count)), all.busy50);
    let w90 = listScheduleMs(all.high, Math.max(1, Math.min(limits.global, w.count)), all.busy90);
    for (const [region, l] of regions) {
      const slots = limits.perRegion[region] ?? Number.POSITIVE_INFINITY;
      if (!Number.isFinite(slots)) continue;
      w50 = Math.max(w50, listScheduleMs(l.median, Math.max(1, slots), l.busy50));
      w90 = Math.max(w90, listScheduleMs(l.high, Math.max(1, slots), l.busy90));
    }
    p50 += w50;
    p90 += w90;
    if (w.number < st.plan.waves.length) {
      p50 += bakeMs;
      p90 += bakeMs;
    }
  }
  if (st.stage === 'baking' && st.bakeUntilMs !== undefined) {
    const left = Math.max(0, st.bakeUntilMs - st.nowMs);
    p50 += left - bakeMs;
    p90 += left - bakeMs;
  }
  return { p50Ms: Math.max(0, Math.round(p50)), p90Ms: Math.max(0, Math.round(p90)) };
}

export function buildProgress(e: RolloutEngine, detail: ProgressDetail): RolloutProgress {
  const st = e.state;
  const flying = inFlight(e);
  const results = detail === 'summary' ? [] : resultsOf(e, detail === 'problems');
  const finishedCount = st.targets.filter((t) => FINAL_STATES.has(t.s)).length;
  const est = eta(e);
  const limits = st.stage === 'running' || st.stage === 'gate' ? e.waveLimits() : undefined;
  return {
    rolloutId: st.rolloutId,
    name: st.spec.name,
    ...(st.trigger ? { trigger: st.trigger } : {}),
    phase: phaseOf(e),
    paused: st.paused,
    cancelRequested: st.cancel !== undefined,
    ...(st.cancel?.reason ? { cancelReason: st.cancel.reason } : {}),
    ...(st.stop?.sentence ? { stopSentence: st.stop.sentence } : {}),
    ...(st.wave > 0 && !st.final ? { currentWave: st.wave } : {}),
    waves: waves(e),
    counts: countsOf(e),
    failureBudget: e.rolloutBudget(),
    failures: st.failures,
    limits: { concurrency: st.spec.concurrency, failureBudget: st.spec.failureBudget },
    ...(limits ? { waveLimits: { global: limits.global, perRegion: Object.fromEntries(Object.entries(limits.perRegion).filter(([, n]) => Number.isFinite(n))) } } : {}),
    startedAtMs: st.startedAtMs,
    ...(st.notAfterMs !== undefined ? { notAfterMs: st.notAfterMs } : {}),
    ...(est ? { etaMs: est.p50Ms, eta: est } : {}),
    inFlight: flying.slice(0, IN_FLIGHT_SHOWN),
    ...(flying.length > IN_FLIGHT_SHOWN ? { inFlightOmitted: flying.length - IN_FLIGHT_SHOWN } : {}),
    ...(st.stalledSinceMs !== undefined
      ? {
          blocked: {
            sinceMs: st.stalledSinceMs,
            stopsAtMs: st.stalledSinceMs + st.spec.concurrency.stallTimeoutSeconds * 1000,
            holders: [...e.holders].sort((a, b) => a - b).slice(0, 50).map((i) => {
              const t = st.targets[i]!;
              return { region: t.region, instanceId: t.id, ...(t.st ? { status: t.st } : {}), ...(t.since !== undefined ? { sinceMs: t.since } : {}), reason: holderReason(t) };
            }),
          },
        }
      : {}),
    ...awaitingWindow(e),
    problems: st.plan?.problems ?? [],
    instances: results,
    ...(detail === 'all' ? {} : { instancesOmitted: finishedCount - results.length }),
    audit: st.audit,
    ...(st.notices?.length ? { notifications: st.notices } : {}),
    reads: st.reads,
    runs: st.runs,
  };
}

function awaitingWindow(e: RolloutEngine): Pick<RolloutProgress, 'awaitingWindow'> {
  const st = e.state;
  const list = st.queue
    .map((i) => st.targets[i]!)
    .filter((t) => t.waitWindowAt !== undefined)
    .slice(0, 200)
    .map((t) => ({ region: t.region, instanceId: t.id, opensAtMs: t.waitWindowAt! }));
  return list.length ? { awaitingWindow: list } : {};
}

function holderReason(t: TargetRec): string {
  if (t.s === 'queued') return `down before its turn (${t.st ?? 'not running'})`;
  if (t.s === 'failed') return `failed (${t.failure}) and still down`;
  if (t.s === 'skipped' || t.s === 'deferred') return `${t.s} and still down`;
  return t.s;
}

export function buildAck(e: RolloutEngine, message: string): ControlAck {
  const st = e.state;
  return {
    phase: phaseOf(e),
    paused: st.paused,
    cancelRequested: st.cancel !== undefined,
    ...(st.wave > 0 && !st.final ? { currentWave: st.wave } : {}),
    counts: countsOf(e),
    limits: { concurrency: st.spec.concurrency, failureBudget: st.spec.failureBudget },
    message,
  };
}

export function buildReport(e: RolloutEngine): RolloutReport {
  const st = e.state;
  const full = st.targets.length <= REPORT_FULL_LIMIT;
  const progress = buildProgress(e, full ? 'all' : 'problems');
  const base = { ...progress, phase: st.final!.phase, finishedAtMs: st.final!.finishedAtMs };
  if (full) return base;
  // Above the limit the report must still fit Temporal's 2 MB result: targets never started are
  // listed by reason as [region, id] pairs instead of one sentence each.
  const byReason = new Map<NotStartedReason, Array<[string, string]>>();
  for (const t of st.targets) {
    if (t.s !== 'not_started' || t.down) continue;
    const reason = t.notStarted ?? 'failed';
    const list = byReason.get(reason) ?? [];
    list.push([t.region, t.id]);
    byReason.set(reason, list);
  }
  // The sentence is derived from the fields (renderers rebuild it), so large reports leave it out.
  const listed = progress.instances.filter((r) => !(r.outcome === 'not_started' && !r.stillDown));
  const instances = listed.slice(0, REPORT_LIST_LIMIT).map(({ detail: _detail, ...rest }) => rest);
  return {
    ...base,
    instances,
    instancesOmitted: (progress.instancesOmitted ?? 0) + (progress.instances.length - instances.length),
    ...(byReason.size ? { notStarted: [...byReason].map(([reason, list]) => ({ reason, instances: list })) } : {}),
  };
}

/** Finished targets as results (with `onlyProblems`, everything but clean restarts). */
export function resultsOf(e: RolloutEngine, onlyProblems: boolean): InstanceResult[] {
  const out: InstanceResult[] = [];
  for (const t of e.state.targets) {
    if (!FINAL_STATES.has(t.s)) continue;
    if (onlyProblems && t.s === 'restarted' && !t.adopted && !t.waited) continue;
    out.push(resultOf(t));
  }
  return out;
}

export function resultOf(t: TargetRec): InstanceResult {
  const outcome = t.s as InstanceResult['outcome'];
  return {
    region: t.region,
    instanceId: t.id,
    ...(t.name ? { instanceName: t.name } : {}),
    wave: t.wave,
    outcome,
    ...(t.failure ? { failure: t.failure } : {}),
    ...(t.notStarted ? { notStartedReason: t.notStarted } : {}),
    ...(t.st ? { status: t.st } : {}),
    ...(t.errorClass ? { errorClass: t.errorClass } : {}),
    ...(t.apiCode ? { apiCode: t.apiCode } : {}),
    ...(t.apiMessage ? { apiMessage: t.apiMessage } : {}),
    ...(t.requestId ? { requestId: t.requestId } : {}),
    detail: sentenceOf(t),
    ...(t.attempts ? { attempts: t.attempts } : {}),
    ...(t.adopted ? { adopted: true } : {}),
    ...(t.restartNotObserved ? { restartNotObserved: true } : {}),
    ...(t.waited ? { waited: t.waited } : {}),
    ...(t.down ? { stillDown: true } : {}),
    ...(t.releasedBy ? { releasedBy: t.releasedBy } : {}),
    ...(t.sent !== undefined ? { sentAtMs: t.sent } : {}),
    ...(t.confirmedAt !== undefined && t.s === 'restarted' ? { confirmedAtMs: t.confirmedAt } : {}),
    ...(t.durationMs !== undefined ? { durationMs: t.durationMs } : {}),
    ...(t.est !== undefined ? { expectedMs: t.est } : {}),
  };
}

/** The report's sentence for one target. */
export function sentenceOf(t: TargetRec): string {
  const waitedPart = t.waited ? ` after waiting ${Math.round(t.waited.ms / 1000)}s for it to run (it was ${t.waited.status}${t.waited.cause === 'restarting' ? ', restarted by someone else' : ''})` : '';
  const released = t.releasedBy ? `; released by ${t.releasedBy}` : '';
  switch (t.s) {
    case 'restarted':
      return `restarted${t.adopted ? ' (the answer to our RestartInstance was lost; its restart was found and adopted, not sent again)' : ''}${waitedPart}${t.restartNotObserved ? '; running was read without restarting ever being seen' : ''}`;
    case 'failed':
      switch (t.failure) {
        case 'confirm_timeout':
          return `not running within the confirm timeout after our restart (last status ${t.st ?? 'unknown'})${t.down ? '; it kept its slot while down' : ''}${released}`;
        case 'restart_failed':
          return `the restart ended in status ${t.st ?? 'unknown'} instead of running${released}`;
        case 'gone':
          return 'the instance no longer exists';
        case 'not_running':
          return `not running at its turn (status ${t.st ?? 'unknown'})${waitedPart}; counted as failed by policy${released}`;
        case 'health_timeout':
          return `running again, but StarRocks was not healthy within health.timeoutSeconds${t.healthReason ? ` (${t.healthReason})` : ''}${released}`;
        case 'not_restarted':
          return `running and healthy, but it did not really restart: ${t.healthReason ?? 'the FE start time did not move'}`;
        default:
          return `the restart could not be sent: ${t.apiMessage ?? t.apiCode ?? t.errorClass ?? 'unknown error'}`;
      }
    case 'skipped':
      return t.skippedBy === 'operator' ? `skipped by ${t.releasedBy ?? 'an operator'}${t.st ? ` (status ${t.st})` : ''}` : `not running at its turn (status ${t.st ?? 'unknown'}); skipped by policy`;
    case 'deferred':
      return `deferred: ${t.waited?.cause === 'restarting' ? 'someone else restarted it' : 'another operation was in flight'} for ${Math.round((t.waited?.ms ?? 0) / 1000)}s (status ${t.waited?.status ?? t.st ?? 'unknown'}); not counted as a failure${released}`;
    case 'not_started':
      switch (t.notStarted) {
        case 'budget':
          return 'not started: the failure budget was exhausted';
        case 'cancelled':
          return 'not started: the rollout was cancelled';
        case 'window':
          return 'not started: it could not be expected to finish inside its window';
        case 'stalled':
          return 'not started: down instances held every slot for too long';
        default:
          return 'not started: the rollout failed';
      }
    case 'unknown':
      return t.releasedBy
        ? `our restart was in flight when ${t.releasedBy} released it; its end was not confirmed`
        : t.unsure
          ? 'the answer to our RestartInstance was lost and no restart was seen: whether it restarted is unknown'
          : 'our restart was in flight when the rollout ended; its end was not confirmed';
    default:
      return t.s;
  }
}
