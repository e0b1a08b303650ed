/**
 * `npm run smoke:package` (CI step after `npm run build`): the package as a user gets it.
 *
 *   1. `npm pack` the built checkout into a temporary folder;
 *   2. `npm install <tarball>` into an EMPTY temporary folder (production dependencies only: no tsx, no typescript);
 *   3. the installed `starwave --help`;
 *   4. the installed `starwave worker` against a dev server until it polls, then SIGTERM: exit 0 within 30 s;
 *   5. the installed `starwave demo --regions 1 --instances 5`: exit 0 and a completed rollout.
 *
 * The installed package finds the Temporal CLI the way it would for a user (TEMPORAL_CLI_PATH, PATH, then its per-user
 * cache ~/.cache/starwave); the smoke test hands it this checkout's CLI through TEMPORAL_CLI_PATH so a fresh machine
 * does not build it twice. `--keep` leaves the temporary folders for inspection.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTemporalCli, startDevServer } from '../src/devserver/temporal-cli';

const ROOT = join(__dirname, '..');
const keep = process.argv.includes('--keep');
const say = (line: string): void => {
  process.stdout.write(`[smoke] ${line}\n`);
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    throw new Error(`'${command} ${args.join(' ')}' failed (exit ${result.status}, signal ${result.signal}):\n${output}`);
  }
  say(`${command} ${args.join(' ')}: ok in ${seconds(Date.now() - started)}`);
  return output;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'build-info.json'))) throw new Error('dist/ is not built: run npm run build first.');
  const work = mkdtempSync(join(tmpdir(), 'starwave-smoke-'));
  const packDir = join(work, 'pack');
  const installDir = join(work, 'install');
  mkdirSync(packDir);
  mkdirSync(installDir);
  try {
    run('npm', ['pack', '--silent', '--pack-destination', packDir], ROOT);
    const tarball = readdirSync(packDir).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no tarball into ${packDir}.`);
    const listing = run('tar', ['tzf', join(packDir, tarball)], ROOT).split('\n').filter(Boolean);
    const outside = listing.filter((path) => !/^package\/(dist\/|bin\/|README\.md$|LICENSE$|package\.json$)/.test(path));
    if (outside.length > 0) throw new Error(`The tarball holds files that do not run: ${outside.slice(0, 10).join(', ')}.`);
    say(`${tarball}: ${listing.length} files, all under dist/ and bin/ (plus README.md, package.json)`);

    run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', join(packDir, tarball)], installDir);
    for (const dev of ['tsx', 'typescript', 'vitest']) {
      if (existsSync(join(installDir, 'node_modules', dev))) throw new Error(`The installed package pulled in ${dev}, a development tool.`);
    }
    if (existsSync(join(installDir, 'node_modules', 'starwave', 'src'))) throw new Error('The installed package contains src/.');
    const bin = join(installDir, 'node_modules', '.bin', 'starwave');

    const help = run(bin, ['--help'], installDir);
    if (!/^Commands:$/m.test(help) || !/\bworker\b/.test(help)) throw new Error(`starwave --help did not list the commands:\n${help}`);

    const cli = await resolveTemporalCli({ log: say });
    const env = { ...process.env, TEMPORAL_CLI_PATH: cli.path };

    const server = await startDevServer({ cliPath: cli.path });
    try {
      await smokeWorker(bin, installDir, { ...env, TEMPORAL_ADDRESS: server.address });
    } finally {
      await server.stop();
    }

    const demo = run(bin, ['demo', '--regions', '1', '--instances', '5'], installDir, env);
    const summary = demo.split('\n').find((line) => /^Rollout .* completed/.test(line));
    if (!summary) throw new Error(`starwave demo did not report a completed rollout:\n${demo}`);
    say(`demo: ${summary.trim()}`);
    say('the packaged starwave works: 1 tarball, installed without TypeScript tooling, --help, worker and demo ok');
  } finally {
    if (keep) say(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

async function smokeWorker(bin: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const started = Date.now();
  const child = spawn(bin, ['worker', '--task-queue', `smoke-${process.pid}`], { cwd, env: { ...env, STARWAVE_LOG_LEVEL: 'WARN' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 120_000;
  while (!output.includes('polling task queue')) {
    if (child.exitCode !== null) throw new Error(`starwave worker exited early (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`starwave worker did not poll within 120 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`starwave worker: polling after ${seconds(Date.now() - started)}`);
  const stopping = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 30_000).unref())]);
  if (code === 'late') {
    child.kill('SIGKILL');
    throw new Error(`starwave worker was still running 30 s after SIGTERM:\n${output}`);
  }
  if (code !== 0) throw new Error(`starwave worker exited with ${code} after SIGTERM:\n${output}`);
  say(`starwave worker: SIGTERM → exit 0 in ${seconds(Date.now() - stopping)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[smoke] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
