/**
 * `npm run faults -- --cluster` (issue 11): the production-shaped Temporal of `npm run cluster`
 * (v1.29.1, frontend/history/matching/worker as separate processes on PostgreSQL), three starwave
 * workers on one task queue, and during ONE rollout: kill -9 of the worker running the region watch,
 * a restart of the history service, of the matching service, and of PostgreSQL, spread over the
 * rollout by progress (20/40/60/80 % of the restarts taken effect). Judged from the emulator's record:
 * every instance restarted exactly once, none skipped, the report equal to the record, and for each
 * fault the time until the next restart took effect.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { restartPiece, startCluster, stopCluster, type Piece } from '../scripts/cluster/index';
import { ROOT, connectTemporal, makeFleet, startFleetEmulator, startRollout, uniqueSuffix } from './harness';
import { collectEvidence, recordCounts, settleRun, until, type FaultContext, type Recovery, type RunResult } from './fault-runs';
import { spawnWorker, type BenchWorker } from './workers';

const WORKERS = 3;
const CONCURRENCY = 4;
type Fault = { kind: 'kill' } | { kind: 'restart'; piece: Piece };
const FAULTS: Fault[] = [{ kind: 'kill' }, { kind: 'restart', piece: 'history' }, { kind: 'restart', piece: 'matching' }, { kind: 'restart', piece: 'postgres' }];

export interface ClusterRunOptions {
  /** Leave the cluster running at the end even if this run started it. */
  keep: boolean;
}

