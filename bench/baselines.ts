/**
 * What an operator would otherwise run, with the real StarRocks client against the same emulator
 * fleet and the same poll interval:
 *  - `perInstancePolling`: a fixed number of restart slots; each slot restarts one instance and polls
 *    it on its own (one DescribeInstances per instance per tick) until it is running again.
 *  - `fixedBatches`: batches of C instances restarted together; the next batch starts when the
 *    slowest instance of the batch is running again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_KEY } from '../src/emulator';
import { StarRocksClients, type StarRocksClient } from '../src/starrocks/client';
import { staticCredentials } from '../src/starrocks/credentials';

export interface BaselineTarget {
  region: string;
  instanceId: string;
}

export interface BaselineOptions {
  endpoints: Record<string, string>;
  targets: readonly BaselineTarget[];
  concurrency: number;
  pollIntervalMs: number;
}

function clients(endpoints: Record<string, string>): StarRocksClients {
  return new StarRocksClients({ credentials: staticCredentials(DEFAULT_KEY), endpointOverrides: endpoints, connectionsPerEndpoint: 64 });
}

/** Sends the restart, retrying failures that did not take effect (this naive script has no other safety). */
async function restart(client: StarRocksClient, instanceId: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await client.restartInstance({ instanceId });
      return;
    } catch {
      await sleep(500);
    }
  }
  throw new Error(`could not restart ${instanceId}`);
}

/** Polls one instance per tick until it is running after having been seen restarting. */
async function waitRunning(client: StarRocksClient, instanceId: string, pollIntervalMs: number): Promise<void> {
  let seenRestarting = false;
  for (let tick = 0; tick < 100_000; tick++) {
    await sleep(pollIntervalMs);
    try {
      const i = await client.describeInstance(instanceId);
      if (!i) return;
      if (i.statusClass === 'RESTARTING') seenRestarting = true;
      else if (i.statusClass === 'READY' && (seenRestarting || tick >= 3)) return;
      else if (i.statusClass === 'FAILED') return;
    } catch {
      // keep polling
    }
  }
}

export async function perInstancePolling(opts: BaselineOptions): Promise<void> {
  const c = clients(opts.endpoints);
  const queue = [...opts.targets];
  try {
    await Promise.all(
      Array.from({ length: Math.min(opts.concurrency, queue.length) }, async () => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const client = c.forRegion(t.region);
          await restart(client, t.instanceId);
          await waitRunning(client, t.instanceId, opts.pollIntervalMs);
        }
      }),
    );
  } finally {
    await c.close();
  }
}

export async function fixedBatches(opts: BaselineOptions): Promise<void> {
  const c = clients(opts.endpoints);
  try {
    for (let i = 0; i < opts.targets.length; i += opts.concurrency) {
      const batch = opts.targets.slice(i, i + opts.concurrency);
      await Promise.all(
        batch.map(async (t) => {
          const client = c.forRegion(t.region);
          await restart(client, t.instanceId);
          await waitRunning(client, t.instanceId, opts.pollIntervalMs);
        }),
      );
    }
  } finally {
    await c.close();
  }
}
