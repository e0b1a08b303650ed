/**
 * `npm run faults` — what happens when things break, read from the emulator's record. Writes
 * docs/reliability.md (and a .json next to it).
 *
 * Runs: worker SIGKILLed three times + Temporal server restarted once (persistent DB, same port);
 * API faults (30 % throttling, 10 % 5xx, latency spikes, drops before/after applying, one stuck, one
 * failing, one busy instance) with a failure budget; clock skew small (accepted) and large (auth
 * failure, no restart). Then a bad-input corpus and a secret scan of histories, logs and errors.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { DEFAULT_KEY, type Emulator, type FaultConfig } from '../src/emulator';
import { maxConcurrentRestarting } from '../src/emulator/invariants';
import { validateSpec, type RolloutSpecInput } from '../src/planning/spec';
import { StarRocksClient } from '../src/starrocks/client';
import { staticCredentials } from '../src/starrocks/credentials';
import type { RolloutReport } from '../src/workflows/types';
import {
  ROOT,
  collectExecutions,
  connectTemporal,
  exactlyOnce,
  machineInfo,
  makeFleet,
  ownDevServer,
  spawnChildWorker,
  startFleetEmulator,
  startRollout,
  uniqueSuffix,
  workflowBundleFile,
  type ChildWorker,
} from './harness';
import { freePort } from '../src/devserver/temporal-cli';
import { startApiServer } from '../src/api/server';

interface RunResult {
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
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const texts: string[] = []; // everything to secret-scan: histories, worker logs, error texts
const STS_TOKEN = 'sts-token-not-for-production-0123456789';
const SECRETS = [DEFAULT_KEY.accessKeySecret, STS_TOKEN];

const policy = { pollIntervalSeconds: 0.3, confirmTimeoutSeconds: 20, heartbeatTimeoutSeconds: 2 };

/** Cross-checks the report against the record: restarted ⇔ one restart that ended running, etc. */
function checkReport(report: RolloutReport, emulator: Emulator, ids: readonly string[]): { correct: boolean; skippedWithoutReason: number; notes: string[] } {
  const record = emulator.record();
  const notes: string[] = [];
  const byId = new Map(report.instances.map((r) => [r.instanceId, r]));
  let skippedWithoutReason = 0;
  for (const id of ids) {
    const r = byId.get(id);
    const restarts = record.restarts.filter((x) => x.instanceId === id);
    if (!r) {
      notes.push(`${id}: missing from the report`);
      skippedWithoutReason++;
      continue;
    }
    if (r.outcome === 'restarted' && !(restarts.length === 1 && restarts[0]!.outcome === 'running')) notes.push(`${id}: reported restarted, record has ${restarts.map((x) => x.outcome).join(',') || 'no restart'}`);
    if (r.outcome === 'failed' && !r.failure) notes.push(`${id}: failed without a failure kind`);
    if ((r.outcome === 'skipped' || r.outcome === 'not_started') && !r.detail && !r.notStartedReason) skippedWithoutReason++;
    if (r.outcome === 'not_started' && restarts.length > 0) notes.push(`${id}: reported not started but restarted in the record`);
  }
  return { correct: notes.length === 0, skippedWithoutReason, notes };
}

