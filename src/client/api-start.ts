/**
 * Starting a rollout for the HTTP API: `startRollout`, plus one fallback it lacks. Temporal refuses a start
 * whose search attributes are too large (e.g. "search attribute StarwaveRegions value size 2467 exceeds size
 * limit 2048" for a spec naming many regions) — a spec every validator accepts, so the API must not answer
 * 500. The run then starts without search attributes, exactly as `startRollout` does on a server that lacks
 * them (it is still listed, only not filtered by name).
 *
 * To be deleted once `startRollout` itself falls back on this refusal (asked of the client's owner).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { StarwaveError } from '../contracts/errors';
import { WORKFLOW_TYPE, type RolloutInput } from '../contracts/rollout';
import { rolloutWorkflowId, type RolloutSpec } from '../planning/spec';
import { rootMessage, startRollout, staticDetailsOf, toStarwaveError, type StartedRollout, type StartRolloutOptions } from './index';

/** The frontend's INVALID_ARGUMENT for search attributes beyond its size limits. */
export function isSearchAttributeTooLarge(err: unknown): boolean {
  const text = rootMessage(err);
  return /search attribute/i.test(text) && /exceeds? (the )?(size )?limit|too (large|long)/i.test(text);
}

export async function startRolloutForApi(client: Client, spec: RolloutSpec, opts: StartRolloutOptions & { taskQueue: string }): Promise<StartedRollout> {
  try {
    return await startRollout(client, spec, opts);
  } catch (err) {
    if (!isSearchAttributeTooLarge(err)) throw err;
  }
  const workflowId = rolloutWorkflowId(spec);
  const input: RolloutInput = { spec, ...(opts.trigger ? { trigger: opts.trigger } : {}), ...(opts.notAfter ? { notAfter: opts.notAfter } : {}) };
  try {
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: opts.taskQueue,
      workflowId,
      args: [input],
      // The same id policies as startRollout: a requestId never starts twice; a name re-runs once closed.
      workflowIdReusePolicy: spec.requestId ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: `starwave rollout ${spec.name}`,
      staticDetails: staticDetailsOf(spec, opts.trigger),
    });
    return { workflowId, runId: handle.firstExecutionRunId, existing: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toStarwaveError(err);
    const d = await client.workflow.getHandle(workflowId).describe();
    if (spec.requestId) return { workflowId, runId: d.runId, existing: true };
    throw new StarwaveError('ERR_ROLLOUT_RUNNING', `A rollout named "${spec.name}" is still running (${workflowId}, run ${d.runId}); nothing new was started.`);
  }
}
