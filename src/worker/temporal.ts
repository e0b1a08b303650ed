/**
 * The worker's side of the Temporal connection: a NativeConnection for polling, from the same
 * settings the client uses (src/client/connection.ts).
 */
import { NativeConnection } from '@temporalio/worker';
import { resolveTemporalConfig, TemporalUnreachableError, type TemporalTarget } from '../client/connection';

export { connectClient, resolveTemporalConfig, TemporalUnreachableError, type TemporalTarget } from '../client/connection';
export { DEFAULT_TASK_QUEUE } from '../config/env';

export async function connectWorkerConnection(target: TemporalTarget = {}): Promise<{ connection: NativeConnection; namespace: string }> {
  const cfg = resolveTemporalConfig(target);
  try {
    return { connection: await NativeConnection.connect(cfg.connectionOptions), namespace: cfg.namespace };
  } catch (err) {
    throw new TemporalUnreachableError(String(cfg.connectionOptions.address), err);
  }
}
