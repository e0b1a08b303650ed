/**
 * Pure parsing of CLI flag values. Each parser throws a CliError whose message is one sentence naming the
 * flag and saying how to fix it; commander wires them in as argument parsers.
 */
import { sizeSchema, type Size } from '../planning/spec';
import { LIST_STATUSES, type LimitsPatch, type ListStatus, type ProgressDetail } from '../client';
import { CliError } from './errors';

export function parsePositiveInt(flag: string, raw: string, opts: { min?: number; max?: number } = {}): number {
  const min = opts.min ?? 1;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new CliError(`${flag} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got "${raw}".`);
  }
  return n;
}

/** `3` → 3, `"10%"` → "10%"; `positive` rejects 0 / 0%. */
export function parseSize(flag: string, raw: string, opts: { positive: boolean }): Size {
  const value: unknown = /^\d+$/.test(raw.trim()) ? Number(raw) : raw.trim();
  const parsed = sizeSchema.safeParse(value);
  if (!parsed.success || (opts.positive && (parsed.data === 0 || parsed.data === '0%'))) {
    throw new CliError(`${flag} must be a ${opts.positive ? 'number of at least 1' : 'whole number'} or a percentage such as "10%", got "${raw}".`);
  }
  return parsed.data;
}

export interface SetFlags {
  concurrency?: string;
  perRegion?: string;
  budget?: string;
  waveBudget?: string;
}

/** `starwave set` flags → the setLimits patch. At least one flag is required. */
export function parseSetFlags(flags: SetFlags): LimitsPatch {
  const concurrency: NonNullable<LimitsPatch['concurrency']> = {};
  const failureBudget: NonNullable<LimitsPatch['failureBudget']> = {};
  if (flags.concurrency !== undefined) concurrency.global = parseSize('--concurrency', flags.concurrency, { positive: true });
  if (flags.perRegion !== undefined) concurrency.perRegion = parseSize('--per-region', flags.perRegion, { positive: true });
  if (flags.budget !== undefined) failureBudget.total = parseSize('--budget', flags.budget, { positive: false });
  if (flags.waveBudget !== undefined) failureBudget.perWave = parseSize('--wave-budget', flags.waveBudget, { positive: false });
  const patch: LimitsPatch = {
    ...(Object.keys(concurrency).length ? { concurrency } : {}),
    ...(Object.keys(failureBudget).length ? { failureBudget } : {}),
  };
  if (!patch.concurrency && !patch.failureBudget) {
    throw new CliError('set needs at least one of --concurrency, --per-region, --budget or --wave-budget.');
  }
  return patch;
}

const DETAILS = ['summary', 'problems', 'all'] as const;
export function parseDetail(raw: string): ProgressDetail {
  if (!(DETAILS as readonly string[]).includes(raw)) throw new CliError(`--detail must be one of ${DETAILS.join(', ')}, got "${raw}".`);
  return raw as ProgressDetail;
}

export type ReportFormat = 'json' | 'markdown' | 'table';
export function parseReportFormat(raw: string): ReportFormat {
  if (raw !== 'json' && raw !== 'markdown' && raw !== 'table') throw new CliError(`--format must be json, markdown or table, got "${raw}".`);
  return raw;
}

export function parseListStatus(raw: string): ListStatus {
  if (!(LIST_STATUSES as readonly string[]).includes(raw)) throw new CliError(`--status must be one of ${LIST_STATUSES.join(', ')}, got "${raw}".`);
  return raw as ListStatus;
}

/** `90`, `90s`, `45m`, `2h`, `1h30m` → seconds. */
export function parseDurationSeconds(flag: string, raw: string): number {
  const text = raw.trim();
  if (/^\d+$/.test(text) && Number(text) > 0) return Number(text);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  const seconds = m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 0;
  if (!m || seconds <= 0) throw new CliError(`${flag} must be a duration such as 90s, 45m, 2h or 1h30m, got "${raw}".`);
  return seconds;
}

/** `--calendar` takes a JSON object or array of Temporal calendar specs, e.g. '{"dayOfWeek":"SUNDAY","hour":2}'. */
export function parseCalendar(raw: string): Array<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new CliError(`--calendar must be JSON such as '{"dayOfWeek":"SUNDAY","hour":2}', got "${raw.slice(0, 60)}".`);
  }
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0 || !list.every((c) => typeof c === 'object' && c !== null && !Array.isArray(c))) {
    throw new CliError(`--calendar must be a JSON object or an array of objects such as '{"dayOfWeek":"SUNDAY","hour":2}'.`);
  }
  return list as Array<Record<string, unknown>>;
}

/** A cron expression: 5 fields (minute hour day month weekday), or Temporal's 6/7-field forms. */
export function parseCron(raw: string): string {
  const fields = raw.trim().split(/\s+/);
  if (!raw.trim().startsWith('@') && (fields.length < 5 || fields.length > 7)) {
    throw new CliError(`--cron must have 5 fields (minute hour day-of-month month day-of-week) such as "0 2 * * SUN", got "${raw}".`);
  }
  return raw.trim();
}

export function parseTimezone(raw: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw });
  } catch {
    throw new CliError(`--timezone must be an IANA time zone such as Asia/Shanghai or UTC, got "${raw}".`);
  }
  return raw;
}

export function parseRegionsList(flag: string, raw: string): string[] {
  const regions = raw.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = regions.find((r) => !/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(r));
  if (regions.length === 0 || bad !== undefined) throw new CliError(`${flag} must be a comma-separated list of region ids such as cn-hangzhou,cn-shanghai, got "${raw}".`);
  return regions;
}
