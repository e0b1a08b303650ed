#!/usr/bin/env node
'use strict';
// starwave's command line (package.json "bin"). Plain JavaScript: it runs before anything is compiled.
//
// WHICH CODE RUNS
//   dist/cli/main.js, compiled by `npm run build`, and the workflow bundle dist/workflow-bundle.js built with it.
//   An installed package (npm install, the Docker image) has nothing else. In a development checkout (src/ is
//   here and tsx resolves) src/cli/main.ts runs through tsx instead when dist/ is missing or older than a file in
//   src/, so editing src/ after a build never runs stale code.
//
// `starwave worker` AND ITS HEAP
//   A worker bounds its V8 heap: under load Node otherwise grows the heap far past what it needs (measured: peak
//   RSS 454 MiB by default vs 266 MiB with a 96 MiB old space, 3,000 restarts). Node 20 fixes the heap size when
//   the process starts: v8.setFlagsFromString('--max-old-space-size=160') at the very start leaves
//   heap_size_limit at its default (measured on Node 20.20: 4144 MiB before and after, and 468 MiB allocated
//   afterwards), so the limit needs a fresh process. The launcher runs the worker as its one child with an IPC
//   channel and stays out of the way:
//     - the child exits as soon as the channel closes, so `kill -9 <launcher>` leaves no orphan polling Temporal;
//     - SIGINT and SIGTERM are passed on (SIGHUP as SIGTERM); the worker drains and exits within its shutdown deadline (30 s, see
//       src/worker/main.ts); if it has not exited 5 s after that, the launcher kills it (SIGKILL) and exits;
//     - the launcher exits with the child's code (128 + signal number when the child died of a signal).
//
// THE WORKER CHILD'S MEMORY SETTINGS (measured at 10,000 instances in docs/footprint.md)
//   --max-old-space-size=160   the heap bound above
//   --max-semi-space-size=8    V8's young generation: Node's default semi-space is 16 MiB and the young generation
//                              takes three of them; 8 MiB gives back ~20 MiB of peak RSS for more frequent scavenges
//   --optimize-for-size        V8 favours memory over speed (heap growth, code kept); idle 158 -> 135 MiB and
//                              255-266 -> 200-217 MiB at 10,000 instances; CPU within the run-to-run spread
//   MALLOC_ARENA_MAX=2         glibc keeps up to 8 malloc arenas per core for the Rust core's and Node's threads,
//                              each holding freed memory; 2 arenas gave back ~70 MiB at 10,000 instances
//   Each is left alone when set explicitly (a node flag, NODE_OPTIONS, or MALLOC_ARENA_MAX in the environment).
//
// ENVIRONMENT read here, and nothing else:
//   STARWAVE_WORKER_HEAP_MB            old-space limit of `starwave worker` in MiB (default 160; 0 keeps Node's and
//                                      runs the worker in this process, without the settings above);
//                                      an explicit --max-old-space-size (node flag or NODE_OPTIONS) wins
//   STARWAVE_WORKER_SEMI_SPACE_MB      semi-space limit of the worker child in MiB (default 8; 0 keeps Node's);
//                                      an explicit --max-semi-space-size wins
//   STARWAVE_WORKER_OPTIMIZE_FOR_SIZE  0 runs the worker child without --optimize-for-size (default 1); an explicit
//                                      --optimize-for-size or --no-optimize-for-size node flag wins
//   MALLOC_ARENA_MAX                   only to leave an explicit setting alone (else 2 for the worker child)
//   STARWAVE_WORKER_SHUTDOWN_SECONDS   shutdown deadline of `starwave worker` (default 30) for the launcher's
//                                      backstop; the worker itself reads it through src/config/env.ts
//   NODE_OPTIONS                       only to see an explicit --max-old-space-size
//   STARWAVE_WORKFLOW_BUNDLE           only to leave an explicit setting alone: when the compiled CLI runs and the
//                                      variable is unset, it is set to dist/workflow-bundle.js
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const DIST_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const DIST_BUNDLE = join(ROOT, 'dist', 'workflow-bundle.js');
const BUILD_INFO = join(ROOT, 'dist', 'build-info.json');
const SRC = join(ROOT, 'src');
const SRC_MAIN = join(SRC, 'cli', 'main.ts');

const DEFAULT_WORKER_HEAP_MB = '160';
const DEFAULT_WORKER_SEMI_SPACE_MB = '8';
const DEFAULT_MALLOC_ARENA_MAX = '2';
const DEFAULT_SHUTDOWN_SECONDS = 30;
const BACKSTOP_EXTRA_MS = 5_000;
/** Global options that take a value: `starwave --address h:p worker` is still the worker command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--address', '--namespace', '--profile']);

function subcommand(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Whether any file under `dir` was modified after `limitMs` (stops at the first one; ~1 ms for src/). */
function hasFileNewerThan(dir, limitMs) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (hasFileNewerThan(path, limitMs)) return true;
    } else if (statSync(path).mtimeMs > limitMs) {
      return true;
    }
  }
  return false;
}

function tsxResolvable() {
  try {
    require.resolve('tsx/cjs', { paths: [ROOT] });
    return true;
  } catch {
    return false;
  }
}

