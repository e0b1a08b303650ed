/**
 * Production client for the EMR Serverless StarRocks OpenAPI (version 2022-10-19).
 *
 * It signs (ACS3-HMAC-SHA256), sends one request, parses the answer and classifies failures into
 * StarRocksApiError. It knows nothing of Temporal and never retries: the caller's retry policy
 * decides, guided by `errorClass`, `retryable`, `retryAfterMs` and `outcomeUnknown`.
 *
 * This module is the stable import path; the code lives along its seams:
 * - operations.ts — StarRocksClient, one method per OpenAPI operation
 * - transport.ts  — quota wait, credentials, signing, sending with undici, the one Pool builder
 * - response.ts   — envelope / gateway / XML error parsing and classification
 * - checks.ts     — argument checks, run before any request
 * - clients.ts    — StarRocksClients, the multi-region factory
 * - views.ts      — typed views over paged calls: restart history, node groups
 * - retry.ts      — withRetries, a bounded retry loop for callers outside Temporal
 */
export { INSTANCE_ID_PATTERN, NODE_GROUP_ID_PATTERN, OPERATION_ID_PATTERN, type DescribeInstancesQuery } from './checks';
export {
  API_VERSION,
  OPERATIONS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_USER_AGENT,
  type CallOptions,
  type OperationName,
} from './transport';
export { parseRetryAfter } from './response';
export {
  StarRocksClient,
  DEFAULT_LIST_PAGE_SIZE,
  DEFAULT_LIST_MAX_PAGES,
  type InstanceSummary,
  type OperationActivity,
  type OperationRecord,
  type NodeGroupRecord,
  type StarRocksClientOptions,
} from './operations';
export { StarRocksClients, type StarRocksClientsOptions } from './clients';
export {
  RESTART_OPERATION_TYPE,
  FINISHED_OPERATION_STATUSES,
  DEFAULT_RESTART_HISTORY_PAGE_SIZE,
  DEFAULT_RESTART_HISTORY_MAX_PAGES,
  DEFAULT_NODE_GROUP_PAGE_SIZE,
  DEFAULT_NODE_GROUP_MAX_PAGES,
  listRestartHistory,
  describeAllNodeGroups,
  type RestartRecord,
  type RestartHistory,
  type RestartHistoryQuery,
  type NodeGroupComponentType,
  type NodeGroupSummary,
  type NodeGroupsQuery,
} from './views';
export {
  withRetries,
  RETRIED_CLASSES,
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_RETRY_INITIAL_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  type RetryOptions,
  type RetryEvent,
} from './retry';
