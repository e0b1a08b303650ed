/**
 * One page of rollouts from Temporal visibility, for the HTTP API's `GET /v1/rollouts`: Temporal's own page
 * token is handed back to the caller, so paging costs one ListWorkflowExecutions call per page and no state
 * on the server. Filters: execution status and rollout name (the StarwaveName search attribute). Temporal
 * does not refuse a forged token cleanly (the dev server makes the call fail as retryable until its
 * deadline), so callers must only pass back tokens Temporal gave them: the API signs them (src/api/page-token).
 */
import type { Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { StarwaveError } from '../contracts/errors';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { BASE_QUERY, STATUS_QUERY, listItemOf, type ListStatus, type RolloutListItem } from './list';
import { toStarwaveError } from './errors';

export { LIST_STATUSES, type ListStatus } from './list';

export interface RolloutPageQuery {
  status?: ListStatus;
  /** Exact rollout name (spec.name); needs the StarwaveName search attribute on the server. */
  name?: string;
  /** Rollouts that include this region (the StarwaveRegions search attribute). */
  region?: string;
  /** 1-1000. */
  pageSize: number;
  /** Temporal's `nextPageToken` from an earlier page of the same filters. */
  pageToken?: Uint8Array;
}

export interface RolloutListEntry extends RolloutListItem {
  /** spec.name, when the run carries starwave's search attributes. */
  name?: string;
  /** The rollout's last upserted phase (running, paused, … completed), when it carries the search attributes. */
  phase?: string;
}

export interface RolloutPage {
  rollouts: RolloutListEntry[];
  /** Temporal's token for the next page; absent on the last page. */
  nextPageToken?: Uint8Array;
}

/** The visibility query of a page (names are validated by the caller; quotes are removed regardless). */
export function rolloutListQuery(q: Pick<RolloutPageQuery, 'status' | 'name' | 'region'>): string {
  let query = BASE_QUERY;
  if (q.status) query += ` AND ExecutionStatus='${STATUS_QUERY[q.status]}'`;
  if (q.name) query += ` AND ${SEARCH_ATTRIBUTES.name.name}='${q.name.replace(/['"\\]/g, '')}'`;
  if (q.region) query += ` AND ${SEARCH_ATTRIBUTES.regions.name}='${q.region.replace(/['"\\]/g, '')}'`;
  return query;
}

const GRPC_INVALID_ARGUMENT = 3;

/**
 * One page, newest first. Throws StarwaveError ERR_QUERY_INVALID when Temporal refuses the page token or the
 * name filter (no StarwaveName search attribute), else whatever toStarwaveError makes of the failure.
 */
export async function listRolloutPage(client: Client, q: RolloutPageQuery): Promise<RolloutPage> {
  const nextPageToken = q.pageToken && q.pageToken.length > 0 ? q.pageToken : undefined;
  let response;
  try {
    response = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query: rolloutListQuery(q),
      pageSize: q.pageSize,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === GRPC_INVALID_ARGUMENT) {
      throw new StarwaveError(
        'ERR_QUERY_INVALID',
        q.pageToken
          ? 'pageToken is not one this listing gave out (or its filters changed); start again without it.'
          : `Temporal refused the filter: the server may lack the ${q.region && !q.name ? SEARCH_ATTRIBUTES.regions.name : SEARCH_ATTRIBUTES.name.name} search attribute (README "Temporal UI") needed for ${q.region && !q.name ? 'region' : 'name'}=.`,
        { problems: [{ path: q.pageToken ? 'pageToken' : q.region && !q.name ? 'region' : 'name', message: 'refused by Temporal' }] },
      );
    }
    throw toStarwaveError(err, { what: 'the list of rollouts' });
  }
  const rollouts: RolloutListEntry[] = [];
  for (const raw of response.executions ?? []) {
    const wf = await executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace);
    const name = wf.typedSearchAttributes.get(SEARCH_ATTRIBUTES.name);
    const phase = wf.typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase);
    rollouts.push({
      ...listItemOf(wf),
      ...(name ? { name } : {}),
      ...(phase ? { phase } : {}),
    });
  }
  const token = response.nextPageToken;
  return { rollouts, ...(token && token.length > 0 ? { nextPageToken: token } : {}) };
}
