/**
 * Deadlines for calls a worker must answer (queries, updates): when one runs out and no worker polls
 * the task queue, the error says so in one sentence instead of a bare DEADLINE_EXCEEDED.
 */
import type { Client } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../config/env';
import { StarwaveError } from '../contracts/errors';
import { toStarwaveError } from './errors';

/** Deadlines for calls that wait on a worker (queries, updates); reads of closed runs need none. */
export const DEFAULT_CONTROL_TIMEOUT_MS = 15_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/**
 * Runs `fn` (a query or update that a worker must answer) under a deadline. When it runs out and no
 * worker polls the task queue, the error says so in one sentence.
 */
export async function withDeadline<T>(client: Client, timeoutMs: number, what: string, taskQueue: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + timeoutMs, fn);
  } catch (err) {
    const e = toStarwaveError(err, { what });
    if (e.code === 'ERR_TIMEOUT' && taskQueue && !(await hasWorker(client, taskQueue))) throw noWorker(taskQueue);
    throw e;
  }
}

/** Whether any worker polled `taskQueue` recently (Temporal's DescribeTaskQueue pollers). */
export async function hasWorker(client: Client, taskQueue: string): Promise<boolean> {
  try {
    const res = await client.withDeadline(Date.now() + 5_000, () =>
      client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 /* WORKFLOW */ }),
    );
    return (res.pollers ?? []).length > 0;
  } catch {
    return true; // cannot tell: do not claim there is none
  }
}

/** ERR_NO_WORKER for `taskQueue`; `sent: false` when the request was checked before it was sent. */
export function noWorker(taskQueue: string, opts: { sent?: boolean } = {}): StarwaveError {
  const start = `"starwave worker${taskQueue === DEFAULT_TASK_QUEUE ? '' : ` --task-queue ${taskQueue}`}"`;
  return new StarwaveError(
    'ERR_NO_WORKER',
    `No starwave worker is polling task queue "${taskQueue}": start one with ${start}` +
      (opts.sent === false ? ' and try again (nothing was sent).' : ' (the request was not lost; it is answered once a worker runs).'),
  );
}

/** Throws ERR_NO_WORKER (nothing sent) when nothing polls `taskQueue`. */
export async function requireWorker(client: Client, taskQueue: string): Promise<void> {
  if (!(await hasWorker(client, taskQueue))) throw noWorker(taskQueue, { sent: false });
}

