/**
 * The status screen of a rollout: header with the run and its state (paused, awaiting approval and
 * cancelling are states of their own), counts, waves, the in-flight table (state, for how long,
 * progress %, step), a "Blocked" section naming the down instances that hold every slot and when
 * the rollout stops, instances waiting for their maintenance window, failures, the stop sentence
 * and the latest audit entries. Pure: `nowMs` comes in.
 */
import type { RolloutStatus } from '../../client';
import { isFinalPhase, type RolloutCounts, type RolloutProgress, type RolloutReport, type WaveSummary } from '../../contracts/rollout';
import { auditRows, verdict } from './report';
import { bar, formatDuration, formatTime, indent, oneLine, phaseWords, plural, table } from './format';

const SHOWN = 20;

export function renderStatus(status: RolloutStatus, nowMs: number): string[] {
  const p = status.progress;
  const run = `run ${status.runId}`;
  if (!p) {
    return [`Rollout ${status.workflowId}  ${run}: the workflow is ${status.executionStatus.toLowerCase()}${status.failure ? `: ${status.failure}` : ''}.`];
  }
  const finishedAtMs = (p as Partial<RolloutReport>).finishedAtMs;
  const elapsed = (finishedAtMs ?? nowMs) - p.startedAtMs;
  const lines: string[] = [];
  const eta = p.eta ? `  ETA ${formatDuration(p.eta.p50Ms)} (p90 ${formatDuration(p.eta.p90Ms)})` : '';
  const wave = p.currentWave !== undefined ? `  wave ${p.currentWave}/${p.waves.length}` : `  ${plural(p.waves.length, 'wave')}`;
  lines.push(`Rollout ${p.rolloutId}  ${run}  [${stateOf(p)}]${wave}  elapsed ${formatDuration(elapsed)}${eta}`);
  lines.push(`  started ${formatTime(p.startedAtMs)}${p.trigger ? ` by ${p.trigger}` : ''}${finishedAtMs !== undefined ? `; finished ${formatTime(finishedAtMs)}` : ''}`);
  lines.push(`  ${bar(doneCount(p), p.counts.targets, 30)} ${countsLine(p.counts, p.failureBudget)}`);
  if (p.notAfterMs !== undefined && finishedAtMs === undefined) lines.push(`  window closes ${formatTime(p.notAfterMs)} (${p.notAfterMs > nowMs ? `in ${formatDuration(p.notAfterMs - nowMs)}` : 'closed'})`);
  lines.push(...stateNotes(p));

  if (p.waves.length) lines.push('', 'Waves', ...indent(wavesTable(p)));
  if (p.inFlight.length) lines.push('', 'In flight', ...indent(inFlightTable(p, nowMs)));
  if (p.blocked) lines.push('', ...blockedSection(p, nowMs));
  if (p.awaitingWindow?.length) {
    lines.push('', `Waiting for their maintenance window (${p.awaitingWindow.length})`);
    lines.push(...indent(table(['INSTANCE', 'REGION', 'OPENS'], p.awaitingWindow.slice(0, SHOWN).map((a) => [a.instanceId, a.region, a.opensAtMs !== undefined ? `${formatTime(a.opensAtMs)} (in ${formatDuration(a.opensAtMs - nowMs)})` : '?']))));
  }
  const failures = p.instances.filter((r) => r.outcome === 'failed' || r.outcome === 'unknown');
  if (failures.length) {
    lines.push('', 'Failed or unknown');
    lines.push(...indent(table(['INSTANCE', 'REGION', 'WAVE', 'OUTCOME', 'DETAIL'], failures.slice(0, SHOWN).map((r) => [r.instanceId, r.region, String(r.wave), r.failure ? `${r.outcome} (${r.failure})` : r.outcome, oneLine(r.detail ?? r.apiMessage ?? '', 70)]))));
    if (failures.length > SHOWN) lines.push(`  … ${failures.length - SHOWN} more (starwave status ${p.rolloutId} --json --detail all)`);
  }
  if (p.problems.length) lines.push('', `Plan problems (${p.problems.length})`, ...p.problems.slice(0, SHOWN).map((x) => `  - ${x.message}`));
  if (p.audit.length) lines.push('', 'Who did what', ...indent(table(['WHEN', 'ACTION', 'BY', 'DETAIL'], auditRows(p.audit.slice(-8)))));
  return lines;
}

/** The state shown in brackets: the phase, as words. */
export function stateOf(p: Pick<RolloutProgress, 'phase'>): string {
  return phaseWords(p.phase);
}

function doneCount(p: RolloutProgress): number {
  const c = p.counts;
  return c.restarted + c.failed + c.skipped + c.deferred + c.notStarted + c.unknown;
}

export function countsLine(c: RolloutCounts, failureBudget?: number): string {
  const parts = [
    `${c.restarted}/${c.targets} restarted`,
    `${c.failed} failed${failureBudget !== undefined ? ` (budget ${failureBudget})` : ''}`,
    ...(c.skipped ? [`${c.skipped} skipped`] : []),
    ...(c.deferred ? [`${c.deferred} deferred`] : []),
    ...(c.notStarted ? [`${c.notStarted} not started`] : []),
    ...(c.unknown ? [`${c.unknown} unknown`] : []),
    `${c.inFlight} in flight`,
    ...(c.waiting ? [`${c.waiting} waiting`] : []),
    ...(c.down ? [`${c.down} down`] : []),
  ];
  return parts.join(', ');
}

