/**
 * Running the real `starwave` CLI (node bin/starwave.js …) as child processes against the run's
 * Temporal dev server and a stack's emulator, for the cli*.test.ts files.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_KEY } from '../../src/emulator';
import type { Stack } from '../support/stack';
import { temporalAddress, uniqueId } from '../support/temporal';
import { until } from '../support/wait';

const root = resolve(__dirname, '..', '..');
const bin = join(root, 'bin', 'starwave.js');
const dir = mkdtempSync(join(tmpdir(), 'starwave-cli-'));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command, ms. */
  ms: number;
}

/** The identity the CLI sends with control messages on this machine. */
export const me = `cli:${userInfo().username}`;

/** Environment of a CLI process aimed at `stack`: Temporal, its task queue, the emulator's endpoints and fake key. */
export function stackEnv(stack: Stack, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    TEMPORAL_ADDRESS: temporalAddress(),
    STARWAVE_TASK_QUEUE: stack.taskQueue,
    STARWAVE_ENDPOINTS: stack.emulator.endpointsJson(),
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEFAULT_KEY.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEFAULT_KEY.accessKeySecret,
    ...extra,
  };
}

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function cli(args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<Run> {
  const began = Date.now();
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: childEnv(env), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, stdout, stderr, ms: Date.now() - began }),
    );
  });
}

/** A CLI process to interact with (signals); `output()` is what it printed so far. */
/**
 * `entry: 'source'` runs src/cli/main.ts through tsx without the launcher, so the worker bundles src/workflows
 * itself whether or not `npm run build` left a prebuilt bundle in dist/ (CI builds before it tests).
 */
export function spawnCli(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { entry?: 'launcher' | 'source' } = {},
): { child: ChildProcess; output: () => { stdout: string; stderr: string }; exited: Promise<number> } {
  const entry = opts.entry === 'source' ? ['--require', 'tsx/cjs', join(root, 'src', 'cli', 'main.ts')] : [bin];
  const child = spawn(process.execPath, [...entry, ...args], { cwd: root, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 : 99))));
  return { child, output: () => ({ stdout, stderr }), exited };
}

export function specFile(spec: Record<string, unknown>): string {
  const path = join(dir, `${uniqueId('spec')}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

/** Polls `fn` until it returns a value, or fails after `timeoutMs`. */
export function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  return until(what, fn, { timeoutMs, intervalMs: 200 });
}

export const fastPolicy = { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: 0.3 };

export function json<T>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}
