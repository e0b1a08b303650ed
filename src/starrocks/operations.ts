/**
 * The StarRocks OpenAPI operations starwave uses (spec §3), one method each, for one region.
 * Arguments are checked first (checks.ts), then one request is signed and sent (transport.ts) and
 * its answer parsed (response.ts). Knows nothing of Temporal and never retries.
 */
import { resolveEndpoint, validateRegion } from './endpoints';
import { StarRocksApiError, StarRocksInputError } from './errors';
import type { CredentialSource } from './credentials';
import {
  INSTANCE_ID_PATTERN,
  NODE_GROUP_ID_PATTERN,
  OPERATION_ID_PATTERN,
  checkId,
  checkOptionalBoolean,
  checkOptionalNonNegativeInt,
  checkOptionalPositiveInt,
  checkOptionalString,
  checkPositiveInt,
  describeInstancesQuery,
  positiveIntOption,
  type DescribeInstancesQuery,
} from './checks';
import type { Dispatcher } from 'undici';
import type { RateLimiter } from './rate-limit';
import { expectRestartAccepted, parseData, totalOf, type CallContext } from './response';
import {
  DescribeInstancesDataSchema,
  DescribeNodeGroupsDataSchema,
  ListOperationActivityDataSchema,
  ListOperationHistoryDataSchema,
  type InstanceItem,
} from './schemas';
import { classifyInstanceStatus, type InstanceStatusClass } from './status';
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_USER_AGENT,
  Transport,
  type CallOptions,
  type OperationName,
} from './transport';
import {
  describeAllNodeGroups,
  listRestartHistory,
  type NodeGroupSummary,
  type NodeGroupsQuery,
  type RestartHistory,
  type RestartHistoryQuery,
} from './views';

export interface InstanceSummary {
  instanceId: string;
  instanceName: string;
  /** Wire status, lowercase (e.g. `running`). */
  status: string;
  statusClass: InstanceStatusClass;
  regionId: string;
  resourceGroupId?: string;
  /** MaintainablePeriod, e.g. `02:00-03:00` (region local time). */
  maintainablePeriod?: string;
  tags: Array<{ key: string; value: string }>;
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

/** One step of an operation (ListOperationActivity). */
export interface OperationActivity {
  /** e.g. `ac-8f3f7c4026e3abcd`. */
  activityId: string;
  /** `COMPLETED`, `RUNNING`, or values not yet documented. */
  activityStatus: string;
  /** e.g. `UpdateClusterStatusToModifyingConfigStatus`. */
  name: string;
  /** Epoch ms; absent when not started (the vendor's 0). */
  startTimeMs?: number;
  /** Epoch ms; absent while running (the vendor's 0). */
  endTimeMs?: number;
  errMessage?: string;
  consoleRetryCount?: number;
}

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

/** Default page size of describeAllInstances and default page guard. */
export const DEFAULT_LIST_PAGE_SIZE = 100;
export const DEFAULT_LIST_MAX_PAGES = 1_000;

export class StarRocksClient {
  readonly region: string;
  readonly endpoint: { baseUrl: string; host: string };
  private readonly transport: Transport;

