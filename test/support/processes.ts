/**
 * Processes for tests and the benchmark: a prebuilt workflow bundle, Temporal connections, and real
 * worker child processes with their /proc CPU and RSS. No test framework imports here: tests pass
 * the injected dev-server address in; bench/ scripts use the same helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { DEFAULT_KEY } from '../../src/emulator';
import { startDevServer, type DevServer } from '../../src/devserver/temporal-cli';
import { WORKFLOW_BUNDLE_DEVTOOL, workflowWebpackConfig } from '../../src/worker/bundle-options';

export const ROOT = resolve(__dirname, '..', '..');


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
  const hash = createHash('sha256').update(WORKFLOW_BUNDLE_DEVTOOL);
  for (const dir of ['src/workflows', 'src/planning', 'src/engine', 'src/contracts', 'src/starrocks']) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) hash.update(f).update(readFileSync(join(ROOT, dir, f)));
  }
  const file = join(tmpdir(), `starwave-workflows-${hash.digest('hex').slice(0, 16)}.js`);
  if (!existsSync(file)) {
    const silent = () => {};
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(ROOT, 'src/workflows/index.ts'),
      webpackConfigHook: workflowWebpackConfig,
      logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent },
    });
    writeFileSync(`${file}.tmp`, code);
    // Rename is atomic: concurrent test files never read a half-written bundle.
    renameSync(`${file}.tmp`, file);
  }
  return file;
}


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
 * A worker child's output as lines (stderr and stdout), the moment it says it polls, and its exit. `onExit`
 * runs first when it exits (e.g. to stop a usage sampler). Shared with the benchmark's workers (bench/workers.ts).
 */
export function watchWorkerOutput(child: ChildProcess, onExit: () => void = () => {}) {
  const logLines: string[] = [];
  let ready: () => void = () => {};
  const readyPromise = new Promise<void>((r) => (ready = r));
  let buffer = '';
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
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
      onExit();
      ready();
      res(code);
    });
  });
  return {
    logLines,
    exited,
    /** Resolves once the worker polls; throws with its last lines when it does not within 60 s or exits first. */
    async untilPolling(proc: ChildProcess): Promise<void> {
      await Promise.race([
        readyPromise,
        sleep(60_000).then(() => {
          throw new Error(`worker did not start within 60 s:\n${logLines.slice(-20).join('\n')}`);
        }),
      ]);
      if (proc.exitCode !== null) throw new Error(`worker exited at start (code ${proc.exitCode}):\n${logLines.slice(-20).join('\n')}`);
    },
  };
}

/**
 * Runs `node --max-old-space-size=160 --import tsx src/worker/main.ts` as a child process with the environment an operator
 * would set. The child's pid is the worker itself (no npx wrapper), so /proc figures are its own.
 */
/** The environment an operator would give a worker of these options (this process's, plus Temporal, emulator, key). */
export function workerEnv(opts: Pick<ChildWorkerOptions, 'address' | 'taskQueue' | 'endpoints' | 'logLevel'>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_NAMESPACE: 'default',
    STARWAVE_TASK_QUEUE: opts.taskQueue,
    STARWAVE_ENDPOINTS: JSON.stringify(opts.endpoints),
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEFAULT_KEY.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEFAULT_KEY.accessKeySecret,
    STARWAVE_LOG_LEVEL: opts.logLevel ?? 'INFO',
  };
}

export async function spawnChildWorker(opts: ChildWorkerOptions): Promise<ChildWorker> {
  // The same V8 heap bound that `starwave worker` (bin/starwave.js) applies, so figures match what ships.
  const heapMb = process.env['STARWAVE_WORKER_HEAP_MB'] || '160';
  const heapArgs = heapMb === '0' ? [] : [`--max-old-space-size=${heapMb}`];
  const child: ChildProcess = spawn(process.execPath, [...heapArgs, '--import', 'tsx', join(ROOT, 'src/worker/main.ts')], {
    cwd: ROOT,
    env: { ...workerEnv(opts), ...(opts.bundlePath ? { STARWAVE_WORKFLOW_BUNDLE: opts.bundlePath } : {}), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the worker process');
  let last: ProcessUsage = { cpuMs: 0, peakRssMiB: 0 };
  const sampler = setInterval(() => {
    const u = readUsage(pid);
    if (u) last = { cpuMs: Math.max(last.cpuMs, u.cpuMs), peakRssMiB: Math.max(last.peakRssMiB, u.peakRssMiB) };
  }, 250);
  sampler.unref();
  const output = watchWorkerOutput(child, () => clearInterval(sampler));
  const { logLines, exited } = output;
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
  if (opts.waitReady !== false) await output.untilPolling(child);
  return worker;
}

