/**
 * `starwave worker` as a supervisor sees it: the real bin/starwave.js as a child process against the run's Temporal
 * dev server. The launcher (which sets the V8 heap and semi-space limits and glibc's malloc arenas for the worker
 * child, leaving explicit settings alone) and the worker must live and die as one: `kill -9` of the
 * PID the supervisor started leaves no starwave process behind, and SIGTERM ends everything within the deadline.
 * Processes are found through /proc by the test's own task queue, which is on every one of their command lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal';

const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'starwave.js');
/** The documented deadline (src/worker/main.ts DEFAULT_WORKER_SHUTDOWN_SECONDS). */
const SHUTDOWN_DEADLINE_MS = 30_000;

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  argv: string[];
}

/** One variable of a process's initial environment (/proc/<pid>/environ). */
function environOf(pid: number, name: string): string | undefined {
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: the fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? '?', argv };
  } catch {
    return undefined; // gone between readdir and read
  }
}

/** Live (not zombie) processes whose command line contains `marker`. */
function liveProcesses(marker: string): ProcInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((p): p is ProcInfo => p !== undefined && p.state !== 'Z' && p.state !== 'X' && p.argv.some((a) => a.includes(marker)));
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface StartedWorker {
  launcher: ChildProcess;
  taskQueue: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: StartedWorker[] = [];

async function startWorker(env: Record<string, string> = {}): Promise<StartedWorker> {
  const taskQueue = uniqueTaskQueue('worker-process');
  // The launcher's own defaults are under test: none of its settings come from the test runner's environment.
  const base = { ...process.env };
  for (const name of ['MALLOC_ARENA_MAX', 'STARWAVE_WORKER_SEMI_SPACE_MB', 'STARWAVE_WORKER_OPTIMIZE_FOR_SIZE', 'STARWAVE_WORKER_HEAP_MB', 'NODE_OPTIONS']) delete base[name];
  const launcher = spawn(process.execPath, [BIN, 'worker', '--task-queue', taskQueue], {
    cwd: ROOT,
    env: { ...base, TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default', STARWAVE_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => launcher.on('exit', (code, signal) => r({ code, signal })));
  const worker: StartedWorker = { launcher, taskQueue, output: () => output, exited };
  started.push(worker);
  await waitFor(`"polling task queue" from the worker (output so far: ${JSON.stringify(output.slice(-500))})`, 120_000, () => {
    if (launcher.exitCode !== null) throw new Error(`starwave worker exited early (${launcher.exitCode}): ${output}`);
    return output.includes(`polling task queue "${taskQueue}"`);
  });
  return worker;
}

afterEach(() => {
  // Whatever a failed test left: kill it by pid (only our own processes, found by our unique task queues).
  for (const { taskQueue } of started.splice(0)) {
    for (const p of liveProcesses(taskQueue)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

describe('starwave worker process', () => {
  it('runs the worker as one child with the heap limit, and kill -9 of the launcher leaves no starwave process', async () => {
    const { launcher, taskQueue } = await startWorker();
    const processes = liveProcesses(taskQueue);
    const worker = processes.find((p) => p.ppid === launcher.pid);
    expect(processes.map((p) => p.pid).sort()).toEqual([launcher.pid, worker?.pid].sort());
    expect(worker?.argv).toContain('--max-old-space-size=160');
    // The launcher's memory settings for the child (bin/starwave.js, docs/footprint.md).
    expect(worker?.argv).toContain('--max-semi-space-size=8');
    expect(worker?.argv).toContain('--optimize-for-size');
    expect(environOf(worker!.pid, 'MALLOC_ARENA_MAX')).toBe('2');
    expect(environOf(launcher.pid!, 'MALLOC_ARENA_MAX')).toBeUndefined();

    process.kill(launcher.pid!, 'SIGKILL');
    const left = await waitFor('no starwave process left after kill -9 of the launcher', 10_000, () => liveProcesses(taskQueue).length === 0 || undefined);
    expect(left).toBe(true);
  });

  it('leaves memory settings given explicitly alone', async () => {
    const explicit = await startWorker({ STARWAVE_WORKER_SEMI_SPACE_MB: '0', STARWAVE_WORKER_OPTIMIZE_FOR_SIZE: '0', MALLOC_ARENA_MAX: '4' });
    const child = liveProcesses(explicit.taskQueue).find((p) => p.ppid === explicit.launcher.pid)!;
    expect(child.argv.filter((a) => a.startsWith('--max-semi-space-size') || a === '--optimize-for-size')).toEqual([]);
    expect(environOf(child.pid, 'MALLOC_ARENA_MAX')).toBe('4');

    const viaNodeOptions = await startWorker({ NODE_OPTIONS: '--max-semi-space-size=2', STARWAVE_WORKER_SEMI_SPACE_MB: '12' });
    const other = liveProcesses(viaNodeOptions.taskQueue).find((p) => p.ppid === viaNodeOptions.launcher.pid)!;
    expect(other.argv.filter((a) => a.startsWith('--max-semi-space-size'))).toEqual([]);
    expect(environOf(other.pid, 'NODE_OPTIONS')).toBe('--max-semi-space-size=2');
  });

  it('ends launcher and worker within the shutdown deadline on SIGTERM, exit code 0', async () => {
    const { launcher, taskQueue, exited, output } = await startWorker();
    const began = Date.now();
    process.kill(launcher.pid!, 'SIGTERM');
    const result = await Promise.race([exited, new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), SHUTDOWN_DEADLINE_MS).unref())]);
    expect(result, `still running ${SHUTDOWN_DEADLINE_MS} ms after SIGTERM: ${output()}`).not.toBe('deadline');
    expect(result).toEqual({ code: 0, signal: null });
    expect(Date.now() - began).toBeLessThan(SHUTDOWN_DEADLINE_MS);
    expect(liveProcesses(taskQueue)).toEqual([]);
  });

  it('kills a worker that cannot drain once the deadline has passed (launcher backstop)', async () => {
    const { launcher, taskQueue, exited, output } = await startWorker({ STARWAVE_WORKER_SHUTDOWN_SECONDS: '1' });
    const worker = liveProcesses(taskQueue).find((p) => p.ppid === launcher.pid);
    expect(worker).toBeDefined();
    // A stopped process cannot drain or run its own deadline timer: only the launcher can end it.
    process.kill(worker!.pid, 'SIGSTOP');
    const began = Date.now();
    process.kill(launcher.pid!, 'SIGTERM');
    const result = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000).unref())]);
    const tookMs = Date.now() - began;
    expect(result, `launcher still running 15 s after SIGTERM: ${output()}`).not.toBe('hung');
    expect(result).toEqual({ code: 128 + 9, signal: null }); // the worker died of SIGKILL
    expect(tookMs).toBeGreaterThanOrEqual(1_000 + 5_000 - 100);
    expect(tookMs).toBeLessThan(1_000 + 5_000 + 5_000);
    expect(output()).toMatch(/did not exit within 1 s of SIGTERM plus 5 s; killing it/);
    await waitFor('the stopped worker to be gone', 5_000, () => liveProcesses(taskQueue).length === 0 || undefined);
  });

  it('is a single process when STARWAVE_WORKER_HEAP_MB=0, and SIGTERM ends it', async () => {
    const { launcher, taskQueue, exited } = await startWorker({ STARWAVE_WORKER_HEAP_MB: '0' });
    expect(liveProcesses(taskQueue).map((p) => p.pid)).toEqual([launcher.pid]);
    process.kill(launcher.pid!, 'SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  });
});