async function crashRun(dbDir: string): Promise<RunResult> {
  const port = await freePort();
  const dbFile = join(dbDir, 'temporal.db');
  let server = await ownDevServer({ port, dbFile });
  const address = server.address;
  const fleet = makeFleet({ regions: ['cn-hangzhou'], perRegion: 30, duration: { kind: 'uniform', minMs: 1_500, maxMs: 3_000 }, seed: 3 });
  const emulator = await startFleetEmulator(fleet);
  const client = await connectTemporal(address);
  const taskQueue = `faults-crash-${uniqueSuffix()}`;
  const bundlePath = await workflowBundleFile();
  const workerOpts = { address, taskQueue, endpoints: emulator.endpoints, bundlePath };
  const workers: ChildWorker[] = [];
  workers.push(await spawnChildWorker(workerOpts));
  const ids = [...fleet.durations.keys()];
  const { handle, rolloutId } = await startRollout(client, taskQueue, {
    name: 'faults-crash',
    targets: { instances: ids.map((instanceId) => ({ region: 'cn-hangzhou', instanceId })) },
    waves: { sizes: [2, '100%'] },
    concurrency: { global: 4 },
    instance: { ...policy, confirmTimeoutSeconds: 120 },
  });
  const notes: string[] = [];
  // Three kills at random points of the rollout (by progress read from the record: somewhere in the
  // first, second and last third of the restarts), a new worker after each.
  const thirds = [0, 1, 2].map((k) => Math.floor(((k + Math.random()) * ids.length) / 3.3) + 2);
  let restartsAtServerRestart = Math.floor(ids.length * 0.6);
  for (const [k, threshold] of thirds.entries()) {
    const deadline = Date.now() + 180_000;
    while (emulator.record().restarts.length < threshold && Date.now() < deadline) await sleep(50 + Math.random() * 200);
    const rec = emulator.record();
    const killedAt = Date.now();
    await workers[workers.length - 1]!.kill();
    notes.push(`kill ${k + 1}: after ${rec.restarts.length} of ${ids.length} restarts, ${rec.restarts.filter((r) => r.outcome === 'pending').length} in flight`);
    await sleep(500);
    workers.push(await spawnChildWorker(workerOpts));
    const before = emulator.record().restarts.length;
    const resumeDeadline = Date.now() + 120_000;
    while (emulator.record().restarts.length === before && before < ids.length && Date.now() < resumeDeadline) await sleep(100);
    if (before < ids.length) notes[notes.length - 1] += `; the next restart took effect ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`;
    if (k === 1) restartsAtServerRestart = emulator.record().restarts.length + 2;
  }
  while (emulator.record().restarts.length < Math.min(restartsAtServerRestart, ids.length - 1)) await sleep(100);
  // Temporal server down and up again on the same port with the same database.
  notes.push(`server restart: after ${emulator.record().restarts.length} restarts`);
  await server.stop();
  await sleep(2_000);
  server = await ownDevServer({ port, dbFile });
  const { report, record, once, check } = await settleRun(handle, emulator, ids, notes);
  const executions = await collectExecutions(client, rolloutId, taskQueue);
  for (const e of executions) texts.push(JSON.stringify(await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()));
  for (const w of workers) {
    await w.stop().catch(() => {});
    texts.push(w.logLines.join('\n'));
  }
  await client.connection.close();
  await emulator.close();
  await server.stop();
  return {
    run: 'worker SIGKILL ×3 + Temporal server restart',
    faults: '3 × SIGKILL of the worker process at random points of the rollout (new worker process each time); Temporal dev server stopped and restarted once (same port, same SQLite file); worker heartbeatTimeoutSeconds 2',
    targets: ids.length,
    restartsSent: record.restarts.length,
    restartedExactlyOnce: once.restartedOnce,
    duplicates: once.duplicates.length,
    skippedWithoutReason: check.skippedWithoutReason + once.neverRestarted.length,
    maxConcurrent: maxConcurrentRestarting(record),
    concurrencyLimit: 4,
    budget: 'total 0; failures 0',
    phase: report?.phase ?? 'did not finish',
    reportCorrect: check.correct,
    notes: [...notes, ...check.notes],
  };
}

/** Waits for a fault run's rollout and checks it against the emulator's record. */
async function settleRun(handle: { result(): Promise<unknown> }, emulator: Emulator, ids: readonly string[], notes: string[]) {
  let report: RolloutReport | undefined;
  try {
    report = (await handle.result()) as RolloutReport;
  } catch (err) {
    notes.push(`rollout failed: ${(err as Error).message}`);
  }
  const record = emulator.record();
  const once = exactlyOnce(record, ids);
  const check = report ? checkReport(report, emulator, ids) : { correct: false, skippedWithoutReason: ids.length, notes: [] as string[] };
  return { report, record, once, check };
}

async function apiFaultRun(client: Client, address: string): Promise<RunResult> {
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
  const worker = await spawnChildWorker({ address, taskQueue, endpoints: emulator.endpoints, bundlePath: await workflowBundleFile(), env: { ALIBABA_CLOUD_SECURITY_TOKEN: STS_TOKEN } });
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
  notes.push(`stuck → ${r(stuck)?.outcome}/${r(stuck)?.failure}; failing → ${r(failing)?.outcome}/${r(failing)?.failure}; busy → ${r(busy)?.outcome} (restarted ${record.restarts.filter((x) => x.instanceId === busy).length}× after settling)`);
  const faultCounts: Record<string, number> = {};
  for (const c of record.calls) if (c.fault) faultCounts[c.fault] = (faultCounts[c.fault] ?? 0) + 1;
  notes.push(`faults served: ${JSON.stringify(faultCounts)} of ${record.calls.length} calls`);
  const budgetOk = report?.counts.failed === 2 && report.phase === 'completed';
  notes.push(`budget: 2 failures within budget 2 → ${budgetOk ? 'completed as specified' : `phase ${report?.phase}, failed ${report?.counts.failed}`}`);
  const executions = await collectExecutions(client, rolloutId, taskQueue);
  for (const e of executions) texts.push(JSON.stringify(await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()));
  await worker.stop();
  texts.push(worker.logLines.join('\n'));
  await emulator.close();
  return {
    run: 'API faults',
    faults: 'STS credentials (key + security token); 30 % throttling (Retry-After 200 ms), 10 % 503, 5 % latency spikes of 1.5 s, 3 % drops before and 3 % after applying, 1 stuck, 1 failing, 1 busy (updating for 6 s)',
    targets: ids.length,
    restartsSent: record.restarts.length,
    restartedExactlyOnce: once.restartedOnce,
    duplicates: once.duplicates.length,
    // Never restarted and not explained by the report (failed with a kind, skipped or not started with a reason).
    skippedWithoutReason: check.skippedWithoutReason,
    maxConcurrent: maxConcurrentRestarting(record),
    concurrencyLimit: 5,
    budget: `total 2; failures ${report?.counts.failed ?? '?'}${budgetOk ? ' (as specified)' : ''}`,
    phase: report?.phase ?? 'did not finish',
    reportCorrect: check.correct && budgetOk,
    notes: [...notes, ...check.notes],
  };
}

