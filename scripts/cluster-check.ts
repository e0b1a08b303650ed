/**
 * `npm run cluster:check` (a CI step): the production-shaped cluster survives its pieces restarting.
 *
 *   1. npm run cluster's start (build once, PostgreSQL, schemas, four services, namespace `default`);
 *   2. a worker in this process and a short probe workflow to completion;
 *   3. a long probe workflow (one activity a second); while it runs, restart history, then PostgreSQL, then
 *      matching, frontend and the worker service, one at a time, each after the workflow has made progress since
 *      the last; for each, the time from the restart until the workflow's next step;
 *   4. the long workflow completes with every step; the cluster is stopped (unless --keep).
 *
 * Prints one line per restart and a summary; exits 1 with a sentence on the first failure.
 */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { projectRoot } from '../src/devserver/paths';
import { formatSeconds } from '../src/devserver/process-utils';
import { restartPiece, startCluster, stopCluster, type Piece } from './cluster/index';
import { clusterProbeWorkflow, type ProbeActivities } from './cluster/probe-workflows';
import { until as waitUntil } from '../test/support/wait';

const root = projectRoot();
const keep = process.argv.includes('--keep');
const say = (line: string): void => {
  process.stdout.write(`[cluster:check] ${line}\n`);
};
const RESTARTS: Piece[] = ['history', 'postgres', 'matching', 'frontend', 'worker'];
const STEP_TIMEOUT_MS = 90_000;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const began = Date.now();
  const cluster = await startCluster({ root, log: (line) => say(line) });
  say(`cluster up at ${cluster.address} in ${formatSeconds(cluster.startMs)}`);

  const steps: Array<{ index: number; atMs: number }> = [];
  const activities: ProbeActivities = {
    async probeStep(index) {
      steps.push({ index, atMs: Date.now() });
      return index;
    },
  };
  const nativeConnection = await NativeConnection.connect({ address: cluster.address });
  const connection = await Connection.connect({ address: cluster.address });
  const client = new Client({ connection, namespace: cluster.namespace });
  const taskQueue = `cluster-check-${process.pid}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: cluster.namespace,
    taskQueue,
    workflowsPath: join(__dirname, 'cluster', 'probe-workflows.ts'),
    activities,
  });
  const running = worker.run();
  try {
    let started = Date.now();
    const short = await client.workflow.execute(clusterProbeWorkflow, { taskQueue, workflowId: `cluster-check-short-${Date.now()}`, args: [2] });
    if (short.join(',') !== '0,1') throw new Error(`The short probe returned ${JSON.stringify(short)} instead of [0,1].`);
    say(`short probe workflow: completed in ${formatSeconds(Date.now() - started)}`);

    const total = 4 + RESTARTS.length * 4;
    steps.length = 0;
    started = Date.now();
    const handle = await client.workflow.start(clusterProbeWorkflow, { taskQueue, workflowId: `cluster-check-long-${Date.now()}`, args: [total] });
    const recoveries: string[] = [];
    for (const piece of RESTARTS) {
      const seen = steps.length;
      await until(() => steps.length >= seen + 2, STEP_TIMEOUT_MS, `the probe workflow to make progress before restarting ${piece}`);
      const restartAt = Date.now();
      const { downMs, recoveredMs } = await restartPiece(root, piece, { log: () => {} });
      const before = steps.length;
      await until(() => steps.length > before, STEP_TIMEOUT_MS, `the probe workflow's next step after restarting ${piece}`);
      const nextStepMs = steps[before]!.atMs - restartAt;
      const line = `${piece.padEnd(8)} restarted: down ${formatSeconds(downMs)}, new workflows accepted after ${formatSeconds(recoveredMs)}, the running workflow's next step ${formatSeconds(nextStepMs)} after the restart began`;
      recoveries.push(line);
      say(line);
    }
    const result = await handle.result();
    const expected = Array.from({ length: total }, (_, i) => i);
    if (result.join(',') !== expected.join(',')) throw new Error(`The long probe returned ${JSON.stringify(result)} instead of 0..${total - 1}.`);
    const executions = new Map<number, number>();
    for (const { index } of steps) executions.set(index, (executions.get(index) ?? 0) + 1);
    const retried = [...executions.values()].filter((n) => n > 1).length;
    say(`long probe workflow: ${total} steps completed through ${RESTARTS.length} restarts in ${formatSeconds(Date.now() - started)} (${retried} step(s) ran more than once: activities are at-least-once)`);
  } finally {
    worker.shutdown();
    await running.catch(() => {});
    await nativeConnection.close();
    await connection.close();
    if (keep) say(`cluster left running at ${cluster.address} (--keep)`);
    else await stopCluster(root, { log: () => {} });
  }
  say(`cluster check passed in ${formatSeconds(Date.now() - began)}`);
}

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(what, probe, { timeoutMs, intervalMs: 50 });
}

main().catch(async (err: unknown) => {
  process.stderr.write(`[cluster:check] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!keep) await stopCluster(root).catch(() => {});
  process.exit(1);
});
