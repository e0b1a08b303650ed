/**
 * The benchmark's scenarios and how one runs: an emulator fleet per scenario, starwave (one or more
 * variants: spec options, runtime, worker tuning) and the baselines on identical fleets, every figure
 * from the emulator's record and /proc.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DurationDistribution } from '../src/emulator/schemas';
import type { Emulator, EmulatorRecord } from '../src/emulator';
import type { RolloutReport } from '../src/contracts/rollout';
import type { RolloutSpecInput } from '../src/contracts/spec';
import { fixedBatches, perInstancePolling } from './baselines';
import { describeRuntime, type WorkerRuntime } from './build';
import {
  ROOT,
  callsPerInstance,
  collectExecutions,
  connectTemporal,
  exactlyOnce,
  firstRestartAtMs,
  listScheduleMs,
  lowerBoundMs,
  makeFleet,
  makespanFromRecord,
  orchestrationOverhead,
  readsPerInstance,
  reportWaves,
  specConcurrency,
  startFleetEmulator,
  startRollout,
  uniqueSuffix,
  withRestartHistory,
  workflowTaskTimes,
  type Fleet,
  type WorkflowTaskTimes,
} from './harness';
import { spawnWorker, type WorkerTuning } from './workers';

export interface StarwaveVariant {
  /** Shown in the table, e.g. "longest first, estimates from history". */
  label: string;
  order?: 'longest_first' | 'listing';
  fromHistory?: boolean;
  /** Default: the run's runtime (compiled unless --runtime tsx). */
  runtime?: 'tsx' | 'compiled';
  tuning?: WorkerTuning;
  /** Run on the workflow bundle with embedded sources, as built before (bench/build.ts bundleWithEmbeddedSources). */
  sourcesBundle?: boolean;
}

export interface Scenario {
  name: string;
  size: number;
  regions: string[];
  duration: DurationDistribution;
  concurrency: number;
  waves: Array<number | string>;
  bakeSeconds: number;
  pollIntervalSeconds: number;
  /** Baselines to run on this fleet too. */
  baselines: boolean | 'polling';
  /** Per-instance medians with noise and a seeded restart history instead of pinned durations. */
  history?: { noiseSigma: number; perInstance: number };
  /** starwave runs on this fleet (default: one, the spec's defaults). */
  variants?: StarwaveVariant[];
  /** Run every variant this many times, round by round (noise shows as the spread between rounds). */
  rounds?: number;
}

export type Runner = 'starwave' | 'per-instance polling' | 'fixed batches';

export interface Row {
  scenario: string;
  size: number;
  duration: string;
  concurrency: number;
  waves: string;
  runner: Runner;
  variant?: string;
  /** 1-based round when a scenario repeats its variants. */
  round?: number;
  runtime?: string;
  ok: boolean;
  error?: string;
  makespanMs: number;
  lowerBoundMs: number;
  ratio: number;
  /** Zero-overhead list schedule in the launch order. */
  listScheduleMs: number;
  /** Zero-overhead list schedule longest first by the durations actually applied (LPT, perfect knowledge). */
  lptScheduleMs: number;
  /** Every read (all calls but restarts) per instance. */
  readsPerInstance: number;
  statusReadsPerInstance: number;
  callsPerInstance: Record<string, number>;
  restartedOnce: number;
  duplicates: number;
  /** From starting the rollout (or the script) to the first restart taking effect. */
  startToFirstRestartMs?: number;
  historyPerInstance?: number;
  maxHistoryPerExecution?: number;
  executions?: number;
  runs?: number;
  /** Reads the rollout counted itself (report.reads) per instance, to compare with the record's. */
  reportedReadsPerInstance?: number;
  workerCpuS?: number;
  workerPeakRssMiB?: number;
  launcherPeakRssMiB?: number;
  overheadMedianMs: number;
  overheadP95Ms: number;
  /** Workflow tasks of the rollout's runs: the longest activation, and tasks that timed out or failed. */
  workflowTasks?: WorkflowTaskTimes;
  /** Targets with an estimate, and the median |estimate − applied duration| ÷ applied duration. */
  estimates?: { count: number; medianErrorPct: number; vsMedianErrorPct: number };
}

type Common = Pick<Row, 'scenario' | 'size' | 'duration' | 'concurrency' | 'waves'>;

