/**
 * Running the Temporal CLI's dev server (`temporal server start-dev`) for tests, the demo and `npm run temporal`:
 * bound to 127.0.0.1, ready once the frontend answers a real call, killed when this process goes away.
 * Finding or building the CLI itself is resolve-cli.ts.
 */
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../contracts/search-attributes';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DevServerError, DevServerErrorCode } from './errors';
import { resolveTemporalCli } from './resolve-cli';
import { forwardLines, freePort, noLog, tcpAccepts, type LogLine } from './process-utils';

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

/** Attempts at starting the dev server when it exits before it is ready (see {@link startDevServer}). */
export const DEV_SERVER_START_ATTEMPTS = 3;

/**
 * Starts `temporal server start-dev` bound to 127.0.0.1 and resolves once the frontend answers a real call for the
 * namespace. The child is killed when this process exits.
 *
 * The dev server picks free ports for its internal services (history, matching, worker, metrics, HTTP) itself, by
 * binding port 0 and releasing it; on a busy machine another process can take such a port before the server binds
 * it, and the server then panics during start-up and exits. An early exit is therefore retried, with fresh ports,
 * up to {@link DEV_SERVER_START_ATTEMPTS} times in all; each retry is logged with the server's own reason. A server
 * that starts but does not become ready in time is not retried.
 */
export async function startDevServer(opts: StartDevServerOptions = {}): Promise<DevServer> {
  const log = opts.log ?? noLog;
  const cliPath = opts.cliPath ?? (await resolveTemporalCli({ log })).path;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(opts, cliPath, log);
    } catch (err) {
      const exitedEarly = err instanceof DevServerError && err.code === DevServerErrorCode.serverExited;
      if (!exitedEarly || attempt >= DEV_SERVER_START_ATTEMPTS) throw err;
      const reason = err.serverReason ?? 'it printed nothing';
      log(`Temporal dev server exited before it was ready (attempt ${attempt} of ${DEV_SERVER_START_ATTEMPTS}: ${reason}); starting it again on fresh ports`);
    }
  }
}

/** Lines of the server's output kept for an error message: the first ones, the last ones, and every panic line. */
class OutputKeeper {
  private readonly head: string[] = [];
  private readonly tail: string[] = [];
  private readonly fatal: string[] = [];
  private dropped = 0;

  constructor(
    private readonly headLines = 15,
    private readonly tailLines = 30,
  ) {}

  add(line: string): void {
    if (/^(panic|fatal error):|^Error:/.test(line) && this.fatal.length < 5) this.fatal.push(line);
    if (this.head.length < this.headLines) {
      this.head.push(line);
      return;
    }
    this.tail.push(line);
    if (this.tail.length > this.tailLines) {
      this.tail.shift();
      this.dropped++;
    }
  }

  /** The server's own reason for stopping (its first panic or error line), if it printed one. */
  reason(): string | undefined {
    return this.fatal[0] ?? this.head.find((line) => line.trim() !== '');
  }

  text(): string {
    if (this.head.length === 0) return '';
    const gap = this.dropped ? [`... (${this.dropped} lines left out) ...`] : [];
    const fatal = this.fatal.filter((line) => !this.head.includes(line) && !this.tail.includes(line));
    const lines = [...fatal.map((line) => `[first error] ${line}`), ...this.head, ...gap, ...this.tail];
    return `\n--- server output ---\n${lines.join('\n')}`;
  }
}

async function startDevServerOnce(opts: StartDevServerOptions, cliPath: string, log: LogLine): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
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
  // starwave's typed search attributes (rollout name, phase, regions, trigger) for visibility queries.
  for (const sa of SEARCH_ATTRIBUTE_DEFINITIONS) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  args.push('--log-level', 'warn');

  log(`Starting ${cliPath} ${args.join(' ')}`);
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputKeeper();
  const onServerLine = (line: string): void => {
    output.add(line);
    opts.serverLog?.(line);
  };
  forwardLines(child.stdout, onServerLine);
  forwardLines(child.stderr, onServerLine);
  // 'close' comes after the child's output pipes have ended, so everything it printed has been seen.
  const outputDone = new Promise<void>((resolvePromise) => child.on('close', () => resolvePromise()));

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

  try {
    await Promise.race([
      spawnError,
      waitForFrontend(address, namespace, opts.startTimeoutMs ?? 60_000, () => exited),
    ]);
  } catch (err) {
    await stop();
    // The whole of what the server printed before it went away (its pipes close soon after it exits).
    await Promise.race([outputDone, new Promise((r) => setTimeout(r, 1_000).unref())]);
    const serverReason = output.reason();
    const failure =
      err instanceof DevServerError
        ? new DevServerError(err.code, err.message + output.text(), { cause: err, ...(serverReason && { serverReason }) })
        : new DevServerError(
            DevServerErrorCode.serverExited,
            `Could not start ${cliPath}: ${err instanceof Error ? err.message : String(err)}${output.text()}`,
            { cause: err, ...(serverReason && { serverReason }) },
          );
    throw failure;
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

export async function waitForFrontend(
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
