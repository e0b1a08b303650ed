/**
 * `npm run faults` — what happens when things break, read from the emulator's record. Writes
 * docs/reliability.md (and a .json next to it).
 *
 * Runs: worker SIGKILLed three times + Temporal server restarted once (persistent DB, same port);
 * API faults (30 % throttling, 10 % 5xx, latency spikes, drops before/after applying, one stuck, one
 * failing, one busy instance) with a failure budget; clock skew small (accepted) and large (auth
 * failure, no restart). Then a bad-input corpus and a secret scan of histories, logs and errors.
 */
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
  let report: RolloutReport | undefined;
  try {
    report = (await handle.result()) as RolloutReport;
  } catch (err) {
    notes.push(`rollout failed: ${(err as Error).message}`);
  }
  const record = emulator.record();
  const once = exactlyOnce(record, ids);
  const check = report ? checkReport(report, emulator, ids) : { correct: false, skippedWithoutReason: ids.length, notes: [] };
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
  let report: RolloutReport | undefined;
  try {
    report = (await handle.result()) as RolloutReport;
  } catch (err) {
    notes.push(`rollout failed: ${(err as Error).message}`);
  }
  const record = emulator.record();
  const once = exactlyOnce(record, ids);
  const check = report ? checkReport(report, emulator, ids) : { correct: false, skippedWithoutReason: ids.length, notes: [] };
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

// ---------------------------------------------------------------------------------------------

function render(runs: RunResult[], corpus: CorpusResult[], secretHits: number, scanned: { texts: number; bytes: number }, meta: { machine: string; date: string; commit: string; seconds: number }): string {
  const runRows = runs.map((r) =>
    `| ${r.run} | ${r.targets} | ${r.restartsSent} | ${r.restartedExactlyOnce} | ${r.duplicates} | ${r.skippedWithoutReason} | ${r.maxConcurrent} / ${r.concurrencyLimit} | ${r.budget} | ${r.phase} | ${r.reportCorrect ? 'yes' : '**no**'} |`,
  );
  const total = corpus.reduce((a, c) => a + c.total, 0);
  const clear = corpus.reduce((a, c) => a + c.clearError, 0);
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

## Bad-input corpus: ${total} inputs, ${clear} rejected with a clear, coded error, 0 started anything

| kind | inputs | clear error | started something |
|---|---:|---:|---:|
${corpus.map((c) => `| ${c.kind} | ${c.total} | ${c.clearError} | ${c.startedSomething} |`).join('\n')}

${corpus.map((c) => `${c.kind}, examples:\n${c.examples.map((e) => `- ${e}`).join('\n')}`).join('\n\n')}

Not covered yet: CLI invocations (\`starwave start\`) and HTTP API bodies (\`starwave serve\`) — those commands are not in the
tree at the time of this run (src/cli has no subcommands, src/api is empty).

## Secret scan

${scanned.texts} texts (${(scanned.bytes / 1024).toFixed(0)} KiB: every workflow history of the runs above, every worker log line,
every error text) searched for the AccessKey secret and the STS security token (used by the API-fault run's worker):
**${secretHits} hits**.
`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const out = resolve(process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : join(ROOT, 'docs/reliability.md'));
  const dbDir = mkdtempSync(join(tmpdir(), 'starwave-faults-'));
  const runs: RunResult[] = [];
  log('faults: worker kills + server restart');
  runs.push(await crashRun(dbDir));
  const server = await ownDevServer();
  const client = await connectTemporal(server.address);
  try {
    log('faults: API faults');
    runs.push(await apiFaultRun(client, server.address));
    log('faults: clock skew');
    runs.push(await skewRun(client, server.address, 5 * 60_000));
    runs.push(await skewRun(client, server.address, 60 * 60_000));
  } finally {
    await client.connection.close();
    await server.stop();
  }
  const corpus = [specCorpus(), await responseCorpus()];
  const secretHits = texts.reduce((a, t) => a + SECRETS.reduce((b, s) => b + t.split(s).length - 1, 0), 0);
  const { execSync } = await import('node:child_process');
  const commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, render(runs, corpus, secretHits, { texts: texts.length, bytes: texts.reduce((a, t) => a + t.length, 0) }, { machine: await machineInfo(), date: new Date().toISOString(), commit, seconds: (Date.now() - started) / 1000 }));
  writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify({ runs, corpus, secretHits }, null, 2)}\n`);
  log(`faults: wrote ${out}`);
  const bad = runs.some((r) => r.duplicates > 0 || r.skippedWithoutReason > 0 || !r.reportCorrect) || secretHits > 0 || corpus.some((c) => c.clearError < c.total);
  if (bad) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
