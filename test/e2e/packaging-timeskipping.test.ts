/**
 * Temporal's time-skipping test server from Maven Central (src/devserver/test-server.ts) under
 * TestWorkflowEnvironment.createTimeSkipping: a workflow that sleeps one day finishes in seconds of wall time, and
 * the workflow clock moved a day. Provisioning happens once (`npm run temporal:test-server`, a CI step); without
 * Java or Maven this test fails with the sentence saying what to install.
 */
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleepOneDay } from './fixtures/packaging-timeskipping-workflows';
import { timeSkippingEnvironment, uniqueId } from '../support/temporal';

const DAY_MS = 24 * 60 * 60 * 1000;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
});

afterAll(async () => {
  await env?.teardown();
});

describe('time-skipping test server (Java, from Maven Central)', () => {
  it('supports time skipping', () => {
    expect(env.supportsTimeSkipping).toBe(true);
  });

  it('runs a workflow that sleeps one day in seconds of wall time', async () => {
    const taskQueue = uniqueId('tq-timeskip');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: join(__dirname, 'fixtures', 'packaging-timeskipping-workflows.ts'),
    });
    const wallStarted = Date.now();
    const result = await worker.runUntil(env.client.workflow.execute(sleepOneDay, { taskQueue, workflowId: uniqueId('sleep-one-day') }));
    const wallMs = Date.now() - wallStarted;

    expect(result.wokeMs - result.startedMs).toBeGreaterThanOrEqual(DAY_MS);
    expect(wallMs).toBeLessThan(60_000);
  });
});
