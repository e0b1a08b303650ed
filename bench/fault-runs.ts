/**
 * Fault runs on the dev server, each judged from the emulator's record: worker SIGKILLs plus a server
 * restart, API faults with a failure budget, and clock skew small (accepted) and large (refused).
 * The report is checked against the record (`checkReport`); everything a run leaves (histories,
 * worker logs, error texts) goes into `texts` for the secret scan.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { RolloutReport } from '../src/contracts/rollout';
import { DEFAULT_KEY, type Emulator, type EmulatorRecord, type FaultConfig } from '../src/emulator';
import { maxConcurrentRestarting } from '../src/emulator/invariants';
import { freePort } from '../src/devserver/temporal-cli';
import type { WorkerRuntime } from './build';
import { collectExecutions, connectTemporal, exactlyOnce, makeFleet, ownDevServer, startFleetEmulator, startRollout, uniqueSuffix } from './harness';
import { spawnWorker, type BenchWorker } from './workers';

export interface RunResult {
  run: string;
  faults: string;
  targets: number;
  restartsSent: number;
  restartedExactlyOnce: number;
  duplicates: number;
  skippedWithoutReason: number;
  maxConcurrent: number;
  concurrencyLimit: number;
  budget: string;
  phase: string;
  reportCorrect: boolean;
  notes: string[];
  /** Cluster run: one row per fault. */
  recoveries?: Recovery[];
}

export interface Recovery {
  fault: string;
  /** Progress when it was injected: restarts taken effect so far / targets. */
  atRestarts: number;
  /** How long the piece was down (restart) or until a survivor took over (kill), ms. */
  downMs?: number;
  /** From the fault to the next restart taking effect in the emulator's record, ms. */
  nextRestartMs?: number;
  /** From the first slot freed (restarting→running) after the fault to the next restart, ms. */
  freeSlotIdleMs?: number;
}

export interface FaultContext {
  runtime: WorkerRuntime;
  /** Everything to secret-scan: histories, worker logs, error texts. */
  texts: string[];
  log: (line: string) => void;
}

export const STS_TOKEN = 'sts-token-not-for-production-0123456789';
export const SECRETS = [DEFAULT_KEY.accessKeySecret, STS_TOKEN];

const policy = { pollIntervalSeconds: 0.3, confirmTimeoutSeconds: 20, heartbeatTimeoutSeconds: 2 };

/**
 * Cross-checks the report against the record, per instance: restarted ⇔ exactly one restart of ours that
 * ended running; failed carries its kind; skipped, deferred and not_started carry a reason; not_started
 * has no restart in the record; and the report's counts are the sum of its own instances.
 */
export function checkReport(report: RolloutReport, record: EmulatorRecord, ids: readonly string[]): { correct: boolean; skippedWithoutReason: number; notes: string[] } {
  const notes: string[] = [];
  const byId = new Map(report.instances.map((r) => [r.instanceId, r]));
  let skippedWithoutReason = 0;
  for (const id of ids) {
    const r = byId.get(id);
    const restarts = record.restarts.filter((x) => x.instanceId === id && x.origin !== 'foreign');
    if (!r) {
      notes.push(`${id}: missing from the report`);
      skippedWithoutReason++;
      continue;
    }
    if (r.outcome === 'restarted' && !(restarts.length === 1 && restarts[0]!.outcome === 'running')) notes.push(`${id}: reported restarted, record has ${restarts.map((x) => x.outcome).join(',') || 'no restart'}`);
    if (r.outcome !== 'restarted' && restarts.length === 1 && restarts[0]!.outcome === 'running' && r.outcome !== 'failed') notes.push(`${id}: restarted in the record, reported ${r.outcome}`);
    if (r.outcome === 'failed' && !r.failure) notes.push(`${id}: failed without a failure kind`);
    if ((r.outcome === 'skipped' || r.outcome === 'deferred' || r.outcome === 'not_started') && !r.detail && !r.notStartedReason) skippedWithoutReason++;
    if (r.outcome === 'not_started' && restarts.length > 0) notes.push(`${id}: reported not started but restarted in the record`);
    if (r.outcome === 'unknown' && report.phase === 'completed') notes.push(`${id}: outcome unknown in a completed rollout`);
  }
  const c = report.counts;
  const tally = (o: string): number => report.instances.filter((r) => r.outcome === o).length;
  const mismatched = (['restarted', 'failed', 'skipped', 'deferred', 'unknown'] as const).filter((k) => c[k] !== tally(k));
  if (c.targets !== ids.length) notes.push(`report counts ${c.targets} targets, the rollout had ${ids.length}`);
  if (report.instances.length === ids.length && mismatched.length) notes.push(`report counts disagree with its instances: ${mismatched.map((k) => `${k} ${c[k]} vs ${tally(k)}`).join(', ')}`);
  return { correct: notes.length === 0, skippedWithoutReason, notes };
}

