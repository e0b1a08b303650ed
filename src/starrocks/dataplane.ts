/**
 * Probes of StarRocks' own FE/BE HTTP endpoints (spec §11): the data plane, separate from the
 * Alibaba Cloud OpenAPI client. The cloud's `running` says the control plane finished; these say
 * whether the engine answers: FE `/api/health` and `/api/bootstrap`, BE/CN `/api/health`.
 *
 * Plain http (StarRocks FE/BE HTTP is http on 8030/8040 by default), to a host name or a bare IP
 * (DescribeNodeGroups `Endpoint` + `HttpPort`), one keep-alive Pool per origin, short timeouts.
 * One request per call, never a retry. Secrets: the cluster token travels as a query parameter and
 * the Basic password in a header, so neither is ever put into an error, and every URL this module
 * prints has the token replaced by `[REDACTED]`.
 */
import type { Dispatcher } from 'undici';
import { Pool, requestVia } from './http';
import { StarRocksInputError, redactSecrets } from './errors';
import { networkErrorCode } from './response';
import {
  BeHealthSchema,
  CONNECT_FAILURES,
  DEFAULT_DATAPLANE_BODY_TIMEOUT_MS,
  DEFAULT_DATAPLANE_CONNECT_TIMEOUT_MS,
  DEFAULT_DATAPLANE_CONNECTIONS_PER_ORIGIN,
  DEFAULT_DATAPLANE_HEADERS_TIMEOUT_MS,
  DEFAULT_DATAPLANE_KEEP_ALIVE_MS,
  DEFAULT_DATAPLANE_MAX_ORIGINS,
  DataPlaneError,
  FeBootstrapSchema,
  FeHealthSchema,
  LenientStatusSchema,
  MAX_DATAPLANE_BODY_BYTES,
  hostPort,
  msOption,
  originOf,
  readBounded,
  redactedUrl,
  signalOf,
  type Answer,
  type BeHealth,
  type DataPlaneClientOptions,
  type DataPlaneFailureKind,
  type FeBootstrap,
  type FeBootstrapOptions,
  type FeHealth,
  type ProbeOptions,
  type ProbeSpec,
} from './dataplane-types';

export {
  DEFAULT_DATAPLANE_BODY_TIMEOUT_MS,
  DEFAULT_DATAPLANE_CONNECT_TIMEOUT_MS,
  DEFAULT_DATAPLANE_CONNECTIONS_PER_ORIGIN,
  DEFAULT_DATAPLANE_HEADERS_TIMEOUT_MS,
  DEFAULT_DATAPLANE_KEEP_ALIVE_MS,
  DEFAULT_DATAPLANE_MAX_ORIGINS,
  MAX_DATAPLANE_BODY_BYTES,
  DataPlaneError,
  originOf,
  redactedUrl,
  type BeHealth,
  type DataPlaneAuth,
  type DataPlaneClientOptions,
  type DataPlaneComponent,
  type DataPlaneErrorInit,
  type DataPlaneFailureKind,
  type DataPlaneProbe,
  type FeBootstrap,
  type FeBootstrapOptions,
  type FeHealth,
  type ProbeOptions,
} from './dataplane-types';


/** Client for StarRocks FE/BE HTTP endpoints. */
export class DataPlaneClient {
  private readonly opts: DataPlaneClientOptions;
  private readonly connectTimeoutMs: number;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly maxOrigins: number;
  private readonly authorization: string | undefined;
  /** Values never to print: the password and its header form. Tokens are added per call. */
  private readonly secrets: string[];
  /** Pools by origin, least recently used first. */
  private readonly pools = new Map<string, Pool>();

