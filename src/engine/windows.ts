/**
 * Per-instance maintenance windows (DescribeInstances `MaintainablePeriod`, e.g. `02:00-03:00`, in
 * the region's local time; spec §3.2, §11). Pure: time comes in as epoch ms. Time zones go through
 * Intl (deterministic for a given instant), so daylight saving time in us-/eu- regions is handled.
 */

/** Local time zone of each region starwave knows (the 13 of the SDK's map). */
export const REGION_TIME_ZONES: Readonly<Record<string, string>> = {
  'cn-hangzhou': 'Asia/Shanghai',
  'cn-shanghai': 'Asia/Shanghai',
  'cn-beijing': 'Asia/Shanghai',
  'cn-shenzhen': 'Asia/Shanghai',
  'cn-qingdao': 'Asia/Shanghai',
  'cn-zhangjiakou': 'Asia/Shanghai',
  'cn-wulanchabu': 'Asia/Shanghai',
  'cn-hongkong': 'Asia/Hong_Kong',
  'ap-southeast-1': 'Asia/Singapore',
  'ap-southeast-5': 'Asia/Jakarta',
  'us-west-1': 'America/Los_Angeles',
  'us-east-1': 'America/New_York',
  'eu-central-1': 'Europe/Berlin',
};

export function regionTimeZone(region: string): string {
  return REGION_TIME_ZONES[region] ?? (region.startsWith('cn-') ? 'Asia/Shanghai' : 'UTC');
}

export interface Period {
  /** Minutes after local midnight. */
  startMin: number;
  endMin: number;
}

const PERIOD = /^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

/** `HH:MM-HH:MM` → minutes; undefined when malformed. An end at or before the start crosses midnight. */
export function parsePeriod(text: string | undefined): Period | undefined {
  const m = text ? PERIOD.exec(text.trim()) : null;
  if (!m) return undefined;
  const startMin = Number(m[1]) * 60 + Number(m[2]);
  const endMin = Number(m[3]) * 60 + Number(m[4]);
  if (startMin > 1440 || endMin > 1440) return undefined;
  return { startMin: startMin % 1440, endMin: endMin === 0 ? 1440 : endMin };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes after local midnight at `atMs` in `timeZone` (seconds included as a fraction). */
export function localMinuteOfDay(atMs: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  let h = 0;
  let min = 0;
  let s = 0;
  for (const part of f.formatToParts(new Date(atMs))) {
    if (part.type === 'hour') h = Number(part.value) % 24;
    else if (part.type === 'minute') min = Number(part.value);
    else if (part.type === 'second') s = Number(part.value);
  }
  return h * 60 + min + s / 60 + (atMs % 1000) / 60_000;
}

const MINUTE = 60_000;

/** Length of the period in minutes. */
function lengthMin(p: Period): number {
  return p.endMin > p.startMin ? p.endMin - p.startMin : 1440 - p.startMin + p.endMin;
}

/**
 * The window that is open at `atMs`, or the next one to open: `{ opensAtMs, closesAtMs }` with
 * opensAtMs <= atMs when it is open now.
 */
export function windowAt(p: Period, atMs: number, timeZone: string): { opensAtMs: number; closesAtMs: number } {
  const now = localMinuteOfDay(atMs, timeZone);
  const len = lengthMin(p);
  // Minutes since the most recent opening (0..1440).
  const sinceOpen = (now - p.startMin + 1440) % 1440;
  if (sinceOpen < len) {
    const opensAtMs = atMs - sinceOpen * MINUTE;
    return { opensAtMs, closesAtMs: opensAtMs + len * MINUTE };
  }
  const opensAtMs = atMs + (1440 - sinceOpen) * MINUTE;
  return { opensAtMs, closesAtMs: opensAtMs + len * MINUTE };
}

/**
 * The earliest time at or after `atMs` when a restart of `durationMs` fits inside the instance's
 * window (and ends by `notAfterMs`, if given); undefined when none does within `horizonDays`.
 */
export function earliestStart(
  p: Period,
  atMs: number,
  durationMs: number,
  timeZone: string,
  opts: { notAfterMs?: number; horizonDays?: number } = {},
): number | undefined {
  const horizon = atMs + (opts.horizonDays ?? 8) * 1440 * MINUTE;
  let probe = atMs;
  for (let i = 0; i < 16 && probe <= horizon; i++) {
    const w = windowAt(p, probe, timeZone);
    const start = Math.max(probe, w.opensAtMs);
    if (start + durationMs <= w.closesAtMs) {
      if (opts.notAfterMs !== undefined && start + durationMs > opts.notAfterMs) return undefined;
      return start;
    }
    probe = w.closesAtMs + 1;
  }
  return undefined;
}