export async function clusterRun(ctx: FaultContext, opts: ClusterRunOptions): Promise<RunResult & { clusterStartMs: number; startedPieces: string[] }> {
  const clusterLog = (line: string): void => ctx.log(`  [cluster] ${line}`);
  const cluster = await startCluster({ root: ROOT, log: clusterLog });
  ctx.log(`faults: cluster at ${cluster.address} (${cluster.started.length ? `started ${cluster.started.join(', ')}` : 'reused, everything was running'}) in ${(cluster.startMs / 1000).toFixed(1)} s`);
  const fleet = makeFleet({ regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 40, duration: { kind: 'uniform', minMs: 2_000, maxMs: 4_000 }, seed: 11 });
  const ids = [...fleet.durations.keys()];
  const emulator = await startFleetEmulator(fleet);
  const client = await connectTemporal(cluster.address);
  const taskQueue = `faults-cluster-${uniqueSuffix()}`;
  const workerOpts = { address: cluster.address, taskQueue, endpoints: emulator.endpoints };
  const workers: BenchWorker[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(await spawnWorker(ctx.runtime, workerOpts));
  const notes: string[] = [`workers: ${workers.map((w) => `pid ${w.pid}`).join(', ')} on ${ctx.runtime.kind === 'tsx' ? 'tsx' : 'compiled code'}, task queue ${taskQueue}`];
  const recoveries: Recovery[] = [];
  const { handle, rolloutId } = await startRollout(client, taskQueue, {
    name: 'faults-cluster',
    targets: { selectors: [{ regions: ['cn-hangzhou', 'cn-shanghai'] }] },
    regions: { mode: 'parallel' },
    waves: { sizes: [2, '100%'] },
    concurrency: { global: CONCURRENCY },
    instance: { pollIntervalSeconds: 0.3, confirmTimeoutSeconds: 300, heartbeatTimeoutSeconds: 2 },
  });
  const restarts = (): number => emulator.record().restarts.length;
  try {
    for (const [k, fault] of FAULTS.entries()) {
      const threshold = Math.floor((ids.length * (k + 1)) / (FAULTS.length + 1));
      if (!(await until(() => restarts() >= threshold, 600_000))) throw new Error(`the rollout made no progress to ${threshold} restarts before fault ${k + 1}`);
      const before = emulator.record();
      const at = Date.now();
      let name: string;
      let downMs: number | undefined;
      if (fault.kind === 'kill') {
        const victim = await watchingWorker(client, rolloutId, workers);
        name = `kill -9 worker pid ${victim.worker.pid} (${victim.why})`;
        await victim.worker.kill();
        workers.splice(workers.indexOf(victim.worker), 1);
      } else {
        name = `restart ${fault.piece}`;
        const r = await restartPiece(ROOT, fault.piece, { log: clusterLog });
        downMs = r.downMs;
      }
      // Recovery: the next restart that takes effect after the fault began, and how long the first slot that
      // freed after the fault stayed empty.
      const progressed = before.restarts.length < ids.length && (await until(() => restarts() > before.restarts.length, 300_000));
      const rec = emulator.record();
      const next = rec.restarts.find((r) => r.atMs >= at);
      const freed = rec.transitions.find((t) => t.atMs >= at && t.from === 'restarting' && t.to === 'running');
      const recovery: Recovery = {
        fault: name,
        atRestarts: before.restarts.length,
        ...(downMs !== undefined ? { downMs } : {}),
        ...(progressed && next ? { nextRestartMs: next.atMs - at } : {}),
        ...(progressed && next && freed && freed.atMs <= next.atMs ? { freeSlotIdleMs: next.atMs - freed.atMs } : {}),
      };
      recoveries.push(recovery);
      ctx.log(`faults: ${name} at ${before.restarts.length}/${ids.length} restarts: next restart after ${recovery.nextRestartMs ?? '–'} ms (a freed slot idle ${recovery.freeSlotIdleMs ?? '–'} ms)`);
    }
  } catch (err) {
    notes.push(`fault sequence stopped: ${(err as Error).message}`);
  }
  const { report, record, once, check } = await settleRun(handle, emulator, ids, notes, 900_000);
  for (const w of workers) await w.stop().catch(() => {});
  const runs = await collectEvidence(ctx, client, rolloutId, taskQueue, workers).catch((err: unknown) => {
    notes.push(`histories not collected: ${(err as Error).message}`);
    return 0;
  });
  notes.push(`workflow runs: ${runs}; reads counted by the rollout ${report?.reads ?? '?'}, calls in the record ${record.calls.length}`);
  await client.connection.close();
  await emulator.close();
  // Leave a cluster that was already running as it was; stop one this run started (unless --keep).
  if (!opts.keep && cluster.started.length === 5) await stopCluster(ROOT, { log: clusterLog });
  return {
    run: 'cluster: worker kill -9, history, matching, PostgreSQL restarts',
    faults: `Temporal ${'v1.29.1'} as 4 processes on PostgreSQL (npm run cluster); ${WORKERS} starwave workers on one task queue; kill -9 of the worker running the region watch, then restarts of history, matching and PostgreSQL at 20/40/60/80 % of the restarts (the killed worker is not replaced)`,
    ...recordCounts(record, ids, once),
    skippedWithoutReason: check.skippedWithoutReason + once.neverRestarted.length,
    concurrencyLimit: CONCURRENCY,
    budget: `total 0; failures ${report?.counts.failed ?? '?'}`,
    phase: report?.phase ?? 'did not finish',
    reportCorrect: check.correct && report?.phase === 'completed' && recoveries.length === FAULTS.length,
    notes: [...notes, ...check.notes],
    recoveries,
    clusterStartMs: cluster.startMs,
    startedPieces: cluster.started,
  };
}

/**
 * The worker whose loss hurts most: the one running the rollout's pending activities (the region
 * watches heartbeat there), from the workflow's description; else the first.
 */
async function watchingWorker(client: Awaited<ReturnType<typeof connectTemporal>>, rolloutId: string, workers: readonly BenchWorker[]): Promise<{ worker: BenchWorker; why: string }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const d = await client.workflow.getHandle(rolloutId).describe().catch(() => undefined);
    const identities = (d?.raw.pendingActivities ?? []).map((a) => a.lastWorkerIdentity ?? '').filter(Boolean);
    for (const w of workers) {
      const n = identities.filter((id) => id.startsWith(`${w.pid}@`)).length;
      if (n > 0) return { worker: w, why: `it ran ${n} of the ${identities.length} pending activities` };
    }
    await sleep(100);
  }
  return { worker: workers[0]!, why: 'no pending activity named a worker; the first one' };
}