async function skewRun(client: Client, address: string, skewMs: number): Promise<RunResult> {
  const fleet = makeFleet({ regions: ['cn-hangzhou'], perRegion: 6, duration: { kind: 'fixed', ms: 500 }, seed: 4 });
  const ids = [...fleet.durations.keys()];
  const emulator = await startFleetEmulator(fleet, { clockSkewMs: skewMs });
  const taskQueue = `faults-skew-${uniqueSuffix()}`;
  const worker = await spawnChildWorker({ address, taskQueue, endpoints: emulator.endpoints, bundlePath: await workflowBundleFile() });
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
    texts.push(errorText);
    notes.push(`rollout failed: ${errorText.slice(0, 300)}`);
    await handle.terminate('fault suite cleanup').catch(() => {});
  }
  const record = emulator.record();
  const codes = [...new Set(record.calls.map((c) => c.code).filter(Boolean))];
  notes.push(`API error codes seen: ${codes.join(', ') || 'none'}`);
  const once = exactlyOnce(record, ids);
  const executions = await collectExecutions(client, rolloutId, taskQueue);
  for (const e of executions) texts.push(JSON.stringify(await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()));
  await worker.stop();
  texts.push(worker.logLines.join('\n'));
  await emulator.close();
  const large = Math.abs(skewMs) > 15 * 60_000;
  const correct = large ? record.restarts.length === 0 && !report && /auth|InvalidTimeStamp/i.test(errorText) : report?.phase === 'completed' && once.restartedOnce === ids.length;
  return {
    run: `clock skew ${skewMs / 60_000} min`,
    faults: `emulator clock ${skewMs / 60_000} min ahead (gateway tolerates 15 min)`,
    targets: ids.length,
    restartsSent: record.restarts.length,
    restartedExactlyOnce: once.restartedOnce,
    duplicates: once.duplicates.length,
    skippedWithoutReason: large ? 0 : once.neverRestarted.length,
    maxConcurrent: maxConcurrentRestarting(record),
    concurrencyLimit: 3,
    budget: 'total 0',
    phase: report?.phase ?? (large ? 'failed (auth, as expected)' : 'did not finish'),
    reportCorrect: correct,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// Bad input corpus

interface CorpusResult {
  kind: string;
  total: number;
  clearError: number;
  startedSomething: number;
  examples: string[];
}

const goodSpec = (): Record<string, unknown> => ({ name: 'ok', targets: { instances: [{ region: 'cn-hangzhou', instanceId: 'c-0123456789abcdef' }] } });

export function badSpecs(): Array<{ why: string; spec: unknown }> {
  const g = goodSpec;
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['array', []],
    ['string', 'spec'],
    ['number', 42],
    ['empty object', {}],
    ['missing name', { targets: g().targets }],
    ['name uppercase', { ...g(), name: 'Prod' }],
    ['name too long', { ...g(), name: 'a'.repeat(70) }],
    ['name with space', { ...g(), name: 'a b' }],
    ['name empty', { ...g(), name: '' }],
    ['no targets', { name: 'x' }],
    ['empty targets', { name: 'x', targets: {} }],
    ['bad instance id', { name: 'x', targets: { instances: [{ region: 'cn-hangzhou', instanceId: 'i-123' }] } }],
    ['bad region', { name: 'x', targets: { instances: [{ region: 'Hangzhou', instanceId: 'c-0123456789abcdef' }] } }],
    ['instance missing region', { name: 'x', targets: { instances: [{ instanceId: 'c-0123456789abcdef' }] } }],
    ['unknown target field', { name: 'x', targets: { ...(g().targets as object), all: true } }],
    ['selector without regions', { name: 'x', targets: { selectors: [{}] } }],
    ['selector empty regions', { name: 'x', targets: { selectors: [{ regions: [] }] } }],
    ['selector bad status', { name: 'x', targets: { selectors: [{ regions: ['cn-hangzhou'], statuses: ['RUNNING'] }] } }],
    ['exclude bad id', { ...g(), targets: { ...(g().targets as object), exclude: ['nope'] } }],
    ['unknown top-level field', { ...g(), concurrrency: 3 }],
    ['waves empty', { ...g(), waves: { sizes: [] } }],
    ['wave size 0', { ...g(), waves: { sizes: [0] } }],
    ['wave size 0%', { ...g(), waves: { sizes: ['0%'] } }],
    ['wave size 150%', { ...g(), waves: { sizes: ['150%'] } }],
    ['wave size negative', { ...g(), waves: { sizes: [-1] } }],
    ['wave size fraction', { ...g(), waves: { sizes: [1.5] } }],
    ['wave size text', { ...g(), waves: { sizes: ['ten'] } }],
    ['bake negative', { ...g(), waves: { sizes: [1], bakeSeconds: -5 } }],
    ['approval wave 0', { ...g(), waves: { sizes: [1], approvalBefore: [0] } }],
    ['concurrency 0', { ...g(), concurrency: { global: 0 } }],
    ['concurrency string', { ...g(), concurrency: { global: 'five' } }],
    ['concurrency perRegion 0%', { ...g(), concurrency: { global: 2, perRegion: '0%' } }],
    ['concurrency number not object', { ...g(), concurrency: 5 }],
    ['budget negative', { ...g(), failureBudget: { total: -1 } }],
    ['budget 200%', { ...g(), failureBudget: { total: '200%' } }],
    ['budget perWave text', { ...g(), failureBudget: { perWave: 'some' } }],
    ['policy notRunning unknown', { ...g(), instance: { notRunning: 'ignore' } }],
    ['policy confirm 0', { ...g(), instance: { confirmTimeoutSeconds: 0 } }],
    ['policy poll too small', { ...g(), instance: { pollIntervalSeconds: 0.001 } }],
    ['poll ≥ confirm timeout', { ...g(), instance: { pollIntervalSeconds: 60, confirmTimeoutSeconds: 30 } }],
    ['policy heartbeat 0', { ...g(), instance: { heartbeatTimeoutSeconds: 0 } }],
    ['policy fastMode string', { ...g(), instance: { fastMode: 'yes' } }],
    ['policy unknown field', { ...g(), instance: { retries: 3 } }],
    ['window not a date', { ...g(), window: { notAfter: 'tomorrow' } }],
    ['window without offset', { ...g(), window: { notAfter: '2026-12-01 06:00' } }],
    ['regions mode unknown', { ...g(), regions: { mode: 'random' } }],
    ['regions order duplicate', { ...g(), regions: { order: ['cn-hangzhou', 'cn-hangzhou'] } }],
    ['regions order bad id', { ...g(), regions: { order: ['HZ'] } }],
    ['requestId with spaces', { ...g(), requestId: 'a b c' }],
    ['description too long', { ...g(), description: 'x'.repeat(600) }],
    ['tags not strings', { name: 'x', targets: { selectors: [{ regions: ['cn-hangzhou'], tags: { env: 1 } }] } }],
  ];
  return cases.map(([why, spec]) => ({ why, spec }));
}

