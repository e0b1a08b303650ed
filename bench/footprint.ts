/**
 * Issue 11's footprint, measured here and not in tests: an idle worker's peak RSS on each runtime and
 * entry, and how long CLI commands take from spawn to exit against a running server (hyperfine-like:
 * warm-up runs, then repeated runs, mean ± sd, min and median).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../src/contracts/rollout';
import { DEFAULT_KEY } from '../src/emulator';
import { describeRuntime, type WorkerRuntime } from './build';
import { ROOT, connectTemporal, makeFleet, startFleetEmulator, startRollout, uniqueSuffix } from './harness';
import { spawnWorker, type WorkerTuning } from './workers';

export interface IdleRow {
  label: string;
  round?: number;
  runtime: string;
  command: string;
  /** Peak RSS of the worker process, MiB. */
  peakRssMiB: number;
  /** Peak RSS of the launcher (bin/starwave.js worker), MiB. */
  launcherPeakRssMiB?: number;
  /** CPU time of the worker from spawn to the end of the settle time, s. */
  cpuS: number;
  /** From spawn to "polling task queue", ms. */
  readyMs: number;
}

export interface IdleVariant {
  label: string;
  runtime: WorkerRuntime;
  tuning?: WorkerTuning;
  entry?: 'bin' | 'main';
}

/** Starts each worker on an empty task queue, lets it poll for `settleMs`, reads /proc. One at a time, `rounds` rounds. */
export async function measureIdle(address: string, variants: readonly IdleVariant[], settleMs: number, rounds: number, log: (line: string) => void): Promise<IdleRow[]> {
  const rows: IdleRow[] = [];
  for (let round = 1; round <= rounds; round++) for (const v of variants) {
    const began = Date.now();
    const worker = await spawnWorker(v.runtime, { address, taskQueue: `bench-idle-${uniqueSuffix()}`, endpoints: {}, logLevel: 'WARN', ...(v.tuning ? { tuning: v.tuning } : {}), ...(v.entry ? { entry: v.entry } : {}) });
    const readyMs = Date.now() - began;
    await new Promise((r) => setTimeout(r, settleMs));
    const u = worker.usage();
    const launcher = worker.launcherPeakRssMiB();
    await worker.stop();
    const env = [
      v.tuning?.maxCachedWorkflows ? `STARWAVE_MAX_CACHED_WORKFLOWS=${v.tuning.maxCachedWorkflows}` : '',
      v.tuning?.bundlePath ? 'STARWAVE_WORKFLOW_BUNDLE=<bundle with embedded sources>' : '',
      v.tuning?.semiSpaceMb !== undefined ? `STARWAVE_WORKER_SEMI_SPACE_MB=${v.tuning.semiSpaceMb}` : '',
      ...Object.entries(v.tuning?.env ?? {}).map(([k, value]) => `${k}=${value}`),
      v.tuning?.nodeOptions ? `NODE_OPTIONS=${v.tuning.nodeOptions}` : '',
    ]
      .filter(Boolean)
      .map((e) => `${e} `)
      .join('');
    const command =
      v.runtime.kind === 'tsx'
        ? 'node --max-old-space-size=160 --import tsx src/worker/main.ts'
        : v.entry === 'main'
          ? 'node --max-old-space-size=160 dist/worker/main.js'
          : `${env}node ${(v.tuning?.nodeFlags ?? []).map((f) => `${f} `).join('')}bin/starwave.js worker${v.tuning?.maxActivities ? ` --max-activities ${v.tuning.maxActivities}` : ''}`;
    rows.push({ label: v.label, round, runtime: describeRuntime(v.runtime), command, peakRssMiB: u.peakRssMiB, ...(launcher !== undefined ? { launcherPeakRssMiB: launcher } : {}), cpuS: u.cpuMs / 1000, readyMs });
    log(`  idle ${v.label}: worker ${u.peakRssMiB.toFixed(0)} MiB${launcher !== undefined ? ` (+ launcher ${launcher.toFixed(0)} MiB)` : ''}, ${(u.cpuMs / 1000).toFixed(1)} s CPU, ready after ${readyMs} ms`);
  }
  return rows;
}

export interface CliTiming {
  command: string;
  runtime: string;
  runs: number;
  meanMs: number;
  sdMs: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
  exitCodes: number[];
}

function timeOnce(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ ms: number; code: number }> {
  return new Promise((done) => {
    const began = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('exit', (code) => done({ ms: Number(process.hrtime.bigint() - began) / 1e6, code: code ?? 99 }));
  });
}

