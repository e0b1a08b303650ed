/** Pure flag parsing, cron checking and spec-file reading of the CLI (no Temporal, no processes). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StarwaveError } from '../../src/contracts/errors';
import { cronProblem } from '../../src/cli/cron';
import {
  parseCalendar,
  parseCron,
  parseDurationSeconds,
  parseInstanceId,
  parseIsoTime,
  parsePositiveInt,
  parseRunFilter,
  parseSetFlags,
  parseSize,
  parseTimezone,
} from '../../src/cli/flags';
import { loadSpecFile } from '../../src/cli/spec-file';

/** Throws a StarwaveError with exit code 2 whose message matches. */
const fails = (fn: () => unknown, pattern: RegExp): void => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StarwaveError);
  expect((caught as StarwaveError).exitCode).toBe(2);
  expect((caught as StarwaveError).message).toMatch(pattern);
};

describe('CLI flag parsing', () => {
  it('parses whole numbers with bounds and names the flag when wrong', () => {
    expect(parsePositiveInt('--wave', '3')).toBe(3);
    fails(() => parsePositiveInt('--wave', '0'), /^--wave must be a whole number from 1 up, got "0"\.$/);
    fails(() => parsePositiveInt('--wave', '2.5'), /--wave/);
    fails(() => parsePositiveInt('--port', '70000', { min: 0, max: 65_535 }), /--port must be a whole number from 0 to 65535/);
  });

  it('parses sizes as counts or percentages', () => {
    expect(parseSize('--concurrency', '4', { positive: true })).toBe(4);
    expect(parseSize('--concurrency', '10%', { positive: true })).toBe('10%');
    expect(parseSize('--budget', '0', { positive: false })).toBe(0);
    fails(() => parseSize('--concurrency', '0', { positive: true }), /--concurrency must be a number of at least 1/);
    fails(() => parseSize('--budget', '-1', { positive: false }), /--budget/);
    fails(() => parseSize('--budget', '120%', { positive: false }), /--budget/);
  });

  it('turns set flags into a limits patch and requires at least one', () => {
    expect(parseSetFlags({ concurrency: '3', perRegion: '1', budget: '2', waveBudget: '10%' })).toEqual({
      concurrency: { global: 3, perRegion: 1 },
      failureBudget: { total: 2, perWave: '10%' },
    });
    expect(parseSetFlags({ budget: '1' })).toEqual({ failureBudget: { total: 1 } });
    fails(() => parseSetFlags({}), /at least one of --concurrency/);
    fails(() => parseSetFlags({ perRegion: 'many' }), /--per-region/);
  });

  it('parses durations, calendars, time zones, instance ids and times', () => {
    expect(parseDurationSeconds('--window', '90')).toBe(90);
    expect(parseDurationSeconds('--window', '2h')).toBe(7200);
    expect(parseDurationSeconds('--window', '1h30m')).toBe(5400);
    expect(parseDurationSeconds('--timeout', '1d')).toBe(86_400);
    fails(() => parseDurationSeconds('--window', '0s'), /--window must be a duration/);
    fails(() => parseDurationSeconds('--window', 'soon'), /--window/);
    expect(parseCalendar('{"dayOfWeek":"SUNDAY","hour":2}')).toEqual([{ dayOfWeek: 'SUNDAY', hour: 2 }]);
    fails(() => parseCalendar('{bad'), /--calendar must be JSON/);
    expect(parseTimezone('Asia/Shanghai')).toBe('Asia/Shanghai');
    fails(() => parseTimezone('Mars/Olympus'), /--timezone must be an IANA time zone/);
    expect(parseInstanceId('<instance>', 'c-b25e21e24388abcd')).toBe('c-b25e21e24388abcd');
    fails(() => parseInstanceId('<instance>', 'i-123'), /<instance> must be an instance id/);
    expect(parseIsoTime('--not-after', '2026-12-01T06:00:00Z')).toBe('2026-12-01T06:00:00Z');
    fails(() => parseIsoTime('--not-after', 'tomorrow'), /--not-after must be an ISO-8601/);
  });

  it('accepts every outcome and live state as a list filter', () => {
    for (const s of ['running', 'completed', 'stopped_budget', 'stopped_window', 'stopped_stalled', 'cancelled', 'failed', 'paused', 'awaiting_approval', 'cancelling']) {
      expect(parseRunFilter(s)).toBe(s);
    }
    expect(parseRunFilter('stopped-budget')).toBe('stopped_budget');
    fails(() => parseRunFilter('done'), /--status must be one of running, completed, stopped_budget/);
  });
});

