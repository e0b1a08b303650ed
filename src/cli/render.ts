/**
 * Rendering rollout progress and reports as text. Pure string functions (tested without a terminal) plus a
 * small LiveView that redraws in place on a TTY and prints plain lines otherwise.
 */
import type { RolloutStatus } from '../client';
import type { InstanceResult, RolloutProgress, RolloutReport, WaveProgress } from '../workflows/types';

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function bar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** A plain text table: header row, then rows; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function waveRegions(p: RolloutProgress): Map<string, { total?: number }> {
  // Region totals are known when every wave touching a region is single-region (sequential mode).
  const regions = new Map<string, { total?: number }>();
  for (const w of p.waves) {
    for (const r of w.regions) {
      const entry = regions.get(r) ?? { total: 0 };
      if (w.regions.length === 1 && entry.total !== undefined) entry.total += w.size;
      else delete entry.total;
      regions.set(r, entry);
    }
  }
  return regions;
}

/** Results of finished waves plus the running wave's finished instances. */
export function allResults(status: RolloutStatus): InstanceResult[] {
  const done = status.progress?.instances ?? [];
  const live = status.wave?.results ?? [];
  const seen = new Set(done.map((r) => `${r.region}/${r.instanceId}`));
  return [...done, ...live.filter((r) => !seen.has(`${r.region}/${r.instanceId}`))];
}

const finished = (r: InstanceResult): boolean => r.outcome !== 'not_started';

/** The status screen: header, counts, one bar per wave and per region, in-flight and failed tables. */
export function renderStatus(status: RolloutStatus, nowMs: number): string[] {
  const p = status.progress;
  if (!p) {
    return [`Rollout ${status.workflowId}: workflow ${status.executionStatus.toLowerCase()}${status.failure ? ` (${status.failure})` : ''}.`];
  }
  const results = allResults(status);
  const wave: WaveProgress | undefined = status.wave;
  const lines: string[] = [];
  const elapsed = ('finishedAtMs' in p ? (p as RolloutReport).finishedAtMs : nowMs) - p.startedAtMs;
  const eta = p.etaMs !== undefined ? `  ETA ${formatDuration(p.etaMs)}` : '';
  const waveText = p.currentWave !== undefined ? `  wave ${p.currentWave}/${p.waves.length}` : `  ${p.waves.length} waves`;
  lines.push(`Rollout ${p.rolloutId}  [${p.phase}]${waveText}  elapsed ${formatDuration(elapsed)}${eta}`);
  const c = p.counts;
  const inFlight = wave ? wave.restarting.length + wave.launching.length : c.inFlight;
  const restarted = results.filter((r) => r.outcome === 'restarted').length || c.restarted;
  const failed = Math.max(c.failed, results.filter((r) => r.outcome === 'failed').length);
  lines.push(
    `  ${bar(restarted + failed + c.skipped + c.notStarted, c.targets, 30)} ${restarted}/${c.targets} restarted, ${failed} failed (budget ${p.failureBudget}), ${c.skipped} skipped, ${c.notStarted} not started, ${inFlight} in flight`,
  );
  if (p.notAfterMs !== undefined) lines.push(`  window closes ${new Date(p.notAfterMs).toISOString()} (in ${formatDuration(p.notAfterMs - nowMs)})`);
  if (p.paused) lines.push('  PAUSED: no new restarts until "starwave resume"; in-flight restarts finish.');
  if (p.phase === 'awaiting_approval' && p.currentWave !== undefined) lines.push(`  Waiting for approval: starwave approve ${p.rolloutId} --wave ${p.currentWave}`);

  if (p.waves.length) {
    lines.push('', 'Waves');
    const byWave = new Map<number, number>();
    for (const r of results) if (finished(r)) byWave.set(r.wave, (byWave.get(r.wave) ?? 0) + 1);
    const shown = p.waves.length > 12 ? p.waves.filter((w) => Math.abs(w.number - (p.currentWave ?? 1)) <= 5) : p.waves;
    for (const w of shown) {
      const done = w.status === 'done' && !byWave.has(w.number) && status.progress?.instances.length === 0 ? w.size : (byWave.get(w.number) ?? 0);
      lines.push(`  ${String(w.number).padStart(3)} ${w.regions.join(',').padEnd(24)} ${bar(done, w.size)} ${String(done).padStart(4)}/${w.size}  ${w.status}${w.approvalRequired ? ' (gate)' : ''}`);
    }
    if (shown.length < p.waves.length) lines.push(`  … ${p.waves.length - shown.length} more waves`);
    const regions = waveRegions(p);
    if (regions.size) {
      lines.push('', 'Regions');
      for (const [region, { total }] of regions) {
        const done = results.filter((r) => r.region === region && finished(r)).length;
        lines.push(`  ${region.padEnd(28)} ${total !== undefined ? `${bar(done, total)} ${done}/${total}` : `${done} done`}`);
      }
    }
  }

  if (wave && (wave.restarting.length || wave.launching.length)) {
    lines.push('', `In flight (wave ${wave.wave})`);
    const rows = [
      ...wave.launching.map((t) => [t.instanceId, t.region, 'launching', '']),
      ...wave.restarting.map((w) => [w.target.instanceId, w.target.region, w.seenRestarting ? 'restarting' : 'sent', formatDuration(nowMs - w.sentAtMs)]),
    ];
    lines.push(...table(['INSTANCE', 'REGION', 'STATE', 'FOR'], rows.slice(0, 20)).map((l) => `  ${l}`));
    if (rows.length > 20) lines.push(`  … ${rows.length - 20} more`);
  }
  const failures = results.filter((r) => r.outcome === 'failed');
  if (failures.length) {
    lines.push('', 'Failed');
    lines.push(...table(['INSTANCE', 'REGION', 'WAVE', 'FAILURE', 'DETAIL'], failures.slice(0, 20).map((r) => [r.instanceId, r.region, String(r.wave), r.failure ?? '', oneLine(r.detail ?? r.apiMessage ?? '')])).map((l) => `  ${l}`));
  }
  return lines;
}

