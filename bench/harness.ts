/**
 * Shared machinery of the benchmark, the fault suite and the scale/kill tests: a Temporal dev server,
 * the emulator with a fleet whose per-instance restart durations are drawn up front (so every runner
 * sees the SAME fleet), starwave workers in-process or as child processes (SIGKILL-able, with CPU
 * time and peak RSS read from /proc), and collection of everything a run leaves behind: the report,
 * the emulator's record and the history length of every workflow execution involved.
 *
 * No test framework imports here: tests pass the injected dev-server address in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { DEFAULT_KEY, startEmulator, type Emulator, type EmulatorOptions, type EmulatorRecord, type FaultConfig } from '../src/emulator';
import { downIntervals } from '../src/emulator/invariants';
import { drawDuration, mulberry32 } from '../src/emulator/prng';
import type { DurationDistribution, InstanceSeed } from '../src/emulator/schemas';
import { startDevServer, type DevServer } from '../src/devserver/temporal-cli';
import { parseSpec, resolveSize, rolloutWorkflowId, type RolloutSpec, type RolloutSpecInput } from '../src/planning/spec';
import { waveLowerBoundMs } from '../src/planning/planner';
import type { RolloutInput, RolloutReport } from '../src/workflows/types';

export const ROOT = resolve(__dirname, '..');

// ---------------------------------------------------------------------------------------------
// Temporal

/** A dev server owned by a script (tests use the run's injected server instead). */
export async function ownDevServer(opts: { port?: number; dbFile?: string } = {}): Promise<DevServer> {
  return startDevServer({ port: opts.port ?? 0, uiPort: false, ...(opts.dbFile ? { dbFile: opts.dbFile } : {}) });
}

export async function connectTemporal(address: string): Promise<Client> {
  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  return new Client({ connection, namespace: 'default' });
}

/**
 * The workflow bundle written to a file once per source state (hash of src/workflows + src/planning),
 * so child workers start in about a second instead of bundling for several.
 */
export async function workflowBundleFile(): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of ['src/workflows', 'src/planning', 'src/activities', 'src/starrocks']) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) hash.update(f).update(readFileSync(join(ROOT, dir, f)));
  }
  const file = join(tmpdir(), `starwave-workflows-${hash.digest('hex').slice(0, 16)}.js`);
  if (!existsSync(file)) {
    const silent = () => {};
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(ROOT, 'src/workflows/index.ts'),
      logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent },
    });
    writeFileSync(`${file}.tmp`, code);
    // Rename is atomic: concurrent test files never read a half-written bundle.
    (await import('node:fs')).renameSync(`${file}.tmp`, file);
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Emulator with a pre-drawn fleet

export interface FleetOptions {
  regions: string[];
  perRegion: number;
  duration: DurationDistribution;
  seed?: number;
}

export interface Fleet {
  emulatorOptions: EmulatorOptions;
  /** instanceId → the restart duration (ms) this instance will take. */
  durations: Map<string, number>;
}

/** Deterministic ids `c-` + 16 hex chars from the seed, region and index. */
function instanceIdFor(seed: number, region: string, index: number): string {
  return `c-${createHash('sha1').update(`${seed}/${region}/${index}`).digest('hex').slice(0, 16)}`;
}

/**
 * A fleet whose restart durations are drawn here, once, from a seeded PRNG and pinned per instance
 * (`restartDurationMs`), so the rollout and the baselines restart identical fleets.
 */
export function makeFleet(opts: FleetOptions): Fleet {
  const seed = opts.seed ?? 1;
  const random = mulberry32(seed);
  const instances: InstanceSeed[] = [];
  const durations = new Map<string, number>();
  for (const region of opts.regions) {
    for (let i = 0; i < opts.perRegion; i++) {
      const instanceId = instanceIdFor(seed, region, i);
      const ms = Math.round(drawDuration(random, opts.duration));
      durations.set(instanceId, ms);
      instances.push({ instanceId, regionId: region, instanceName: `sr-${region}-${String(i).padStart(5, '0')}`, restartDurationMs: ms });
    }
  }
  return { emulatorOptions: { regions: opts.regions, fleet: { instances }, seed, maxPageSize: 100 }, durations };
}

export async function startFleetEmulator(fleet: Fleet, faults?: FaultConfig, extra: Pick<EmulatorOptions, 'keys'> = {}): Promise<Emulator> {
  return startEmulator({ ...fleet.emulatorOptions, ...(faults ? { faults } : {}), ...extra });
}

// ---------------------------------------------------------------------------------------------
// Workers