/** 'dist' | 'tsx' | a sentence saying why neither can run. */
function chooseEntry() {
  const developmentCheckout = existsSync(SRC_MAIN) && tsxResolvable();
  const built = existsSync(DIST_MAIN) && existsSync(BUILD_INFO);
  if (!developmentCheckout) {
    return built
      ? 'dist'
      : `starwave is not built: ${DIST_MAIN} is missing. In a checkout run 'npm ci && npm run build'; otherwise reinstall the package.`;
  }
  // A checkout: the build wins only while no source file is newer than it.
  if (built && !hasFileNewerThan(SRC, statSync(BUILD_INFO).mtimeMs)) return 'dist';
  return 'tsx';
}

function runCli(entry) {
  if (entry === 'dist') {
    if (!process.env.STARWAVE_WORKFLOW_BUNDLE && existsSync(DIST_BUNDLE)) process.env.STARWAVE_WORKFLOW_BUNDLE = DIST_BUNDLE;
    require(DIST_MAIN);
  } else {
    require('tsx/cjs');
    require(SRC_MAIN);
  }
}

/** Node flags and node's own NODE_OPTIONS, to see what was set explicitly. */
function explicitlySet(flag) {
  return [...process.execArgv, process.env.NODE_OPTIONS || ''].join(' ').includes(flag);
}

/** The worker child's Node flags and environment (see THE WORKER CHILD'S MEMORY SETTINGS at the top). */
function workerChildSettings(heapMb) {
  const flags = [`--max-old-space-size=${heapMb}`];
  const semiSpaceMb = process.env.STARWAVE_WORKER_SEMI_SPACE_MB || DEFAULT_WORKER_SEMI_SPACE_MB;
  // A malformed value is reported, with every other setting, by the CLI's environment check in the child.
  if (/^\d+$/.test(semiSpaceMb) && semiSpaceMb !== '0' && !explicitlySet('--max-semi-space-size')) flags.push(`--max-semi-space-size=${semiSpaceMb}`);
  // NODE_OPTIONS cannot carry this V8 flag, so only a node flag counts as explicit.
  if (process.env.STARWAVE_WORKER_OPTIMIZE_FOR_SIZE !== '0' && !process.execArgv.some((a) => /^--(no-)?optimize[-_]for[-_]size$/.test(a))) flags.push('--optimize-for-size');
  const env = { ...process.env };
  if (env.MALLOC_ARENA_MAX === undefined) env.MALLOC_ARENA_MAX = DEFAULT_MALLOC_ARENA_MAX;
  return { flags, env };
}

/** The launcher of `starwave worker`: one child with the memory settings, tied to this process (see the top). */
function launchWorker(heapMb) {
  const { spawn } = require('node:child_process');
  const { constants } = require('node:os');
  const { flags, env } = workerChildSettings(heapMb);
  const child = spawn(process.execPath, [...process.execArgv, ...flags, __filename, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env,
  });
  const shutdownText = process.env.STARWAVE_WORKER_SHUTDOWN_SECONDS;
  const shutdownSeconds = /^\d+$/.test(shutdownText || '') && Number(shutdownText) > 0 ? Number(shutdownText) : DEFAULT_SHUTDOWN_SECONDS;
  let backstop;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      // SIGHUP (the terminal went away) is not one of the worker's drain signals: ask it to drain with SIGTERM.
      if (child.exitCode === null && child.signalCode === null) child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
      backstop ??= setTimeout(() => {
        process.stderr.write(
          `starwave worker (pid ${child.pid}) did not exit within ${shutdownSeconds} s of ${signal} plus ${BACKSTOP_EXTRA_MS / 1000} s; killing it.\n`,
        );
        child.kill('SIGKILL');
      }, shutdownSeconds * 1000 + BACKSTOP_EXTRA_MS);
    });
  }
  child.on('error', (err) => {
    process.stderr.write(`Could not start the starwave worker process: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] || 0)));
}

function main() {
  const entry = chooseEntry();
  if (entry !== 'dist' && entry !== 'tsx') {
    process.stderr.write(`${entry}\n`);
    process.exit(1);
  }

  if (subcommand(process.argv.slice(2)) === 'worker') {
    if (process.channel) {
      // Started by a launcher (or any parent holding an IPC channel to us): when the channel closes the parent is
      // gone, killed or not, and a worker nobody supervises must not keep polling. The channel itself must not keep
      // the process alive after the worker has stopped.
      process.channel.unref();
      process.on('disconnect', () => {
        process.stderr.write('starwave worker: its launcher process is gone; exiting now (Temporal retries unfinished tasks on another worker).\n');
        process.exit(1);
      });
    } else {
      const heapMb = process.env.STARWAVE_WORKER_HEAP_MB || DEFAULT_WORKER_HEAP_MB;
      const explicit = explicitlySet('--max-old-space-size');
      // A malformed value is reported, with every other setting, by the CLI's environment check.
      if (/^\d+$/.test(heapMb) && heapMb !== '0' && !explicit) return launchWorker(heapMb);
    }
  }
  runCli(entry);
}

main();
