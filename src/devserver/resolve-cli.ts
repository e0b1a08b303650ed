/**
 * Finding or building the Temporal CLI (the binary whose `server start-dev` is starwave's dev server): on
 * TEMPORAL_CLI_PATH, on PATH, in the tool cache, by a Go build into the cache, or through the SDK's download.
 * Nothing here imports the Temporal SDK at module load: resolving the cached binary on a second run must stay
 * instant (existence plus one `--version`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadEnv } from '../config/env';
import { DevServerError, DevServerErrorCode } from './errors';
import { findGo, goInstall, MIN_GO_VERSION } from './go';
import { toolCacheDir, projectRoot } from './paths';
import { findOnPath, formatSeconds, isExecutable, noLog, type LogLine } from './process-utils';

/** Pinned CLI release; newer releases cannot be built with `go install` (replace directives). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export const TemporalCliSource = {
  env: 'env',
  path: 'path',
  cache: 'cache',
  built: 'built',
  sdkDownload: 'sdk-download',
} as const;
export type TemporalCliSource = (typeof TemporalCliSource)[keyof typeof TemporalCliSource];

export interface ResolvedTemporalCli {
  /** Absolute path of an executable that supports `temporal server start-dev`. */
  path: string;
  source: TemporalCliSource;
}

/**
 * Where a built or downloaded CLI is cached: `<tool cache>/bin/temporal`, i.e. `<root>/.temporal/bin/temporal` in a
 * development checkout and `~/.cache/starwave/bin/temporal` for an installed package (see paths.ts).
 */
export function cachedTemporalCliPath(root: string = projectRoot()): string {
  return join(toolCacheDir(root), 'bin', process.platform === 'win32' ? 'temporal.exe' : 'temporal');
}

export interface ResolveTemporalCliOptions {
  /** Receives progress lines (what is being tried, build progress, timings). Default: silent. */
  log?: LogLine;
  /**
   * Whether to acquire a CLI when none is installed: build it with Go, then try the SDK's download.
   * `false` only looks at `TEMPORAL_CLI_PATH`, `PATH` and the cache. Default `true`.
   */
  allowBuild?: boolean;
  /** Package root whose tool cache is used. Default: this checkout or installed package. */
  root?: string;
}

/**
 * Finds a Temporal CLI, in order: `TEMPORAL_CLI_PATH` → `temporal` on `PATH` → the tool cache → a Go build into
 * the cache → the SDK's own download (only where the internet is reachable). Throws {@link DevServerError} with
 * code `TEMPORAL_CLI_NOT_FOUND` and one sentence on what to install when all of them fail.
 */
export async function resolveTemporalCli(opts: ResolveTemporalCliOptions = {}): Promise<ResolvedTemporalCli> {
  const log = opts.log ?? noLog;
  const root = opts.root ?? projectRoot();

  const fromEnv = loadEnv().temporalCliPath;
  if (fromEnv) {
    // An explicit setting that does not work is a configuration error, not a reason to silently use another binary.
    const problem = checkTemporalCli(fromEnv);
    if (problem) {
      throw new DevServerError(DevServerErrorCode.cliPathInvalid, `TEMPORAL_CLI_PATH=${fromEnv} ${problem}.`);
    }
    return { path: resolve(fromEnv), source: TemporalCliSource.env };
  }

  const cachePath = cachedTemporalCliPath(root);
  for (const candidate of findOnPath('temporal')) {
    if (resolve(candidate) === cachePath) continue;
    if (!checkTemporalCli(candidate)) return { path: candidate, source: TemporalCliSource.path };
    log(`ignoring ${candidate}: it is not a Temporal CLI with 'server start-dev'`);
  }

  // The cache check must stay cheap: existence plus one `--version` (~50 ms), never Go.
  if (isExecutable(cachePath) && runsVersion(cachePath)) {
    return { path: cachePath, source: TemporalCliSource.cache };
  }

  if (opts.allowBuild === false) {
    throw notFound('building was not allowed', cachePath);
  }

  const go = findGo();
  if (go.ok) {
    await goInstall(
      go.path,
      [{ packageAtVersion: `${TEMPORAL_CLI_GO_PACKAGE}@${TEMPORAL_CLI_VERSION}`, builtName: 'temporal', destination: cachePath }],
      log,
      `the Temporal CLI ${TEMPORAL_CLI_VERSION} into ${cachePath}`,
    );
    return { path: cachePath, source: TemporalCliSource.built };
  }
  log(`cannot build the Temporal CLI with Go: ${go.reason}`);

  const downloaded = await trySdkDownload(join(toolCacheDir(root), 'sdk-download'), log);
  if (downloaded) return { path: downloaded, source: TemporalCliSource.sdkDownload };

  throw notFound(go.reason, cachePath);
}

function notFound(detail: string, cachePath: string): DevServerError {
  return new DevServerError(
    DevServerErrorCode.cliNotFound,
    `No Temporal CLI found (${detail}): install Go >= ${MIN_GO_VERSION.major}.${MIN_GO_VERSION.minor} ` +
      `(https://go.dev/dl/) so it can be built into ${cachePath}, or put a 'temporal' binary on PATH, ` +
      `or set TEMPORAL_CLI_PATH to one.`,
  );
}

/** Returns why `path` is not a usable Temporal CLI, or `undefined` when it is. */
function checkTemporalCli(path: string): string | undefined {
  if (!isExecutable(path)) return 'is not an executable file';
  if (!runsVersion(path)) return "does not run '--version' like the Temporal CLI";
  const help = spawnSync(path, ['server', 'start-dev', '--help'], { stdio: 'ignore', timeout: 10_000 });
  if (help.status !== 0) return "does not support 'server start-dev'";
  return undefined;
}

function runsVersion(path: string): boolean {
  const out = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 && /temporal version/i.test(out.stdout);
}

/**
 * Last resort: the SDK's own download of the dev server into `downloadDir`. Fails fast when temporal.download is
 * not reachable, instead of waiting out the SDK's network timeouts.
 */
async function trySdkDownload(downloadDir: string, log: LogLine): Promise<string | undefined> {
  try {
    await fetch('https://temporal.download/', { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
  } catch {
    log('temporal.download is not reachable; skipping the SDK download');
    return undefined;
  }
  log(`Downloading the Temporal dev server through @temporalio/testing into ${downloadDir}...`);
  const started = Date.now();
  try {
    mkdirSync(downloadDir, { recursive: true });
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir } },
    });
    await env.teardown();
    const file = readdirSync(downloadDir)
      .filter((name) => name.startsWith('temporal') && !name.endsWith('.downloading'))
      .map((name) => join(downloadDir, name))
      .find(isExecutable);
    if (!file) return undefined;
    log(`Downloaded the Temporal dev server in ${formatSeconds(Date.now() - started)}.`);
    return file;
  } catch (err) {
    log(`SDK download failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