/** Waits for a fault run's rollout and checks it against the emulator's record. */
export async function settleRun(handle: { result(): Promise<unknown> }, emulator: Emulator, ids: readonly string[], notes: string[], timeoutMs = 600_000) {
  let report: RolloutReport | undefined;
  try {
    report = (await Promise.race([handle.result(), sleep(timeoutMs).then(() => Promise.reject(new Error(`no result within ${timeoutMs / 1000} s`)))])) as RolloutReport;
  } catch (err) {
    notes.push(`rollout failed: ${(err as Error).message}`);
  }
  const record = emulator.record();
  const once = exactlyOnce(record, ids);
  const check = report ? checkReport(report, record, ids) : { correct: false, skippedWithoutReason: ids.length, notes: [] as string[] };
  return { report, record, once, check };
}

/** Histories of every execution the rollout left (runs + lease registry) and the workers' logs, for the scan. */
export async function collectEvidence(ctx: FaultContext, client: Client, rolloutId: string, taskQueue: string, workers: readonly BenchWorker[]): Promise<number> {
  const executions = await collectExecutions(client, rolloutId, taskQueue);
  for (const e of executions) ctx.texts.push(JSON.stringify(await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()));
  for (const w of workers) ctx.texts.push(w.logLines.join('\n'));
  return executions.filter((e) => e.workflowId === rolloutId).length;
}

/** The figures every fault run reads the same way from the emulator's record. */
export function recordCounts(record: EmulatorRecord, ids: readonly string[], once: ReturnType<typeof exactlyOnce>): Pick<RunResult, 'targets' | 'restartsSent' | 'restartedExactlyOnce' | 'duplicates' | 'maxConcurrent'> {
  return { targets: ids.length, restartsSent: record.restarts.length, restartedExactlyOnce: once.restartedOnce, duplicates: once.duplicates.length, maxConcurrent: maxConcurrentRestarting(record) };
}

/** Resolves once `probe()` holds (polled every 50-250 ms) or the deadline passes; says which. */
export async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await sleep(50 + Math.random() * 200);
  }
  return true;
}

export async function crashRun(ctx: FaultContext, dbDir: string): Promise<RunResult> {
  const port = await freePort();
  const dbFile = join(dbDir, 'temporal.db');
  let server = await ownDevServer({ port, dbFile });
  const address = server.address;
  const fleet = makeFleet({ regions: ['cn-hangzhou'], perRegion: 30, duration: { kind: 'uniform', minMs: 1_500, maxMs: 3_000 }, seed: 3 });
  const emulator = await startFleetEmulator(fleet);
  const client = await connectTemporal(address);
  const taskQueue = `faults-crash-${uniqueSuffix()}`;
  const workerOpts = { address, taskQueue, endpoints: emulator.endpoints };
  const workers: BenchWorker[] = [await spawnWorker(ctx.runtime, workerOpts)];
  const ids = [...fleet.durations.keys()];
  const { handle, rolloutId } = await startRollout(client, taskQueue, {
    name: 'faults-crash',
    targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
    waves: { sizes: [2, '100%'] },
    concurrency: { global: 4 },
    instance: { ...policy, confirmTimeoutSeconds: 120 },
  });
  const notes: string[] = [];
  const restarts = (): number => emulator.record().restarts.length;
  // Three kills at random points of the rollout (by progress read from the record: somewhere in the
  // first, second and last third of the restarts), a new worker after each.
  const thirds = [0, 1, 2].map((k) => Math.floor(((k + Math.random()) * ids.length) / 3.3) + 2);
  let restartsAtServerRestart = Math.floor(ids.length * 0.6);
  for (const [k, threshold] of thirds.entries()) {
    await until(() => restarts() >= threshold, 180_000);
    const rec = emulator.record();
    const killedAt = Date.now();
    await workers[workers.length - 1]!.kill();
    notes.push(`kill ${k + 1}: after ${rec.restarts.length} of ${ids.length} restarts, ${rec.restarts.filter((r) => r.outcome === 'pending').length} in flight`);
    await sleep(500);
    workers.push(await spawnWorker(ctx.runtime, workerOpts));
    const before = rec.restarts.length;
    if (before < ids.length && (await until(() => restarts() > before, 120_000))) notes[notes.length - 1] += `; the next restart took effect ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`;
    if (k === 1) restartsAtServerRestart = restarts() + 2;
  }
  await until(() => restarts() >= Math.min(restartsAtServerRestart, ids.length - 1), 180_000);
  // Temporal server down and up again on the same port with the same database.
  notes.push(`server restart: after ${restarts()} restarts`);
  await server.stop();
  await sleep(2_000);
  server = await ownDevServer({ port, dbFile });
  const { report, record, once, check } = await settleRun(handle, emulator, ids, notes);
  for (const w of workers) await w.stop().catch(() => {});
  const runs = await collectEvidence(ctx, client, rolloutId, taskQueue, workers);
  notes.push(`workflow runs: ${runs} (continue-as-new included); reads counted by the rollout ${report?.reads ?? '?'}, calls in the record ${record.calls.length}`);
  await client.connection.close();
  await emulator.close();
  await server.stop();
  return {
    run: 'worker SIGKILL ×3 + Temporal server restart',
    faults: `3 × SIGKILL of the worker process at random points of the rollout (new worker process each time); Temporal dev server stopped and restarted once (same port, same SQLite file); worker heartbeatTimeoutSeconds 2; workers on ${ctx.runtime.kind === 'tsx' ? 'tsx' : 'compiled code'}`,
    ...recordCounts(record, ids, once),
    skippedWithoutReason: check.skippedWithoutReason + once.neverRestarted.length,
    concurrencyLimit: 4,
    budget: `total 0; failures ${report?.counts.failed ?? '?'}`,
    phase: report?.phase ?? 'did not finish',
    reportCorrect: check.correct && report?.phase === 'completed',
    notes: [...notes, ...check.notes],
  };
}