const STATUS_READS = ['DescribeInstances', 'ListOperationHistory', 'DescribeNodeGroups'];

/** The figures every runner gets from the emulator's record of one run. */
function recordMeasures(record: EmulatorRecord, ids: readonly string[], waves: readonly (readonly string[])[], concurrencyOf: (size: number) => number, bakeMs: number) {
  const bound = lowerBoundMs(record, waves, concurrencyOf, bakeMs);
  const makespan = makespanFromRecord(record);
  const calls = callsPerInstance(record, ids.length);
  const once = exactlyOnce(record, ids);
  const overhead = orchestrationOverhead(record);
  return {
    once,
    measures: {
      makespanMs: makespan,
      lowerBoundMs: bound,
      ratio: bound ? makespan / bound : 0,
      listScheduleMs: listScheduleMs(record, waves, concurrencyOf, bakeMs),
      lptScheduleMs: listScheduleMs(record, waves, concurrencyOf, bakeMs, 'longest_actual_first'),
      readsPerInstance: readsPerInstance(record, ids.length),
      statusReadsPerInstance: STATUS_READS.reduce((a, k) => a + (calls[k] ?? 0), 0),
      callsPerInstance: calls,
      restartedOnce: once.restartedOnce,
      duplicates: once.duplicates.length,
      overheadMedianMs: overhead.medianMs,
      overheadP95Ms: overhead.p95Ms,
    },
  };
}

export function describeDuration(d: DurationDistribution): string {
  if (d.kind === 'fixed') return `fixed ${d.ms / 1000}s`;
  if (d.kind === 'uniform') return `uniform ${d.minMs / 1000}–${d.maxMs / 1000}s`;
  return `lognormal med ${d.medianMs / 1000}s σ${d.sigma}`;
}

const LONGEST_FIRST: StarwaveVariant = { label: 'longest first, estimates from history' };
const LISTING: StarwaveVariant = { label: 'listing order, no estimates', order: 'listing', fromHistory: false };

