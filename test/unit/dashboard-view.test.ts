/**
 * The dashboard's view of a progress snapshot: the grid (every target one square in its wave × region cell,
 * listed by id where the progress lists it, counted where it does not), the problems with their sentences,
 * the bounds that keep a 10,000-target view small, and the page script itself (it parses, and it knows every
 * square state the server sends).
 */
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../src/client';
import type { InstanceResult, RolloutProgress } from '../../src/contracts/rollout';
import { APP_JS } from '../../src/api/dashboard/assets/app-js';
import { ASSETS } from '../../src/api/dashboard/assets';
import { buildGrid, buildView, detailFor, FULL_DETAIL_LIMIT, ISSUES_SHOWN, SQUARE_CODES, type DashboardGrid } from '../../src/api/dashboard/view';
import { instanceId, syntheticProgress } from './dashboard-fixtures';

const status = (progress: RolloutProgress, executionStatus: RolloutStatus['executionStatus'] = 'RUNNING'): RolloutStatus => ({ workflowId: progress.rolloutId, runId: 'run-1', executionStatus, progress });
const squares = (g: DashboardGrid): number => g.rows.reduce((n, r) => n + r.cells.reduce((m, c) => m + c.states.length, 0), 0);
const count = (g: DashboardGrid, code: string): number => g.rows.reduce((n, r) => n + r.cells.reduce((m, c) => m + [...c.states].filter((s) => s === code).length, 0), 0);