export async function apiFaultRun(ctx: FaultContext, client: Client, address: string): Promise<RunResult> {
  const fleet = makeFleet({ regions: ['cn-hangzhou'], perRegion: 40, duration: { kind: 'uniform', minMs: 800, maxMs: 2_000 }, seed: 9 });
  const ids = [...fleet.durations.keys()];
  const [stuck, failing, busy] = [ids[5]!, ids[12]!, ids[20]!];
  const faults: FaultConfig = {
    throttling: { rate: 0.3, retryAfterMs: 200 },
    serverErrors: { rate: 0.1 },
    latency: { spikeRate: 0.05, spikeMs: 1_500 },
    drops: { dropBeforeRate: 0.03, dropAfterRate: 0.03 },
    restarts: { stuckInstanceIds: [stuck], failInstanceIds: [failing] },
  };
  // An STS key (secret + token) so the secret scan also looks for a security token.
  const emulator = await startFleetEmulator(fleet, faults, { keys: [{ ...DEFAULT_KEY, securityToken: STS_TOKEN }] });
  emulator.patchInstance(busy, { status: 'updating', settleAfterMs: 6_000 });
  const taskQueue = `faults-api-${uniqueSuffix()}`;
  const worker = await spawnWorker(ctx.runtime, { address, taskQueue, endpoints: emulator.endpoints, env: { ALIBABA_CLOUD_SECURITY_TOKEN: STS_TOKEN } });
  const { handle, rolloutId } = await startRollout(client, taskQueue, {
    name: 'faults-api',
    targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
    waves: { sizes: ['100%'] },
    concurrency: { global: 5 },
    failureBudget: { total: 2 },
    instance: { ...policy, notRunning: 'wait', notRunningWaitSeconds: 60 },
  });
  const notes: string[] = [];
  const { report, record, once, check } = await settleRun(handle, emulator, ids, notes);
  const r = (id: string) => report?.instances.find((x) => x.instanceId === id);
  notes.push(`stuck → ${r(stuck)?.outcome}/${r(stuck)?.failure}; failing → ${r(failing)?.outcome}/${r(failing)?.failure}; busy → ${r(busy)?.outcome} (restarted ${record.restarts.filter((x) => x.instanceId === busy).length}× after settling${r(busy)?.waited ? `, waited ${(r(busy)!.waited!.ms / 1000).toFixed(1)} s while ${r(busy)!.waited!.status}` : ''})`);
  const faultCounts: Record<string, number> = {};
  for (const c of record.calls) if (c.fault) faultCounts[c.fault] = (faultCounts[c.fault] ?? 0) + 1;
  notes.push(`faults served: ${JSON.stringify(faultCounts)} of ${record.calls.length} calls`);
  const budgetOk = report?.counts.failed === 2 && report.phase === 'completed';
  notes.push(`budget: 2 failures within budget 2 → ${budgetOk ? 'completed as specified' : `phase ${report?.phase}, failed ${report?.counts.failed}`}`);
  await worker.stop();
  await collectEvidence(ctx, client, rolloutId, taskQueue, [worker]);
  await emulator.close();
  return {
    run: 'API faults',
    faults: 'STS credentials (key + security token); 30 % throttling (Retry-After 200 ms), 10 % 503, 5 % latency spikes of 1.5 s, 3 % drops before and 3 % after applying, 1 stuck, 1 failing, 1 busy (updating for 6 s)',
    ...recordCounts(record, ids, once),
    // Never restarted and not explained by the report (failed with a kind, skipped or not started with a reason).
    skippedWithoutReason: check.skippedWithoutReason,
    concurrencyLimit: 5,
    budget: `total 2; failures ${report?.counts.failed ?? '?'}${budgetOk ? ' (as specified)' : ''}`,
    phase: report?.phase ?? 'did not finish',
    reportCorrect: check.correct && budgetOk,
    notes: [...notes, ...check.notes],
  };
}

