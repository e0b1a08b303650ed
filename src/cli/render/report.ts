/**
 * The final report as text: a table or Markdown, each with the run id, who did what (the audit:
 * start, pause, resume, approve, set, skip, cancel with the caller's identity), the cancel reason,
 * the stop sentence and the one-line summary. JSON is the report itself (plus the run id). Pure.
 */
import type { AuditEntry, InstanceResult, RolloutReport } from '../../contracts/rollout';
import { formatDuration, formatTime, oneLine, phaseWords, table } from './format';

/** Where a report came from (the report itself does not carry Temporal's run id). */
export interface RunRef {
  runId?: string;
}

/** The verdict sentence's subject: "cancelled by cli:alice (maintenance freeze)". */
export function verdict(r: { phase: string; cancelReason?: string; audit: readonly AuditEntry[] }): string {
  if (r.phase !== 'cancelled') return phaseWords(r.phase);
  const who = [...r.audit].reverse().find((a) => a.action === 'cancel')?.by;
  return `cancelled${who ? ` by ${who}` : ''}${r.cancelReason ? ` (${r.cancelReason})` : ''}`;
}

/** The final line of a report. */
export function reportSummary(r: RolloutReport, ref: RunRef = {}): string {
  const c = r.counts;
  const extra = [c.deferred ? `${c.deferred} deferred` : '', c.unknown ? `${c.unknown} unknown` : ''].filter(Boolean).join(', ');
  return (
    `Rollout ${r.rolloutId}${ref.runId ? ` (run ${ref.runId})` : ''} ${verdict(r)} in ${formatDuration(r.finishedAtMs - r.startedAtMs)}: ` +
    `${c.restarted} restarted, ${c.failed} failed (budget ${r.failureBudget}), ${c.skipped} skipped, ${c.notStarted} not started${extra ? `, ${extra}` : ''} of ${c.targets}.`
  );
}

function why(r: InstanceResult): string {
  const released = r.releasedBy ? `released by ${r.releasedBy}` : '';
  const reason = r.outcome === 'not_started' ? (r.notStartedReason ?? '') : r.outcome === 'failed' ? (r.failure ?? '') : r.waited ? `waited (${r.waited.cause})` : '';
  return [reason, released].filter(Boolean).join('; ');
}

function resultRow(r: InstanceResult): string[] {
  return [r.instanceId, r.region, String(r.wave), r.outcome, why(r), r.durationMs !== undefined ? formatDuration(r.durationMs) : '', oneLine(r.detail ?? r.apiMessage ?? '', 70)];
}

const REPORT_HEADER = ['INSTANCE', 'REGION', 'WAVE', 'OUTCOME', 'REASON', 'TOOK', 'DETAIL'];

/** `12:00:03 Z  cancel  cli:alice  maintenance freeze`, one per audit entry. */
export function auditRows(audit: readonly AuditEntry[]): string[][] {
  return audit.map((a) => [formatTime(a.atMs), a.action, a.by ?? '-', a.detail ?? '']);
}
const AUDIT_HEADER = ['WHEN', 'ACTION', 'BY', 'DETAIL'];

function headerLines(r: RolloutReport, ref: RunRef): string[] {
  return [
    `Rollout ${r.rolloutId}${ref.runId ? `  run ${ref.runId}` : ''}  [${r.phase}]`,
    `  started ${formatTime(r.startedAtMs)}${r.trigger ? ` by ${r.trigger}` : ''}; finished ${formatTime(r.finishedAtMs)} (${formatDuration(r.finishedAtMs - r.startedAtMs)})`,
    ...(r.notAfterMs !== undefined ? [`  window cutoff ${formatTime(r.notAfterMs)}`] : []),
    ...(r.phase === 'cancelled' ? [`  ${verdict(r).replace(/^c/, 'C')}.`] : []),
    ...(r.stopSentence ? [`  ${r.stopSentence}`] : []),
  ];
}

export function reportTable(r: RolloutReport, ref: RunRef = {}): string[] {
  const lines = [...headerLines(r, ref), '', ...table(REPORT_HEADER, r.instances.map(resultRow))];
  if (r.instancesOmitted) lines.push(`  … ${r.instancesOmitted} clean restarts not listed`);
  if (r.problems.length) lines.push('', 'Plan problems', ...r.problems.map((p) => `  - ${p.instanceId}: ${p.message}`));
  if (r.audit.length) lines.push('', 'Who did what', ...table(AUDIT_HEADER, auditRows(r.audit)).map((l) => `  ${l}`));
  lines.push('', reportSummary(r, ref));
  return lines;
}

export function reportMarkdown(r: RolloutReport, ref: RunRef = {}): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const row = (cells: readonly string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  const lines = [
    `# Rollout ${r.rolloutId}`,
    '',
    `- Name: ${r.name}`,
    ...(ref.runId ? [`- Run: ${ref.runId}`] : []),
    `- Outcome: **${r.phase}**${r.phase === 'cancelled' ? ` (${verdict(r)})` : ''}`,
    ...(r.cancelReason ? [`- Cancel reason: ${r.cancelReason}`] : []),
    ...(r.stopSentence ? [`- Why it stopped: ${r.stopSentence}`] : []),
    ...(r.trigger ? [`- Started by: ${r.trigger}`] : []),
    `- Started: ${formatTime(r.startedAtMs)}; finished: ${formatTime(r.finishedAtMs)} (${formatDuration(r.finishedAtMs - r.startedAtMs)})`,
    `- Targets: ${r.counts.targets}; restarted ${r.counts.restarted}, failed ${r.counts.failed} (budget ${r.failureBudget}), skipped ${r.counts.skipped}, deferred ${r.counts.deferred}, not started ${r.counts.notStarted}, unknown ${r.counts.unknown}`,
    `- Waves: ${r.waves.length}; API reads: ${r.reads}`,
    ...(r.notAfterMs !== undefined ? [`- Window cutoff: ${formatTime(r.notAfterMs)}`] : []),
  ];
  if (r.problems.length) lines.push('', '## Plan problems', '', ...r.problems.map((p) => `- ${p.instanceId}: ${p.message}`));
  lines.push('', '## Instances', '', row(REPORT_HEADER.map((h) => h.toLowerCase())), `|${REPORT_HEADER.map(() => '---').join('|')}|`, ...r.instances.map((i) => row(resultRow(i))));
  if (r.audit.length) {
    lines.push('', '## Who did what', '', row(AUDIT_HEADER.map((h) => h.toLowerCase())), `|${AUDIT_HEADER.map(() => '---').join('|')}|`, ...auditRows(r.audit).map(row));
  }
  lines.push('', reportSummary(r, ref), '');
  return lines.join('\n');
}

/** The report as JSON: the workflow's report, plus the run id when known. */
export function reportJson(r: RolloutReport, ref: RunRef = {}): string {
  return JSON.stringify({ ...r, ...(ref.runId ? { runId: ref.runId } : {}) }, null, 2);
}

export type ReportFormat = 'json' | 'markdown' | 'table';

export function renderReport(r: RolloutReport, format: ReportFormat, ref: RunRef = {}): string {
  return format === 'json' ? reportJson(r, ref) : format === 'markdown' ? reportMarkdown(r, ref) : reportTable(r, ref).join('\n');
}
