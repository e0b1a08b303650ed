/**
 * Sending one StarRocks OpenAPI request: wait for the client-side quota, load credentials, sign
 * (ACS3-HMAC-SHA256, spec §6), send over undici and hand the answer to the parser. One request per
 * call and never a retry: the caller decides, guided by the error's class.
 */
import { randomBytes } from 'node:crypto';
import { Pool, request, type Dispatcher } from 'undici';
import { StarRocksApiError } from './errors';
import { StarRocksCredentialsError, type CredentialSource, type Credentials } from './credentials';
import type { RateLimiter } from './rate-limit';
import { interpretResponse, noResponseError, type CallContext, type CallResult, type RawResponse } from './response';
import { EMPTY_BODY_SHA256, acsDate, authorization, canonicalQueryString, sha256Hex } from './signer';
import type { QueryValue } from './checks';

export const API_VERSION = '2022-10-19';

/** Operation names, paths and parameter placement (spec §3). */
export const OPERATIONS = {
  RestartInstance: '/webapi/starrocks/restartCluster',
  DescribeInstances: '/webapi/starrocks/describeInstances',
  ListOperationHistory: '/webapi/operation/listOperationHistory',
  RestartNodeGroup: '/webapi/nodegroup/restart',
  DescribeNodeGroups: '/webapi/nodegroup/describeNodeGroups',
} as const;
export type OperationName = keyof typeof OPERATIONS;

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
export const DEFAULT_BODY_TIMEOUT_MS = 15_000;
/** Keep-alive connections per endpoint origin of a Pool the client builds. */
export const DEFAULT_CONNECTIONS_PER_ENDPOINT = 16;
export const DEFAULT_USER_AGENT = `starwave (Node.js ${process.version}; ${process.platform})`;

export interface CallSpec {
  action: OperationName;
  query: Record<string, QueryValue>;
  /** JSON body members (undefined members dropped); no body when nothing remains. */
  body?: Record<string, unknown>;
}

export interface EndpointPoolOptions {
  /** Upper bound of keep-alive connections. Default DEFAULT_CONNECTIONS_PER_ENDPOINT (16). */
  connections?: number;
  /** TCP/TLS connect timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Time to wait for response headers, ms. Default 15000. */
  headersTimeoutMs?: number;
  /** Maximum idle time between body chunks, ms. Default 15000. */
  bodyTimeoutMs?: number;
}

/** The one place an OpenAPI endpoint's undici Pool is built (keep-alive, bounded connections, timeouts). */
export function createEndpointPool(baseUrl: string, opts: EndpointPoolOptions = {}): Pool {
  return new Pool(baseUrl, {
    connections: opts.connections ?? DEFAULT_CONNECTIONS_PER_ENDPOINT,
    connect: { timeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
    headersTimeout: opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    bodyTimeout: opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  });
}

export interface TransportOptions {
  region: string;
  endpoint: { baseUrl: string; host: string };
  credentials: CredentialSource;
  /** Injected dispatcher (not closed by close()); undefined → an owned Pool built on first use. */
  dispatcher: Dispatcher | undefined;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  now: () => number;
  nonce: (() => string) | undefined;
  userAgent: string;
  rateLimiter: RateLimiter | undefined;
}

/** Signs and sends requests to one regional endpoint. */
export class Transport {
  private readonly opts: TransportOptions;
  private readonly nonce: () => string;
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;

  constructor(opts: TransportOptions) {
    this.opts = opts;
    this.nonce = opts.nonce ?? (() => randomBytes(16).toString('hex'));
    this.dispatcher = opts.dispatcher;
    this.ownsDispatcher = opts.dispatcher === undefined;
  }

  /** Closes the Pool this transport created for itself (no-op for an injected dispatcher). */
  async close(): Promise<void> {
    if (this.ownsDispatcher && this.dispatcher) {
      const d = this.dispatcher;
      this.dispatcher = undefined;
      await d.close();
    }
  }

  /** Signs and sends one request; returns the envelope of a successful call or throws StarRocksApiError. */
  async call(spec: CallSpec): Promise<CallResult> {
    const { action } = spec;
    const { endpoint, region } = this.opts;
    const ctx: CallContext = { action, region };
    const pathname = OPERATIONS[action];
    // Wait for the region's quota before signing, so x-acs-date is fresh when the request leaves.
    await this.opts.rateLimiter?.acquire();
    const credentials = await this.loadCredentials(ctx);
    const secrets = [credentials.accessKeySecret, credentials.securityToken];

    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.query)) if (value !== undefined) query[name] = String(value);
    const bodyMembers = Object.entries(spec.body ?? {}).filter(([, v]) => v !== undefined);
    const body = bodyMembers.length > 0 ? JSON.stringify(Object.fromEntries(bodyMembers)) : undefined;
    const payloadHash = body === undefined ? EMPTY_BODY_SHA256 : sha256Hex(body);

    const headers: Record<string, string> = {
      host: endpoint.host,
      'x-acs-action': action,
      'x-acs-version': API_VERSION,
      'x-acs-date': acsDate(this.opts.now()),
      'x-acs-signature-nonce': this.nonce(),
      'x-acs-content-sha256': payloadHash,
    };
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    if (credentials.securityToken) {
      headers['x-acs-security-token'] = credentials.securityToken;
      headers['x-acs-accesskey-id'] = credentials.accessKeyId;
    }
    headers.authorization = authorization({ method: 'POST', pathname, query, headers, payloadHash }, credentials);
    headers.accept = 'application/json';
    headers['user-agent'] = this.opts.userAgent;

    const qs = canonicalQueryString(query);
    const url = `${endpoint.baseUrl}${pathname}${qs ? `?${qs}` : ''}`;

    let raw: RawResponse;
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        ...(body !== undefined ? { body } : {}),
        dispatcher: this.getDispatcher(),
        headersTimeout: this.opts.headersTimeoutMs,
        bodyTimeout: this.opts.bodyTimeoutMs,
      });
      raw = { statusCode: response.statusCode, headers: response.headers, text: await response.body.text() };
    } catch (err) {
      throw noResponseError(ctx, endpoint.host, err, secrets);
    }
    return interpretResponse(ctx, raw, secrets);
  }

  private getDispatcher(): Dispatcher {
    this.dispatcher ??= createEndpointPool(this.opts.endpoint.baseUrl, {
      connectTimeoutMs: this.opts.connectTimeoutMs,
      headersTimeoutMs: this.opts.headersTimeoutMs,
      bodyTimeoutMs: this.opts.bodyTimeoutMs,
    });
    return this.dispatcher;
  }

  private async loadCredentials(ctx: CallContext): Promise<Credentials> {
    try {
      return await this.opts.credentials.getCredentials();
    } catch (err) {
      const detail =
        err instanceof StarRocksCredentialsError
          ? err.message
          : `the credential source failed (${err instanceof Error ? err.name : typeof err}); check the configured credentials`;
      throw new StarRocksApiError({ errorClass: 'auth', action: ctx.action, region: ctx.region, outcomeUnknown: false, detail });
    }
  }
}
