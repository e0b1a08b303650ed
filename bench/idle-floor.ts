/**
 * `npx tsx bench/idle-floor.ts` — the idle RSS of a bare Temporal worker, without starwave: the floor
 * under the idle figure of docs/footprint.md. One process per measurement, each started with the heap
 * bound `starwave worker` uses (--max-old-space-size=160), once with Node's and glibc's other defaults and once
 * with the rest of what the launcher sets (semi-space, --optimize-for-size, MALLOC_ARENA_MAX): a Temporal dev server of its own, then a
 * worker with (a) a bundle of one trivial workflow and one trivial activity, (b) the same worker with
 * starwave's prebuilt workflow bundle (dist/workflow-bundle.js, `npm run build` first). Each polls an
 * empty task queue for 5 s; VmHWM (peak RSS) from /proc. Two runs each.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { DEFAULT_WORKER_HEAP_MB, DEFAULT_WORKER_SEMI_SPACE_MB } from '../src/config/env';
import { ROOT, ownDevServer } from './harness';

/** Runs in the child: a worker on the bundle, polling 5 s, then prints its peak RSS in MiB. */
const PROBE = `
const { readFileSync } = require('node:fs');
const { DefaultLogger, NativeConnection, Runtime, Worker } = require('@temporalio/worker');
(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.argv[1] });
  const worker = await Worker.create({ connection, taskQueue: 'floor-' + Date.now(), workflowBundle: { codePath: process.argv[2] }, activities: { a: async () => 1 } });
  const run = worker.run();
  await new Promise((r) => setTimeout(r, 5000));
  const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  worker.shutdown();
  await run;
  await connection.close();
  console.log(hwm.toFixed(0));
})();`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starwave-floor-'));
  const silent = (): void => {};
  const { code } = await bundleWorkflowCode({ workflowsPath: join(ROOT, 'bench', 'floor', 'workflows.ts'), logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent } });
  const trivial = join(dir, 'trivial-bundle.js');
  writeFileSync(trivial, code);
  const bundles: Array<[string, string]> = [['one trivial workflow', trivial]];
  const starwave = join(ROOT, 'dist', 'workflow-bundle.js');
  if (existsSync(starwave)) bundles.push(["starwave's workflow bundle (dist/)", starwave]);
  else process.stderr.write('idle-floor: dist/workflow-bundle.js is missing (npm run build); measuring the trivial bundle only\n');
  const server = await ownDevServer();
  try {
    // Node's and glibc's defaults, then the settings `starwave worker`'s launcher gives its worker (bin/starwave.js).
    const settings: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['Node and glibc defaults', [], {}],
      [`starwave worker's settings (semi-space ${DEFAULT_WORKER_SEMI_SPACE_MB} MiB, --optimize-for-size, MALLOC_ARENA_MAX=2)`, [`--max-semi-space-size=${DEFAULT_WORKER_SEMI_SPACE_MB}`, '--optimize-for-size'], { MALLOC_ARENA_MAX: '2' }],
    ];
    for (const [label, bundle] of bundles) {
      for (const [setting, flags, env] of settings) {
        const runs: string[] = [];
        for (let i = 0; i < 2; i++) {
          const out = spawnSync(process.execPath, [`--max-old-space-size=${DEFAULT_WORKER_HEAP_MB}`, ...flags, '-e', PROBE, server.address, bundle], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
          if (out.status !== 0) throw new Error(`the probe worker failed (exit ${out.status}):\n${out.stderr}`);
          runs.push(out.stdout.trim());
        }
        process.stdout.write(`bare Temporal worker, ${label}, ${setting}: peak RSS ${runs.join(', ')} MiB\n`);
      }
    }
  } finally {
    await server.stop();
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
