/**
 * Sending one StarRocks OpenAPI request: wait for the client-side quota, load credentials, sign
 * (ACS3-HMAC-SHA256, spec §6), send over undici and hand the answer to the parser. One request per
 * call and never a retry: the caller decides, guided by the error's class.
 */
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { Pool, requestVia } from './http';
import { StarRocksApiError, StarRocksInputError, StarRocksNotSentError, type NotSentReason } from './errors';
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
  ListOperationActivity: '/webapi/operation/listOperationActivity',
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

/**
 * Per-call options of every StarRocksClient operation. The gate runs after the client-side rate
 * limiter's wait and the credential lookup, right before the request is written: an aborted
 * `signal` or a client clock past `notAfterMs` stops the call there with StarRocksNotSentError
 * (nothing sent); otherwise `beforeSend` runs and the request goes out. For paged helpers each
 * page is one call: the gate and `beforeSend` run once per page.
 */
export interface CallOptions {
  /**
   * Cancels the call. Before the request is written: StarRocksNotSentError (`reason: 'aborted'`),
   * and a wait for the rate limiter is given up at once. After it was handed to undici: a
   * transient StarRocksApiError with `outcomeUnknown: true`, like a response timeout, because
   * the service may have received it.
   */
  signal?: AbortSignal;
  /**
   * Latest wall-clock time (epoch ms, on the client's `now` clock) at which the request may still
   * be written. Later → StarRocksNotSentError (`reason: 'deadline'`). Default: no deadline.
   */
  notAfterMs?: number;
  /**
   * Called synchronously, exactly once per request, after the gate passed and immediately before
   * the request is handed to undici — the place to record "about to send" so a retry can tell
   * its own lost request from someone else's. If it throws, nothing is sent and its error
   * propagates unchanged.
   */
  beforeSend?: () => void;
}

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
  async call(spec: CallSpec, options: CallOptions = {}): Promise<CallResult> {
    const { action } = spec;
    const { endpoint, region } = this.opts;
    const ctx: CallContext = { action, region };
    const pathname = OPERATIONS[action];
    const { signal, notAfterMs, beforeSend } = checkCallOptions(options);
    // Already stopped: do not queue for a token at all.
    this.gate(ctx, signal, notAfterMs);
    // Wait for the region's quota before signing, so x-acs-date is fresh when the request leaves.
    try {
      await this.opts.rateLimiter?.acquire(signal);
    } catch (err) {
      if (signal?.aborted) throw this.notSent(ctx, 'aborted', signal, notAfterMs);
      throw err;
    }
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

    // The last moment the call can still be stopped with the certainty that nothing was sent:
    // after the quota wait and the credential lookup (either may take long), before undici.
    this.gate(ctx, signal, notAfterMs);
    beforeSend?.();

    let raw: RawResponse;
    try {
      const response = await requestVia(this.getDispatcher(), url, {
        method: 'POST',
        headers,
        ...(body !== undefined ? { body } : {}),
        headersTimeout: this.opts.headersTimeoutMs,
        bodyTimeout: this.opts.bodyTimeoutMs,
        ...(signal ? { signal } : {}),
      });
      raw = { statusCode: response.statusCode, headers: response.headers, text: await response.body.text() };
    } catch (err) {
      // Aborted once handed to undici: it may already be on the wire, so the outcome is unknown
      // whatever error undici reports (often the signal's own reason).
      throw noResponseError(ctx, endpoint.host, err, secrets, signal?.aborted === true);
    }
    return interpretResponse(ctx, raw, secrets);
  }

  /** Throws StarRocksNotSentError when the call may no longer be sent. */
  private gate(ctx: CallContext, signal: AbortSignal | undefined, notAfterMs: number | undefined): void {
    if (signal?.aborted) throw this.notSent(ctx, 'aborted', signal, notAfterMs);
    if (notAfterMs !== undefined && this.opts.now() > notAfterMs) throw this.notSent(ctx, 'deadline', signal, notAfterMs);
  }

  private notSent(ctx: CallContext, reason: NotSentReason, signal: AbortSignal | undefined, notAfterMs: number | undefined): StarRocksNotSentError {
    const abortReason = reason === 'aborted' ? describeAbortReason(signal?.reason) : undefined;
    return new StarRocksNotSentError({
      action: ctx.action,
      region: ctx.region,
      reason,
      nowMs: this.opts.now(),
      ...(notAfterMs !== undefined ? { notAfterMs } : {}),
      ...(abortReason ? { abortReason } : {}),
    });
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

/** Checks the call options' types (a StarRocksInputError before anything else happens). */
export function checkCallOptions(options: CallOptions): CallOptions {
  if (typeof options !== 'object' || options === null) {
    throw new StarRocksInputError('options', 'The call options must be an object such as { signal, notAfterMs, beforeSend }.');
  }
  const { signal, notAfterMs, beforeSend } = options;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    throw new StarRocksInputError('signal', 'signal must be an AbortSignal.');
  }
  if (notAfterMs !== undefined && (typeof notAfterMs !== 'number' || !Number.isFinite(notAfterMs))) {
    throw new StarRocksInputError('notAfterMs', `notAfterMs must be a finite number of epoch milliseconds; got ${String(notAfterMs)}.`);
  }
  if (beforeSend !== undefined && typeof beforeSend !== 'function') {
    throw new StarRocksInputError('beforeSend', 'beforeSend must be a function.');
  }
  return { ...(signal ? { signal } : {}), ...(notAfterMs !== undefined ? { notAfterMs } : {}), ...(beforeSend ? { beforeSend } : {}) };
}

/** A short, bounded description of an abort reason (caller-supplied, so never trusted to be short). */
function describeAbortReason(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : typeof reason === 'string' ? reason : undefined;
  return text === undefined ? undefined : text.slice(0, 200);
}
