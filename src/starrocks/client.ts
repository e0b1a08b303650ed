/**
 * Production client for the EMR Serverless StarRocks OpenAPI (version 2022-10-19).
 *
 * It signs (ACS3-HMAC-SHA256), sends one request, parses the answer and classifies failures into
 * StarRocksApiError. It knows nothing of Temporal and never retries: the caller's retry policy
 * decides, guided by `errorClass`, `retryable`, `retryAfterMs` and `outcomeUnknown`.
 */
import { randomBytes } from 'node:crypto';
import { Pool, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { resolveEndpoint, validateRegion } from './endpoints';
import {
  MAX_RETRY_AFTER_MS,
  StarRocksApiError,
  StarRocksInputError,
  classifyFailure,
  redactSecrets,
  type ErrorClass,
} from './errors';
import { StarRocksCredentialsError, type CredentialSource, type Credentials } from './credentials';
import {
  DescribeInstancesDataSchema,
  DescribeNodeGroupsDataSchema,
  GatewayErrorSchema,
  ListOperationHistoryDataSchema,
  RestartDataSchema,
  ServiceEnvelopeSchema,
  type InstanceItem,
  type ServiceEnvelope,
} from './schemas';
import { TokenBucket, type RateLimiter } from './rate-limit';
import { EMPTY_BODY_SHA256, acsDate, authorization, canonicalQueryString, sha256Hex } from './signer';
import { classifyInstanceStatus, type InstanceStatusClass } from './status';

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

/**
 * Instance ids are `c-` + 16 characters. Every vendor example uses lowercase hex; we accept
 * lowercase letters and digits so an id format change to base36 does not lock us out, while
 * still rejecting typos, upper case and anything that could smuggle other parameters.
 */
export const INSTANCE_ID_PATTERN = /^c-[0-9a-z]{16}$/;
/** Node group ids are `ng-` + 16 characters (hex in examples; same leniency as instance ids). */
export const NODE_GROUP_ID_PATTERN = /^ng-[0-9a-z]{16}$/;

export interface InstanceSummary {
  instanceId: string;
  instanceName: string;
  /** Wire status, lowercase (e.g. `running`). */
  status: string;
  statusClass: InstanceStatusClass;
  regionId: string;
  resourceGroupId?: string;
  tags: Array<{ key: string; value: string }>;
}

export interface DescribeInstancesQuery {
  instanceId?: string;
  /** Name filter (exact vs. fuzzy match is not documented by the vendor). */
  instanceName?: string;
  /** Joined with commas into `InstanceStatus`; see FILTERABLE_STATUSES. */
  statuses?: string[];
  regionId?: string;
  resourceGroupId?: string;
  tags?: Array<{ key: string; value: string }>;
  /** 1-based, 1..10000. */
  pageNumber?: number;
  /** 1..100000; the server may return fewer. */
  pageSize?: number;
}

export interface OperationRecord {
  operationId: string;
  /** e.g. `restart_cluster`, `restart_node_group`. */
  operationType: string;
  /** `COMPLETED`, `TERMINATED`, `HUMAN_PROCESSING`, or values not yet documented. */
  operationStatus: string;
  /** 0-100. */
  progress?: number;
  gmtCreateMs?: number;
  gmtEndMs?: number;
  instanceId: string;
}

export type NodeGroupRecord = Record<string, unknown> & { NodeGroupId: string; Status: string };

export interface StarRocksClientOptions {
  /** Region id, e.g. `cn-hangzhou`; selects the endpoint. */
  region: string;
  credentials: CredentialSource;
  /** Region id → base URL (e.g. `http://127.0.0.1:18080`); wins over the built-in map. */
  endpointOverrides?: Record<string, string>;
  /** undici dispatcher to send through. Default: a Pool owned by this client (see `close()`). */
  dispatcher?: Dispatcher;
  /** TCP/TLS connect timeout of the owned Pool. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Time to wait for response headers. Default 15000 ms. */
  headersTimeoutMs?: number;
  /** Maximum idle time between body chunks. Default 15000 ms. */
  bodyTimeoutMs?: number;
  /** Clock for `x-acs-date`, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Signature nonce. Default 32 random hex characters. */
  nonce?: () => string;
  /** `user-agent` header (not signed). */
  userAgent?: string;
  /** Waited on before each request (client-side quota, e.g. a TokenBucket per region). */
  rateLimiter?: RateLimiter;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
export const DEFAULT_BODY_TIMEOUT_MS = 15_000;
export const DEFAULT_USER_AGENT = `starwave (Node.js ${process.version}; ${process.platform})`;

/** Default page size of describeAllInstances and default page guard. */
export const DEFAULT_LIST_PAGE_SIZE = 100;
export const DEFAULT_LIST_MAX_PAGES = 1_000;

type QueryValue = string | number | boolean | undefined;

interface CallSpec {
  action: OperationName;
  query: Record<string, QueryValue>;
  /** JSON body members (undefined members dropped); no body when nothing remains. */
  body?: Record<string, unknown>;
}

interface CallResult {
  envelope: ServiceEnvelope;
  requestId: string;
  httpStatus: number;
}

/** Network error codes raised before the request could be written: the service never saw it. */
const NOT_SENT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export class StarRocksClient {
  readonly region: string;
  readonly endpoint: { baseUrl: string; host: string };
  private readonly credentials: CredentialSource;
  private readonly connectTimeoutMs: number;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly now: () => number;
  private readonly nonce: () => string;
  private readonly userAgent: string;
  private readonly rateLimiter: RateLimiter | undefined;
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;

  constructor(opts: StarRocksClientOptions) {
    this.region = validateRegion(opts.region);
    const resolved = resolveEndpoint(opts.region, opts.endpointOverrides);
    this.endpoint = { baseUrl: resolved.baseUrl, host: resolved.host };
    this.credentials = opts.credentials;
    this.connectTimeoutMs = positiveIntOption('connectTimeoutMs', opts.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.headersTimeoutMs = positiveIntOption('headersTimeoutMs', opts.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS);
    this.bodyTimeoutMs = positiveIntOption('bodyTimeoutMs', opts.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS);
    this.now = opts.now ?? Date.now;
    this.nonce = opts.nonce ?? (() => randomBytes(16).toString('hex'));
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.rateLimiter = opts.rateLimiter;
    this.dispatcher = opts.dispatcher;
    this.ownsDispatcher = opts.dispatcher === undefined;
  }

  /** Closes the Pool this client created for itself (no-op for an injected dispatcher). */
  async close(): Promise<void> {
    if (this.ownsDispatcher && this.dispatcher) {
      const d = this.dispatcher;
      this.dispatcher = undefined;
      await d.close();
    }
  }

  /**
   * Schedules a restart (RestartInstance). Resolves once the service accepted it; the instance then
   * goes `restarting` → `running`. There is no idempotency token: on an error with
   * `outcomeUnknown`, re-read the instance status before sending again.
   */
  async restartInstance(input: { instanceId: string; fastMode?: boolean }): Promise<{ requestId: string }> {
    const instanceId = checkId('instanceId', input.instanceId, INSTANCE_ID_PATTERN, 'c-');
    const fastMode = checkOptionalBoolean('fastMode', input.fastMode);
    const action = 'RestartInstance';
    const result = await this.call({ action, query: { InstanceId: instanceId, FastMode: fastMode ?? false } });
    this.expectRestartAccepted(action, result);
    return { requestId: result.requestId };
  }

  /** Restarts one compute group (RestartNodeGroup). Same async semantics as restartInstance. */
  async restartNodeGroup(input: { instanceId: string; nodeGroupId: string; fastMode?: boolean }): Promise<{ requestId: string }> {
    const instanceId = checkId('instanceId', input.instanceId, INSTANCE_ID_PATTERN, 'c-');
    const nodeGroupId = checkId('nodeGroupId', input.nodeGroupId, NODE_GROUP_ID_PATTERN, 'ng-');
    const fastMode = checkOptionalBoolean('fastMode', input.fastMode);
    const action = 'RestartNodeGroup';
    const result = await this.call({
      action,
      query: { InstanceId: instanceId, NodeGroupId: nodeGroupId, FastMode: fastMode ?? false },
    });
    this.expectRestartAccepted(action, result);
    return { requestId: result.requestId };
  }

  /** One page of DescribeInstances. */
  async describeInstances(q: DescribeInstancesQuery): Promise<{ requestId: string; total: number; items: InstanceSummary[] }> {
    const query = describeInstancesQuery(q);
    const action = 'DescribeInstances';
    const result = await this.call({ action, query });
    const items = this.parseData(action, result, DescribeInstancesDataSchema).map((item) => toInstanceSummary(item, this.region));
    return { requestId: result.requestId, total: this.total(action, result, items.length), items };
  }

  /**
   * Every instance matching `q`, page by page. Stops when the collected count reaches `Total` or a
   * page is empty — not on a short page, because the server may cap the page size below what we
   * asked for. Instances seen twice (the list shifted between pages) are kept once. Throws when
   * `maxPages` pages did not finish the listing rather than return a silently partial fleet.
   */
  async describeAllInstances(
    q: Omit<DescribeInstancesQuery, 'pageNumber'>,
    opts: { pageSize?: number; maxPages?: number } = {},
  ): Promise<{ items: InstanceSummary[]; pages: number }> {
    const pageSize = checkPositiveInt('pageSize', opts.pageSize ?? q.pageSize ?? DEFAULT_LIST_PAGE_SIZE, 100_000);
    const maxPages = checkPositiveInt('maxPages', opts.maxPages ?? DEFAULT_LIST_MAX_PAGES, 10_000);
    // Validate the whole query once, before the first request.
    describeInstancesQuery({ ...q, pageNumber: 1, pageSize });
    const byId = new Map<string, InstanceSummary>();
    let total = 0;
    for (let page = 1; page <= maxPages; page++) {
      const result = await this.describeInstances({ ...q, pageNumber: page, pageSize });
      total = result.total;
      for (const item of result.items) if (!byId.has(item.instanceId)) byId.set(item.instanceId, item);
      if (result.items.length === 0 || byId.size >= total) return { items: [...byId.values()], pages: page };
    }
    throw new StarRocksApiError({
      errorClass: 'bad_request',
      action: 'DescribeInstances',
      region: this.region,
      outcomeUnknown: false,
      detail: `the listing did not finish within maxPages=${maxPages} pages of ${pageSize} (collected ${byId.size} of Total ${total}); raise maxPages or narrow the query`,
    });
  }

  /** The instance with exactly this id, or undefined when the service returns no such instance. */
  async describeInstance(instanceId: string): Promise<InstanceSummary | undefined> {
    checkId('instanceId', instanceId, INSTANCE_ID_PATTERN, 'c-');
    const { items } = await this.describeInstances({ instanceId, pageNumber: 1, pageSize: 10 });
    return items.find((item) => item.instanceId === instanceId);
  }

  /** One page of ListOperationHistory for an instance (newest restarts can be found by type and time). */
  async listOperationHistory(q: {
    instanceId: string;
    operationType?: string;
    operationStatus?: string;
    startTimeMs?: number;
    endTimeMs?: number;
    pageNumber?: number;
    pageSize?: number;
  }): Promise<{ requestId: string; total: number; items: OperationRecord[] }> {
    const instanceId = checkId('instanceId', q.instanceId, INSTANCE_ID_PATTERN, 'c-');
    const query = {
      InstanceId: instanceId,
      OperationType: checkOptionalString('operationType', q.operationType),
      OperationStatus: checkOptionalString('operationStatus', q.operationStatus),
      StartTime: checkOptionalNonNegativeInt('startTimeMs', q.startTimeMs),
      EndTime: checkOptionalNonNegativeInt('endTimeMs', q.endTimeMs),
      PageNumber: checkOptionalPositiveInt('pageNumber', q.pageNumber, 10_000),
      PageSize: checkOptionalPositiveInt('pageSize', q.pageSize, 100_000),
    };
    const action = 'ListOperationHistory';
    const result = await this.call({ action, query });
    const items = this.parseData(action, result, ListOperationHistoryDataSchema).map(
      (op): OperationRecord => ({
        operationId: op.OperationId,
        operationType: op.OperationType,
        operationStatus: op.OperationStatus,
        ...(op.Progress !== undefined ? { progress: op.Progress } : {}),
        ...(op.GmtCreate !== undefined ? { gmtCreateMs: op.GmtCreate } : {}),
        ...(op.GmtEnd !== undefined ? { gmtEndMs: op.GmtEnd } : {}),
        instanceId: op.InstanceId ?? instanceId,
      }),
    );
    return { requestId: result.requestId, total: this.total(action, result, items.length), items };
  }

  /** One page of DescribeNodeGroups (`clusterId` is the instance id). Items keep every vendor field. */
  async describeNodeGroups(input: {
    clusterId: string;
    pageNumber?: number;
    pageSize?: number;
    componentType?: string;
    nodeGroupIds?: string[];
    nodeGroupName?: string;
    status?: string;
  }): Promise<{ requestId: string; total: number; items: NodeGroupRecord[] }> {
    const clusterId = checkId('clusterId', input.clusterId, INSTANCE_ID_PATTERN, 'c-');
    const query = {
      ClusterId: clusterId,
      PageNumber: checkOptionalPositiveInt('pageNumber', input.pageNumber, 10_000),
      PageSize: checkOptionalPositiveInt('pageSize', input.pageSize, 100_000),
    };
    let nodeGroupIds: string[] | undefined;
    if (input.nodeGroupIds !== undefined) {
      if (!Array.isArray(input.nodeGroupIds)) throw new StarRocksInputError('nodeGroupIds', 'nodeGroupIds must be an array of node group ids.');
      nodeGroupIds = input.nodeGroupIds.map((id, i) => checkId(`nodeGroupIds[${i}]`, id, NODE_GROUP_ID_PATTERN, 'ng-'));
    }
    // Body keys are camelCase, in the SDK's order (spec §3.4).
    const body = {
      componentType: checkOptionalString('componentType', input.componentType),
      nodeGroupIds,
      nodeGroupName: checkOptionalString('nodeGroupName', input.nodeGroupName),
      status: checkOptionalString('status', input.status),
    };
    const action = 'DescribeNodeGroups';
    const result = await this.call({ action, query, body });
    const items = this.parseData(action, result, DescribeNodeGroupsDataSchema) as NodeGroupRecord[];
    return { requestId: result.requestId, total: this.total(action, result, items.length), items };
  }

  // ---------------------------------------------------------------------------------------------

  private expectRestartAccepted(action: OperationName, result: CallResult): void {
    if (!RestartDataSchema.safeParse(result.envelope.Data).success) {
      // Success:true without Data:true is not a shape the vendor documents: we cannot tell
      // whether the restart was scheduled.
      throw this.malformed(action, result.httpStatus, result.requestId, 'Success is true but Data is not true');
    }
  }

  private parseData<S extends z.ZodType>(action: OperationName, result: CallResult, schema: S): z.output<S> {
    const parsed = schema.safeParse(result.envelope.Data);
    if (!parsed.success) {
      throw this.malformed(action, result.httpStatus, result.requestId, `Data does not match the expected shape (${summariseIssues(parsed.error)})`);
    }
    return parsed.data;
  }

  private total(action: OperationName, result: CallResult, itemCount: number): number {
    const total = result.envelope.Total;
    if (total === undefined) return itemCount;
    if (!Number.isInteger(total) || total < 0) {
      throw this.malformed(action, result.httpStatus, result.requestId, `Total is ${String(total)}`);
    }
    return total;
  }

  private malformed(action: OperationName, httpStatus: number | undefined, requestId: string | undefined, why: string): StarRocksApiError {
    return new StarRocksApiError({
      errorClass: 'transient',
      action,
      region: this.region,
      outcomeUnknown: true,
      detail: `malformed response: ${why}`,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(requestId ? { requestId } : {}),
    });
  }

  private getDispatcher(): Dispatcher {
    this.dispatcher ??= new Pool(this.endpoint.baseUrl, {
      connections: 16,
      connect: { timeout: this.connectTimeoutMs },
      headersTimeout: this.headersTimeoutMs,
      bodyTimeout: this.bodyTimeoutMs,
    });
    return this.dispatcher;
  }

  private async loadCredentials(action: OperationName): Promise<Credentials> {
    try {
      return await this.credentials.getCredentials();
    } catch (err) {
      const detail =
        err instanceof StarRocksCredentialsError
          ? err.message
          : `the credential source failed (${err instanceof Error ? err.name : typeof err}); check the configured credentials`;
      throw new StarRocksApiError({ errorClass: 'auth', action, region: this.region, outcomeUnknown: false, detail });
    }
  }

  /** Signs and sends one request; returns the envelope of a successful call or throws StarRocksApiError. */
  private async call(spec: CallSpec): Promise<CallResult> {
    const { action } = spec;
    const pathname = OPERATIONS[action];
    // Wait for the region's quota before signing, so x-acs-date is fresh when the request leaves.
    await this.rateLimiter?.acquire();
    const credentials = await this.loadCredentials(action);
    const secrets = [credentials.accessKeySecret, credentials.securityToken];

    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.query)) if (value !== undefined) query[name] = String(value);
    const bodyMembers = Object.entries(spec.body ?? {}).filter(([, v]) => v !== undefined);
    const body = bodyMembers.length > 0 ? JSON.stringify(Object.fromEntries(bodyMembers)) : undefined;
    const payloadHash = body === undefined ? EMPTY_BODY_SHA256 : sha256Hex(body);

    const headers: Record<string, string> = {
      host: this.endpoint.host,
      'x-acs-action': action,
      'x-acs-version': API_VERSION,
      'x-acs-date': acsDate(this.now()),
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
    headers['user-agent'] = this.userAgent;

    const qs = canonicalQueryString(query);
    const url = `${this.endpoint.baseUrl}${pathname}${qs ? `?${qs}` : ''}`;

    let statusCode: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        ...(body !== undefined ? { body } : {}),
        dispatcher: this.getDispatcher(),
        headersTimeout: this.headersTimeoutMs,
        bodyTimeout: this.bodyTimeoutMs,
      });
      statusCode = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (err) {
      const code = networkErrorCode(err);
      const notSent = code !== undefined && NOT_SENT_ERROR_CODES.has(code);
      throw new StarRocksApiError({
        errorClass: classifyFailure({ noResponse: true }),
        action,
        region: this.region,
        outcomeUnknown: !notSent,
        detail: `no response from ${this.endpoint.host} (${redactSecrets(describeNetworkError(err, code), secrets)})`,
        cause: err,
      });
    }

    const headerRequestId = firstHeader(responseHeaders, 'x-acs-request-id');
    const retryAfterMs = parseRetryAfter(firstHeader(responseHeaders, 'x-acs-retry-after'));
    const is2xx = statusCode >= 200 && statusCode < 300;

    const fail = (f: {
      errorClass?: ErrorClass;
      code?: string | undefined;
      message?: string | undefined;
      accessDeniedDetail?: unknown;
      requestId?: string | undefined;
      outcomeUnknown?: boolean;
      detail?: string;
    }): StarRocksApiError => {
      const errorClass =
        f.errorClass ??
        classifyFailure({ httpStatus: statusCode, code: f.code, message: f.message, accessDeniedDetail: f.accessDeniedDetail });
      const requestId = f.requestId ?? headerRequestId;
      return new StarRocksApiError({
        errorClass,
        action,
        region: this.region,
        httpStatus: statusCode,
        outcomeUnknown: f.outcomeUnknown ?? false,
        ...(f.code ? { apiCode: redactSecrets(f.code, secrets) } : {}),
        ...(f.message ? { apiMessage: redactSecrets(f.message, secrets) } : {}),
        ...(requestId ? { requestId } : {}),
        ...(retryAfterMs !== undefined && errorClass === 'throttled' ? { retryAfterMs } : {}),
        ...(f.detail ? { detail: f.detail } : {}),
      });
    };

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const xml = parseXmlError(text);
      if (xml) throw fail({ code: xml.code, message: xml.message, requestId: xml.requestId });
      if (is2xx) throw this.malformed(action, statusCode, headerRequestId, 'the body is not JSON');
      // A non-JSON error page (proxy or load balancer). A 5xx there may hide a request that
      // reached the service, so its outcome is unknown.
      throw fail({ outcomeUnknown: statusCode >= 500, detail: `HTTP ${statusCode} with a non-JSON body` });
    }

    if (isObject(json) && 'Success' in json) {
      const parsed = ServiceEnvelopeSchema.safeParse(json);
      if (!parsed.success) {
        if (is2xx) throw this.malformed(action, statusCode, headerRequestId, `the envelope does not match (${summariseIssues(parsed.error)})`);
        throw fail({ detail: `HTTP ${statusCode} with an unrecognised error body` });
      }
      const envelope = parsed.data;
      const requestId = envelope.RequestId ?? headerRequestId ?? '';
      if (is2xx && envelope.Success === true) return { envelope, requestId, httpStatus: statusCode };
      throw fail({
        code: envelope.ErrCode,
        message: envelope.ErrMessage === 'null' ? undefined : envelope.ErrMessage,
        accessDeniedDetail: envelope.AccessDeniedDetail,
        requestId: envelope.RequestId,
        ...(envelope.Success === true ? { detail: `HTTP ${statusCode} although the body reports success` } : {}),
      });
    }

    const gateway = GatewayErrorSchema.safeParse(json);
    if (gateway.success && gateway.data.code !== undefined) {
      const g = gateway.data;
      throw fail({ code: g.code, message: g.message, accessDeniedDetail: g.accessDeniedDetail, requestId: g.requestId });
    }
    if (is2xx) throw this.malformed(action, statusCode, headerRequestId, 'the body is neither a service envelope nor a gateway error');
    throw fail({ detail: `HTTP ${statusCode} with an unrecognised error body` });
  }
}

