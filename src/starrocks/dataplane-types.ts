/**
 * Shapes of the data-plane probes (spec §11): options, answers, the zod schemas of the FE/BE JSON,
 * DataPlaneError, and the endpoint/URL helpers (origin building, token redaction). The client that
 * sends the probes is dataplane.ts.
 */
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { StarRocksInputError } from './errors';

export const DEFAULT_DATAPLANE_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_DATAPLANE_HEADERS_TIMEOUT_MS = 3_000;
export const DEFAULT_DATAPLANE_BODY_TIMEOUT_MS = 3_000;
export const DEFAULT_DATAPLANE_CONNECTIONS_PER_ORIGIN = 2;
export const DEFAULT_DATAPLANE_MAX_ORIGINS = 256;
/** Kept above the 5 s probe period operators use, so a connection survives from one probe to the next. */
export const DEFAULT_DATAPLANE_KEEP_ALIVE_MS = 10_000;
/** Health answers are a few dozen bytes; anything far larger is not one. */
export const MAX_DATAPLANE_BODY_BYTES = 64 * 1024;

export type DataPlaneComponent = 'FE' | 'BE';
export type DataPlaneProbe = 'fe-health' | 'fe-bootstrap' | 'be-health';

/**
 * How a probe failed:
 * - `unreachable`: no connection (refused, connect timeout, no route, name does not resolve) or it broke;
 * - `timeout`: connected, but no answer within the headers/body timeout;
 * - `auth`: HTTP 401/403 (enable_http_auth: Basic credentials missing or wrong);
 * - `http_status`: another unexpected status (e.g. 404 on a version without the endpoint);
 * - `malformed`: a 2xx answer that is not the documented JSON;
 * - `aborted`: the caller's signal.
 */
export type DataPlaneFailureKind = 'unreachable' | 'timeout' | 'auth' | 'http_status' | 'malformed' | 'aborted';

export interface DataPlaneErrorInit {
  kind: DataPlaneFailureKind;
  probe: DataPlaneProbe;
  component: DataPlaneComponent;
  /** The probed URL with any token already redacted. */
  url: string;
  message: string;
  httpStatus?: number;
  /** The network error code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, …) when there was one. */
  networkCode?: string;
}

/**
 * A data-plane probe failed. `code` is ERR_DATAPLANE_UNREACHABLE for every kind (the one data-plane
 * code of the error registry); `kind` tells them apart. The message is one sentence. No `cause`
 * is attached, because undici's errors may carry the request (and so the token) with them.
 */
export class DataPlaneError extends Error {
  override readonly name = 'DataPlaneError';
  readonly code = 'ERR_DATAPLANE_UNREACHABLE' as const;
  readonly kind: DataPlaneFailureKind;
  readonly probe: DataPlaneProbe;
  readonly component: DataPlaneComponent;
  readonly url: string;
  readonly httpStatus?: number;
  readonly networkCode?: string;

  constructor(init: DataPlaneErrorInit) {
    super(init.message);
    this.kind = init.kind;
    this.probe = init.probe;
    this.component = init.component;
    this.url = init.url;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.networkCode !== undefined) this.networkCode = init.networkCode;
  }
}

/** HTTP Basic credentials for FE/BE HTTP when `enable_http_auth` is set (newer versions, §11). */
export interface DataPlaneAuth {
  user: string;
  /** Secret: sent only in the `authorization` header, never in an error. */
  password: string;
}

export interface DataPlaneClientOptions {
  /** Basic credentials sent with every probe. Default: none. */
  auth?: DataPlaneAuth;
  /** TCP connect timeout of the per-origin Pools, ms. Default 3000. */
  connectTimeoutMs?: number;
  /** Time to wait for the response headers, ms. Default 3000. */
  headersTimeoutMs?: number;
  /** Maximum idle time between body chunks, ms. Default 3000. */
  bodyTimeoutMs?: number;
  /** Keep-alive connections per origin of the built-in Pools. Default 2. */
  connectionsPerOrigin?: number;
  /** Idle keep-alive time of the built-in Pools, ms. Default 10000. */
  keepAliveTimeoutMs?: number;
  /** Origins whose Pools are kept; the least recently used one is closed beyond this. Default 256. */
  maxOrigins?: number;
  /** Send every probe through this dispatcher instead of the built-in Pools (tests, proxies). Not closed by close(). */
  dispatcher?: Dispatcher;
  /** `user-agent` header. */
  userAgent?: string;
}

export interface ProbeOptions {
  /** Cancels the probe (a DataPlaneError of kind `aborted`). */
  signal?: AbortSignal;
}

export interface FeBootstrapOptions extends ProbeOptions {
  /** The cluster token: with it the FE also reports its start time and version (secret). */
  token?: string;
}

/** FE `GET /api/health`. */
export interface FeHealth {
  /** HTTP 200 with status `OK`. A 5xx (e.g. 500 during a graceful exit) is `ready: false`, not an error. */
  ready: boolean;
  httpStatus: number;
  /** `OK`, the FE's own status, or `UNAVAILABLE` for a 5xx without a JSON body. */
  status: string;
  msg?: string;
  /** Present in every 200 answer. */
  totalBackendNum?: number;
  onlineBackendNum?: number;
}

