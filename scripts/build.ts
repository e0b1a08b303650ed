/**
 * `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json) and prebuilds the Temporal workflow bundle.
 *
 *   dist/<same layout as src>/*.js   e.g. dist/cli/main.js (what bin/starwave.js runs), dist/worker/worker.js
 *   dist/workflow-bundle.js          bundleWorkflowCode(src/workflows/index.ts), source map without embedded sources
 *                                    (src/worker/bundle-options.ts): a worker loads it instead of
 *                                    bundling with webpack at start (STARWAVE_WORKFLOW_BUNDLE points at it)
 *   dist/build-info.json             version, commit, time; written last, so its presence means a complete build
 *                                    (bin/starwave.js in a checkout uses dist/ only while src/ is not newer than it)
 *
 * dist/ is removed first: a file deleted from src/ must not live on in the package.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowWebpackConfig } from '../src/worker/bundle-options';

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const began = Date.now();
  rmSync(DIST, { recursive: true, force: true });

  say('tsc -p tsconfig.build.json (src/ → dist/)...');
  let started = Date.now();
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) {
    throw new Error(`tsc failed (exit ${tsc.status}); the errors are listed above and nothing was bundled.`);
  }
  say(`  compiled in ${seconds(Date.now() - started)}`);

  say('Bundling the workflows (src/workflows/index.ts → dist/workflow-bundle.js)...');
  started = Date.now();
  const warnings: string[] = [];
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(ROOT, 'src', 'workflows', 'index.ts'),
    // No embedded sources in its source map (see WORKFLOW_BUNDLE_DEVTOOL): half the size, less memory per worker.
    webpackConfigHook: workflowWebpackConfig,
    logger: {
      log: () => {},
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (message) => warnings.push(message),
      error: (message, meta) => process.stderr.write(`${message} ${JSON.stringify(meta ?? {})}\n`),
    },
  });
  for (const warning of warnings) say(`  warning: ${warning}`);
  const bundlePath = join(DIST, 'workflow-bundle.js');
  mkdirSync(DIST, { recursive: true });
  writeFileSync(bundlePath, code);
  say(`  bundled in ${seconds(Date.now() - started)} (${(statSync(bundlePath).size / 1024).toFixed(0)} KiB)`);

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const commit = git.status === 0 ? git.stdout.trim() : undefined;
  writeFileSync(
    join(DIST, 'build-info.json'),
    `${JSON.stringify({ version: pkg.version, commit, builtAt: new Date().toISOString(), workflowBundle: 'workflow-bundle.js' }, null, 2)}\n`,
  );
  say(`Built dist/ in ${seconds(Date.now() - began)}${commit ? ` (at ${commit})` : ''}.`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