// ---------------------------------------------------------------------------------------------
// Multi-region factory

export interface StarRocksClientsOptions extends Omit<StarRocksClientOptions, 'region' | 'dispatcher'> {
  /** Upper bound of keep-alive connections per endpoint origin. Default 16. */
  connectionsPerEndpoint?: number;
  /** Supplies the dispatcher for an endpoint origin instead of the built-in Pool (tests, proxies). Not closed by close(). */
  dispatcherFor?: (baseUrl: string) => Dispatcher;
  /** Client-side request rate per region (requests/second); key `*` applies to regions not listed. */
  regionQps?: Record<string, number>;
}

/** One client per region, one undici Pool (keep-alive, bounded connections, timeouts) per endpoint origin. */
export class StarRocksClients {
  private readonly opts: StarRocksClientsOptions;
  private readonly clients = new Map<string, StarRocksClient>();
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly owned: Dispatcher[] = [];
  private closed = false;

  constructor(opts: StarRocksClientsOptions) {
    this.opts = opts;
    positiveIntOption('connectionsPerEndpoint', opts.connectionsPerEndpoint, 16);
  }

  forRegion(region: string): StarRocksClient {
    if (this.closed) throw new Error('StarRocksClients is closed; create a new instance.');
    const cached = this.clients.get(region);
    if (cached) return cached;
    const { connectionsPerEndpoint, dispatcherFor, regionQps, ...clientOpts } = this.opts;
    const endpoint = resolveEndpoint(region, this.opts.endpointOverrides);
    let dispatcher = this.dispatchers.get(endpoint.baseUrl);
    if (!dispatcher) {
      if (dispatcherFor) {
        dispatcher = dispatcherFor(endpoint.baseUrl);
      } else {
        dispatcher = new Pool(endpoint.baseUrl, {
          connections: connectionsPerEndpoint ?? 16,
          connect: { timeout: clientOpts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
          headersTimeout: clientOpts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
          bodyTimeout: clientOpts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
        });
        this.owned.push(dispatcher);
      }
      this.dispatchers.set(endpoint.baseUrl, dispatcher);
    }
    // Each region is its own gateway with its own quota: one bucket per region.
    const qps = regionQps?.[region] ?? regionQps?.['*'];
    const client = new StarRocksClient({ ...clientOpts, region, dispatcher, ...(qps ? { rateLimiter: new TokenBucket(qps) } : {}) });
    this.clients.set(region, client);
    return client;
  }

  /** Closes the Pools this factory created (gracefully: in-flight requests finish first). */
  async close(): Promise<void> {
    this.closed = true;
    const owned = this.owned.splice(0);
    this.clients.clear();
    this.dispatchers.clear();
    await Promise.all(owned.map((d) => d.close()));
  }
}

// ---------------------------------------------------------------------------------------------
// Input validation (all before any request) and response helpers

function describeInstancesQuery(q: DescribeInstancesQuery): Record<string, QueryValue> {
  if (!isObject(q)) throw new StarRocksInputError('query', 'The DescribeInstances query must be an object.');
  const instanceId = q.instanceId === undefined ? undefined : checkId('instanceId', q.instanceId, INSTANCE_ID_PATTERN, 'c-');
  let status: string | undefined;
  if (q.statuses !== undefined) {
    if (!Array.isArray(q.statuses) || q.statuses.length === 0) {
      throw new StarRocksInputError('statuses', 'statuses must be a non-empty array of instance status values such as "running"; omit it to match every status.');
    }
    q.statuses.forEach((s, i) => {
      if (typeof s !== 'string' || s.trim() === '' || s.includes(',')) {
        throw new StarRocksInputError(`statuses[${i}]`, `statuses[${i}] must be a non-empty status value without commas, such as "running".`);
      }
    });
    status = q.statuses.join(',');
  }
  let tag: string | undefined;
  if (q.tags !== undefined) {
    if (!Array.isArray(q.tags)) throw new StarRocksInputError('tags', 'tags must be an array of { key, value }.');
    // Serialised as ONE query parameter holding JSON text, PascalCase keys (spec §2, §3.2).
    tag = JSON.stringify(
      q.tags.map((t, i) => {
        if (!isObject(t) || typeof t.key !== 'string' || t.key === '' || typeof t.value !== 'string') {
          throw new StarRocksInputError(`tags[${i}]`, `tags[${i}] must be { key: non-empty string, value: string }.`);
        }
        return { Key: t.key, Value: t.value };
      }),
    );
  }
  return {
    InstanceId: instanceId,
    InstanceName: checkOptionalString('instanceName', q.instanceName),
    InstanceStatus: status,
    PageNumber: checkOptionalPositiveInt('pageNumber', q.pageNumber, 10_000),
    PageSize: checkOptionalPositiveInt('pageSize', q.pageSize, 100_000),
    RegionId: q.regionId === undefined ? undefined : validateRegion(q.regionId, 'regionId'),
    ResourceGroupId: checkOptionalString('resourceGroupId', q.resourceGroupId),
    Tag: tag,
  };
}

function toInstanceSummary(item: InstanceItem, fallbackRegion: string): InstanceSummary {
  return {
    instanceId: item.InstanceId,
    instanceName: item.InstanceName ?? '',
    status: item.InstanceStatus,
    statusClass: classifyInstanceStatus(item.InstanceStatus),
    regionId: item.RegionId ?? fallbackRegion,
    ...(item.ResourceGroupId ? { resourceGroupId: item.ResourceGroupId } : {}),
    tags: item.Tags.map((t) => ({ key: t.Key, value: t.Value })),
  };
}

function checkId(field: string, value: unknown, pattern: RegExp, prefix: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 64)}"` : String(value);
    throw new StarRocksInputError(field, `${field} ${shown} is not a valid id: expected "${prefix}" followed by 16 lowercase letters or digits, e.g. "${prefix}b25e21e24388abcd".`);
  }
  return value;
}