  constructor(opts: DataPlaneClientOptions = {}) {
    this.opts = opts;
    this.connectTimeoutMs = msOption('connectTimeoutMs', opts.connectTimeoutMs, DEFAULT_DATAPLANE_CONNECT_TIMEOUT_MS);
    this.headersTimeoutMs = msOption('headersTimeoutMs', opts.headersTimeoutMs, DEFAULT_DATAPLANE_HEADERS_TIMEOUT_MS);
    this.bodyTimeoutMs = msOption('bodyTimeoutMs', opts.bodyTimeoutMs, DEFAULT_DATAPLANE_BODY_TIMEOUT_MS);
    msOption('connectionsPerOrigin', opts.connectionsPerOrigin, DEFAULT_DATAPLANE_CONNECTIONS_PER_ORIGIN);
    msOption('keepAliveTimeoutMs', opts.keepAliveTimeoutMs, DEFAULT_DATAPLANE_KEEP_ALIVE_MS);
    this.maxOrigins = msOption('maxOrigins', opts.maxOrigins, DEFAULT_DATAPLANE_MAX_ORIGINS);
    this.secrets = [];
    if (opts.auth !== undefined) {
      const { user, password } = opts.auth;
      if (typeof user !== 'string' || user === '' || user.includes(':')) {
        throw new StarRocksInputError('auth.user', 'auth.user must be a non-empty user name without ":".');
      }
      if (typeof password !== 'string') throw new StarRocksInputError('auth.password', 'auth.password must be a string.');
      const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
      this.authorization = `Basic ${basic}`;
      this.secrets.push(password, basic, encodeURIComponent(password));
    }
  }

  /**
   * FE `GET http://<endpoint>:<port>/api/health`: backends known and online. HTTP 500 while the FE
   * exits gracefully (and any 5xx) is an answer, `ready: false`; only no answer, 401/403, another
   * status or a malformed 200 is a DataPlaneError.
   */
  async feHealth(endpoint: string, port: number, opts: ProbeOptions = {}): Promise<FeHealth> {
    const spec: ProbeSpec = { probe: 'fe-health', component: 'FE', endpoint, port, path: '/api/health', ...signalOf(opts) };
    const answer = await this.get(spec);
    if (answer.httpStatus >= 500) return { ready: false, httpStatus: answer.httpStatus, ...this.lenientStatus(answer, spec) };
    const parsed = FeHealthSchema.safeParse(answer.json);
    if (!answer.isJson || !parsed.success) throw this.malformed(spec, answer, '{"total_backend_num", "online_backend_num", "status"}');
    const h = parsed.data;
    return {
      ready: answer.httpStatus === 200 && h.status === 'OK',
      httpStatus: answer.httpStatus,
      status: h.status,
      ...(h.msg !== undefined ? { msg: this.redact(h.msg, spec) } : {}),
      totalBackendNum: h.total_backend_num,
      onlineBackendNum: h.online_backend_num,
    };
  }

  /**
   * FE `GET http://<endpoint>:<port>/api/bootstrap[?token=…]`: whether the FE finished starting;
   * with the cluster token also its start time and version (proof that it really restarted).
   */
  async feBootstrap(endpoint: string, port: number, opts: FeBootstrapOptions = {}): Promise<FeBootstrap> {
    const token = opts.token;
    if (token !== undefined && (typeof token !== 'string' || token === '')) {
      throw new StarRocksInputError('token', 'token must be a non-empty string when given.');
    }
    const spec: ProbeSpec = {
      probe: 'fe-bootstrap',
      component: 'FE',
      endpoint,
      port,
      path: '/api/bootstrap',
      ...(token !== undefined ? { token } : {}),
      ...signalOf(opts),
    };
    const answer = await this.get(spec);
    if (answer.httpStatus >= 500) {
      const s = this.lenientStatus(answer, spec);
      return { ready: false, httpStatus: answer.httpStatus, status: s.status, msg: s.msg ?? '', tokenRejected: false };
    }
    const parsed = FeBootstrapSchema.safeParse(answer.json);
    if (!answer.isJson || !parsed.success) throw this.malformed(spec, answer, '{"status", "msg"}');
    const b = parsed.data;
    const msg = this.redact(b.msg ?? '', spec);
    // The FE compares the token only once it is ready, and answers this when it does not match.
    const tokenRejected = token !== undefined && b.status === 'FAILED' && msg === 'invalid parameter';
    const ok = answer.httpStatus === 200 && b.status === 'OK';
    return {
      ready: ok || tokenRejected,
      httpStatus: answer.httpStatus,
      status: b.status,
      msg,
      tokenRejected,
      ...(ok && b.feStartTime !== undefined ? { feStartTimeMs: b.feStartTime } : {}),
      ...(ok && b.feVersion ? { feVersion: b.feVersion } : {}),
      ...(ok && b.replayedJournalId !== undefined ? { replayedJournalId: b.replayedJournalId } : {}),
      ...(ok && b.queryPort !== undefined ? { queryPort: b.queryPort } : {}),
      ...(ok && b.rpcPort !== undefined ? { rpcPort: b.rpcPort } : {}),
      ...(ok && b.heapUsedPercent !== undefined ? { heapUsedPercent: b.heapUsedPercent } : {}),
    };
  }

