/**
 * Launching one restart, safely. RestartInstance has no idempotency token, so:
 * - an attempt records in its heartbeat that it is about to send, right before it sends;
 * - a retry may adopt a restart it did not see accepted (a `restart_cluster` operation since that
 *   moment, or the instance `restarting`) only if an earlier attempt recorded that it got that far.
 *   A target restarting for any other reason is reported not running (the engine waits for it and
 *   then sends a restart of its own);
 * - nothing is sent after the attempt's deadline or its cancellation, including after the wait for
 *   the client-side rate limit (the client checks right before writing the request).
 */
import type { LaunchHeartbeat, LaunchInput, LaunchResult } from '../contracts/activities';
import type { WaitCause } from '../contracts/rollout';
import { StarRocksApiError } from '../starrocks/errors';
import { classifyInstanceStatus } from '../starrocks/status';
import type { RegionApi } from './deps';
import { refusalOf, toApplicationFailure } from './failures';

/** Tolerated clock difference between this worker and the cloud when matching operation history. */
export const ADOPT_SKEW_MS = 120_000;
/** A send must leave this much of the attempt's time for its answer. */
export const SEND_MARGIN_MS = 5_000;

export interface LaunchContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** The previous attempt's heartbeat, if any. */
  previous?: LaunchHeartbeat;
  heartbeat: (details: LaunchHeartbeat) => void;
  /** When this attempt must be done (epoch ms). */
  deadlineMs: number;
  signal?: AbortSignal;
  now: () => number;
}

export async function launchRestart(api: RegionApi, input: LaunchInput, ctx: LaunchContext): Promise<LaunchResult> {
  const attempt = ctx.attempt;
  let reads = 0;
  const base = { attempt };
  const refused = (err: unknown, action: string): LaunchResult | undefined => {
    const r = refusalOf(err, input.region, action);
    return r ? { kind: 'refused', refusal: r, ...base, reads } : undefined;
  };

  const send = async (): Promise<LaunchResult> => {
    const res = await api.restartInstance(
      { instanceId: input.instanceId, fastMode: input.fastMode },
      {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        notAfterMs: ctx.deadlineMs - SEND_MARGIN_MS,
        // Recorded before the request is written: a retry after a lost answer may adopt only what this attempt sent.
        beforeSend: () => ctx.heartbeat({ attempt, aboutToSendAtMs: ctx.now() }),
      },
    );
    return { kind: 'sent', sentAtMs: ctx.now(), requestId: res.requestId, adopted: false, ...base, reads };
  };

  const notRunning = (status: string): LaunchResult => ({ kind: 'not_running', status, cause: waitCauseOf(status), ...base, reads });

  /** Status of the instance right now; refusal or not-found become results. */
  const read = async (): Promise<{ status: string } | LaunchResult> => {
    try {
      const instance = await api.describeInstance(input.instanceId, ctx.signal ? { signal: ctx.signal } : {});
      reads += 1;
      if (!instance) return { kind: 'refused', refusal: { errorClass: 'not_found', action: 'DescribeInstances', region: input.region, message: `Instance ${input.instanceId} does not exist in ${input.region}.` }, ...base, reads };
      if (instance.statusClass === 'GONE') return { kind: 'refused', refusal: { errorClass: 'not_found', action: 'DescribeInstances', region: input.region, message: `Instance ${input.instanceId} in ${input.region} is being released (${instance.status}).` }, ...base, reads };
      return { status: instance.status };
    } catch (err) {
      const r = refused(err, 'DescribeInstances');
      if (r) return r;
      throw err;
    }
  };

  try {
    const earlierSendAt = attempt > 1 ? ctx.previous?.aboutToSendAtMs : undefined;
    if (earlierSendAt !== undefined) {
      // An earlier attempt got as far as sending and its answer was lost: find its effect instead of sending again.
      const since = earlierSendAt - ADOPT_SKEW_MS;
      try {
        const history = await api.listOperationHistory({ instanceId: input.instanceId, operationType: 'restart_cluster', startTimeMs: since, pageSize: 10 }, ctx.signal ? { signal: ctx.signal } : {});
        reads += 1;
        const op = history.items.find((o) => o.operationType === 'restart_cluster' && (o.gmtCreateMs ?? 0) >= since);
        if (op) return { kind: 'sent', sentAtMs: op.gmtCreateMs ?? earlierSendAt, adopted: true, ...base, reads };
      } catch (err) {
        const r = refused(err, 'ListOperationHistory');
        if (r) return r;
        throw err;
      }
      const now = await read();
      if ('kind' in now) return now;
      // History may lag behind the status: our send shows as `restarting` first.
      if (classifyInstanceStatus(now.status) === 'RESTARTING') return { kind: 'sent', sentAtMs: earlierSendAt, adopted: true, ...base, reads };
      if (classifyInstanceStatus(now.status) !== 'READY') return notRunning(now.status);
      // The earlier send did not take effect (lost before it arrived): send now, as a first attempt would.
      return await sendOrNotRunning();
    }

    if (input.preflightFromSnapshot && attempt === 1) {
      // The region's fresh listing did not show it not running; RestartInstance itself re-checks.
      return await sendOrNotRunning();
    }
    const now = await read();
    if ('kind' in now) return now;
    if (classifyInstanceStatus(now.status) !== 'READY') return notRunning(now.status);
    return await sendOrNotRunning();
  } catch (err) {
    throw toApplicationFailure(err);
  }

  /** Sends; a refusal because the instance is not running (busy) is read once more for its status. */
  async function sendOrNotRunning(): Promise<LaunchResult> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof StarRocksApiError && err.errorClass === 'busy') {
        const now = await read();
        if ('kind' in now) return now;
        return notRunning(classifyInstanceStatus(now.status) === 'READY' ? 'busy' : now.status);
      }
      const r = refused(err, 'RestartInstance');
      if (r) return r;
      throw err;
    }
  }
}

function waitCauseOf(status: string): WaitCause {
  const cls = classifyInstanceStatus(status);
  if (cls === 'RESTARTING') return 'restarting';
  if (cls === 'BUSY') return 'busy';
  return 'unavailable';
}

