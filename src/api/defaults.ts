/** The API's limits and deadlines (one module, so the server and the OpenAPI document state the same numbers). */

/** Request body limit: 256 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** Deadline of Temporal reads (describe, list, progress query, report of a closed run), ms. */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;
/** Deadline of writes: starting a rollout and control updates (a worker must accept an update), ms. */
export const DEFAULT_UPDATE_TIMEOUT_MS = 10_000;
/** Page size of GET /v1/rollouts without pageSize. */
export const DEFAULT_PAGE_SIZE = 100;