function lastBy(p: RolloutProgress, action: string): string | undefined {
  return [...p.audit].reverse().find((a) => a.action === action)?.by;
}

function stateNotes(p: RolloutProgress): string[] {
  const notes: string[] = [];
  if (p.phase === 'cancelling') {
    const who = lastBy(p, 'cancel');
    notes.push(`  CANCELLING${who ? ` (asked by ${who}${p.cancelReason ? `: ${p.cancelReason}` : ''})` : p.cancelReason ? ` (${p.cancelReason})` : ''}: no new restarts; restarts in flight finish, the rest is reported not started.`);
  } else if (p.phase === 'cancelled' && !p.stopSentence) notes.push(`  ${verdict(p).replace(/^c/, 'C')}.`);
  if (p.paused && p.phase !== 'cancelling' && !isFinalPhase(p.phase)) {
    const who = lastBy(p, 'pause');
    notes.push(`  PAUSED${who ? ` by ${who}` : ''}: no new restarts until "starwave resume ${p.rolloutId}"; restarts in flight finish.`);
  }
  if (p.phase === 'awaiting_approval' && p.currentWave !== undefined) notes.push(`  AWAITING APPROVAL of wave ${p.currentWave}: starwave approve ${p.rolloutId} --wave ${p.currentWave}`);
  if (p.stopSentence) notes.push(`  ${p.stopSentence}`);
  return notes;
}

function waveStatus(w: WaveSummary): string {
  const status = w.status.replace(/_/g, ' ');
  if (w.approvalRequired) return w.approvedBy ? `${status} (approved by ${w.approvedBy})` : w.status === 'awaiting_approval' ? status : `${status} (gate)`;
  return status;
}

function wavesTable(p: RolloutProgress): string[] {
  const around = p.currentWave ?? 1;
  const shown = p.waves.length > 12 ? p.waves.filter((w) => Math.abs(w.number - around) <= 5) : p.waves;
  const rows = shown.map((w) => [
    String(w.number),
    oneLine(w.regions.join(','), 30),
    `${bar(w.done, w.size)} ${w.done}/${w.size}`,
    `${w.restarted} ok, ${w.failed} failed`,
    waveStatus(w),
  ]);
  const out = table(['WAVE', 'REGIONS', 'DONE', 'RESULT', 'STATUS'], rows);
  if (shown.length < p.waves.length) out.push(`… ${p.waves.length - shown.length} more waves`);
  return out;
}

function inFlightTable(p: RolloutProgress, nowMs: number): string[] {
  const rows = p.inFlight.slice(0, SHOWN).map((f) => [
    f.instanceId,
    f.region,
    String(f.wave),
    f.state === 'waiting' && f.waitCause ? `waiting (${f.waitCause})` : f.state === 'restarting' && !f.seenRestarting ? 'sent' : f.state,
    formatDuration(nowMs - (f.sentAtMs ?? f.sinceMs)),
    f.progress !== undefined ? `${Math.round(f.progress)}%` : '',
    oneLine(f.step ?? f.status ?? '', 40),
  ]);
  const out = table(['INSTANCE', 'REGION', 'WAVE', 'STATE', 'FOR', 'PROGRESS', 'STEP'], rows);
  const more = p.inFlight.length - rows.length + (p.inFlightOmitted ?? 0);
  if (more > 0) out.push(`… ${more} more`);
  return out;
}

function blockedSection(p: RolloutProgress, nowMs: number): string[] {
  const b = p.blocked!;
  const left = b.stopsAtMs - nowMs;
  return [
    `Blocked since ${formatTime(b.sinceMs)} (${formatDuration(nowMs - b.sinceMs)}): down instances hold every slot, so nothing new can start.`,
    `  The rollout stops (stopped_stalled) at ${formatTime(b.stopsAtMs)}${left > 0 ? ` (in ${formatDuration(left)})` : ''} unless a slot frees.`,
    ...indent(table(['INSTANCE', 'REGION', 'STATUS', 'DOWN FOR', 'WHY'], b.holders.slice(0, SHOWN).map((h) => [h.instanceId, h.region, h.status ?? '?', h.sinceMs !== undefined ? formatDuration(nowMs - h.sinceMs) : '', h.reason]))),
    `  Release one by hand (it stops holding its slot): starwave skip ${p.rolloutId} ${b.holders[0]?.instanceId ?? '<instance>'}`,
  ];
}

/** One line for logs and non-TTY output. */
export function summaryLine(status: RolloutStatus): string {
  const p = status.progress;
  if (!p) return `${status.workflowId} run ${status.runId}: ${status.executionStatus.toLowerCase()}`;
  const eta = p.eta ? `, ETA ${formatDuration(p.eta.p50Ms)}` : '';
  return `${p.rolloutId} [${stateOf(p)}] wave ${p.currentWave ?? '-'}/${p.waves.length}: ${countsLine(p.counts, p.failureBudget)}${eta}${p.blocked ? ', BLOCKED' : ''}`;
}
