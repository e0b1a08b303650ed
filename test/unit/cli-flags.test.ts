/** Pure flag parsing, spec-file reading and exit-code mapping of the CLI (no Temporal, no processes). */
import { describe, expect, it } from 'vitest';
import { CliError, EXIT, toCliError } from '../../src/cli/errors';
import { parseCalendar, parseCron, parseDurationSeconds, parsePositiveInt, parseSetFlags, parseSize, parseTimezone } from '../../src/cli/flags';
import { loadSpecFile } from '../../src/cli/spec-file';
import { readFileSync } from 'node:fs';
import { SpecValidationError } from '../../src/planning/spec';
import { TemporalUnreachableError } from '../../src/worker/temporal';

const fails = (fn: () => unknown, pattern: RegExp): void => {
  expect(fn).toThrow(CliError);
  expect(fn).toThrow(pattern);
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

  it('parses window durations, cron, calendars and time zones', () => {
    expect(parseDurationSeconds('--window', '90')).toBe(90);
    expect(parseDurationSeconds('--window', '2h')).toBe(7200);
    expect(parseDurationSeconds('--window', '1h30m')).toBe(5400);
    fails(() => parseDurationSeconds('--window', '0s'), /--window must be a duration/);
    fails(() => parseDurationSeconds('--window', 'soon'), /--window/);
    expect(parseCron('0 2 * * SUN')).toBe('0 2 * * SUN');
    fails(() => parseCron('0 2 *'), /--cron must have 5 fields/);
    expect(parseCalendar('{"dayOfWeek":"SUNDAY","hour":2}')).toEqual([{ dayOfWeek: 'SUNDAY', hour: 2 }]);
    fails(() => parseCalendar('{bad'), /--calendar must be JSON/);
    expect(parseTimezone('Asia/Shanghai')).toBe('Asia/Shanghai');
    fails(() => parseTimezone('Mars/Olympus'), /--timezone must be an IANA time zone/);
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
    const err = (() => {
      try {
        loadSpecFile('spec.json', () => text);
      } catch (e) {
        return e as CliError;
      }
      throw new Error('no error');
    })();
    expect(err.exitCode).toBe(EXIT.invalidInput);
    expect(err.message).toContain('- name:');
    expect(err.message).toContain('- targets:');
    expect(err.message).toContain('- waves.sizes.0:');
    expect(err.message).toContain('Nothing was started.');
  });

  it('reports unreadable and unparsable files with exit 2', () => {
    expect(() => loadSpecFile('/nonexistent/spec.yaml')).toThrow(/Cannot read the spec file \/nonexistent\/spec.yaml \(no such file\)/);
    expect(() => loadSpecFile('x.yaml', () => 'a: [1, 2')).toThrow(/x.yaml is not valid JSON or YAML/);
    expect(() => loadSpecFile('x.json', () => '{"a":')).toThrow(/x.json is not valid JSON or YAML/);
    expect(readFileSync('examples/rollout.yaml', 'utf8')).toMatch(/^# /);
  });
});

describe('exit codes', () => {
  it('maps errors to 2 (input), 3 (unreachable) and 1 (other)', () => {
    expect(toCliError(new SpecValidationError([{ path: 'name', message: 'bad' }])).exitCode).toBe(2);
    expect(toCliError(new TemporalUnreachableError('x:1', new Error('refused'))).exitCode).toBe(3);
    expect(toCliError(new Error('boom')).exitCode).toBe(1);
  });
});
