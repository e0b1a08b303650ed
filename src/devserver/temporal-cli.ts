/**
 * Provisioning and running the Temporal CLI dev server (`temporal server start-dev`).
 *
 * One module used by the tests' global setup, `npm run temporal[:provision]`, the demo and CI, so every machine
 * finds or builds the server the same way. Nothing here imports the Temporal SDK at module load: resolving the
 * cached binary on a second run must stay instant.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';

/** Pinned CLI release; newer releases cannot be built with `go install` (replace directives). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
/** Oldest Go that can build the CLI: it fetches the Go 1.25 toolchain the CLI's go.mod asks for on its own. */
export const MIN_GO_VERSION = { major: 1, minor: 22 } as const;

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

export const DevServerErrorCode = {
  /** No Temporal CLI could be found, built or downloaded. */
  cliNotFound: 'TEMPORAL_CLI_NOT_FOUND',
  /** `TEMPORAL_CLI_PATH` is set but does not point at a working Temporal CLI. */
  cliPathInvalid: 'TEMPORAL_CLI_PATH_INVALID',
  /** `go install` ran and failed. */
  buildFailed: 'TEMPORAL_CLI_BUILD_FAILED',
  /** The dev server process exited before its frontend accepted connections. */
  serverExited: 'TEMPORAL_DEV_SERVER_EXITED',
  /** The dev server did not accept connections within `startTimeoutMs`. */
  serverStartTimeout: 'TEMPORAL_DEV_SERVER_START_TIMEOUT',
} as const;
export type DevServerErrorCode = (typeof DevServerErrorCode)[keyof typeof DevServerErrorCode];