export function scenariosFor(sizes: readonly number[], smoke: boolean): Scenario[] {
  if (smoke) {
    return [
      {
        name: 'smoke',
        size: 20,
        regions: ['cn-hangzhou'],
        duration: { kind: 'uniform', minMs: 300, maxMs: 800 },
        concurrency: 5,
        waves: ['100%'],
        bakeSeconds: 0,
        pollIntervalSeconds: 0.2,
        baselines: true,
        history: { noiseSigma: 0.1, perInstance: 5 },
      },
    ];
  }
  const out: Scenario[] = [];
  const two = ['cn-hangzhou', 'cn-shanghai'];
  for (const size of sizes) {
    if (size <= 100) {
      const base = { size, regions: ['cn-hangzhou'], concurrency: 10, waves: ['100%'], bakeSeconds: 0, pollIntervalSeconds: 0.5, baselines: true };
      out.push({ ...base, name: `${size}-fixed`, duration: { kind: 'fixed', ms: 3_000 } });
      out.push({ ...base, name: `${size}-uniform`, duration: { kind: 'uniform', minMs: 1_000, maxMs: 5_000 } });
      out.push({ ...base, name: `${size}-lognormal`, duration: { kind: 'lognormal', medianMs: 3_000, sigma: 0.5 } });
      out.push({ ...base, name: `${size}-lognormal-waves`, duration: { kind: 'lognormal', medianMs: 3_000, sigma: 0.5 }, waves: [1, '10%', '100%'], bakeSeconds: 2, baselines: false });
    } else if (size <= 1_000) {
      const base = { size, regions: two, concurrency: 100, waves: ['100%'], bakeSeconds: 0, pollIntervalSeconds: 0.5, baselines: true };
      const lognormal: DurationDistribution = { kind: 'lognormal', medianMs: 6_000, sigma: 0.5 };
      // Issue 10: each instance its own median (noise σ 0.1 per restart), 5 past restarts each; both orders, one run.
      out.push({ ...base, name: `${size}-lognormal-history`, duration: lognormal, history: { noiseSigma: 0.1, perInstance: 5 }, baselines: 'polling', variants: [LONGEST_FIRST, LISTING] });
      out.push({ ...base, name: `${size}-lognormal`, duration: lognormal });
      out.push({ ...base, name: `${size}-uniform`, duration: { kind: 'uniform', minMs: 3_000, maxMs: 9_000 }, baselines: false });
      // Real restarts take minutes and the default poll is 10 s (D/poll ≈ 30+); this one keeps that ratio.
      out.push({ ...base, name: `${size}-lognormal-poll0.2`, duration: lognormal, pollIntervalSeconds: 0.2, baselines: 'polling' });
      out.push({ ...base, name: `${size}-fixed-c200`, duration: { kind: 'fixed', ms: 5_000 }, concurrency: 200, baselines: false });
    } else {
      // Issue 11's footprint at 10,000: the same rollout on tsx and on compiled code, then compiled with tuning.
      out.push({
        name: `${size}-fixed`,
        size,
        regions: two,
        duration: { kind: 'fixed', ms: 1_000 },
        concurrency: 500,
        waves: [100, '100%'],
        bakeSeconds: 0,
        pollIntervalSeconds: 0.5,
        baselines: false,
        rounds: 2,
        variants: [
          { label: 'tsx, defaults', runtime: 'tsx' },
          { label: 'compiled, defaults', runtime: 'compiled' },
          // As shipped before 2026-12-01: the bundle with embedded sources, Node's semi-space, glibc's arenas
          // (8 per core: 16 on this 2-core machine).
          { label: 'compiled, before (bundle with sources, semi-space 16 MiB, 16 malloc arenas)', runtime: 'compiled', sourcesBundle: true, tuning: { semiSpaceMb: 0, env: { MALLOC_ARENA_MAX: '16', STARWAVE_WORKER_OPTIMIZE_FOR_SIZE: '0' } } },
          { label: 'compiled, semi-space 16 MiB (Node’s)', runtime: 'compiled', tuning: { semiSpaceMb: 0 } },
          { label: 'compiled, semi-space 4 MiB', runtime: 'compiled', tuning: { semiSpaceMb: 4 } },
          { label: 'compiled, without --optimize-for-size', runtime: 'compiled', tuning: { env: { STARWAVE_WORKER_OPTIMIZE_FOR_SIZE: '0' } } },
          { label: 'compiled, 16 malloc arenas (glibc’s)', runtime: 'compiled', tuning: { env: { MALLOC_ARENA_MAX: '16' } } },
          { label: 'compiled, sticky cache 2', runtime: 'compiled', tuning: { maxCachedWorkflows: 2 } },
        ],
      });
    }
  }
  return out;
}

export interface RunContext {
  address: string;
  runtimes: { tsx: WorkerRuntime; compiled: WorkerRuntime };
  defaultRuntime: 'tsx' | 'compiled';
  /** Overrides every scenario's rounds (experiments). */
  rounds?: number;
  /** Only starwave variants whose label contains one of these (experiments). */
  variantFilter?: string[];
  /** The bundle with embedded sources, for variants that ask for it. */
  sourcesBundlePath?: string;
  log: (line: string) => void;
}

/** Median of |estimate − applied| ÷ applied over targets with an estimate (and the same against the true median). */
function estimateErrors(report: RolloutReport | undefined, record: EmulatorRecord, medians: ReadonlyMap<string, number>): Row['estimates'] {
  if (!report) return undefined;
  const applied = new Map(record.restarts.map((r) => [r.instanceId, r.plannedDurationMs]));
  const errs: number[] = [];
  const vsMedian: number[] = [];
  for (const r of report.instances) {
    const a = applied.get(r.instanceId);
    if (r.expectedMs === undefined || !a) continue;
    errs.push(Math.abs(r.expectedMs - a) / a);
    const m = medians.get(r.instanceId);
    if (m) vsMedian.push(Math.abs(r.expectedMs - m) / m);
  }
  if (errs.length === 0) return undefined;
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]! * 100;
  return { count: errs.length, medianErrorPct: med(errs), vsMedianErrorPct: vsMedian.length ? med(vsMedian) : Number.NaN };
}