function specCorpus(): CorpusResult {
  const cases = badSpecs();
  let clear = 0;
  const examples: string[] = [];
  for (const c of cases) {
    const res = validateSpec(c.spec);
    if (!res.ok && res.problems.length > 0 && res.problems.every((p) => p.path && p.message)) {
      clear++;
      if (examples.length < 4) examples.push(`${c.why} → ${res.problems[0]!.path}: ${res.problems[0]!.message}`);
    } else examples.push(`NOT REJECTED: ${c.why}`);
  }
  // validateSpec runs before any workflow starts (the workflow re-validates): a rejected spec starts nothing.
  return { kind: 'rollout specs (validateSpec)', total: cases.length, clearError: clear, startedSomething: 0, examples };
}

/** Malformed API responses from a tiny local HTTP server: the client must throw a coded error, never return data. */
async function responseCorpus(): Promise<CorpusResult> {
  const bodies: Array<[string, number, string, Record<string, string>]> = [
    ['empty body', 200, '', {}],
    ['truncated JSON', 200, '{"RequestId":"x","Data":[', {}],
    ['HTML error page', 502, '<html>bad gateway</html>', { 'content-type': 'text/html' }],
    ['JSON array', 200, '[1,2,3]', {}],
    ['JSON null', 200, 'null', {}],
    ['Data not a list', 200, '{"RequestId":"x","Success":true,"Data":"oops"}', {}],
    ['instance without id', 200, '{"RequestId":"x","Success":true,"Data":[{"InstanceStatus":"running"}],"TotalCount":1}', {}],
    ['Success false no code', 200, '{"RequestId":"x","Success":false}', {}],
    ['gateway 400 without Code', 400, '{"Message":"?"}', {}],
    ['403 plain text', 403, 'forbidden', { 'content-type': 'text/plain' }],
    ['500 empty', 500, '', {}],
    ['binary garbage', 200, '\u0000\u0001\u0002', {}],
  ];
  let i = 0;
  const server = createServer((req, res) => {
    const [, status, body, headers] = bodies[i % bodies.length]!;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
    req.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const client = new StarRocksClient({ region: 'cn-hangzhou', credentials: staticCredentials(DEFAULT_KEY), endpointOverrides: { 'cn-hangzhou': `http://127.0.0.1:${port}` } });
  let clear = 0;
  const examples: string[] = [];
  try {
    for (i = 0; i < bodies.length; i++) {
      try {
        const got = await client.describeInstances({ pageSize: 10 });
        examples.push(`ACCEPTED: ${bodies[i]![0]} → ${JSON.stringify(got).slice(0, 80)}`);
      } catch (err) {
        const e = err as Error & { code?: string; errorClass?: string };
        texts.push(e.message);
        if (e.code && e.message) {
          clear++;
          if (examples.length < 4) examples.push(`${bodies[i]![0]} → ${e.code}${e.errorClass ? ` (${e.errorClass})` : ''}: ${e.message.slice(0, 100)}`);
        } else examples.push(`UNCODED: ${bodies[i]![0]} → ${e.message}`);
      }
    }
  } finally {
    await client.close();
    server.close();
  }
  return { kind: 'API responses (StarRocksClient against a local server)', total: bodies.length, clearError: clear, startedSomething: 0, examples };
}

/** How many workflows exist on a task queue (visibility; lists until two reads agree, as visibility may lag). */
async function workflowsOnQueue(client: Client, taskQueue: string): Promise<number> {
  let last = -1;
  for (let attempt = 0; attempt < 5; attempt++) {
    let n = 0;
    for await (const ex of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      void ex;
      n++;
    }
    if (n === last) return n;
    last = n;
    await sleep(500);
  }
  return last;
}

/** Terminates what a positive control started (it has no worker). */
async function terminateQueue(client: Client, taskQueue: string): Promise<void> {
  for await (const ex of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
    await client.workflow.getHandle(ex.workflowId, ex.runId).terminate('faults corpus control').catch(() => {});
  }
}

async function scheduleExists(client: Client, id: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(id).describe();
    return true;
  } catch {
    return false;
  }
}

async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
    }),
  );
  return out;
}