function checkOptionalString(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StarRocksInputError(field, `${field} must be a non-empty string when given.`);
  }
  return value;
}

function checkOptionalBoolean(field: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new StarRocksInputError(field, `${field} must be true or false.`);
  return value;
}

function checkPositiveInt(field: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new StarRocksInputError(field, `${field} must be an integer from 1 to ${max}; got ${String(value)}.`);
  }
  return value;
}

function checkOptionalPositiveInt(field: string, value: unknown, max: number): number | undefined {
  return value === undefined ? undefined : checkPositiveInt(field, value, max);
}

function checkOptionalNonNegativeInt(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StarRocksInputError(field, `${field} must be a non-negative integer (epoch milliseconds); got ${String(value)}.`);
  }
  return value;
}

function positiveIntOption(field: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkPositiveInt(field, value, Number.MAX_SAFE_INTEGER);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `x-acs-retry-after` in milliseconds (as the official SDK reads it), capped at 120 s. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value.trim());
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}

function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && isObjectLike(current); depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      current = inner[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function describeNetworkError(err: unknown, code: string | undefined): string {
  const message = err instanceof Error && err.message ? err.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function parseXmlError(text: string): { code?: string; message?: string; requestId?: string } | undefined {
  if (!/<Error[\s>]/.test(text)) return undefined;
  const tag = (name: string): string | undefined => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1]?.trim();
  const code = tag('Code');
  if (code === undefined) return undefined;
  const out: { code?: string; message?: string; requestId?: string } = { code };
  const message = tag('Message');
  const requestId = tag('RequestId');
  if (message !== undefined) out.message = message;
  if (requestId !== undefined) out.requestId = requestId;
  return out;
}

function summariseIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
