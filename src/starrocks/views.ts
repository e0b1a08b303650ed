/**
 * Typed views over paged StarRocks operations: an instance's past restarts (for restart-duration
 * estimates) and its node groups with their data-plane endpoints (for health probes). Each view is
 * a bounded sequence of one-page calls through the client, so it shares the client's checks, quota
 * and call options; each page is one request and one read.
 */
import { StarRocksApiError, StarRocksInputError } from './errors';
import { INSTANCE_ID_PATTERN, checkId, checkOptionalString, checkPositiveInt } from './checks';
import type { StarRocksClient } from './operations';
import { malformedResponse, summariseIssues } from './response';
import { NodeGroupViewSchema } from './schemas';
import type { CallOptions } from './transport';

/** The operation type of a whole-instance restart in ListOperationHistory (spec §3.5). */
export const RESTART_OPERATION_TYPE = 'restart_cluster';
/** Operation statuses that mean an operation ended (spec §3.5 documents these two and HUMAN_PROCESSING). */
export const FINISHED_OPERATION_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'TERMINATED']);

export const DEFAULT_RESTART_HISTORY_PAGE_SIZE = 20;
export const DEFAULT_RESTART_HISTORY_MAX_PAGES = 5;
export const DEFAULT_NODE_GROUP_PAGE_SIZE = 100;
export const DEFAULT_NODE_GROUP_MAX_PAGES = 100;

/** One finished `restart_cluster` operation. */
export interface RestartRecord {
  operationId: string;
  /** When the restart was created, epoch ms. */
  gmtCreateMs: number;
  /** When it ended, epoch ms. */
  gmtEndMs: number;
  /** `COMPLETED` or `TERMINATED`. */
  status: string;
  /** gmtEndMs − gmtCreateMs. */
  durationMs: number;
}

export interface RestartHistoryQuery {
  instanceId: string;
  /** Only restarts created at or after this time, epoch ms. */
  sinceMs: number;
  /** Operations per page (one request each). Default 20. */
  pageSize?: number;
  /** At most this many pages are read. Default 5. */
  maxPages?: number;
}

export interface RestartHistory {
  /** Finished restarts, newest first; running or undocumented-status ones are left out. */
  items: RestartRecord[];
  /** Requests spent (one per page). */
  reads: number;
  /** False when `maxPages` stopped the listing before its end: older restarts may be missing. */
  complete: boolean;
}

/** The methods of StarRocksClient the views page through. */
type PagedApi = Pick<StarRocksClient, 'region' | 'listOperationHistory' | 'describeNodeGroups'>;

/**
 * The instance's finished restarts since `sinceMs` (ListOperationHistory, `OperationType =
 * restart_cluster`), paged and bounded by `maxPages`. A bounded, possibly partial answer is the
 * point: it feeds an estimate, so hitting `maxPages` returns what was read with `complete: false`
 * instead of throwing.
 */
export async function listRestartHistory(api: PagedApi, q: RestartHistoryQuery, opts: CallOptions = {}): Promise<RestartHistory> {
  const instanceId = checkId('instanceId', q.instanceId, INSTANCE_ID_PATTERN, 'c-');
  if (typeof q.sinceMs !== 'number' || !Number.isSafeInteger(q.sinceMs) || q.sinceMs < 0) {
    throw new StarRocksInputError('sinceMs', `sinceMs must be a non-negative integer (epoch milliseconds); got ${String(q.sinceMs)}.`);
  }
  const pageSize = checkPositiveInt('pageSize', q.pageSize ?? DEFAULT_RESTART_HISTORY_PAGE_SIZE, 100);
  const maxPages = checkPositiveInt('maxPages', q.maxPages ?? DEFAULT_RESTART_HISTORY_MAX_PAGES, 1_000);
  const byId = new Map<string, RestartRecord>();
  const seen = new Set<string>();
  let reads = 0;
  for (let page = 1; page <= maxPages; page++) {
    const res = await api.listOperationHistory(
      { instanceId, operationType: RESTART_OPERATION_TYPE, startTimeMs: q.sinceMs, pageNumber: page, pageSize },
      opts,
    );
    reads++;
    for (const op of res.items) {
      seen.add(op.operationId);
      // Re-check what the server was asked to filter: a server that ignores a filter must not skew the estimate.
      if (op.operationType !== RESTART_OPERATION_TYPE || !FINISHED_OPERATION_STATUSES.has(op.operationStatus)) continue;
      if (op.gmtCreateMs === undefined || op.gmtEndMs === undefined || op.gmtCreateMs < q.sinceMs || op.gmtEndMs < op.gmtCreateMs) continue;
      byId.set(op.operationId, {
        operationId: op.operationId,
        gmtCreateMs: op.gmtCreateMs,
        gmtEndMs: op.gmtEndMs,
        status: op.operationStatus,
        durationMs: op.gmtEndMs - op.gmtCreateMs,
      });
    }
    if (res.items.length === 0 || seen.size >= res.total) return { items: newestFirst(byId), reads, complete: true };
  }
  return { items: newestFirst(byId), reads, complete: false };
}

