import { Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as activities from './fixtures/trivial-activities';
import { closeClient, connectClient, connectWorkerConnection, uniqueId, uniqueTaskQueue } from '../support/temporal';

describe('Temporal round trip', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient();
  });
  afterAll(async () => {
    await closeClient(client);
  });

  it('runs a workflow and its activity on a real worker against the dev server', async () => {
    const taskQueue = uniqueTaskQueue('roundtrip');
    const workflowId = uniqueId('roundtrip');
    const connection = await connectWorkerConnection();
    try {
      const worker = await Worker.create({
        connection,
        taskQueue,
        workflowsPath: require.resolve('./fixtures/trivial-workflows.ts'),
        activities,
      });
      const result = await worker.runUntil(
        client.workflow.execute('roundTrip', { taskQueue, workflowId, args: ['starwave'] }),
      );
      expect(result).toEqual({ greeting: 'Hello, starwave!', taskQueue });

      // The server's own record: the activity was scheduled and completed by a worker, not short-circuited.
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const completedActivities = events.filter((event) => event.activityTaskCompletedEventAttributes);
      expect(completedActivities).toHaveLength(1);
      expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    } finally {
      await connection.close();
    }
  });
});