/** A sentence, not a stack trace: no "    at " frames, and names what was wrong (case-insensitive). */
function clearText(text: string, names: readonly string[]): boolean {
  return text.trim().length > 0 && !/^\s+at /m.test(text) && names.every((n) => text.toLowerCase().includes(n.toLowerCase()));
}

const oneLine = (text: string, max = 140): string => {
  const s = text.trim().replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

/**
 * `node bin/starwave.js …` as child processes against the suite's own dev server on a fresh task queue: each must
 * exit 2 with a sentence naming the flag/field/file, and afterwards no workflow exists on that queue (and no
 * schedule under the ids used).
 */
async function cliCorpus(client: Client, address: string): Promise<CorpusResult> {
  const dir = mkdtempSync(join(tmpdir(), 'starwave-faults-cli-'));
  const taskQueue = `faults-cli-${uniqueSuffix()}`;
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const good = file('good.json', JSON.stringify({ ...goodSpec(), name: `faults-cli-${uniqueSuffix()}` }));
  const missing = join(dir, 'does-not-exist.yaml');
  const yamlBroken = file('broken.yaml', 'name: x\ntargets:\n  instances: [ {region: cn-hangzhou\n');
  const jsonBroken = file('broken.json', '{"name": "x", "targets": ');
  const empty = file('empty.yaml', '');
  const badName = file('bad-name.json', JSON.stringify({ ...goodSpec(), name: 'Prod' }));
  const badConcurrency = file('bad-concurrency.yaml', 'name: x\ntargets:\n  selectors:\n    - regions: [cn-hangzhou]\nconcurrency:\n  global: 0\n');
  const unknownField = file('unknown.json', JSON.stringify({ ...goodSpec(), concurrrency: 3 }));
  const badWaves = file('bad-waves.yaml', 'name: x\ntargets:\n  selectors:\n    - regions: [cn-hangzhou]\nwaves:\n  sizes: ["150%"]\n');
  const sched = (): string => `faults-sched-${uniqueSuffix()}`;
  const scheduleIds: string[] = [];
  const schedCreate = (...rest: string[]): string[] => {
    const id = sched();
    scheduleIds.push(id);
    return ['schedule', 'create', id, ...rest];
  };
  const cases: Array<{ why: string; args: string[]; names: string[] }> = [
    { why: 'start: spec file missing', args: ['start', missing], names: ['does-not-exist.yaml'] },
    { why: 'start: YAML syntax error', args: ['start', yamlBroken], names: ['broken.yaml', 'YAML'] },
    { why: 'start: truncated JSON', args: ['start', jsonBroken], names: ['broken.json', 'JSON'] },
    { why: 'start: empty spec file', args: ['start', empty], names: ['empty.yaml'] },
    { why: 'start: name uppercase', args: ['start', badName], names: ['name'] },
    { why: 'start: concurrency.global 0', args: ['start', badConcurrency], names: ['concurrency'] },
    { why: 'start: unknown top-level field', args: ['start', unknownField], names: ['concurrrency'] },
    { why: 'start: no spec argument', args: ['start'], names: ['spec'] },
    { why: 'start: unknown flag', args: ['start', good, '--fast'], names: ['--fast'] },
    { why: 'start: --not-after not a date', args: ['start', good, '--not-after', 'tomorrow'], names: ['--not-after'] },
    { why: 'start: --format pdf', args: ['start', good, '--wait', '--format', 'pdf'], names: ['--format'] },
    { why: 'plan: bad waves', args: ['plan', badWaves], names: ['waves'] },
    { why: 'plan: spec file missing', args: ['plan', missing], names: ['does-not-exist.yaml'] },
    { why: 'set: --concurrency 0', args: ['set', 'starwave-rollout-x', '--concurrency', '0'], names: ['concurrency'] },
    { why: 'set: --budget 200%', args: ['set', 'starwave-rollout-x', '--budget', '200%'], names: ['budget'] },
    { why: 'set: no flags', args: ['set', 'starwave-rollout-x'], names: ['--concurrency'] },
    { why: 'approve: no --wave', args: ['approve', 'starwave-rollout-x'], names: ['--wave'] },
    { why: 'approve: --wave abc', args: ['approve', 'starwave-rollout-x', '--wave', 'abc'], names: ['--wave'] },
    { why: 'approve: --wave 0', args: ['approve', 'starwave-rollout-x', '--wave', '0'], names: ['--wave'] },
    { why: 'unknown command', args: ['frobnicate'], names: ['frobnicate'] },
    { why: 'list: --status weird', args: ['list', '--status', 'weird'], names: ['--status'] },
    { why: 'list: --limit -3', args: ['list', '--limit', '-3'], names: ['--limit'] },
    { why: 'status: --detail everything', args: ['status', 'starwave-rollout-x', '--detail', 'everything'], names: ['--detail'] },
    { why: 'report: --format pdf', args: ['report', 'starwave-rollout-x', '--format', 'pdf'], names: ['--format'] },
    { why: 'schedule create: bad cron', args: schedCreate('--spec', good, '--window', '2h', '--cron', 'every sunday'), names: ['cron'] },
    { why: 'schedule create: bad timezone', args: schedCreate('--spec', good, '--window', '2h', '--cron', '0 2 * * SUN', '--timezone', 'Mars/Olympus_Mons'), names: ['--timezone'] },
    { why: 'schedule create: no --window', args: schedCreate('--spec', good, '--cron', '0 2 * * SUN'), names: ['--window'] },
    { why: 'schedule create: --window 2 parsecs', args: schedCreate('--spec', good, '--window', '2parsecs', '--cron', '0 2 * * SUN'), names: ['--window'] },
    { why: 'schedule create: --calendar not JSON', args: schedCreate('--spec', good, '--window', '2h', '--calendar', '{hour: 2'), names: ['--calendar'] },
    { why: 'schedule create: bad spec file', args: schedCreate('--spec', badName, '--window', '2h', '--cron', '0 2 * * SUN'), names: ['name'] },
  ];
  const env = { ...process.env, TEMPORAL_ADDRESS: address, STARWAVE_TASK_QUEUE: taskQueue };
  const results = await inParallel(cases, 2, (c) =>
    new Promise<{ code: number; out: string }>((done) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'starwave.js'), ...c.args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, out: `${stderr}\n${stdout}` }),
      );
    }),
  );
  let clear = 0;
  const examples: string[] = [];
  cases.forEach((c, i) => {
    const r = results[i]!;
    texts.push(r.out);
    const shown = oneLine(r.out.split(dir).join('…'));
    if (r.code === 2 && clearText(r.out, c.names)) {
      clear++;
      examples.push(`${c.why} → exit 2: ${shown}`);
    } else examples.push(`NOT CLEAR: ${c.why} (\`starwave ${c.args.map((a) => a.split(dir).join('…')).join(' ')}\`) → exit ${r.code}, expected exit 2 naming ${c.names.join(', ')}: ${shown}`);
  });
  let started = await workflowsOnQueue(client, taskQueue);
  for (const id of scheduleIds) if (await scheduleExists(client, id)) started++;
  // Positive control: a valid \`start\` on the same queue must be seen by the same check (else a 0 above means nothing).
  const controlQueue = `${taskQueue}-control`;
  const control = await new Promise<number>((done) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'starwave.js'), 'start', good], { cwd: ROOT, env: { ...env, STARWAVE_TASK_QUEUE: controlQueue }, timeout: 60_000 }, (error) =>
      done(error ? (typeof error.code === 'number' ? error.code : 99) : 0),
    );
  });
  const seen = await workflowsOnQueue(client, controlQueue);
  examples.push(`control: a valid \`starwave start\` (exit ${control}) left ${seen} workflow(s) on its task queue, seen by the same check`);
  if (control !== 0 || seen < 1) throw new Error(`CLI corpus control failed: exit ${control}, ${seen} workflow(s) seen; the started-nothing check cannot be trusted`);
  await terminateQueue(client, controlQueue);
  return { kind: 'CLI invocations (node bin/starwave.js, exit 2 naming the flag/field)', total: cases.length, clearError: clear, startedSomething: started, examples };
}