function oneLine(text: string, max = 80): string {
  const t = text.replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** One line for logs and non-TTY output. */
export function summaryLine(p: RolloutProgress): string {
  const c = p.counts;
  return `${p.rolloutId} [${p.phase}] wave ${p.currentWave ?? '-'}/${p.waves.length}: ${c.restarted}/${c.targets} restarted, ${c.failed} failed, ${c.skipped} skipped, ${c.notStarted} not started${p.etaMs !== undefined ? `, ETA ${formatDuration(p.etaMs)}` : ''}`;
}

/** The final line of a report. */
export function reportSummary(r: RolloutReport): string {
  const c = r.counts;
  const verdict = r.phase === 'completed' ? 'completed' : r.phase.replace('_', ' by ').replace('stopped by budget', 'stopped by the failure budget');
  return `Rollout ${r.rolloutId} ${verdict} in ${formatDuration(r.finishedAtMs - r.startedAtMs)}: ${c.restarted} restarted, ${c.failed} failed (budget ${r.failureBudget}), ${c.skipped} skipped, ${c.notStarted} not started of ${c.targets}.`;
}

function resultRow(r: InstanceResult): string[] {
  const why = r.outcome === 'not_started' ? (r.notStartedReason ?? '') : (r.failure ?? '');
  return [r.instanceId, r.region, String(r.wave), r.outcome, why, r.durationMs !== undefined ? formatDuration(r.durationMs) : '', oneLine(r.detail ?? r.apiMessage ?? '', 60)];
}

const REPORT_HEADER = ['INSTANCE', 'REGION', 'WAVE', 'OUTCOME', 'REASON', 'TOOK', 'DETAIL'];

export function reportTable(r: RolloutReport): string[] {
  return [...table(REPORT_HEADER, r.instances.map(resultRow)), '', reportSummary(r)];
}

export function reportMarkdown(r: RolloutReport): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    `# Rollout ${r.rolloutId}`,
    '',
    `- Name: ${r.name}`,
    `- Outcome: **${r.phase}**`,
    `- Started: ${new Date(r.startedAtMs).toISOString()}; finished: ${new Date(r.finishedAtMs).toISOString()} (${formatDuration(r.finishedAtMs - r.startedAtMs)})`,
    `- Targets: ${r.counts.targets}; restarted ${r.counts.restarted}, failed ${r.counts.failed} (budget ${r.failureBudget}), skipped ${r.counts.skipped}, not started ${r.counts.notStarted}`,
    `- Waves: ${r.waves.length}; API reads: ${r.reads}`,
    ...(r.notAfterMs !== undefined ? [`- Window cutoff: ${new Date(r.notAfterMs).toISOString()}`] : []),
    '',
    `| ${REPORT_HEADER.map((h) => h.toLowerCase()).join(' | ')} |`,
    `|${REPORT_HEADER.map(() => '---').join('|')}|`,
    ...r.instances.map((i) => `| ${resultRow(i).map(esc).join(' | ')} |`),
    '',
    reportSummary(r),
    '',
  ];
  if (r.problems.length) lines.splice(8, 0, '', '## Plan problems', '', ...r.problems.map((p) => `- ${p.instanceId}: ${p.message}`));
  return lines.join('\n');
}

/** Redraws a block of lines in place on a TTY; elsewhere prints a line only when it changed. */
export class LiveView {
  private drawn = 0;
  private lastPlain = '';
  constructor(private readonly out: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout) {}

  get isTty(): boolean {
    return 'isTTY' in this.out && this.out.isTTY === true;
  }

  update(lines: string[], plain: string): void {
    if (this.isTty) {
      const columns = ('columns' in this.out && this.out.columns) || 120;
      const clipped = lines.map((l) => (l.length > columns ? l.slice(0, columns - 1) : l));
      // Move to the start of the previous frame and clear it, then draw the new one.
      this.out.write(`${this.drawn ? `\x1b[${this.drawn}F\x1b[0J` : ''}${clipped.join('\n')}\n`);
      this.drawn = clipped.length;
    } else if (plain !== this.lastPlain) {
      this.out.write(`${plain}\n`);
      this.lastPlain = plain;
    }
  }

  /** Keeps the last frame on screen; later output starts below it. */
  done(): void {
    this.drawn = 0;
  }
}