  constructor(opts: StarRocksClientOptions) {
    this.region = validateRegion(opts.region);
    const resolved = resolveEndpoint(opts.region, opts.endpointOverrides);
    this.endpoint = { baseUrl: resolved.baseUrl, host: resolved.host };
    this.transport = new Transport({
      region: this.region,
      endpoint: this.endpoint,
      credentials: opts.credentials,
      dispatcher: opts.dispatcher,
      connectTimeoutMs: positiveIntOption('connectTimeoutMs', opts.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
      headersTimeoutMs: positiveIntOption('headersTimeoutMs', opts.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS),
      bodyTimeoutMs: positiveIntOption('bodyTimeoutMs', opts.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS),
      now: opts.now ?? Date.now,
      nonce: opts.nonce,
      userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
      rateLimiter: opts.rateLimiter,
    });
  }

  /** Closes the Pool this client created for itself (no-op for an injected dispatcher). */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /**
   * Schedules a restart (RestartInstance). Resolves once the service accepted it; the instance then
   * goes `restarting` → `running`. There is no idempotency token: on an error with
   * `outcomeUnknown`, re-read the instance status before sending again. Use `opts.beforeSend` to
   * record the attempt right before it leaves, and `opts.notAfterMs` / `opts.signal` so a restart
   * that waited too long for the rate limiter is not sent at all (StarRocksNotSentError).
   */
  async restartInstance(input: { instanceId: string; fastMode?: boolean }, opts: CallOptions = {}): Promise<{ requestId: string }> {
    const instanceId = checkId('instanceId', input.instanceId, INSTANCE_ID_PATTERN, 'c-');
    const fastMode = checkOptionalBoolean('fastMode', input.fastMode);
    const ctx = this.ctx('RestartInstance');
    const result = await this.transport.call({ action: 'RestartInstance', query: { InstanceId: instanceId, FastMode: fastMode ?? false } }, opts);
    expectRestartAccepted(ctx, result);
    return { requestId: result.requestId };
  }

  /** Restarts one compute group (RestartNodeGroup). Same async semantics as restartInstance. */
  async restartNodeGroup(
    input: { instanceId: string; nodeGroupId: string; fastMode?: boolean },
    opts: CallOptions = {},
  ): Promise<{ requestId: string }> {
    const instanceId = checkId('instanceId', input.instanceId, INSTANCE_ID_PATTERN, 'c-');
    const nodeGroupId = checkId('nodeGroupId', input.nodeGroupId, NODE_GROUP_ID_PATTERN, 'ng-');
    const fastMode = checkOptionalBoolean('fastMode', input.fastMode);
    const ctx = this.ctx('RestartNodeGroup');
    const result = await this.transport.call(
      { action: 'RestartNodeGroup', query: { InstanceId: instanceId, NodeGroupId: nodeGroupId, FastMode: fastMode ?? false } },
      opts,
    );
    expectRestartAccepted(ctx, result);
    return { requestId: result.requestId };
  }

  /** One page of DescribeInstances. */
  async describeInstances(
    q: DescribeInstancesQuery,
    opts: CallOptions = {},
  ): Promise<{ requestId: string; total: number; items: InstanceSummary[] }> {
    const query = describeInstancesQuery(q);
    const ctx = this.ctx('DescribeInstances');
    const result = await this.transport.call({ action: 'DescribeInstances', query }, opts);
    const items = parseData(ctx, result, DescribeInstancesDataSchema).map((item) => toInstanceSummary(item, this.region));
    return { requestId: result.requestId, total: totalOf(ctx, result, items.length), items };
  }

  /**
   * Every instance matching `q`, page by page. Stops when the collected count reaches `Total` or a
   * page is empty — not on a short page, because the server may cap the page size below what we
   * asked for. Instances seen twice (the list shifted between pages) are kept once. Throws when
   * `maxPages` pages did not finish the listing rather than return a silently partial fleet.
   * The call options apply to every page (one request each).
   */
  async describeAllInstances(
    q: Omit<DescribeInstancesQuery, 'pageNumber'>,
    opts: { pageSize?: number; maxPages?: number } & CallOptions = {},
  ): Promise<{ items: InstanceSummary[]; pages: number }> {
    const { pageSize: _pageSize, maxPages: _maxPages, ...callOpts } = opts;
    const pageSize = checkPositiveInt('pageSize', opts.pageSize ?? q.pageSize ?? DEFAULT_LIST_PAGE_SIZE, 100_000);
    const maxPages = checkPositiveInt('maxPages', opts.maxPages ?? DEFAULT_LIST_MAX_PAGES, 10_000);
    // Validate the whole query once, before the first request.
    describeInstancesQuery({ ...q, pageNumber: 1, pageSize });
    const byId = new Map<string, InstanceSummary>();
    let total = 0;
    for (let page = 1; page <= maxPages; page++) {
      const result = await this.describeInstances({ ...q, pageNumber: page, pageSize }, callOpts);
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
  async describeInstance(instanceId: string, opts: CallOptions = {}): Promise<InstanceSummary | undefined> {
    checkId('instanceId', instanceId, INSTANCE_ID_PATTERN, 'c-');
    const { items } = await this.describeInstances({ instanceId, pageNumber: 1, pageSize: 10 }, opts);
    return items.find((item) => item.instanceId === instanceId);
  }

  /** One page of ListOperationHistory for an instance (newest restarts can be found by type and time). */
  async listOperationHistory(
    q: {
      instanceId: string;
      operationType?: string;
      operationStatus?: string;
      startTimeMs?: number;
      endTimeMs?: number;
      pageNumber?: number;
      pageSize?: number;
    },
    opts: CallOptions = {},
  ): Promise<{ requestId: string; total: number; items: OperationRecord[] }> {
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
    const ctx = this.ctx('ListOperationHistory');
    const result = await this.transport.call({ action: 'ListOperationHistory', query }, opts);
    const items = parseData(ctx, result, ListOperationHistoryDataSchema).map(
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
    return { requestId: result.requestId, total: totalOf(ctx, result, items.length), items };
  }

  /** One page of DescribeNodeGroups (`clusterId` is the instance id). Items keep every vendor field. */
  async describeNodeGroups(
    input: {
      clusterId: string;
      pageNumber?: number;
      pageSize?: number;
      componentType?: string;
      nodeGroupIds?: string[];
      nodeGroupName?: string;
      status?: string;
    },
    opts: CallOptions = {},
  ): Promise<{ requestId: string; total: number; items: NodeGroupRecord[] }> {
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
    const ctx = this.ctx('DescribeNodeGroups');
    const result = await this.transport.call({ action: 'DescribeNodeGroups', query, body }, opts);
    const items = parseData(ctx, result, DescribeNodeGroupsDataSchema) as NodeGroupRecord[];
    return { requestId: result.requestId, total: totalOf(ctx, result, items.length), items };
  }

  /**
   * The steps of one operation (ListOperationActivity, spec §3.5 item 4), e.g. of the
   * `restart_cluster` operation found with listOperationHistory: which step runs, which failed
   * and why. Query only, no body.
   */
  async listOperationActivity(
    q: { instanceId: string; operationId: string },
    opts: CallOptions = {},
  ): Promise<{ requestId: string; total: number; items: OperationActivity[] }> {
    const instanceId = checkId('instanceId', q.instanceId, INSTANCE_ID_PATTERN, 'c-');
    const operationId = checkId('operationId', q.operationId, OPERATION_ID_PATTERN, 'op-', 'up to 64');
    const ctx = this.ctx('ListOperationActivity');
    const result = await this.transport.call({ action: 'ListOperationActivity', query: { InstanceId: instanceId, OperationId: operationId } }, opts);
    const items = parseData(ctx, result, ListOperationActivityDataSchema).map(
      (a): OperationActivity => ({
        activityId: a.ActivityId,
        activityStatus: a.ActivityStatus,
        name: a.Name,
        ...(a.StartTime !== undefined ? { startTimeMs: a.StartTime } : {}),
        ...(a.EndTime !== undefined ? { endTimeMs: a.EndTime } : {}),
        ...(a.ErrMessage !== undefined ? { errMessage: a.ErrMessage } : {}),
        ...(a.ConsoleRetryCount !== undefined ? { consoleRetryCount: a.ConsoleRetryCount } : {}),
      }),
    );
    return { requestId: result.requestId, total: totalOf(ctx, result, items.length), items };
  }

  /** The instance's finished restarts since `q.sinceMs`, newest first, with the reads spent (see views.ts). */
  listRestartHistory(q: RestartHistoryQuery, opts: CallOptions = {}): Promise<RestartHistory> {
    return listRestartHistory(this, q, opts);
  }

  /** Every node group of an instance, typed for the data-plane probes, all pages (see views.ts). */
  describeAllNodeGroups(q: NodeGroupsQuery, opts: CallOptions = {}): Promise<{ items: NodeGroupSummary[]; pages: number }> {
    return describeAllNodeGroups(this, q, opts);
  }

  private ctx(action: OperationName): CallContext {
    return { action, region: this.region };
  }
}

function toInstanceSummary(item: InstanceItem, fallbackRegion: string): InstanceSummary {
  return {
    instanceId: item.InstanceId,
    instanceName: item.InstanceName ?? '',
    status: item.InstanceStatus,
    statusClass: classifyInstanceStatus(item.InstanceStatus),
    regionId: item.RegionId ?? fallbackRegion,
    ...(item.ResourceGroupId ? { resourceGroupId: item.ResourceGroupId } : {}),
    ...(item.MaintainablePeriod ? { maintainablePeriod: item.MaintainablePeriod } : {}),
    tags: item.Tags.map((t) => ({ key: t.Key, value: t.Value })),
  };
}