/** The node arguments that run `starwave <args>` on a runtime, as a user of it would. */
function cliArgv(runtime: WorkerRuntime, args: readonly string[]): string[] {
  // tsx: what bin/starwave.js does in a checkout without a fresh build (require tsx/cjs, then src/cli/main.ts).
  // compiled: dist/cli/main.js itself, which is what bin/starwave.js requires in an installed package. Not
  // bin/starwave.js of the checkout: it runs tsx as soon as a file in src/ is newer than dist/ (an edit during a
  // long benchmark made an earlier "compiled" row measure tsx).
  return runtime.kind === 'tsx' ? ['--require', 'tsx/cjs', join(ROOT, 'src', 'cli', 'main.ts'), ...args] : [join(runtime.root, 'dist', 'cli', 'main.js'), ...args];
}

/**
 * `status`, `list`, `plan` and `--version` against the running server and a small emulator fleet with
 * one finished rollout to look at; runtimes interleaved run by run so drift hits both alike.
 */
export async function measureCli(
  address: string,
  runtimes: ReadonlyArray<{ label: string; runtime: WorkerRuntime }>,
  opts: { warmup: number; runs: number; log: (line: string) => void },
): Promise<CliTiming[]> {
  const fleet = makeFleet({ regions: ['cn-hangzhou'], perRegion: 5, duration: { kind: 'fixed', ms: 200 }, seed: 7 });
  const emulator = await startFleetEmulator(fleet);
  const client = await connectTemporal(address);
  const taskQueue = `bench-cli-${uniqueSuffix()}`;
  const worker = await spawnWorker(runtimes[runtimes.length - 1]!.runtime, { address, taskQueue, endpoints: emulator.endpoints, logLevel: 'WARN' });
  const dir = mkdtempSync(join(tmpdir(), 'starwave-bench-cli-'));
  const specFile = join(dir, 'plan.yaml');
  writeFileSync(specFile, 'name: bench-cli-plan\ntargets:\n  selectors:\n    - regions: [cn-hangzhou]\nconcurrency:\n  global: 2\n');
  const out: CliTiming[] = [];
  try {
    const { handle, rolloutId } = await startRollout(client, taskQueue, { name: 'bench-cli', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, concurrency: { global: 5 }, instance: { pollIntervalSeconds: 0.2 } });
    const report = (await handle.result()) as RolloutReport;
    opts.log(`  cli: rollout ${rolloutId} ${report.phase} (the one status reads)`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      STARWAVE_TASK_QUEUE: taskQueue,
      STARWAVE_ENDPOINTS: JSON.stringify(emulator.endpoints),
      ALIBABA_CLOUD_ACCESS_KEY_ID: DEFAULT_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEFAULT_KEY.accessKeySecret,
    };
    const commands: Array<{ name: string; args: string[] }> = [
      { name: '--version', args: ['--version'] },
      { name: 'status <id>', args: ['status', rolloutId] },
      { name: 'list', args: ['list'] },
      { name: 'plan <spec>', args: ['plan', specFile] },
    ];
    for (const c of commands) {
      const samples = new Map<string, { ms: number[]; codes: number[] }>(runtimes.map((r) => [r.label, { ms: [], codes: [] }]));
      for (let i = 0; i < opts.warmup + opts.runs; i++) {
        for (const r of runtimes) {
          const t = await timeOnce(cliArgv(r.runtime, c.args), env, ROOT);
          if (i >= opts.warmup) {
            samples.get(r.label)!.ms.push(t.ms);
            samples.get(r.label)!.codes.push(t.code);
          }
        }
      }
      for (const r of runtimes) {
        const { ms, codes } = samples.get(r.label)!;
        const sorted = [...ms].sort((a, b) => a - b);
        const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
        const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ms.length - 1));
        const t: CliTiming = { command: c.name, runtime: r.label, runs: ms.length, meanMs: mean, sdMs: sd, minMs: sorted[0]!, medianMs: sorted[Math.floor(sorted.length / 2)]!, maxMs: sorted[sorted.length - 1]!, exitCodes: [...new Set(codes)] };
        out.push(t);
        opts.log(`  cli ${c.name} (${r.label}): ${mean.toFixed(0)} ± ${sd.toFixed(0)} ms (min ${t.minMs.toFixed(0)}, median ${t.medianMs.toFixed(0)}; exit ${t.exitCodes.join(',')})`);
      }
    }
  } finally {
    await worker.stop();
    await client.connection.close();
    await emulator.close();
  }
  return out;
}