export interface ProcessUsage {
  /** user + system CPU time of the process (all threads), ms. */
  cpuMs: number;
  /** Peak resident set size (VmHWM), MiB. */
  peakRssMiB: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Reads /proc/<pid>/stat (utime+stime) and /proc/<pid>/status (VmHWM); undefined once the process is gone. */
export function readUsage(pid: number): ProcessUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)` which may contain spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, peakRssMiB: hwmKiB / 1024 };
  } catch {
    return undefined;
  }
}

export interface ChildWorker {
  pid: number;
  /** Every stderr line the worker wrote (JSON log lines and start-up messages). */
  readonly logLines: string[];
  /** Latest sampled usage (sampling every 250 ms; the last sample before death survives a SIGKILL). */
  usage(): ProcessUsage;
  /** SIGKILL: a crash, no drain. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait (graceful drain). */
  stop(): Promise<void>;
  readonly exited: Promise<number | null>;
}

export interface ChildWorkerOptions {
  address: string;
  taskQueue: string;
  endpoints: Record<string, string>;
  bundlePath?: string;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Resolve once the worker says it polls (default true). */
  waitReady?: boolean;
  /** Extra environment, e.g. ALIBABA_CLOUD_SECURITY_TOKEN for an STS key. */
  env?: Record<string, string>;
}

/**
 * Runs `node --max-old-space-size=160 --import tsx src/worker/main.ts` as a child process with the environment an operator
 * would set. The child's pid is the worker itself (no npx wrapper), so /proc figures are its own.
 */
export async function spawnChildWorker(opts: ChildWorkerOptions): Promise<ChildWorker> {
  // The same V8 heap bound that `starwave worker` (bin/starwave.js) applies, so figures match what ships.
  const heapMb = process.env['STARWAVE_WORKER_HEAP_MB'] || '160';
  const heapArgs = heapMb === '0' ? [] : [`--max-old-space-size=${heapMb}`];
  const child: ChildProcess = spawn(process.execPath, [...heapArgs, '--import', 'tsx', join(ROOT, 'src/worker/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: opts.address,
      TEMPORAL_NAMESPACE: 'default',
      STARWAVE_TASK_QUEUE: opts.taskQueue,
      STARWAVE_ENDPOINTS: JSON.stringify(opts.endpoints),
      ALIBABA_CLOUD_ACCESS_KEY_ID: DEFAULT_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEFAULT_KEY.accessKeySecret,
      STARWAVE_LOG_LEVEL: opts.logLevel ?? 'INFO',
      ...(opts.bundlePath ? { STARWAVE_WORKFLOW_BUNDLE: opts.bundlePath } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the worker process');
  const logLines: string[] = [];
  let last: ProcessUsage = { cpuMs: 0, peakRssMiB: 0 };
  const sampler = setInterval(() => {
    const u = readUsage(pid);
    if (u) last = { cpuMs: Math.max(last.cpuMs, u.cpuMs), peakRssMiB: Math.max(last.peakRssMiB, u.peakRssMiB) };
  }, 250);
  sampler.unref();
  let ready: () => void = () => {};
  const readyPromise = new Promise<void>((r) => (ready = r));
  let buffer = '';
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      logLines.push(line);
      if (line.includes('polling task queue')) ready();
    }
  };
  child.stderr?.on('data', onData);
  child.stdout?.on('data', onData);
  const exited = new Promise<number | null>((res) => {
    child.on('exit', (code) => {
      clearInterval(sampler);
      ready();
      res(code);
    });
  });
  const worker: ChildWorker = {
    pid,
    logLines,
    usage: () => {
      const u = readUsage(pid);
      return u ? { cpuMs: Math.max(last.cpuMs, u.cpuMs), peakRssMiB: Math.max(last.peakRssMiB, u.peakRssMiB) } : last;
    },
    async kill() {
      const u = readUsage(pid);
      if (u) last = { cpuMs: Math.max(last.cpuMs, u.cpuMs), peakRssMiB: Math.max(last.peakRssMiB, u.peakRssMiB) };
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      const u = readUsage(pid);
      if (u) last = { cpuMs: Math.max(last.cpuMs, u.cpuMs), peakRssMiB: Math.max(last.peakRssMiB, u.peakRssMiB) };
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
    exited,
  };
  if (opts.waitReady !== false) {
    await Promise.race([
      readyPromise,
      sleep(60_000).then(() => {
        throw new Error(`worker did not start within 60 s:\n${logLines.slice(-20).join('\n')}`);
      }),
    ]);
    if (child.exitCode !== null) throw new Error(`worker exited at start (code ${child.exitCode}):\n${logLines.slice(-20).join('\n')}`);
  }
  return worker;
}

// ---------------------------------------------------------------------------------------------
// Rollouts and what they leave behind

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function startRollout(
  client: Client,
  taskQueue: string,
  specInput: RolloutSpecInput,
  extra: Omit<RolloutInput, 'spec'> = {},
): Promise<{ handle: WorkflowHandle; spec: RolloutSpec; rolloutId: string }> {
  const spec = parseSpec(specInput);
  const rolloutId = `${rolloutWorkflowId(spec)}-${uniqueSuffix()}`;
  const handle = await client.workflow.start('rolloutWorkflow', { taskQueue, workflowId: rolloutId, args: [{ spec, ...extra }] });
  return { handle, spec, rolloutId };
}

export interface ExecutionHistory {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  historyLength: number;
}

/**
 * Every execution of a rollout: the rollout itself, each wave child and each of their
 * continue-as-new runs (visibility query on the id prefix), plus the lease registry of the task
 * queue. History lengths come from describe() of each run (authoritative, not from visibility).
 */
export async function collectExecutions(client: Client, rolloutId: string, taskQueue?: string): Promise<ExecutionHistory[]> {
  const runs = new Map<string, { workflowId: string; runId: string }>();
  // Visibility may lag a moment behind the last close: list until it is stable.
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = runs.size;
    for await (const ex of client.workflow.list({ query: `WorkflowId STARTS_WITH '${rolloutId}'` })) {
      runs.set(ex.runId, { workflowId: ex.workflowId, runId: ex.runId });
    }
    if (runs.size > 0 && runs.size === before) break;
    await sleep(300);
  }
  if (taskQueue) {
    const leaseId = `starwave-leases-${taskQueue}`;
    for await (const ex of client.workflow.list({ query: `WorkflowId = '${leaseId}'` })) runs.set(ex.runId, { workflowId: ex.workflowId, runId: ex.runId });
  }
  const out: ExecutionHistory[] = [];
  for (const r of runs.values()) {
    const d = await client.workflow.getHandle(r.workflowId, r.runId).describe();
    out.push({ workflowId: r.workflowId, runId: r.runId, type: d.type, status: d.status.name, historyLength: d.historyLength });
  }
  return out.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/** The full JSON of every history (for secret scans). */
export async function historiesJson(client: Client, executions: readonly ExecutionHistory[]): Promise<string[]> {
  const out: string[] = [];
  for (const e of executions) {
    const h = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    out.push(JSON.stringify(h));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Measures computed from the emulator's record

export interface WaveBound {
  durationsMs: number[];
  concurrency: number;
}

/**
 * Σ_waves max(max Dᵢ, ΣDᵢ/C) + bake between waves, with Dᵢ the durations the emulator actually
 * applied (record.restarts[].plannedDurationMs), grouped by the waves the rollout reported.
 */
export function lowerBoundMs(record: EmulatorRecord, waves: readonly (readonly string[])[], concurrencyOf: (waveSize: number) => number, bakeMs: number): number {
  const planned = new Map<string, number>();
  for (const r of record.restarts) if (!planned.has(r.instanceId)) planned.set(r.instanceId, r.plannedDurationMs);
  let total = 0;
  let nonEmpty = 0;
  for (const wave of waves) {
    const ds = wave.map((id) => planned.get(id)).filter((d): d is number => d !== undefined);
    if (ds.length === 0) continue;
    nonEmpty++;
    total += waveLowerBoundMs(ds, concurrencyOf(wave.length));
  }
  return total + Math.max(0, nonEmpty - 1) * bakeMs;
}

/**
 * What a zero-overhead orchestrator would achieve WITHOUT knowing durations in advance: greedy list
 * scheduling of each wave's restarts, in the order they were actually launched, on C slots, plus bake.
 * The gap between this and the lower bound is inherent to online scheduling (a long restart started
 * late); the gap between the makespan and this is orchestration and polling overhead.
 */
export function listScheduleMs(record: EmulatorRecord, waves: readonly (readonly string[])[], concurrencyOf: (waveSize: number) => number, bakeMs: number): number {
  const order = new Map<string, number>();
  const planned = new Map<string, number>();
  for (const r of record.restarts) {
    if (!order.has(r.instanceId)) order.set(r.instanceId, r.seq);
    if (!planned.has(r.instanceId)) planned.set(r.instanceId, r.plannedDurationMs);
  }
  let total = 0;
  let nonEmpty = 0;
  for (const wave of waves) {
    const ids = wave.filter((id) => planned.has(id)).sort((a, b) => order.get(a)! - order.get(b)!);
    if (ids.length === 0) continue;
    nonEmpty++;
    const slots = new Array<number>(Math.max(1, Math.min(concurrencyOf(wave.length), ids.length))).fill(0);
    for (const id of ids) {
      let best = 0;
      for (let i = 1; i < slots.length; i++) if (slots[i]! < slots[best]!) best = i;
      slots[best] = slots[best]! + planned.get(id)!;
    }
    total += Math.max(...slots);
  }
  return total + Math.max(0, nonEmpty - 1) * bakeMs;
}

/** Concurrency a spec gives a wave of `size` targets (global limit only). */
export function specConcurrency(spec: RolloutSpec): (size: number) => number {
  return (size) => resolveSize(spec.concurrency.global, size, { atLeastOne: true });
}

/**
 * Waves (instance ids) of a rollout. When the report lists every instance, its wave numbers; when it
 * omits restarted ones (large rollouts keep the report small), the record's restarts in seq order cut
 * by the reported wave sizes — valid because wave n+1 starts only after wave n finished.
 */
export function reportWaves(report: Pick<RolloutReport, 'instances' | 'waves'>, record?: EmulatorRecord): string[][] {
  const waves: string[][] = [];
  for (const r of report.instances) (waves[r.wave - 1] ??= []).push(r.instanceId);
  const listed = report.instances.length;
  const planned = report.waves.reduce((a, w) => a + w.size, 0);
  if (listed >= planned || !record) return waves.map((w) => w ?? []);
  const order = [...new Set([...record.restarts].sort((a, b) => a.seq - b.seq).map((r) => r.instanceId))];
  const out: string[][] = [];
  let at = 0;
  for (const w of report.waves) {
    out.push(order.slice(at, at + w.size));
    at += w.size;
  }
  return out;
}

/** From the first restart that took effect to the last instance turning running (or failing). */
export function makespanFromRecord(record: EmulatorRecord): number {
  const intervals = downIntervals(record);
  if (intervals.length === 0) return 0;
  const start = Math.min(...intervals.map((i) => i.startTMs));
  const end = Math.max(...intervals.map((i) => i.endTMs ?? i.startTMs));
  return end - start;
}

export interface Overhead {
  /** Pairs measured: an instance turned running and a later restart followed. */
  samples: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
}

/**
 * Orchestration overhead: for each restart after the first C, the time from the most recent
 * instance turning running (a transition restarting→running in the record) that freed its slot,
 * to this restart being applied. Matched greedily in seq order: each running-transition frees one
 * slot, consumed by the next restart.
 */
export function orchestrationOverhead(record: EmulatorRecord): Overhead {
  type Ev = { seq: number; tMs: number; kind: 'free' | 'restart' };
  const evs: Ev[] = [
    ...record.transitions.filter((t) => t.from === 'restarting' && t.to === 'running').map((t) => ({ seq: t.seq, tMs: t.tMs, kind: 'free' as const })),
    ...record.restarts.map((r) => ({ seq: r.seq, tMs: r.tMs, kind: 'restart' as const })),
  ].sort((a, b) => a.seq - b.seq);
  const freed: number[] = [];
  const gaps: number[] = [];
  for (const e of evs) {
    if (e.kind === 'free') freed.push(e.tMs);
    else if (freed.length > 0) gaps.push(e.tMs - freed.shift()!);
  }
  gaps.sort((a, b) => a - b);
  const q = (p: number): number => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))]! : 0);
  return { samples: gaps.length, medianMs: q(0.5), p95Ms: q(0.95), meanMs: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0 };
}

/** Calls by action divided by the number of instances. */
export function callsPerInstance(record: EmulatorRecord, instances: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [action, n] of Object.entries(record.stats.callsByAction)) out[action] = n / Math.max(1, instances);
  return out;
}

export interface ExactlyOnce {
  targets: number;
  restartedOnce: number;
  duplicates: Array<{ instanceId: string; count: number }>;
  neverRestarted: string[];
}

export function exactlyOnce(record: EmulatorRecord, targetIds: readonly string[]): ExactlyOnce {
  const counts = new Map<string, number>();
  for (const r of record.restarts) counts.set(r.instanceId, (counts.get(r.instanceId) ?? 0) + 1);
  return {
    targets: targetIds.length,
    restartedOnce: targetIds.filter((id) => counts.get(id) === 1).length,
    duplicates: [...counts].filter(([, n]) => n > 1).map(([instanceId, count]) => ({ instanceId, count })),
    neverRestarted: targetIds.filter((id) => !counts.has(id)),
  };
}

/** Machine line for the docs. */
export async function machineInfo(): Promise<string> {
  const os = await import('node:os');
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}