/**
 * Bodies and requests against an in-process `starwave serve` handler on a free port with a token, its own task
 * queue: each must answer 4xx with a JSON error (problems by path where a field is wrong), and afterwards no
 * workflow exists on that queue.
 */
async function httpCorpus(client: Client): Promise<CorpusResult> {
  const token = `faults-token-${uniqueSuffix()}-0123456789`;
  const taskQueue = `faults-http-${uniqueSuffix()}`;
  const api = await startApiServer({ port: 0, token, taskQueue, getClient: async () => client });
  type Req = { why: string; method: string; path: string; raw?: string; body?: unknown; contentType?: string | null; auth?: string | null; status: number; paths?: string[]; names?: string[] };
  const R = '/v1/rollouts';
  const id = 'starwave-rollout-faults-x';
  const requests: Req[] = [
    { why: 'truncated JSON', method: 'POST', path: R, raw: '{"name": "x", "targets": ', status: 400, names: ['JSON'] },
    { why: 'text/plain body', method: 'POST', path: R, raw: JSON.stringify(goodSpec()), contentType: 'text/plain', status: 415, names: ['Content-Type'] },
    { why: 'XML body', method: 'POST', path: R, raw: '<spec name="x"/>', contentType: 'application/xml', status: 415, names: ['Content-Type'] },
    { why: 'empty body', method: 'POST', path: R, raw: '', status: 400, paths: [''] },
    { why: 'oversize body (300 KiB)', method: 'POST', path: R, raw: JSON.stringify({ ...goodSpec(), description: 'x'.repeat(300 * 1024) }), status: 413, names: ['bytes'] },
    { why: 'missing token', method: 'POST', path: R, body: goodSpec(), auth: null, status: 401, names: ['token'] },
    { why: 'wrong token', method: 'POST', path: R, body: goodSpec(), auth: 'Bearer wrong-token-0123456789abcdef', status: 401, names: ['token'] },
    { why: 'token with Basic scheme', method: 'POST', path: R, body: goodSpec(), auth: `Basic ${token}`, status: 401, names: ['token'] },
    ...badSpecs().map((c): Req => ({ why: `spec: ${c.why}`, method: 'POST', path: R, raw: JSON.stringify(c.spec), status: 400, paths: [''] })),
    { why: 'limits: concurrency.global 0', method: 'PATCH', path: `${R}/${id}/limits`, body: { concurrency: { global: 0 } }, status: 400, paths: ['concurrency.global'] },
    { why: 'limits: failureBudget.total "lots"', method: 'PATCH', path: `${R}/${id}/limits`, body: { failureBudget: { total: 'lots' } }, status: 400, paths: ['failureBudget.total'] },
    { why: 'limits: unknown field', method: 'PATCH', path: `${R}/${id}/limits`, body: { waves: 3 }, status: 400, paths: ['waves'] },
    { why: 'limits: empty object', method: 'PATCH', path: `${R}/${id}/limits`, body: {}, status: 400, names: ['concurrency'] },
    { why: 'approve: wave "abc"', method: 'POST', path: `${R}/${id}/approve`, body: { wave: 'abc' }, status: 400, paths: ['wave'] },
    { why: 'approve: wave 1.5', method: 'POST', path: `${R}/${id}/approve`, body: { wave: 1.5 }, status: 400, paths: ['wave'] },
    { why: 'approve: no body', method: 'POST', path: `${R}/${id}/approve`, status: 400, paths: ['(body)'] },
    { why: 'cancel: reason a number', method: 'POST', path: `${R}/${id}/cancel`, body: { reason: 5 }, status: 400, paths: ['reason'] },
    { why: 'list: status=weird', method: 'GET', path: `${R}?status=weird`, status: 400, paths: ['status'] },
    { why: 'progress: detail=everything', method: 'GET', path: `${R}/${id}?detail=everything`, status: 400, paths: ['detail'] },
    { why: 'DELETE on the collection', method: 'DELETE', path: R, status: 405, names: ['DELETE'] },
    { why: 'unknown route', method: 'POST', path: '/v1/rollout', body: goodSpec(), status: 404, names: ['/v1/rollout'] },
  ];
  let clear = 0;
  let started = 0;
  const examples: string[] = [];
  try {
    for (const q of requests) {
      const body = q.raw !== undefined ? q.raw : q.body !== undefined ? JSON.stringify(q.body) : undefined;
      const auth = q.auth === undefined ? `Bearer ${token}` : q.auth;
      const contentType = q.contentType === undefined ? 'application/json' : q.contentType;
      let status = 0;
      let text = '';
      try {
        const res = await fetch(`${api.url}${q.path}`, {
          method: q.method,
          headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined && contentType ? { 'content-type': contentType } : {}) },
          ...(body !== undefined ? { body } : {}),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        text = `request failed: ${err instanceof Error ? err.message : String(err)}`;
      }
      texts.push(text);
      let json: { error?: unknown; problems?: Array<{ path?: unknown; message?: unknown }> } = {};
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        // not JSON: not clear
      }
      const problems = Array.isArray(json.problems) ? json.problems : [];
      const problemsOk = !q.paths || (problems.length > 0 && problems.every((p) => typeof p.path === 'string' && typeof p.message === 'string' && p.message !== '') && q.paths.every((want) => want === '' ? problems.some((p) => p.path !== '') : problems.some((p) => p.path === want)));
      const ok = status === q.status && typeof json.error === 'string' && json.error !== '' && problemsOk && clearText(text, q.names ?? []);
      const first = problems[0] ? ` [${String(problems[0].path)}: ${String(problems[0].message)}]` : '';
      if (ok) {
        clear++;
        if (!q.why.startsWith('spec: ') || examples.filter((e) => e.startsWith('spec: ')).length < 6) examples.push(`${q.why} → ${status}: ${oneLine(String(json.error), 100)}${first}`);
      } else examples.push(`NOT CLEAR: ${q.why} (${q.method} ${q.path}) → ${status}, expected ${q.status}${q.paths ? ` with problems at ${q.paths.map((p) => p || '<a field>').join(', ')}` : ''}: ${oneLine(text, 300)}`);
    }
    started = await workflowsOnQueue(client, taskQueue);
    // Positive control: a valid body on a second server (own queue) must start a workflow the same check sees.
    const controlQueue = `${taskQueue}-control`;
    const controlApi = await startApiServer({ port: 0, token, taskQueue: controlQueue, getClient: async () => client });
    try {
      const res = await fetch(`${controlApi.url}${R}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...goodSpec(), name: `faults-http-${uniqueSuffix()}` }) });
      await res.text();
      const seen = await workflowsOnQueue(client, controlQueue);
      examples.push(`control: a valid body (${res.status}) left ${seen} workflow(s) on its task queue, seen by the same check`);
      if (res.status !== 201 || seen < 1) throw new Error(`HTTP corpus control failed: ${res.status}, ${seen} workflow(s) seen; the started-nothing check cannot be trusted`);
    } finally {
      await controlApi.close();
      await terminateQueue(client, controlQueue);
    }
  } finally {
    await api.close();
  }
  return { kind: 'HTTP API requests (in-process starwave serve)', total: requests.length, clearError: clear, startedSomething: started, examples };
}

// ---------------------------------------------------------------------------------------------

function render(runs: RunResult[], corpus: CorpusResult[], secretHits: number, scanned: { texts: number; bytes: number }, meta: { machine: string; date: string; commit: string; seconds: number }): string {
  const runRows = runs.map((r) =>
    `| ${r.run} | ${r.targets} | ${r.restartsSent} | ${r.restartedExactlyOnce} | ${r.duplicates} | ${r.skippedWithoutReason} | ${r.maxConcurrent} / ${r.concurrencyLimit} | ${r.budget} | ${r.phase} | ${r.reportCorrect ? 'yes' : '**no**'} |`,
  );
  const total = corpus.reduce((a, c) => a + c.total, 0);
  const clear = corpus.reduce((a, c) => a + c.clearError, 0);
  const startedAny = corpus.reduce((a, c) => a + c.startedSomething, 0);
  return `# Reliability

Generated by \`npm run faults\` on ${meta.date} (commit ${meta.commit}, ${meta.seconds.toFixed(0)} s). Do not edit by hand: rerun the command.
**Machine:** ${meta.machine}.

Every figure below is read from the emulator's record of calls, restarts and status transitions, not from starwave's
report of itself; the report is then checked against the record ("report correct").

## Fault runs

| run | targets | restarts sent | restarted exactly once | duplicates (must be 0) | skipped without a reason (must be 0) | max down at once / limit | budget | final phase | report correct |
|---|---:|---:|---:|---:|---:|---:|---|---|---|
${runRows.join('\n')}

${runs.map((r) => `### ${r.run}\n${r.faults}.\n\n${r.notes.map((n) => `- ${n}`).join('\n')}`).join('\n\n')}

## Bad-input corpus: ${total} inputs, ${clear} rejected with a clear error, ${startedAny} started anything

| kind | inputs | clear error | started something |
|---|---:|---:|---:|
${corpus.map((c) => `| ${c.kind} | ${c.total} | ${c.clearError} | ${c.startedSomething} |`).join('\n')}

${corpus.map((c) => `${c.kind}, examples:\n${c.examples.map((e) => `- ${e}`).join('\n')}`).join('\n\n')}

"Clear error": validateSpec returns problems each with a path and a message; the API client throws an error with a code;
the CLI exits 2 with a sentence (no stack frames) naming the flag, field or file; the HTTP API answers the expected 4xx with
a JSON \`error\` (and \`problems\` by path where a field is wrong). "Started something": for CLI invocations and HTTP
requests, workflows on the corpus's own task queue afterwards (visibility query \`TaskQueue = …\`) plus schedules
under the ids the CLI cases used; validateSpec and the API client cannot start anything.

## Secret scan

${scanned.texts} texts (${(scanned.bytes / 1024).toFixed(0)} KiB: every workflow history of the runs above, every worker log line,
every error text) searched for the AccessKey secret and the STS security token (used by the API-fault run's worker):
**${secretHits} hits**.
`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const out = resolve(process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : join(ROOT, 'docs/reliability.md'));
  // --only corpus: just the bad-input corpus (own dev server; quick, light on CPU), written to --out.
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  if (only !== undefined && only !== 'corpus') throw new Error(`--only takes "corpus" (got ${only}).`);
  const runs: RunResult[] = [];
  if (!only) {
    const dbDir = mkdtempSync(join(tmpdir(), 'starwave-faults-'));
    log('faults: worker kills + server restart');
    runs.push(await crashRun(dbDir));
  }
  const corpus: CorpusResult[] = [specCorpus(), await responseCorpus()];
  const server = await ownDevServer();
  const client = await connectTemporal(server.address);
  try {
    if (!only) {
      log('faults: API faults');
      runs.push(await apiFaultRun(client, server.address));
      log('faults: clock skew');
      runs.push(await skewRun(client, server.address, 5 * 60_000));
      runs.push(await skewRun(client, server.address, 60 * 60_000));
    }
    log('faults: bad-input corpus (CLI invocations)');
    corpus.push(await cliCorpus(client, server.address));
    log('faults: bad-input corpus (HTTP API requests)');
    corpus.push(await httpCorpus(client));
  } finally {
    await client.connection.close();
    await server.stop();
  }
  for (const c of corpus) log(`faults: ${c.kind}: ${c.clearError}/${c.total} clear, ${c.startedSomething} started something`);
  const secretHits = texts.reduce((a, t) => a + SECRETS.reduce((b, s) => b + t.split(s).length - 1, 0), 0);
  const { execSync } = await import('node:child_process');
  const commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, render(runs, corpus, secretHits, { texts: texts.length, bytes: texts.reduce((a, t) => a + t.length, 0) }, { machine: await machineInfo(), date: new Date().toISOString(), commit, seconds: (Date.now() - started) / 1000 }));
  writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify({ runs, corpus, secretHits }, null, 2)}\n`);
  log(`faults: wrote ${out}`);
  const bad = runs.some((r) => r.duplicates > 0 || r.skippedWithoutReason > 0 || !r.reportCorrect) || secretHits > 0 || corpus.some((c) => c.clearError < c.total || c.startedSomething > 0);
  if (bad) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
