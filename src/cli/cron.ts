/**
 * Checking a cron expression before it reaches Temporal, so a typo gets one sentence naming the
 * field and its range ("the hour field \"25\" is out of range 0-23") and exit code 2, not the
 * server's raw "Hour is not in range [0-23]". Accepts what Temporal's schedule cron accepts:
 * 5 fields (minute hour day-of-month month day-of-week), 6 (with seconds first) or 7 (and a year
 * last), the @yearly/@monthly/@weekly/@daily/@hourly shorthands and `@every <duration>`. Pure.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** `?` is allowed (day-of-month, day-of-week). */
  question?: boolean;
}

const SECOND: Field = { name: 'second', min: 0, max: 59 };
const MINUTE: Field = { name: 'minute', min: 0, max: 59 };
const HOUR: Field = { name: 'hour', min: 0, max: 23 };
const DAY: Field = { name: 'day-of-month', min: 1, max: 31, question: true };
const MONTH: Field = { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] };
// 0 and 7 are both Sunday.
const WEEKDAY: Field = { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], question: true };
const YEAR: Field = { name: 'year', min: 1970, max: 2199 };

const SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why `expr` is not a cron expression Temporal accepts (a sentence fragment), or undefined when it is. */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (text === '') return 'it is empty';
  if (text.startsWith('@')) {
    if (SHORTHANDS.has(text.toLowerCase())) return undefined;
    const every = /^@every\s+(\S+)$/i.exec(text);
    if (every && /^(\d+(ms|s|m|h))+$/.test(every[1]!)) return undefined;
    return `"${text}" is not one of ${[...SHORTHANDS].join(', ')} or "@every <duration>" such as "@every 12h"`;
  }
  if (/^CRON_TZ=|^TZ=/i.test(text)) return 'a time zone prefix is not supported here; pass it with --timezone instead';
  const parts = text.split(/\s+/);
  const layout = parts.length === 5 ? [MINUTE, HOUR, DAY, MONTH, WEEKDAY] : parts.length === 6 ? [SECOND, MINUTE, HOUR, DAY, MONTH, WEEKDAY] : parts.length === 7 ? [SECOND, MINUTE, HOUR, DAY, MONTH, WEEKDAY, YEAR] : undefined;
  if (!layout) return `it has ${parts.length} field(s); give 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * SUN"`;
  for (let i = 0; i < layout.length; i++) {
    const problem = fieldProblem(parts[i]!, layout[i]!);
    if (problem) return problem;
  }
  return undefined;
}

function fieldProblem(raw: string, f: Field): string | undefined {
  for (const item of raw.split(',')) {
    if (item === '') return `the ${f.name} field "${raw}" has an empty list item`;
    if (item === '?' && f.question) continue;
    const [range, step, extra] = item.split('/');
    if (extra !== undefined) return `the ${f.name} field "${raw}" has more than one "/"`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) return `the ${f.name} field "${raw}" has step "${step}"; a step is a whole number from 1 up`;
    if (range === '*') continue;
    const bounds = range!.split('-');
    if (bounds.length > 2) return `the ${f.name} field "${raw}" has a malformed range "${range}"`;
    const values: number[] = [];
    for (const b of bounds) {
      const v = valueOf(b, f);
      if (v === undefined) return `the ${f.name} field "${raw}" has "${b}", which is not a number${f.names ? ` or one of ${f.names.join(', ')}` : ''}`;
      if (v < f.min || v > f.max) return `the ${f.name} field "${b}" is out of range ${f.min}-${f.max}`;
      values.push(v);
    }
    if (values.length === 2 && values[0]! > values[1]!) return `the ${f.name} field "${raw}" has a range that ends before it starts`;
  }
  return undefined;
}

function valueOf(token: string, f: Field): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const i = f.names?.indexOf(token.toUpperCase()) ?? -1;
  return i >= 0 ? i + (f === MONTH ? 1 : 0) : undefined;
}