export async function skewRun(ctx: FaultContext, client: Client, address: string, skewMs: number): Promise<RunResult> {
  const fleet = makeFleet({ regions: ['cn-hangzhou'], perRegion: 6, duration: { kind: 'fixed', ms: 500 }, seed: 4 });
  const ids = [...fleet.durations.keys()];
  const emulator = await startFleetEmulator(fleet, { clockSkewMs: skewMs });
  const taskQueue = `faults-skew-${uniqueSuffix()}`;
  const worker = await spawnWorker(ctx.runtime, { address, taskQueue, endpoints: emulator.endpoints });
  const { handle, rolloutId } = await startRollout(client, taskQueue, {
    name: `faults-skew-${Math.round(skewMs / 60_000)}m`,
    targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
    waves: { sizes: ['100%'] },
    concurrency: { global: 3 },
    instance: policy,
  });
  const notes: string[] = [];
  let report: RolloutReport | undefined;
  let errorText = '';
  try {
    report = (await Promise.race([handle.result(), sleep(90_000).then(() => Promise.reject(new Error('timed out after 90 s')))])) as RolloutReport;
  } catch (err) {
    const e = err as Error & { cause?: Error & { cause?: Error } };
    errorText = [e.message, e.cause?.message, e.cause?.cause?.message].filter(Boolean).join(' / ');
    ctx.texts.push(errorText);
    notes.push(`rollout failed: ${errorText.slice(0, 300)}`);
    await handle.terminate('fault suite cleanup').catch(() => {});
  }
  const record = emulator.record();
  const codes = [...new Set(record.calls.map((c) => c.code).filter(Boolean))];
  notes.push(`API error codes seen: ${codes.join(', ') || 'none'}`);
  if (report?.stopSentence) notes.push(`stop sentence: ${report.stopSentence}`);
  const once = exactlyOnce(record, ids);
  await worker.stop();
  await collectEvidence(ctx, client, rolloutId, taskQueue, [worker]);
  await emulator.close();
  const large = Math.abs(skewMs) > 15 * 60_000;
  // A large skew is refused by the gateway: no restart, and the rollout ends failed (as an exception, or as a
  // report in phase failed whose sentence names the authentication failure).
  const refused = /auth|InvalidTimeStamp/i.test(`${errorText} ${report?.stopSentence ?? ''}`);
  const correct = large ? record.restarts.length === 0 && (!report || report.phase === 'failed') && refused : report?.phase === 'completed' && once.restartedOnce === ids.length;
  return {
    run: `clock skew ${skewMs / 60_000} min`,
    faults: `emulator clock ${skewMs / 60_000} min ahead (gateway tolerates 15 min)`,
    ...recordCounts(record, ids, once),
    skippedWithoutReason: large ? 0 : once.neverRestarted.length,
    concurrencyLimit: 3,
    budget: 'total 0',
    phase: report?.phase ? `${report.phase}${large && refused ? ' (auth, as expected)' : ''}` : large ? 'failed (auth, as expected)' : 'did not finish',
    reportCorrect: correct,
    notes,
  };
}
