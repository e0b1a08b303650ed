/** Small pure text helpers shared by every renderer: durations, times in a zone, tables, bars. */
import type { RolloutPhase } from '../../contracts/rollout';

/** 42s, 3m05s, 2h10m, 3d04h. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d${String(h).padStart(2, '0')}h`;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** Seconds as a duration a person writes: 7200 → 2h, 5400 → 1h30m, 90 → 1m30s. */
export function formatSeconds(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** `2026-06-07 02:00:00 +08:00` in `timeZone` (default UTC, shown as `Z`). */
export function formatTime(ms: number, timeZone = 'UTC'): string {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    zoneFormats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const offset = (parts['timeZoneName'] ?? 'GMT').replace(/^GMT/, '');
  const zone = offset === '' || (timeZone === 'UTC' && offset === '+00:00') ? 'Z' : offset;
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}:${parts['second']} ${zone}`;
}

/** An ISO time (or epoch ms) in a zone, or '' when absent. */
export function formatIso(iso: string | number | undefined, timeZone?: string): string {
  if (iso === undefined) return '';
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  return Number.isNaN(ms) ? String(iso) : formatTime(ms, timeZone);
}

export function bar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** A plain text table: header row, then rows; columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export const indent = (lines: readonly string[], by = '  '): string[] => lines.map((l) => `${by}${l}`);

export function oneLine(text: string, max = 80): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** How a phase reads in a sentence: `awaiting_approval` → "awaiting approval". */
export function phaseWords(phase: RolloutPhase | string): string {
  switch (phase) {
    case 'stopped_budget':
      return 'stopped by the failure budget';
    case 'stopped_window':
      return 'stopped by the window cutoff';
    case 'stopped_stalled':
      return 'stopped: down instances held every slot';
    default:
      return phase.replace(/_/g, ' ');
  }
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
