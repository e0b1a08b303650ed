/**
 * What the dashboard shows of one rollout, built on the server from the progress query so the browser gets a
 * small, bounded document however large the rollout is: the progress without its per-instance list, the
 * problems with their sentences (at most {@link ISSUES_SHOWN}), not-started counts by reason, and the grid —
 * every target as one square (a character in a string) in its wave × region cell, coloured by state.
 *
 * What the progress query says about each target decides what the grid can say: targets that finished (with
 * `detail: all`, or only the ones that did not restart cleanly with `problems`), those in flight, waiting for
 * their window or holding a slot are listed by id; the rest are counted per wave (WaveSummary). Counted squares
 * carry no id, and in a wave that spans several regions they sit in a cell of their own (`region: null`),
 * because the progress does not say which region they are in. Rollouts above {@link FULL_DETAIL_LIMIT} targets
 * are read with `problems` (the `all` answer at 10,000 targets is megabytes), so their clean restarts are counted.
 *
 * Pure.
 */
import type { RolloutStatus } from '../../client';
import type { InstanceResult, NotStartedReason, RolloutProgress, RolloutReport, WaveStatus } from '../../contracts/rollout';

/** Rollouts up to this many targets are read with `detail: all` (every finished target listed by id). */
export const FULL_DETAIL_LIMIT = 2_000;
/** Problem instances listed with their sentences at most (the rest are counted). */
export const ISSUES_SHOWN = 200;

/** One character per square: what state the target is in. */
export const SQUARE_CODES = {
  restarted: 'R',
  failed: 'F',
  unknown: 'U',
  skipped: 'S',
  deferred: 'D',
  not_started: 'N',
  checking: 'H',
  restarting: 'r',
  launching: 'l',
  waiting: 'w',
  window: 'o',
  pending: 'p',
} as const;
export type SquareState = keyof typeof SQUARE_CODES;
/** Squares are drawn in this order inside a cell: finished first, then in flight, then not reached. */
export const SQUARE_ORDER: readonly SquareState[] = ['restarted', 'failed', 'unknown', 'skipped', 'deferred', 'not_started', 'checking', 'restarting', 'launching', 'waiting', 'window', 'pending'];
const RANK = new Map<SquareState, number>(SQUARE_ORDER.map((s, i) => [s, i]));
const FINISHED: ReadonlySet<SquareState> = new Set(['restarted', 'failed', 'unknown', 'skipped', 'deferred', 'not_started']);

export interface GridCell {
  /** The region, or null for counted squares of a wave spanning several regions. */
  region: string | null;
  /** One {@link SQUARE_CODES} character per target. */
  states: string;
  /** Instance id per square ('' for a counted square), aligned with `states`. */
  ids: string[];
  /** Indices of squares whose instance is down and holds a slot (waiting, still down, blocking). */
  down: number[];
}

export interface GridRow {
  wave: number;
  status: WaveStatus;
  size: number;
  cells: GridCell[];
}

export interface DashboardGrid {
  regions: string[];
  rows: GridRow[];
  /** Which detail the squares came from: `all` lists every finished target, `problems` counts clean restarts. */
  listed: 'all' | 'problems';
}

export interface DashboardView {
  rolloutId: string;
  runId: string;
  executionStatus: string;
  /** Why the workflow itself failed (it then has no progress). */
  failure?: string;
  /** When `starwave serve` built this view (epoch ms), to correct durations for clock differences. */
  atMs: number;
  /** The run has closed: no further views will come. */
  final: boolean;
  progress?: Omit<RolloutProgress, 'instances' | 'instancesOmitted'>;
  /** Instances that did not restart cleanly, worst first, with their sentences. */
  issues: InstanceResult[];
  issuesOmitted: number;
  notStarted: Partial<Record<NotStartedReason, number>>;
  grid: DashboardGrid;
}

interface Square {
  id: string;
  state: SquareState;
  down: boolean;
}

