/** `starwave serve`: the HTTP API in the foreground until SIGINT/SIGTERM. */
import type { Client, Connection } from '@temporalio/client';
import { taskQueueFromEnv } from '../client';
import { CliError, EXIT, type ExitCode } from '../cli/errors';
import { connectClient, type TemporalTarget } from '../worker/temporal';
import { ApiConfigError, loadApiToken } from './auth';
import { startApiServer } from './server';

export interface ServeOptions {
  port: number;
  host: string;
  tokenFile?: string;
  insecureNoAuth?: boolean;
  taskQueue?: string;
  target: TemporalTarget;
}

export async function runServe(opts: ServeOptions): Promise<ExitCode> {
  let token: string | undefined;
  try {
    token = loadApiToken({ ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}), ...(opts.insecureNoAuth ? { insecureNoAuth: true } : {}) });
  } catch (err) {
    if (err instanceof ApiConfigError) throw new CliError(err.message, EXIT.invalidInput, err.code);
    throw err;
  }
  // Connect lazily and reconnect after a failure, so the API starts (and answers 503) while Temporal is down.
  let connecting: Promise<{ client: Client; connection: Connection }> | undefined;
  const getClient = async (): Promise<Client> => {
    connecting ??= connectClient(opts.target);
    try {
      return (await connecting).client;
    } catch (err) {
      connecting = undefined;
      throw err;
    }
  };
  const log = (entry: Record<string, unknown>): void => {
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), ...entry })}\n`);
  };
  let api;
  try {
    api = await startApiServer({ port: opts.port, host: opts.host, token, taskQueue: opts.taskQueue ?? taskQueueFromEnv(), getClient, log });
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') throw new CliError(`--port ${opts.port} is already in use; pick another port.`);
    throw err;
  }
  log({ level: 'INFO', msg: `starwave API listening on ${api.url}${token ? '' : ' WITHOUT authentication (--insecure-no-auth)'}` });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await api.close();
  if (connecting) await (await connecting.catch(() => undefined))?.connection.close().catch(() => {});
  return EXIT.ok;
}