async function runStarwave(ctx: RunContext, s: Scenario, fleet: Fleet, ids: readonly string[], variant: StarwaveVariant, common: Common): Promise<Row> {
  const emulator: Emulator = await startFleetEmulator(fleet);
  const medians = new Map(emulator.instances().flatMap((i) => (i.restartMedianMs !== undefined ? [[i.instanceId, i.restartMedianMs] as const] : [])));
  const client = await connectTemporal(ctx.address);
  const taskQueue = `bench-${s.name}-${uniqueSuffix()}`;
  const runtime = ctx.runtimes[variant.runtime ?? ctx.defaultRuntime];
  if (variant.sourcesBundle && !ctx.sourcesBundlePath) throw new Error(`${variant.label}: no bundle with embedded sources was built`);
  const tuning: WorkerTuning = { ...variant.tuning, ...(variant.sourcesBundle ? { bundlePath: ctx.sourcesBundlePath! } : {}) };
  const worker = await spawnWorker(runtime, { address: ctx.address, taskQueue, endpoints: emulator.endpoints, logLevel: 'WARN', tuning });
  const spec: RolloutSpecInput = {
    name: `bench-${s.name}`,
    targets: { selectors: [{ regions: s.regions }] },
    regions: { mode: 'parallel' },
    waves: { sizes: s.waves as never, bakeSeconds: s.bakeSeconds, ...(variant.order ? { order: variant.order } : {}) },
    concurrency: { global: s.concurrency },
    instance: { pollIntervalSeconds: s.pollIntervalSeconds, confirmTimeoutSeconds: 600, heartbeatTimeoutSeconds: 10 },
    ...(variant.fromHistory !== undefined ? { estimates: { fromHistory: variant.fromHistory } } : {}),
  };
  let report: RolloutReport | undefined;
  let error: string | undefined;
  const started = Date.now();
  const { handle, rolloutId, spec: parsed } = await startRollout(client, taskQueue, spec);
  try {
    // A worker that dies (out of memory, a crash) would leave the rollout waiting forever: say so instead.
    const died = worker.exited.then((code) => {
      const fatal = worker.logLines.find((l) => /FATAL|out of memory|Error:/.test(l));
      // The whole log next to the results, for the one who debugs it.
      mkdirSync(join(ROOT, '.data', 'bench-logs'), { recursive: true });
      writeFileSync(join(ROOT, '.data', 'bench-logs', `${s.name}-${variant.label.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.log`), worker.logLines.join('\n'));
      throw new Error(`the worker exited (code ${code}) during the rollout${fatal ? `: ${fatal.trim().slice(0, 300)}` : ''}`);
    });
    report = (await Promise.race([handle.result(), died])) as RolloutReport;
  } catch (err) {
    error = String((err as { cause?: { cause?: Error } }).cause?.cause?.message ?? (err as Error).message);
    await handle.terminate('bench: the run failed').catch(() => {});
  }
  const record = emulator.record();
  const executions = await collectExecutions(client, rolloutId, taskQueue).catch(() => []);
  // A run the server terminated says why in its last event (e.g. a payload over the size limit).
  for (const e of executions.filter((x) => x.status === 'TERMINATED')) {
    const reason = await terminationReason(client, e.workflowId, e.runId);
    if (reason && !error) error = `${e.workflowId === rolloutId ? 'rollout' : e.workflowId} terminated by the server: ${reason}`;
  }
  const histories = await Promise.all(executions.filter((e) => e.workflowId === rolloutId).map((e) => client.workflow.getHandle(e.workflowId, e.runId).fetchHistory())).catch(() => []);
  const workflowTasks = workflowTaskTimes(histories);
  const usage = worker.usage();
  const launcher = worker.launcherPeakRssMiB();
  await worker.stop();
  await client.connection.close();
  await emulator.close();
  const waves = report ? reportWaves(report, record) : [[...ids]];
  const { once, measures } = recordMeasures(record, ids, waves, specConcurrency(parsed), s.bakeSeconds * 1000);
  const rollout = executions.filter((e) => e.workflowId === rolloutId);
  const first = firstRestartAtMs(record);
  const estimates = estimateErrors(report, record, medians);
  const row: Row = {
    ...common,
    runner: 'starwave',
    variant: variant.label,
    runtime: describeRuntime(runtime),
    ok: !!report && report.phase === 'completed' && once.restartedOnce === ids.length && once.duplicates.length === 0,
    ...(error ? { error } : {}),
    ...measures,
    ...(first !== undefined ? { startToFirstRestartMs: first - started } : {}),
    historyPerInstance: rollout.reduce((a, e) => a + e.historyLength, 0) / ids.length,
    maxHistoryPerExecution: Math.max(0, ...executions.map((e) => e.historyLength)),
    executions: executions.length,
    runs: rollout.length,
    ...(report ? { reportedReadsPerInstance: report.reads / ids.length } : {}),
    workerCpuS: usage.cpuMs / 1000,
    workerPeakRssMiB: usage.peakRssMiB,
    ...(launcher !== undefined ? { launcherPeakRssMiB: launcher } : {}),
    ...(estimates ? { estimates } : {}),
    workflowTasks,
  };
  ctx.log(
    `  starwave (${variant.label}; ${row.runtime}): ${((Date.now() - started) / 1000).toFixed(1)} s wall, makespan ${(measures.makespanMs / 1000).toFixed(1)} s, ` +
      `bound ${(measures.lowerBoundMs / 1000).toFixed(1)} s, reads/inst ${measures.readsPerInstance.toFixed(2)}, RSS ${usage.peakRssMiB.toFixed(0)} MiB, ` +
      `longest workflow task ${workflowTasks.maxMs.toFixed(0)} ms (${workflowTasks.timedOut} timed out, ${workflowTasks.failed} failed${workflowTasks.failures ? `: ${workflowTasks.failures.join(' | ')}` : ''})${error ? `, FAILED: ${error}` : ''}`,
  );
  return row;
}

