/**
 * `starwave serve`: the HTTP API in the foreground until SIGINT/SIGTERM — the API's composition root.
 *
 * Binds loopback (127.0.0.1) unless `host` says otherwise. Without authentication (`insecureNoAuth`) it warns
 * loudly, and on a non-loopback address it refuses unless `iUnderstandAnyoneCanRestart` confirms it.
 */
import type { Client, Connection } from '@temporalio/client';
import { isIP } from 'node:net';
import { connectClient, resolveTemporalConfig, taskQueueFromEnv, type TemporalTarget } from '../client';
import { EXIT, StarwaveError, type ExitCode } from '../contracts/errors';
import { loadEnv } from '../config/env';
import { approveLinkSecretFor } from './approve-link';
import { loadApiToken } from './auth';
import { startApiServer } from './server';

export const DEFAULT_HOST = '127.0.0.1';
export const CONFIRM_NO_AUTH_FLAG = '--i-understand-anyone-can-restart';

export interface ServeOptions {
  port: number;
  /** Listen address; default 127.0.0.1 (loopback only). */
  host?: string;
  tokenFile?: string;
  insecureNoAuth?: boolean;
  /** Confirms `insecureNoAuth` on a non-loopback address. */
  iUnderstandAnyoneCanRestart?: boolean;
  taskQueue?: string;
  target: TemporalTarget;
  /** Where log lines go (default: stderr, one JSON object a line). */
  write?: (line: string) => void;
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  until?: Promise<void>;
  /** Called once listening, with the URL. */
  onListening?: (url: string) => void;
}

/** Whether a listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Decides whether this combination of address and authentication may start. Pure: returns the warnings to
 * print, or throws ERR_FLAG_INVALID with the sentence that explains the refusal.
 */
export function checkExposure(opts: { host: string; authenticated: boolean; confirmed: boolean }): string[] {
  const loopback = isLoopbackHost(opts.host);
  if (opts.authenticated) {
    return loopback ? [] : [`The API listens on ${opts.host}, beyond this machine, over plain HTTP: the bearer token crosses the network in clear text unless a TLS proxy fronts it.`];
  }
  if (!loopback && !opts.confirmed) {
    throw new StarwaveError(
      'ERR_FLAG_INVALID',
      `--insecure-no-auth on ${opts.host} would let anyone who can reach this port start, pause and cancel restarts of your fleet; bind to ${DEFAULT_HOST} (the default), or add ${CONFIRM_NO_AUTH_FLAG} if you really mean it.`,
    );
  }
  return [
    loopback
      ? `WARNING: the API runs WITHOUT authentication (--insecure-no-auth): every program and user on this machine can start, pause and cancel rollouts.`
      : `WARNING: the API runs WITHOUT authentication on ${opts.host} (${CONFIRM_NO_AUTH_FLAG}): ANYONE who can reach this port can start, pause and cancel restarts of your fleet.`,
  ];
}

export async function runServe(opts: ServeOptions): Promise<ExitCode> {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (entry: Record<string, unknown>): void => write(JSON.stringify({ ts: new Date().toISOString(), ...entry }));
  const host = opts.host ?? DEFAULT_HOST;
  const token = loadApiToken({ ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}), ...(opts.insecureNoAuth ? { insecureNoAuth: true } : {}) });
  const warnings = checkExposure({ host, authenticated: token !== undefined, confirmed: opts.iUnderstandAnyoneCanRestart === true });
  // Approve links (GET/POST /approve) are verified with the worker's key; without it /approve says they are off.
  const approveLinkSecret = approveLinkSecretFor(loadEnv().notify.approveLinkSecret);

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
  let temporalAddress: string | undefined;
  try {
    temporalAddress = String(resolveTemporalConfig(opts.target).connectionOptions.address);
  } catch {
    temporalAddress = undefined; // the first request reports the configuration problem
  }
  let api;
  try {
    api = await startApiServer({
      port: opts.port,
      host,
      token,
      taskQueue: opts.taskQueue ?? taskQueueFromEnv(),
      getClient,
      log,
      ...(temporalAddress ? { temporalAddress } : {}),
      ...(approveLinkSecret ? { approveLinkSecret } : {}),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE') throw new StarwaveError('ERR_FLAG_INVALID', `--port ${opts.port} is already in use on ${host}; pick another port.`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new StarwaveError('ERR_FLAG_INVALID', `--host ${host} is not an address of this machine.`);
    if (code === 'EACCES') throw new StarwaveError('ERR_FLAG_INVALID', `--port ${opts.port} needs privileges this process does not have; pick a port above 1023.`);
    throw err;
  }
  for (const warning of warnings) log({ level: 'WARN', msg: warning });
  log({ level: 'INFO', msg: `starwave API listening on ${api.url}${token ? '' : ' WITHOUT authentication'}; dashboard at ${api.url}/${approveLinkSecret ? ', approve links enabled' : ''}` });
  opts.onListening?.(api.url);
  await (opts.until ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }));
  await api.close();
  if (connecting) await (await connecting.catch(() => undefined))?.connection.close().catch(() => {});
  return EXIT.ok;
}