describe('cron expressions', () => {
  it('accepts what Temporal schedules accept', () => {
    for (const ok of ['0 2 * * SUN', '*/15 0-6 * * MON-FRI', '0 2 1,15 * ?', '30 1 * JAN-MAR 0', '0 0 2 * * SUN', '0 0 2 * * SUN 2027', '@daily', '@every 12h', '0 2 * * 7']) {
      expect(cronProblem(ok), ok).toBeUndefined();
    }
  });

  it('names the field, its value and its range', () => {
    expect(cronProblem('0 25 * * *')).toBe('the hour field "25" is out of range 0-23');
    expect(cronProblem('61 2 * * *')).toBe('the minute field "61" is out of range 0-59');
    expect(cronProblem('0 2 32 * *')).toBe('the day-of-month field "32" is out of range 1-31');
    expect(cronProblem('0 2 * 13 *')).toBe('the month field "13" is out of range 1-12');
    expect(cronProblem('0 2 * * FUNDAY')).toMatch(/the day-of-week field "FUNDAY" has "FUNDAY", which is not a number or one of SUN, MON/);
    expect(cronProblem('0 2 *')).toMatch(/it has 3 field\(s\); give 5/);
    expect(cronProblem('0 5-2 * * *')).toMatch(/range that ends before it starts/);
    expect(cronProblem('*/0 * * * *')).toMatch(/step "0"/);
    expect(cronProblem('@sometimes')).toMatch(/is not one of @yearly/);
    expect(cronProblem('CRON_TZ=Asia/Shanghai 0 2 * * *')).toMatch(/--timezone/);
  });

  it('turns a bad --cron into one sentence with exit code 2', () => {
    expect(parseCron(' 0 2 * * SUN ')).toBe('0 2 * * SUN');
    fails(() => parseCron('0 25 * * *'), /^--cron "0 25 \* \* \*" is not a valid cron expression: the hour field "25" is out of range 0-23\.$/);
  });
});

describe('spec files', () => {
  it('reads the annotated example (YAML) as a valid spec', () => {
    const spec = loadSpecFile('examples/rollout.yaml');
    expect(spec.name).toBe('nightly-hangzhou');
    expect(spec.waves.sizes).toEqual([1, '25%', '100%']);
  });

  it('lists every problem by path and says nothing was started', () => {
    const text = JSON.stringify({ name: 'Bad', targets: {}, waves: { sizes: [0] } });
    let err: StarwaveError | undefined;
    try {
      loadSpecFile('spec.json', () => text);
    } catch (e) {
      err = e as StarwaveError;
    }
    expect(err?.exitCode).toBe(2);
    expect(err?.code).toBe('ERR_SPEC_INVALID');
    expect(err?.message).toContain('- name:');
    expect(err?.message).toContain('- targets:');
    expect(err?.message).toContain('- waves.sizes.0:');
    expect(err?.message).toContain('Nothing was started.');
  });

  it('reports unreadable and unparsable files with exit 2', () => {
    expect(() => loadSpecFile('/nonexistent/spec.yaml')).toThrow(/Cannot read the spec file \/nonexistent\/spec.yaml \(no such file\)/);
    expect(() => loadSpecFile('x.yaml', () => 'a: [1, 2')).toThrow(/x.yaml is not valid JSON or YAML/);
    expect(() => loadSpecFile('x.json', () => '{"a":')).toThrow(/x.json is not valid JSON or YAML/);
    expect(readFileSync('examples/rollout.yaml', 'utf8')).toMatch(/^# /);
  });
});