export async function runScenario(ctx: RunContext, s: Scenario): Promise<Row[]> {
  const perRegion = Math.ceil(s.size / s.regions.length);
  const pinned = makeFleet({ regions: s.regions, perRegion, duration: s.duration, seed: 42 });
  const fleet = s.history ? withRestartHistory(pinned, { duration: s.duration, ...s.history }) : pinned;
  const ids = [...pinned.durations.keys()];
  const targets = (pinned.emulatorOptions.fleet?.instances ?? []).map((i) => ({ region: i.regionId, instanceId: i.instanceId! }));
  const common: Common = {
    scenario: s.name,
    size: ids.length,
    duration: `${describeDuration(s.duration)}${s.history ? ` per instance, noise σ${s.history.noiseSigma}, history ${s.history.perInstance}/inst` : ''}`,
    concurrency: s.concurrency,
    waves: JSON.stringify(s.waves),
  };
  const rows: Row[] = [];
  const variants = (s.variants ?? [{ label: 'spec defaults' }]).filter((v) => !ctx.variantFilter || ctx.variantFilter.some((f) => v.label === f));
  const rounds = ctx.rounds ?? s.rounds ?? 1;
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) {
      const row = await runStarwave(ctx, s, fleet, ids, variant, common);
      rows.push(rounds > 1 ? { ...row, round } : row);
    }
  }

  // Baselines, same fleet (a fresh emulator each, same seed: same pinned durations, or same medians and history).
  if (s.baselines) {
    const runners = [
      ['per-instance polling', perInstancePolling],
      ['fixed batches', fixedBatches],
    ] as const;
    for (const [runner, run] of runners.filter(([name]) => s.baselines === true || name === 'per-instance polling')) {
      const emulator = await startFleetEmulator(fleet);
      const started = Date.now();
      let error: string | undefined;
      await run({ endpoints: emulator.endpoints, targets, concurrency: s.concurrency, pollIntervalMs: s.pollIntervalSeconds * 1000 }).catch((err: unknown) => {
        error = String(err);
      });
      const record = emulator.record();
      await emulator.close();
      const { once, measures } = recordMeasures(record, ids, [ids], () => s.concurrency, 0);
      const first = firstRestartAtMs(record);
      rows.push({
        ...common,
        waves: '["100%"]',
        runner,
        ok: !error && once.restartedOnce === ids.length,
        ...(error ? { error } : {}),
        ...measures,
        ...(first !== undefined ? { startToFirstRestartMs: first - started } : {}),
      });
      ctx.log(`  ${runner}: ${((Date.now() - started) / 1000).toFixed(1)} s wall, makespan ${(measures.makespanMs / 1000).toFixed(1)} s, reads/inst ${measures.readsPerInstance.toFixed(2)}`);
    }
  }
  return rows;
}

async function terminationReason(client: Awaited<ReturnType<typeof connectTemporal>>, workflowId: string, runId: string): Promise<string | undefined> {
  try {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    return history.events?.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason ?? undefined;
  } catch (err) {
    return `(history unreadable: ${(err as Error).message.slice(0, 80)})`;
  }
}
