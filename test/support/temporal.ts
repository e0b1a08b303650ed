/**
 * Helpers for tests that talk to the run's Temporal dev server (see temporal-global-setup.ts). Each test uses its own
 * task queue and workflow ids so tests never see each other's work on the shared server.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import { resolveTimeSkippingServer } from '../../src/devserver/test-server';
import type {} from './temporal-global-setup';

/** host:port of the run's Temporal frontend. */
export function temporalAddress(): string {
  return inject('temporalAddress');
}

/** `<prefix>-<time>-<random>`: unique across tests, runs and machines sharing one server. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

export function uniqueTaskQueue(prefix: string): string {
  return uniqueId(`tq-${prefix}`);
}

/** A Client on the run's server. The caller closes it, e.g. `afterAll(() => closeClient(client))`. */
export async function connectClient(opts: { namespace?: string } = {}): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return new Client({ connection, namespace: opts.namespace ?? 'default' });
}

export async function closeClient(client: Client): Promise<void> {
  await client.connection.close();
}

/** The connection a `Worker` needs. The caller closes it after the worker has stopped. */
export function connectWorkerConnection(): Promise<NativeConnection> {
  return NativeConnection.connect({ address: temporalAddress() });
}

/**
 * Temporal's time-skipping test server (src/devserver/test-server.ts, provisioned by `npm run temporal:test-server`)
 * under TestWorkflowEnvironment. The caller tears it down, e.g. `afterAll(() => env?.teardown())`.
 */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const server = await resolveTimeSkippingServer({ log: (line) => process.stderr.write(`[test-server] ${line}\n`) });
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server.path }, extraArgs: server.extraArgs } });
}
