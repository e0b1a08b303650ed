/**
 * Which code a benchmark or fault-suite worker runs: the TypeScript sources through tsx, or compiled
 * JavaScript laid out as an installed package (`<root>/dist/…`, `<root>/bin/starwave.js`,
 * `<root>/package.json`). Compiled code is always a private copy in .data/bench-build/ (git-ignored),
 * compiled with the same tsc config and workflow bundler as `npm run build` whenever it is older than
 * src/: a benchmark never deletes the shared dist/ under someone else's feet, and an edit of src/ during
 * a run cannot switch its workers to tsx.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowWebpackConfig } from '../src/worker/bundle-options';
import { ROOT } from '../test/support/processes';

export type WorkerRuntime = { kind: 'tsx' } | { kind: 'dist'; root: string };

export const PRIVATE_BUILD = join(ROOT, '.data', 'bench-build');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** A compiled layout under `root` that is at least as new as every file in src/. */
function fresh(root: string): boolean {
  const info = join(root, 'dist', 'build-info.json');
  return existsSync(info) && existsSync(join(root, 'dist', 'workflow-bundle.js')) && statSync(info).mtimeMs >= newestMtimeMs(join(ROOT, 'src'));
}

/** The checkout's dist/ when it is fresh, else undefined. */
export function freshCheckoutDist(): WorkerRuntime | undefined {
  return fresh(ROOT) ? { kind: 'dist', root: ROOT } : undefined;
}

/**
 * Compiled code of the current sources: .data/bench-build/ (rebuilt when older than src/). The private copy gets package.json (the CLI reads its version
 * through ../../package.json) and bin/starwave.js, so `node <root>/bin/starwave.js` runs exactly what
 * an installed package runs (no src/ next to it: the launcher picks dist/).
 */
export async function compiledRuntime(log: (line: string) => void): Promise<{ runtime: WorkerRuntime & { kind: 'dist' }; builtMs?: number }> {
  // Never the checkout's own dist/: its bin/starwave.js runs tsx as soon as a file in src/ is newer than dist/,
  // so an edit during a long run would silently turn later "compiled" figures into tsx figures (it did once).
  // The private copy has no src/ next to it, so its launcher always runs dist/.
  if (fresh(PRIVATE_BUILD)) return { runtime: { kind: 'dist', root: PRIVATE_BUILD } };
  const began = Date.now();
  log(`build: dist/ is missing or older than src/; compiling a private copy into ${PRIVATE_BUILD}`);
  rmSync(PRIVATE_BUILD, { recursive: true, force: true });
  const dist = join(PRIVATE_BUILD, 'dist');
  mkdirSync(join(PRIVATE_BUILD, 'bin'), { recursive: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', dist], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status}) compiling src/ for the benchmark:\n${tsc.stdout}${tsc.stderr}`);
  const silent = (): void => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(ROOT, 'src', 'workflows', 'index.ts'),
    // What npm run build does (src/worker/bundle-options.ts).
    webpackConfigHook: workflowWebpackConfig,
    logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent },
  });
  writeFileSync(join(dist, 'workflow-bundle.js'), code);
  copyFileSync(join(ROOT, 'package.json'), join(PRIVATE_BUILD, 'package.json'));
  copyFileSync(join(ROOT, 'bin', 'starwave.js'), join(PRIVATE_BUILD, 'bin', 'starwave.js'));
  writeFileSync(join(dist, 'build-info.json'), `${JSON.stringify({ builtAt: new Date().toISOString(), by: 'bench/build.ts' })}\n`);
  const builtMs = Date.now() - began;
  log(`build: compiled in ${(builtMs / 1000).toFixed(1)} s`);
  return { runtime: { kind: 'dist', root: PRIVATE_BUILD }, builtMs };
}

/**
 * The workflow bundle as `npm run build` made it before 2026-12-01: the SDK's own webpack settings, whose inline
 * source map embeds every source file (3.5 MiB instead of 1.9 MiB). For the "before" rows of the footprint.
 */
export async function bundleWithEmbeddedSources(log: (line: string) => void): Promise<string> {
  const file = join(PRIVATE_BUILD, 'workflow-bundle-with-sources.js');
  if (existsSync(file) && statSync(file).mtimeMs >= newestMtimeMs(join(ROOT, 'src'))) return file;
  const silent = (): void => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(ROOT, 'src', 'workflows', 'index.ts'),
    logger: { log: silent, trace: silent, debug: silent, info: silent, warn: silent, error: silent },
  });
  mkdirSync(PRIVATE_BUILD, { recursive: true });
  writeFileSync(file, code);
  log(`build: workflow bundle with embedded sources (as before) ${(code.length / 1024).toFixed(0)} KiB`);
  return file;
}

export function describeRuntime(runtime: WorkerRuntime): string {
  if (runtime.kind === 'tsx') return 'tsx (src/*.ts)';
  return runtime.root === ROOT ? 'compiled (dist/)' : 'compiled (private build of src/)';
}