  /** BE/CN `GET http://<endpoint>:<port>/api/health` → `{"status":"OK","msg":"To Be Added"}`; a 5xx is `ready: false`. */
  async beHealth(endpoint: string, port: number, opts: ProbeOptions = {}): Promise<BeHealth> {
    const spec: ProbeSpec = { probe: 'be-health', component: 'BE', endpoint, port, path: '/api/health', ...signalOf(opts) };
    const answer = await this.get(spec);
    if (answer.httpStatus >= 500) return { ready: false, httpStatus: answer.httpStatus, ...this.lenientStatus(answer, spec) };
    const parsed = BeHealthSchema.safeParse(answer.json);
    if (!answer.isJson || !parsed.success) throw this.malformed(spec, answer, '{"status", "msg"}');
    return {
      ready: answer.httpStatus === 200 && parsed.data.status === 'OK',
      httpStatus: answer.httpStatus,
      status: parsed.data.status,
      ...(parsed.data.msg !== undefined ? { msg: this.redact(parsed.data.msg, spec) } : {}),
    };
  }

  /** Closes the Pools this client built (in-flight probes finish first). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  // ---------------------------------------------------------------------------------------------

  /** Sends one GET and reads a bounded body; 2xx/5xx come back, everything else throws. */
  private async get(spec: ProbeSpec): Promise<Answer> {
    const origin = originOf(spec.endpoint, spec.port);
    const query = spec.token !== undefined ? `?token=${encodeURIComponent(spec.token)}` : '';
    const url = `${origin}${spec.path}${query}`;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.opts.userAgent ?? 'starwave-dataplane' };
    if (this.authorization) headers.authorization = this.authorization;
    if (spec.signal?.aborted) throw this.aborted(spec);
    let httpStatus: number;
    let body: { text: string; complete: boolean };
    try {
      const response = await requestVia(this.dispatcherFor(origin), url, {
        method: 'GET',
        headers,
        headersTimeout: this.headersTimeoutMs,
        bodyTimeout: this.bodyTimeoutMs,
        ...(spec.signal ? { signal: spec.signal } : {}),
      });
      httpStatus = response.statusCode;
      body = await readBounded(response.body, MAX_DATAPLANE_BODY_BYTES);
    } catch (err) {
      if (spec.signal?.aborted) throw this.aborted(spec);
      throw this.noAnswer(spec, err);
    }
    if (httpStatus === 401 || httpStatus === 403) {
      const fix = this.authorization
        ? 'the configured HTTP user or password (STARWAVE_PROBE_USER / STARWAVE_PROBE_PASSWORD) was rejected'
        : 'it requires HTTP Basic auth (enable_http_auth): set STARWAVE_PROBE_USER and STARWAVE_PROBE_PASSWORD';
      throw this.error(spec, 'auth', `refused the probe with HTTP ${httpStatus}: ${fix}`, { httpStatus });
    }
    if (!((httpStatus >= 200 && httpStatus < 300) || httpStatus >= 500)) {
      throw this.error(spec, 'http_status', `answered HTTP ${httpStatus}, which is not a ${spec.path} answer`, { httpStatus });
    }
    let json: unknown;
    let isJson = false;
    if (body.complete) {
      try {
        json = JSON.parse(body.text);
        isJson = true;
      } catch {
        // Not JSON: the callers decide what that means for their status code.
      }
    }
    return { httpStatus, json, isJson };
  }

  private dispatcherFor(origin: string): Dispatcher {
    if (this.opts.dispatcher) return this.opts.dispatcher;
    const existing = this.pools.get(origin);
    if (existing) {
      // Most recently used goes last, so the first entry is the one to evict.
      this.pools.delete(origin);
      this.pools.set(origin, existing);
      return existing;
    }
    const pool = new Pool(origin, {
      connections: this.opts.connectionsPerOrigin ?? DEFAULT_DATAPLANE_CONNECTIONS_PER_ORIGIN,
      connect: { timeout: this.connectTimeoutMs },
      headersTimeout: this.headersTimeoutMs,
      bodyTimeout: this.bodyTimeoutMs,
      keepAliveTimeout: this.opts.keepAliveTimeoutMs ?? DEFAULT_DATAPLANE_KEEP_ALIVE_MS,
    });
    this.pools.set(origin, pool);
    if (this.pools.size > this.maxOrigins) {
      const [oldest, evicted] = this.pools.entries().next().value as [string, Pool];
      this.pools.delete(oldest);
      // Graceful: a probe still running on it finishes first.
      void evicted.close().catch(() => undefined);
    }
    return pool;
  }

  private lenientStatus(answer: Answer, spec: ProbeSpec): { status: string; msg?: string } {
    const parsed = answer.isJson ? LenientStatusSchema.safeParse(answer.json) : undefined;
    const status = parsed?.success && typeof parsed.data.status === 'string' ? parsed.data.status : 'UNAVAILABLE';
    const msg = parsed?.success && typeof parsed.data.msg === 'string' ? this.redact(parsed.data.msg, spec) : undefined;
    return { status, ...(msg !== undefined ? { msg } : {}) };
  }

  private noAnswer(spec: ProbeSpec, err: unknown): DataPlaneError {
    const code = networkErrorCode(err);
    const networkCode = code !== undefined ? { networkCode: code } : {};
    const hint = `the ${spec.component} endpoint is reachable only from the instance's VPC, so run the worker there or turn the health gate off`;
    const connect = CONNECT_FAILURES[code ?? ''];
    if (connect) {
      const why = code === 'UND_ERR_CONNECT_TIMEOUT' ? `no connection within ${this.connectTimeoutMs} ms` : connect;
      return this.error(spec, 'unreachable', `could not be reached (${why}): ${hint}`, networkCode);
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      const ms = code === 'UND_ERR_HEADERS_TIMEOUT' ? this.headersTimeoutMs : this.bodyTimeoutMs;
      return this.error(spec, 'timeout', `accepted the connection but did not answer within ${ms} ms (the ${spec.component} may be overloaded or hung)`, networkCode);
    }
    const detail = code ?? this.redact(err instanceof Error ? err.message : String(err), spec).slice(0, 120);
    return this.error(spec, 'unreachable', `could not be reached (the connection failed: ${detail})`, networkCode);
  }

  private malformed(spec: ProbeSpec, answer: Answer, expected: string): DataPlaneError {
    return this.error(spec, 'malformed', `answered HTTP ${answer.httpStatus} with a body that is not the expected JSON ${expected}`, {
      httpStatus: answer.httpStatus,
    });
  }

  private aborted(spec: ProbeSpec): DataPlaneError {
    return this.error(spec, 'aborted', 'was not probed to the end: the caller aborted it');
  }

  private error(spec: ProbeSpec, kind: DataPlaneFailureKind, what: string, extra: { httpStatus?: number; networkCode?: string } = {}): DataPlaneError {
    const url = redactedUrl(spec);
    return new DataPlaneError({
      kind,
      probe: spec.probe,
      component: spec.component,
      url,
      message: this.redact(`${spec.component} endpoint ${hostPort(spec)} (${url}) ${what}.`, spec),
      ...extra,
    });
  }

  /** Removes the token (raw and URL-encoded) and the Basic credentials from `text`. */
  private redact(textIn: string, spec: ProbeSpec): string {
    const tokenForms = spec.token !== undefined ? [spec.token, encodeURIComponent(spec.token)] : [];
    return redactSecrets(textIn, [...tokenForms, ...this.secrets]);
  }
}