/** Errors of this module; match on `code`, not on the message. */
export class DevServerError extends Error {
  override readonly name = 'DevServerError';
  constructor(
    readonly code: DevServerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type LogLine = (line: string) => void;

const noLog: LogLine = () => {};

/** The repository root (this file lives in `<root>/src/devserver/`). */
export function projectRoot(): string {
  return resolve(__dirname, '..', '..');
}

/** Where a built or downloaded CLI is cached: `<root>/.temporal/bin/temporal` (git-ignored). */
export function cachedTemporalCliPath(root: string = projectRoot()): string {
  return join(root, '.temporal', 'bin', process.platform === 'win32' ? 'temporal.exe' : 'temporal');
}

export interface ResolveTemporalCliOptions {
  /** Receives progress lines (what is being tried, build progress, timings). Default: silent. */
  log?: LogLine;
  /**
   * Whether to acquire a CLI when none is installed: build it with Go, then try the SDK's download.
   * `false` only looks at `TEMPORAL_CLI_PATH`, `PATH` and the cache. Default `true`.
   */
  allowBuild?: boolean;
  /** Repository root holding the `.temporal/` cache. Default: this checkout. */
  root?: string;
}

/**
 * Finds a Temporal CLI, in order: `TEMPORAL_CLI_PATH` → `temporal` on `PATH` → the project cache → a Go build into
 * the cache → the SDK's own download (only where the internet is reachable). Throws {@link DevServerError} with
 * code `TEMPORAL_CLI_NOT_FOUND` and one sentence on what to install when all of them fail.
 */
export async function resolveTemporalCli(opts: ResolveTemporalCliOptions = {}): Promise<ResolvedTemporalCli> {
  const log = opts.log ?? noLog;
  const root = opts.root ?? projectRoot();

  const fromEnv = process.env['TEMPORAL_CLI_PATH'];
  if (fromEnv) {
    // An explicit setting that does not work is a configuration error, not a reason to silently use another binary.
    const problem = checkTemporalCli(fromEnv);
    if (problem) {
      throw new DevServerError(DevServerErrorCode.cliPathInvalid, `TEMPORAL_CLI_PATH=${fromEnv} ${problem}`);
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
    throw notFound('building was not allowed');
  }

  const go = findGo();
  if (go.ok) {
    await buildWithGo(go.path, cachePath, log);
    return { path: cachePath, source: TemporalCliSource.built };
  }
  log(`cannot build the Temporal CLI with Go: ${go.reason}`);

  const downloaded = await trySdkDownload(join(root, '.temporal', 'sdk-download'), log);
  if (downloaded) return { path: downloaded, source: TemporalCliSource.sdkDownload };

  throw notFound(go.reason);
}

function notFound(detail: string): DevServerError {
  return new DevServerError(
    DevServerErrorCode.cliNotFound,
    `No Temporal CLI found (${detail}): install Go >= ${MIN_GO_VERSION.major}.${MIN_GO_VERSION.minor} ` +
      `(https://go.dev/dl/) so it can be built into .temporal/, or put a 'temporal' binary on PATH, ` +
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

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string[] {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  return dirs.flatMap((dir) => exts.map((ext) => join(dir, name + ext))).filter(isExecutable);
}

type GoLookup = { ok: true; path: string } | { ok: false; reason: string };

function findGo(): GoLookup {
  const go = findOnPath('go')[0];
  if (!go) return { ok: false, reason: "no 'go' on PATH" };
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8', timeout: 30_000 });
  const match = /go(\d+)\.(\d+)/.exec(out.stdout ?? '');
  if (out.status !== 0 || !match) return { ok: false, reason: `'${go} env GOVERSION' failed` };
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MIN_GO_VERSION.major || (major === MIN_GO_VERSION.major && minor < MIN_GO_VERSION.minor)) {
    return { ok: false, reason: `Go ${major}.${minor} is older than ${MIN_GO_VERSION.major}.${MIN_GO_VERSION.minor}` };
  }
  return { ok: true, path: go };
}

async function buildWithGo(go: string, cachePath: string, log: LogLine): Promise<void> {
  const started = Date.now();
  const binDir = dirname(cachePath);
  mkdirSync(binDir, { recursive: true });
  // Build into a private directory and rename: a build that is interrupted, or two builds racing (tests and
  // `npm run temporal` at once), never leave a half-written binary where the cache check would trust it.
  const gobin = mkdtempSync(join(binDir, '..', 'build-'));
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cachePath} ` +
      `(first build takes a few minutes; later runs reuse it)...`,
  );
  try {
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      const child = spawn(go, ['install', '-v', `${TEMPORAL_CLI_GO_PACKAGE}@${TEMPORAL_CLI_VERSION}`], {
        // CGO off: the CLI's SQLite is pure Go, and no C toolchain is then needed.
        env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      forwardLines(child.stdout, (line) => log(`  [go] ${line}`));
      forwardLines(child.stderr, (line) => log(`  [go] ${line}`));
      child.on('error', reject);
      child.on('close', resolvePromise);
    });
    const built = join(gobin, process.platform === 'win32' ? 'temporal.exe' : 'temporal');
    if (code !== 0 || !existsSync(built)) {
      throw new DevServerError(
        DevServerErrorCode.buildFailed,
        `'go install ${TEMPORAL_CLI_GO_PACKAGE}@${TEMPORAL_CLI_VERSION}' failed (exit ${code}); see the [go] lines above.`,
      );
    }
    renameSync(built, cachePath);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  log(`Built the Temporal CLI in ${formatSeconds(Date.now() - started)}.`);
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

export interface StartDevServerOptions {
  /** Temporal CLI to run. Default: {@link resolveTemporalCli}. */
  cliPath?: string;
  /** Frontend gRPC port; `0` picks a free port. Default `0`. */
  port?: number;
  /** Web UI port (`0` picks a free one); `false` or omitted runs headless. */
  uiPort?: number | false;
  /** Persistent SQLite file; omitted keeps all state in memory and loses it when the server stops. */
  dbFile?: string;
  /** Namespace created at start. Default `'default'` (which always exists). */
  namespace?: string;
  /** Our own progress lines. Default: silent. */
  log?: LogLine;
  /** The server's stdout/stderr lines (it logs at `warn`). Default: kept only for error messages. */
  serverLog?: LogLine;
  /** How long to wait for the frontend to answer. Default 60 000 ms. */
  startTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL in `stop()`. Default 10 000 ms. */
  stopGraceMs?: number;
}

export interface DevServer {
  /** `127.0.0.1:<port>` of the gRPC frontend. */
  address: string;
  namespace: string;
  /** `http://127.0.0.1:<uiPort>` when the UI runs. */
  uiUrl?: string;
  pid: number;
  /** SIGTERM, then SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` bound to 127.0.0.1 and resolves once the frontend answers a real call for the
 * namespace. The child is killed when this process exits.
 */
export async function startDevServer(opts: StartDevServerOptions = {}): Promise<DevServer> {
  const log = opts.log ?? noLog;
  const namespace = opts.namespace ?? 'default';
  const cliPath = opts.cliPath ?? (await resolveTemporalCli({ log })).path;
  const port = opts.port ? opts.port : await freePort();
  const uiPort = opts.uiPort === false || opts.uiPort === undefined ? undefined : opts.uiPort || (await freePort());
  const address = `127.0.0.1:${port}`;

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (opts.dbFile) {
    mkdirSync(dirname(resolve(opts.dbFile)), { recursive: true });
    args.push('--db-filename', resolve(opts.dbFile));
  }
  if (namespace !== 'default') args.push('--namespace', namespace);
  args.push('--log-level', 'warn');

  log(`Starting ${cliPath} ${args.join(' ')}`);
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const outputTail: string[] = [];
  const onServerLine = (line: string): void => {
    outputTail.push(line);
    if (outputTail.length > 30) outputTail.shift();
    opts.serverLog?.(line);
  };
  forwardLines(child.stdout, onServerLine);
  forwardLines(child.stderr, onServerLine);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedPromise = new Promise<void>((resolvePromise) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolvePromise();
    });
  });
  const spawnError = new Promise<never>((_, reject) => child.on('error', reject));

  const cleanup = installParentExitGuard(child, opts.dbFile ? 'SIGTERM' : 'SIGKILL');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      cleanup();
      if (exited) return;
      child.kill('SIGTERM');
      const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.stopGraceMs ?? 10_000).unref());
      if ((await Promise.race([exitedPromise, grace])) === 'timeout') {
        log(`Temporal dev server (pid ${child.pid}) ignored SIGTERM; sending SIGKILL`);
        child.kill('SIGKILL');
        await exitedPromise;
      }
    })();
    return stopping;
  };

  const tail = (): string => (outputTail.length ? `\n--- last server output ---\n${outputTail.join('\n')}` : '');
  try {
    await Promise.race([
      spawnError,
      waitForFrontend(address, namespace, opts.startTimeoutMs ?? 60_000, () => exited),
    ]);
  } catch (err) {
    await stop();
    if (err instanceof DevServerError) {
      throw new DevServerError(err.code, err.message + tail(), { cause: err });
    }
    throw new DevServerError(
      DevServerErrorCode.serverExited,
      `Could not start ${cliPath}: ${err instanceof Error ? err.message : String(err)}${tail()}`,
      { cause: err },
    );
  }

  const server: DevServer = { address, namespace, pid: child.pid ?? -1, stop };
  if (uiPort !== undefined) server.uiUrl = `http://127.0.0.1:${uiPort}`;
  return server;
}