/** FE `GET /api/bootstrap[?token=…]`. */
export interface FeBootstrap {
  /**
   * The FE says it is ready: status `OK`, or it rejected the token (it checks the token only once
   * ready). `{"status":"FAILED","msg":"not ready"}` and any 5xx are `ready: false`.
   */
  ready: boolean;
  httpStatus: number;
  status: string;
  msg: string;
  /** A token was sent and the FE answered `invalid parameter`: the details below are then absent. */
  tokenRejected: boolean;
  /** When this FE process started (epoch ms; token only). A changed value proves a restart. */
  feStartTimeMs?: number;
  /** `<version>-<commit>` (token only). */
  feVersion?: string;
  replayedJournalId?: number;
  queryPort?: number;
  rpcPort?: number;
  heapUsedPercent?: number;
}

/** BE/CN `GET /api/health`. */
export interface BeHealth {
  /** HTTP 200 with status `OK`; a 5xx is `ready: false`. */
  ready: boolean;
  httpStatus: number;
  status: string;
  msg?: string;
}

// Internal to the data-plane client from here on (not re-exported by dataplane.ts), except originOf and redactedUrl.

export const positiveOrAbsent = z
  .number()
  .nullish()
  .transform((v) => (v === null || v === undefined || v <= 0 ? undefined : v));
const text = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

export const FeHealthSchema = z.looseObject({
  total_backend_num: z.number().int().min(0),
  online_backend_num: z.number().int().min(0),
  status: z.string(),
  msg: text,
});
/** A not-ready FE may answer anything; read what is there. */
export const LenientStatusSchema = z.looseObject({ status: z.unknown().optional(), msg: z.unknown().optional() });
export const FeBootstrapSchema = z.looseObject({
  status: z.string(),
  msg: text,
  feStartTime: positiveOrAbsent,
  feVersion: text,
  replayedJournalId: positiveOrAbsent,
  queryPort: positiveOrAbsent,
  rpcPort: positiveOrAbsent,
  heapUsedPercent: z.number().nullish().transform((v) => v ?? undefined),
});
export const BeHealthSchema = z.looseObject({ status: z.string(), msg: text });

export interface ProbeSpec {
  probe: DataPlaneProbe;
  component: DataPlaneComponent;
  endpoint: string;
  port: number;
  path: string;
  token?: string;
  signal?: AbortSignal;
}

export interface Answer {
  httpStatus: number;
  json: unknown;
  /** The body parsed as JSON (false: not JSON or cut off). */
  isJson: boolean;
}

/** Network error codes that mean no connection was made, with the words for them. */
export const CONNECT_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  ETIMEDOUT: 'connect timeout',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no route to the network',
  EHOSTDOWN: 'the host is down',
  EADDRNOTAVAIL: 'the address is not available',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved now',
};

/**
 * The probe's URL as it may be printed: `?token=[REDACTED]` instead of the token. Exported so
 * callers that log which probe ran use the same form.
 */
export function redactedUrl(spec: { endpoint: string; port: number; path: string; token?: string }): string {
  let origin: string;
  try {
    origin = originOf(spec.endpoint, spec.port);
  } catch {
    origin = 'http://(invalid endpoint)';
  }
  return `${origin}${spec.path}${spec.token !== undefined ? '?token=[REDACTED]' : ''}`;
}

export function hostPort(spec: { endpoint: string; port: number }): string {
  return isIP(spec.endpoint) === 6 ? `[${spec.endpoint}]:${spec.port}` : `${spec.endpoint}:${spec.port}`;
}

/** A host name label sequence (underscores allowed: internal names use them), at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** `http://<endpoint>:<port>` for a host name, an IPv4 or an IPv6 address; anything else is an input error. */
export function originOf(endpoint: unknown, port: unknown): string {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StarRocksInputError('port', `port must be an integer from 1 to 65535 (FE HTTP defaults to 8030, BE to 8040); got ${String(port)}.`);
  }
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    throw new StarRocksInputError('endpoint', 'endpoint must be a host name or IP address, e.g. "fe-c-b25e21e24388abcd-internal.starrocks.aliyuncs.com" or "127.1.0.5".');
  }
  const family = isIP(endpoint);
  if (family === 6) return `http://[${endpoint}]:${port}`;
  if (family === 4 || HOST_NAME.test(endpoint)) return `http://${endpoint}:${port}`;
  throw new StarRocksInputError(
    'endpoint',
    `endpoint "${endpoint.slice(0, 80)}" is not a host name or IP address: give only the host (no scheme, port, path or user), e.g. "127.1.0.5".`,
  );
}

/** Reads at most `limit` bytes; a longer body is cut off (complete: false) and its stream destroyed. */
export async function readBounded(body: AsyncIterable<Uint8Array> & { destroy?: () => void }, limit: number): Promise<{ text: string; complete: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy?.();
      return { text: '', complete: false };
    }
    chunks.push(Buffer.from(chunk));
  }
  return { text: Buffer.concat(chunks).toString('utf8'), complete: true };
}

export function signalOf(opts: ProbeOptions): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

export function msOption(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new StarRocksInputError(field, `${field} must be a positive integer; got ${String(value)}.`);
  }
  return value;
}