describe('grid', () => {
  it('puts every target of one-region waves in its cell, by id, coloured by its state', () => {
    const p = syntheticProgress({ regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 10, waves: 2, done: 7, inFlight: 3, failEvery: 4, listed: 'all' });
    const g = buildGrid(p, 'all');
    expect(g.regions).toEqual(['cn-hangzhou', 'cn-shanghai']);
    expect(g.rows.map((r) => [r.wave, r.cells.map((c) => c.region)])).toEqual([
      [1, ['cn-hangzhou']],
      [2, ['cn-hangzhou']],
      [3, ['cn-shanghai']],
      [4, ['cn-shanghai']],
    ]);
    // Wave 1 (5 targets): 3 restarted, 1 failed (the 4th), then the 5th restarted; finished first, then in flight.
    expect(g.rows[0]!.cells[0]!.states).toBe('RRRRF');
    expect(g.rows[1]!.cells[0]!.states).toBe('RRrrr');
    expect(g.rows[2]!.cells[0]!.states).toBe('ppppp');
    expect(squares(g)).toBe(20);
    // Every square of a reached target carries its id; the failed one is marked down.
    const w1 = g.rows[0]!.cells[0]!;
    expect(w1.ids).toEqual([instanceId(0, 0), instanceId(0, 1), instanceId(0, 2), instanceId(0, 4), instanceId(0, 3)]);
    expect(w1.down).toEqual([4]);
    expect(g.rows[1]!.cells[0]!.ids.slice(2)).toEqual([instanceId(0, 7), instanceId(0, 8), instanceId(0, 9)]);
    expect(g.rows[2]!.cells[0]!.ids).toEqual(['', '', '', '', '']);
  });

  it('places the not-yet-reached targets of a wave across regions in their own region, from the per-region counts', () => {
    const p = syntheticProgress({ regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 6, waves: 2, parallel: true, done: 2, inFlight: 2, listed: 'all' });
    const g = buildGrid(p, 'all');
    const wave1 = g.rows[0]!;
    expect(wave1.cells.map((c) => c.region)).toEqual(['cn-hangzhou', 'cn-shanghai']);
    expect(wave1.cells[0]!.states).toBe('RRr');
    expect(wave1.cells[1]!.states).toBe('rpp');
    expect(g.rows[1]!.cells.map((c) => [c.region, c.states])).toEqual([
      ['cn-hangzhou', 'ppp'],
      ['cn-shanghai', 'ppp'],
    ]);
    expect(squares(g)).toBe(12);
  });

  it('without per-region counts (an older worker) the unplaced targets of a multi-region wave get a cell of their own', () => {
    const p = syntheticProgress({ regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 6, waves: 2, parallel: true, done: 2, inFlight: 2, listed: 'all' });
    for (const w of p.waves) delete w.byRegion;
    const wave1 = buildGrid(p, 'all').rows[0]!;
    expect(wave1.cells.map((c) => c.region)).toEqual(['cn-hangzhou', 'cn-shanghai', null]);
    expect(wave1.cells[2]!.states).toBe('pp');
  });

  it('marks instances that hold a slot, waits for windows and omitted in-flight restarts', () => {
    const p = syntheticProgress({ regions: ['cn-hangzhou'], perRegion: 6, waves: 1, done: 1, inFlight: 1, listed: 'all' });
    p.blocked = { sinceMs: 1, stopsAtMs: 2, holders: [{ region: 'cn-hangzhou', instanceId: instanceId(0, 5), status: 'stopped', reason: 'down before its turn (stopped)' }] };
    p.awaitingWindow = [{ region: 'cn-hangzhou', instanceId: instanceId(0, 4), opensAtMs: 5 }];
    p.inFlight.push({ region: 'cn-hangzhou', instanceId: instanceId(0, 3), wave: 1, state: 'waiting', sinceMs: 1, waitCause: 'busy' });
    p.inFlightOmitted = 1;
    const cell = buildGrid(p, 'all').rows[0]!.cells[0]!;
    expect(cell.states).toBe('Rrrwop');
    expect(cell.ids).toEqual([instanceId(0, 0), instanceId(0, 1), '', instanceId(0, 3), instanceId(0, 4), instanceId(0, 5)]);
    expect(cell.down).toEqual([3, 5]);
  });

  it('above 2,000 targets counts clean restarts per wave, lists problems, and stays small at 10,000', () => {
    expect(detailFor(FULL_DETAIL_LIMIT)).toBe('all');
    expect(detailFor(FULL_DETAIL_LIMIT + 1)).toBe('problems');
    expect(detailFor(undefined)).toBe('problems');
    const p = syntheticProgress({ regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 5_000, waves: 10, done: 6_000, inFlight: 500, failEvery: 97, listed: 'problems' });
    const started = performance.now();
    const view = buildView(status(p), 'problems', 1);
    const ms = performance.now() - started;
    const g = view.grid;
    expect(squares(g)).toBe(10_000);
    expect(count(g, 'F')).toBe(p.counts.failed);
    expect(count(g, 'R')).toBe(p.counts.restarted);
    expect(count(g, 'r')).toBe(500);
    expect(count(g, 'p')).toBe(10_000 - 6_000 - 500);
    // Clean restarts are counted (no id); failures carry theirs, and so do the 200 in-flight restarts listed.
    const cells = g.rows.flatMap((r) => r.cells);
    expect(cells.every((c) => [...c.states].every((s, i) => (s === 'F' ? c.ids[i] !== '' : s === 'R' || s === 'p' ? c.ids[i] === '' : true)))).toBe(true);
    expect(cells.reduce((n, c) => n + [...c.states].filter((s, i) => s === 'r' && c.ids[i] !== '').length, 0)).toBe(200);
    const bytes = JSON.stringify(view).length;
    expect(bytes).toBeLessThan(200 * 1024);
    expect(ms).toBeLessThan(500);
    expect(view.issues.length).toBe(Math.min(ISSUES_SHOWN, p.counts.failed));
    expect(view.progress).not.toHaveProperty('instances');
  });

  it('lists every finished target up to 2,000 and fills a big completed report from its counts', () => {
    const small = syntheticProgress({ regions: ['cn-hangzhou'], perRegion: 2_000, waves: 4, done: 2_000, listed: 'all' });
    const g = buildView(status(small, 'COMPLETED'), 'all', 1).grid;
    expect(count(g, 'R')).toBe(2_000);
    expect(g.rows.every((r) => r.cells.every((c) => c.ids.every((id) => id !== '')))).toBe(true);

    // A big report lists problems and its never-started targets compactly by reason.
    const big = syntheticProgress({ regions: ['cn-hangzhou'], perRegion: 3_000, waves: 3, done: 1_000, listed: 'problems' });
    for (const w of big.waves.slice(1)) {
      w.done = w.size;
      w.status = 'not_started';
    }
    const report = { ...big, phase: 'stopped_budget' as const, finishedAtMs: 9, notStarted: [{ reason: 'budget' as const, instances: Array.from({ length: 2_000 }, (_, i): [string, string] => ['cn-hangzhou', instanceId(0, 1_000 + i)]) }] };
    const view = buildView(status(report, 'COMPLETED'), 'problems', 1);
    expect(view.final).toBe(true);
    expect(count(view.grid, 'N')).toBe(2_000);
    expect(count(view.grid, 'R')).toBe(1_000);
    expect(view.notStarted).toEqual({ budget: 2_000 });
  });
});