function newestFirst(byId: Map<string, RestartRecord>): RestartRecord[] {
  return [...byId.values()].sort((a, b) => b.gmtCreateMs - a.gmtCreateMs);
}

/** Component types of a node group (spec §3.4); other values pass through as they come. */
export type NodeGroupComponentType = 'FE' | 'BE' | 'CN' | 'OBSERVER' | 'AGENT' | (string & {});

/** A node group as the data-plane probes need it. */
export interface NodeGroupSummary {
  nodeGroupId: string;
  nodeGroupName?: string;
  componentType: NodeGroupComponentType;
  /** UPPERCASE group status, e.g. `RUNNING` (spec §3.4). */
  status: string;
  /** Host name or IP of the group's HTTP endpoint (FE: `fe-c-…-internal.starrocks.aliyuncs.com`). */
  endpoint?: string;
  /** HTTP port of that endpoint (FE default 8030, BE/CN 8040). */
  httpPort?: number;
}

export interface NodeGroupsQuery {
  instanceId: string;
  /** Only groups of this component type, e.g. `FE`. Default: all. */
  componentType?: NodeGroupComponentType;
  /** Groups per page (one request each). Default 100. */
  pageSize?: number;
  /** Guard against an endless listing. Default 100. */
  maxPages?: number;
}

/**
 * Every node group of an instance, all pages (DescribeNodeGroups), typed. Throws rather than
 * return a partial list when `maxPages` did not finish it: a health gate must not pass on the
 * groups it happened to see.
 */
export async function describeAllNodeGroups(
  api: PagedApi,
  q: NodeGroupsQuery,
  opts: CallOptions = {},
): Promise<{ items: NodeGroupSummary[]; pages: number }> {
  const instanceId = checkId('instanceId', q.instanceId, INSTANCE_ID_PATTERN, 'c-');
  const componentType = checkOptionalString('componentType', q.componentType);
  const pageSize = checkPositiveInt('pageSize', q.pageSize ?? DEFAULT_NODE_GROUP_PAGE_SIZE, 100_000);
  const maxPages = checkPositiveInt('maxPages', q.maxPages ?? DEFAULT_NODE_GROUP_MAX_PAGES, 10_000);
  const ctx = { action: 'DescribeNodeGroups', region: api.region };
  const byId = new Map<string, NodeGroupSummary>();
  let total = 0;
  for (let page = 1; page <= maxPages; page++) {
    const res = await api.describeNodeGroups(
      { clusterId: instanceId, pageNumber: page, pageSize, ...(componentType ? { componentType } : {}) },
      opts,
    );
    total = res.total;
    for (const [i, item] of res.items.entries()) {
      const parsed = NodeGroupViewSchema.safeParse(item);
      if (!parsed.success) throw malformedResponse(ctx, undefined, res.requestId, `Data[${i}] is not a node group (${summariseIssues(parsed.error)})`);
      const g = parsed.data;
      if (byId.has(g.NodeGroupId)) continue;
      byId.set(g.NodeGroupId, {
        nodeGroupId: g.NodeGroupId,
        ...(g.NodeGroupName ? { nodeGroupName: g.NodeGroupName } : {}),
        componentType: g.ComponentType,
        status: g.Status,
        ...(g.Endpoint ? { endpoint: g.Endpoint } : {}),
        ...(g.HttpPort !== undefined ? { httpPort: g.HttpPort } : {}),
      });
    }
    if (res.items.length === 0 || byId.size >= total) return { items: [...byId.values()], pages: page };
  }
  throw new StarRocksApiError({
    errorClass: 'bad_request',
    action: 'DescribeNodeGroups',
    region: api.region,
    outcomeUnknown: false,
    detail: `the node group listing of ${instanceId} did not finish within maxPages=${maxPages} pages of ${pageSize} (collected ${byId.size} of Total ${total}); raise maxPages`,
  });
}
