/**
 * Pure parsing of CLI flag values. Each parser throws a StarwaveError (ERR_FLAG_INVALID, exit 2)
 * whose message is one sentence naming the flag and saying how to fix it; commander wires them in
 * as argument parsers (context.ts `arg`).
 */
import { RUN_FILTERS, type RunFilter } from '../client/list';
import { StarwaveError } from '../contracts/errors';
import { PROGRESS_DETAILS, type LimitsPatch, type ProgressDetail } from '../contracts/rollout';
import { INSTANCE_ID, REGION_ID, sizeSchema, type Size } from '../contracts/spec';
import { cronProblem } from './cron';
import type { ReportFormat } from './render/report';

export const flagError = (message: string): StarwaveError => new StarwaveError('ERR_FLAG_INVALID', message);

export function parsePositiveInt(flag: string, raw: string, opts: { min?: number; max?: number } = {}): number {
  const min = opts.min ?? 1;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw flagError(`${flag} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got "${raw}".`);
  }
  return n;
}

/** `3` → 3, `"10%"` → "10%"; `positive` rejects 0 / 0%. */
export function parseSize(flag: string, raw: string, opts: { positive: boolean }): Size {
  const value: unknown = /^\d+$/.test(raw.trim()) ? Number(raw) : raw.trim();
  const parsed = sizeSchema.safeParse(value);
  if (!parsed.success || (opts.positive && (parsed.data === 0 || parsed.data === '0%'))) {
    throw flagError(`${flag} must be a ${opts.positive ? 'number of at least 1' : 'whole number'} or a percentage such as "10%", got "${raw}".`);
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
export function parseSetFlags(flags: SetFlags): Omit<LimitsPatch, 'by'> {
  const concurrency: NonNullable<LimitsPatch['concurrency']> = {};
  const failureBudget: NonNullable<LimitsPatch['failureBudget']> = {};
  if (flags.concurrency !== undefined) concurrency.global = parseSize('--concurrency', flags.concurrency, { positive: true });
  if (flags.perRegion !== undefined) concurrency.perRegion = parseSize('--per-region', flags.perRegion, { positive: true });
  if (flags.budget !== undefined) failureBudget.total = parseSize('--budget', flags.budget, { positive: false });
  if (flags.waveBudget !== undefined) failureBudget.perWave = parseSize('--wave-budget', flags.waveBudget, { positive: false });
  if (!Object.keys(concurrency).length && !Object.keys(failureBudget).length) {
    throw flagError('set needs at least one of --concurrency, --per-region, --budget or --wave-budget.');
  }
  return { ...(Object.keys(concurrency).length ? { concurrency } : {}), ...(Object.keys(failureBudget).length ? { failureBudget } : {}) };
}

export function parseDetail(raw: string): ProgressDetail {
  if (!(PROGRESS_DETAILS as readonly string[]).includes(raw)) throw flagError(`--detail must be one of ${PROGRESS_DETAILS.join(', ')}, got "${raw}".`);
  return raw as ProgressDetail;
}

export function parseReportFormat(raw: string): ReportFormat {
  if (raw !== 'json' && raw !== 'markdown' && raw !== 'table') throw flagError(`--format must be json, markdown or table, got "${raw}".`);
  return raw;
}

/** `list --status`: running, a live phase, or an outcome. */
export function parseRunFilter(raw: string): RunFilter {
  const value = raw.trim().toLowerCase().replace(/-/g, '_');
  if (!RUN_FILTERS.includes(value)) throw flagError(`--status must be one of ${RUN_FILTERS.join(', ')}, got "${raw}".`);
  return value as RunFilter;
}

/** `90`, `90s`, `45m`, `2h`, `1h30m`, `1d` → seconds. */
export function parseDurationSeconds(flag: string, raw: string): number {
  const text = raw.trim();
  if (/^\d+$/.test(text) && Number(text) > 0) return Number(text);
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  const seconds = m ? Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0) : 0;
  if (!m || seconds <= 0) throw flagError(`${flag} must be a duration such as 90s, 45m, 2h or 1h30m, got "${raw}".`);
  return seconds;
}

/** `--calendar` takes a JSON object or array of Temporal calendar specs, e.g. '{"dayOfWeek":"SUNDAY","hour":2}'. */
export function parseCalendar(raw: string): Array<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw flagError(`--calendar must be JSON such as '{"dayOfWeek":"SUNDAY","hour":2}', got "${raw.slice(0, 60)}".`);
  }
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0 || !list.every((c) => typeof c === 'object' && c !== null && !Array.isArray(c))) {
    throw flagError(`--calendar must be a JSON object or an array of objects such as '{"dayOfWeek":"SUNDAY","hour":2}'.`);
  }
  return list as Array<Record<string, unknown>>;
}

/** A cron expression Temporal accepts (see cron.ts); a bad one gets a sentence naming the field. */
export function parseCron(raw: string): string {
  const problem = cronProblem(raw);
  if (problem) throw flagError(`--cron "${raw.trim()}" is not a valid cron expression: ${problem}.`);
  return raw.trim();
}

export function parseTimezone(raw: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw });
  } catch {
    throw flagError(`--timezone must be an IANA time zone such as Asia/Shanghai or UTC, got "${raw}".`);
  }
  return raw;
}

export function parseRegion(flag: string, raw: string): string {
  if (!REGION_ID.test(raw.trim())) throw flagError(`${flag} must be a region id such as cn-hangzhou, got "${raw}".`);
  return raw.trim();
}

export function parseInstanceId(what: string, raw: string): string {
  if (!INSTANCE_ID.test(raw.trim())) throw flagError(`${what} must be an instance id: "c-" followed by 16 lowercase letters or digits, got "${raw}".`);
  return raw.trim();
}

export function parseName(flag: string, raw: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(raw)) throw flagError(`${flag} must be a rollout name (1-63 characters of a-z, 0-9, ".", "_" or "-"), got "${raw}".`);
  return raw;
}

/** An ISO-8601 date-time such as 2026-12-01T06:00:00Z. */
export function parseIsoTime(flag: string, raw: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(Date.parse(raw))) {
    throw flagError(`${flag} must be an ISO-8601 date-time with a zone such as 2026-12-01T06:00:00Z, got "${raw}".`);
  }
  return raw;
}