describe('view', () => {
  const result = (id: string, outcome: InstanceResult['outcome'], extra: Partial<InstanceResult> = {}): InstanceResult => ({ region: 'cn-hangzhou', instanceId: id, wave: 1, outcome, detail: `${outcome} sentence`, ...extra });

  it('lists problems worst first with their sentences, counts the rest, and caps the list', () => {
    const p = syntheticProgress({ regions: ['cn-hangzhou'], perRegion: 4, waves: 1, done: 0, listed: 'all' });
    p.instances = [
      result('c-000000000000000a', 'skipped'),
      result('c-000000000000000b', 'restarted'),
      result('c-000000000000000c', 'restarted', { adopted: true }),
      result('c-000000000000000d', 'not_started', { notStartedReason: 'budget' }),
      result('c-000000000000000e', 'unknown'),
      result('c-000000000000000f', 'failed', { failure: 'confirm_timeout' }),
      result('c-0000000000000010', 'not_started', { notStartedReason: 'window', stillDown: true }),
    ];
    const v = buildView(status(p), 'all', 7);
    expect(v.issues.map((r) => r.instanceId)).toEqual(['c-000000000000000f', 'c-000000000000000e', 'c-0000000000000010', 'c-000000000000000a', 'c-000000000000000c']);
    expect(v.issues[0]!.detail).toBe('failed sentence');
    expect(v.notStarted).toEqual({ budget: 1, window: 1 });
    expect(v).toMatchObject({ rolloutId: p.rolloutId, runId: 'run-1', executionStatus: 'RUNNING', atMs: 7, final: false, issuesOmitted: 0 });

    p.instances = Array.from({ length: ISSUES_SHOWN + 25 }, (_, i) => result(instanceId(9, i), 'failed'));
    const capped = buildView(status(p), 'all', 7);
    expect(capped.issues.length).toBe(ISSUES_SHOWN);
    expect(capped.issuesOmitted).toBe(25);
  });

  it('shows a workflow that failed without progress as its sentence and an empty grid', () => {
    const v = buildView({ workflowId: 'starwave-rollout-x', runId: 'r', executionStatus: 'FAILED', failure: 'The rollout spec is invalid.' }, 'problems', 1);
    expect(v).toMatchObject({ final: true, failure: 'The rollout spec is invalid.', issues: [], grid: { rows: [], regions: [] } });
    expect(v.progress).toBeUndefined();
  });
});

describe('the page script', () => {
  it('parses, and knows every square state the server sends (legend and colours)', () => {
    expect(() => new Script(APP_JS, { filename: 'app.js' })).not.toThrow();
    const legend = /var LEGEND_ORDER = '([^']+)'/.exec(APP_JS)?.[1] ?? '';
    const codes = Object.values(SQUARE_CODES);
    expect([...legend].sort()).toEqual([...codes].sort());
    for (const code of codes) {
      expect(APP_JS, `colour of ${code}`).toMatch(new RegExp(`\\b${code}: \\['[^']+', '#[0-9a-f]{6}'\\]`));
      expect(ASSETS['app.css']!.body, `legend style of ${code}`).toContain(`.c-${code} {`);
    }
  });

  it('sends the token only as a header and keeps it in sessionStorage, never in a URL or cookie', () => {
    expect(APP_JS).toContain("h.authorization = 'Bearer ' + t");
    expect(APP_JS).toContain('sessionStorage.setItem(TOKEN_KEY');
    expect(APP_JS).not.toMatch(/document\.cookie|localStorage|[?&]token=/);
    expect(APP_JS).toContain("credentials: 'omit'");
  });

  it('stays a few kilobytes on the wire', () => {
    expect(ASSETS['app.js']!.gzip.length).toBeLessThan(12 * 1024);
    expect(ASSETS['app.css']!.gzip.length).toBeLessThan(4 * 1024);
  });
});