const byRankThenId = (a: Square, b: Square): number => RANK.get(a.state)! - RANK.get(b.state)! || (a.id === '' ? 1 : 0) - (b.id === '' ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function cellOf(region: string | null, squares: Square[]): GridCell {
  squares.sort(byRankThenId);
  let states = '';
  const ids: string[] = [];
  const down: number[] = [];
  squares.forEach((s, i) => {
    states += SQUARE_CODES[s.state];
    ids.push(s.id);
    if (s.down) down.push(i);
  });
  return { region, states, ids, down };
}

/** The grid of a progress snapshot (see the module comment for what is listed and what is counted). */
export function buildGrid(p: RolloutProgress, listed: 'all' | 'problems'): DashboardGrid {
  const regions: string[] = [];
  for (const w of p.waves) for (const r of w.regions) if (!regions.includes(r)) regions.push(r);
  const known = new Map<string, { region: string; wave: number; state: SquareState; down: boolean }>();
  for (const r of p.instances) known.set(r.instanceId, { region: r.region, wave: r.wave, state: r.outcome, down: r.stillDown === true });
  for (const f of p.inFlight) known.set(f.instanceId, { region: f.region, wave: f.wave, state: f.state, down: f.state === 'waiting' });
  const current = p.currentWave;
  if (current !== undefined) {
    for (const a of p.awaitingWindow ?? []) if (!known.has(a.instanceId)) known.set(a.instanceId, { region: a.region, wave: current, state: 'window', down: false });
  }
  for (const h of p.blocked?.holders ?? []) {
    const k = known.get(h.instanceId);
    if (k) k.down = true;
    else if (current !== undefined) known.set(h.instanceId, { region: h.region, wave: current, state: 'pending', down: true });
  }
  const byWave = new Map<number, Array<{ id: string; region: string; state: SquareState; down: boolean }>>();
  for (const [id, k] of known) {
    const list = byWave.get(k.wave) ?? [];
    list.push({ id, region: k.region, state: k.state, down: k.down });
    byWave.set(k.wave, list);
  }

  const rows: GridRow[] = p.waves.map((w) => {
    const mine = byWave.get(w.number) ?? [];
    const perRegion = new Map<string, Square[]>(w.regions.map((r) => [r, []]));
    for (const s of mine) {
      const list = perRegion.get(s.region) ?? [];
      if (!perRegion.has(s.region)) perRegion.set(s.region, list);
      list.push({ id: s.id, state: s.state, down: s.down });
    }
    const omittedInFlight = w.number === current ? Math.max(0, p.inFlightOmitted ?? 0) : 0;
    // Counted squares: what the counts say beyond what is listed — per region when the wave spans several
    // (the progress gives their counts per region), else for the wave's one region.
    const single = w.regions.length === 1 ? w.regions[0]! : undefined;
    const cells: GridCell[] = [];
    if (single !== undefined || !w.byRegion) {
      const counted = countedSquares(w, mine, omittedInFlight);
      if (single !== undefined) perRegion.get(single)!.push(...counted);
      cells.push(...[...perRegion].map(([region, squares]) => cellOf(region, squares)));
      if (single === undefined && counted.length > 0) cells.push(cellOf(null, counted));
    } else {
      // Omitted in-flight restarts (a very large wave) are not placed by region: they show as pending.
      for (const [region, squares] of perRegion) {
        const c = w.byRegion[region];
        if (c) squares.push(...countedSquares(c, squares, 0));
        cells.push(cellOf(region, squares));
      }
    }
    return { wave: w.number, status: w.status, size: w.size, cells };
  });
  return { regions, rows, listed };
}

/** Squares for the targets `counts` has beyond the `listed` ones: restarted, failed, other outcomes, in flight, pending. */
function countedSquares(counts: { size: number; restarted: number; failed: number; done: number }, listed: ReadonlyArray<{ state: SquareState }>, omittedInFlight: number): Square[] {
  let restarted = 0;
  let failed = 0;
  let otherDone = 0;
  let active = 0;
  for (const s of listed) {
    if (s.state === 'restarted') restarted++;
    else if (s.state === 'failed') failed++;
    else if (FINISHED.has(s.state)) otherDone++;
    else active++;
  }
  const counted: Square[] = [];
  const add = (state: SquareState, n: number): void => {
    for (let i = 0; i < n; i++) counted.push({ id: '', state, down: false });
  };
  add('restarted', Math.max(0, counts.restarted - restarted));
  add('failed', Math.max(0, counts.failed - failed));
  add('not_started', Math.max(0, counts.done - counts.restarted - counts.failed - otherDone));
  add('restarting', omittedInFlight);
  add('pending', Math.max(0, counts.size - Math.max(counts.done, restarted + failed + otherDone) - active - omittedInFlight));
  return counted;
}

const ISSUE_RANK: Record<string, number> = { failed: 0, unknown: 1, skipped: 3, deferred: 4, not_started: 5, restarted: 6 };
const issueRank = (r: InstanceResult): number => (r.stillDown && r.outcome !== 'failed' ? 2 : (ISSUE_RANK[r.outcome] ?? 7));

/** Is this result worth a line with its sentence? (Clean restarts and plain not-started are counted instead.) */
export function isIssue(r: InstanceResult): boolean {
  if (r.outcome === 'restarted') return r.adopted === true || r.waited !== undefined || r.restartNotObserved === true;
  if (r.outcome === 'not_started') return r.stillDown === true;
  return true;
}

/** The dashboard's view of a status (see the module comment). `listed` is the detail the progress was read with. */
export function buildView(status: RolloutStatus, listed: 'all' | 'problems', atMs: number): DashboardView {
  const p = status.progress as (RolloutProgress & Partial<Pick<RolloutReport, 'notStarted'>>) | undefined;
  const base = {
    rolloutId: status.workflowId,
    runId: status.runId,
    executionStatus: status.executionStatus,
    ...(status.failure ? { failure: status.failure } : {}),
    atMs,
    final: status.executionStatus !== 'RUNNING',
  };
  if (!p) return { ...base, issues: [], issuesOmitted: 0, notStarted: {}, grid: { regions: [], rows: [], listed } };
  const { instances, instancesOmitted: _omitted, notStarted: compact, ...summary } = p;
  const problems = instances.filter(isIssue).sort((a, b) => issueRank(a) - issueRank(b) || a.wave - b.wave || (a.instanceId < b.instanceId ? -1 : 1));
  const notStarted: Partial<Record<NotStartedReason, number>> = {};
  for (const r of instances) if (r.outcome === 'not_started') notStarted[r.notStartedReason ?? 'failed'] = (notStarted[r.notStartedReason ?? 'failed'] ?? 0) + 1;
  for (const group of compact ?? []) notStarted[group.reason] = (notStarted[group.reason] ?? 0) + group.instances.length;
  return {
    ...base,
    progress: summary,
    issues: problems.slice(0, ISSUES_SHOWN),
    issuesOmitted: Math.max(0, problems.length - ISSUES_SHOWN),
    notStarted,
    grid: buildGrid(p, listed),
  };
}

/** Which detail to read a rollout's progress with, from its number of targets (unknown → the small one). */
export function detailFor(targets: number | undefined): 'all' | 'problems' {
  return targets !== undefined && targets <= FULL_DETAIL_LIMIT ? 'all' : 'problems';
}
