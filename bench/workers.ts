/**
 * Worker processes for the benchmark and the fault suite, on either runtime (bench/build.ts):
 *
 *   tsx       `node --max-old-space-size=160 --import tsx src/worker/main.ts` (what the benchmark measured
 *             before the package existed; test/support/processes.ts spawnChildWorker runs the same)
 *   compiled  `node <root>/bin/starwave.js worker [--max-activities N]`: what the Dockerfile and an installed
 *             package run. The launcher applies the heap limit and runs the worker as its one child; CPU and
 *             RSS are the child's (the worker), the launcher's own peak RSS is kept apart.
 *
 * Same contract as spawnChildWorker (a ChildWorker), so fault runs can kill and replace either.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_WORKER_HEAP_MB } from '../src/config/env';
import { ROOT, readUsage, watchWorkerOutput, workerEnv, workflowBundleFile, type ChildWorker, type ChildWorkerOptions, type ProcessUsage } from '../test/support/processes';
import type { WorkerRuntime } from './build';

export interface WorkerTuning {
  /** STARWAVE_MAX_CACHED_WORKFLOWS (unset: the worker's default). */
  maxCachedWorkflows?: number;
  /** `starwave worker --max-activities` (compiled runtime only; unset: the worker's default). */
  maxActivities?: number;
  /** V8 old space, MiB (default: `starwave worker`'s). */
  heapMb?: number;
  /** Another workflow bundle (STARWAVE_WORKFLOW_BUNDLE), e.g. one built without embedded sources. */
  bundlePath?: string;
  /** STARWAVE_WORKER_SEMI_SPACE_MB of `starwave worker` (0: Node's default; unset: the launcher's default). */
  semiSpaceMb?: number;
  /** NODE_OPTIONS for the worker (the launcher passes it on). */
  nodeOptions?: string;
  /** Node flags before bin/starwave.js (the launcher runs its child with its own flags), e.g. V8 flags NODE_OPTIONS refuses. */
  nodeFlags?: string[];
  /** Other environment of the worker process, e.g. MALLOC_ARENA_MAX. */
  env?: Record<string, string>;
}

export interface BenchWorker extends ChildWorker {
  runtime: WorkerRuntime;
  /** Peak RSS of the launcher process (compiled runtime), MiB. */
  launcherPeakRssMiB(): number | undefined;
}

/** Direct children of a process (Linux /proc/<pid>/task/<tid>/children). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

const maxUsage = (a: ProcessUsage, b: ProcessUsage | undefined): ProcessUsage => (b ? { cpuMs: Math.max(a.cpuMs, b.cpuMs), peakRssMiB: Math.max(a.peakRssMiB, b.peakRssMiB) } : a);

export interface SpawnOptions extends ChildWorkerOptions {
  tuning?: WorkerTuning;
  /**
   * Compiled runtime: `bin` (default) runs `bin/starwave.js worker` (launcher + worker child, as shipped);
   * `main` runs `node --max-old-space-size=… dist/worker/main.js` (one process, no CLI layer).
   */
  entry?: 'bin' | 'main';
}

export async function spawnWorker(runtime: WorkerRuntime, opts: SpawnOptions): Promise<BenchWorker> {
  const tuning = opts.tuning ?? {};
  const heapMb = tuning.heapMb ?? DEFAULT_WORKER_HEAP_MB;
  let command: string[];
  let bundlePath = tuning.bundlePath ?? opts.bundlePath;
  if (runtime.kind === 'tsx') {
    if (tuning.maxActivities !== undefined) throw new Error('--max-activities is measured on the compiled runtime only');
    command = [...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), '--import', 'tsx', join(ROOT, 'src/worker/main.ts')];
    bundlePath ??= await workflowBundleFile();
  } else if (opts.entry === 'main') {
    if (tuning.maxActivities !== undefined) throw new Error('--max-activities needs the bin entry');
    command = [...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), join(runtime.root, 'dist', 'worker', 'main.js')];
    bundlePath ??= join(runtime.root, 'dist', 'workflow-bundle.js');
  } else {
    command = [...(tuning.nodeFlags ?? []), join(runtime.root, 'bin', 'starwave.js'), 'worker', ...(tuning.maxActivities !== undefined ? ['--max-activities', String(tuning.maxActivities)] : [])];
    bundlePath ??= join(runtime.root, 'dist', 'workflow-bundle.js');
  }
  const child: ChildProcess = spawn(process.execPath, command, {
    cwd: runtime.kind === 'tsx' ? ROOT : runtime.root,
    env: {
      ...workerEnv(opts),
      STARWAVE_WORKFLOW_BUNDLE: bundlePath,
      STARWAVE_WORKER_HEAP_MB: String(heapMb),
      ...(tuning.maxCachedWorkflows !== undefined ? { STARWAVE_MAX_CACHED_WORKFLOWS: String(tuning.maxCachedWorkflows) } : {}),
      ...(tuning.semiSpaceMb !== undefined ? { STARWAVE_WORKER_SEMI_SPACE_MB: String(tuning.semiSpaceMb) } : {}),
      ...(tuning.nodeOptions ? { NODE_OPTIONS: tuning.nodeOptions } : {}),
      ...tuning.env,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outer = child.pid;
  if (outer === undefined) throw new Error('could not spawn the worker process');
  // The process whose figures count: the worker itself (the launcher's child on the compiled runtime).
  const launched = runtime.kind === 'dist' && opts.entry !== 'main';
  let workerPid = launched ? undefined : outer;
  let worker: ProcessUsage = { cpuMs: 0, peakRssMiB: 0 };
  let launcher: ProcessUsage | undefined;
  const sample = (): void => {
    if (workerPid === undefined) workerPid = childPids(outer)[0];
    if (workerPid !== undefined) worker = maxUsage(worker, readUsage(workerPid));
    if (launched) launcher = maxUsage(launcher ?? { cpuMs: 0, peakRssMiB: 0 }, readUsage(outer));
  };
  const sampler = setInterval(sample, 250);
  sampler.unref();
  const output = watchWorkerOutput(child, () => clearInterval(sampler));
  const { logLines, exited } = output;
  const handle: BenchWorker = {
    runtime,
    get pid() {
      return workerPid ?? outer;
    },
    logLines,
    usage: () => {
      sample();
      return worker;
    },
    launcherPeakRssMiB: () => launcher?.peakRssMiB,
    async kill() {
      sample();
      // SIGKILL of the worker itself (a crash of the process doing the work); on the compiled runtime the
      // launcher then exits with it, as under a supervisor.
      const target = workerPid ?? outer;
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
      if (target !== outer) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      sample();
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (workerPid !== undefined) {
          try {
            process.kill(workerPid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        child.kill('SIGKILL');
      }, 40_000);
      await exited;
      clearTimeout(timer);
    },
    exited,
  };
  if (opts.waitReady !== false) {
    await output.untilPolling(child);
    sample();
  }
  return handle;
}