/**
 * Kills the child when this process goes away. 'exit' covers normal ends; for SIGINT/SIGTERM/SIGHUP without any
 * other handler (where Node would die without emitting 'exit') we kill the child and re-raise the signal so the
 * process still ends the default way. Returns the uninstaller.
 */
function installParentExitGuard(child: ReturnType<typeof spawn>, exitSignal: NodeJS.Signals): () => void {
  const killChild = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(exitSignal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const installed: Array<[NodeJS.Signals, () => void]> = [];
  const uninstall = (): void => {
    process.off('exit', killChild);
    for (const [signal, handler] of installed) process.off(signal, handler);
    installed.length = 0;
  };
  process.on('exit', killChild);
  for (const signal of signals) {
    if (process.listenerCount(signal) > 0) continue;
    const handler = (): void => {
      killChild();
      uninstall();
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
    installed.push([signal, handler]);
  }
  return uninstall;
}

async function waitForFrontend(
  address: string,
  namespace: string,
  timeoutMs: number,
  exitedState: () => { code: number | null; signal: NodeJS.Signals | null } | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [host, portText] = address.split(':') as [string, string];
  let lastError = 'no answer yet';
  // The SDK client is loaded only here so that resolving the CLI stays fast.
  const { Connection } = await import('@temporalio/client');
  while (Date.now() < deadline) {
    const state = exitedState();
    if (state) {
      throw new DevServerError(
        DevServerErrorCode.serverExited,
        `Temporal dev server exited before it was ready (code ${state.code}, signal ${state.signal}).`,
      );
    }
    if (await tcpAccepts(host, Number(portText))) {
      try {
        const connection = await Connection.connect({ address, connectTimeout: 2_000 });
        try {
          // A real call: the frontend is up and the namespace is registered.
          await connection.workflowService.describeNamespace({ namespace });
          return;
        } finally {
          await connection.close();
        }
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new DevServerError(
    DevServerErrorCode.serverStartTimeout,
    `Temporal dev server at ${address} did not become ready within ${timeoutMs} ms (last error: ${lastError}).`,
  );
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1_000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

function forwardLines(stream: NodeJS.ReadableStream | null, onLine: LogLine): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split(/\r?\n/);
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
  stream.on('end', () => {
    if (buffered.trim()) onLine(buffered);
    buffered = '';
  });
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`;
}
