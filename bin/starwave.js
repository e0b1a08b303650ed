#!/usr/bin/env node
'use strict';

// A worker bounds its V8 heap: under load Node otherwise grows the heap far past what it needs
// (measured: peak RSS 454 MiB by default vs 266 MiB with a 96 MiB old space, 3,000 restarts).
// The limit must be set when the process starts, so `starwave worker` re-runs itself with it.
// STARWAVE_WORKER_HEAP_MB=0 keeps Node's default; an explicit --max-old-space-size wins.
const WORKER_HEAP_MB = process.env.STARWAVE_WORKER_HEAP_MB || '160';
const explicit = [...process.execArgv, process.env.NODE_OPTIONS || ''].join(' ').includes('--max-old-space-size');
if (process.argv[2] === 'worker' && WORKER_HEAP_MB !== '0' && !explicit) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${WORKER_HEAP_MB}`, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // The worker drains gracefully on SIGINT/SIGTERM; pass them on and exit as it exits.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return;
}

// Runs the TypeScript CLI directly: tsx is a runtime dependency, so there is no build step.
require('tsx/cjs');
require('../src/cli/main.ts');
