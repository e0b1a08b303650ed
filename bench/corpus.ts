/**
 * The bad-input corpus, part 1: rollout specs (validateSpec) and malformed StarRocks API responses
 * (the real client against a tiny local server). Every input must be rejected with a clear error and
 * start nothing. Part 2 (CLI invocations, HTTP API requests) is in corpus-surfaces.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_KEY } from '../src/emulator';
import { validateSpec } from '../src/contracts/spec';
import { StarRocksClient } from '../src/starrocks/client';
import { staticCredentials } from '../src/starrocks/credentials';

export interface CorpusResult {
  kind: string;
  total: number;
  clearError: number;
  startedSomething: number;
  examples: string[];
}

export const goodSpec = (): Record<string, unknown> => ({ name: 'ok', targets: { instances: [{ region: 'cn-hangzhou', instanceId: 'c-0123456789abcdef' }] } });

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
    // Fields of the engine rewrite (waves.order, estimates, health, per-instance windows, stall timeout).
    ['waves.order unknown', { ...g(), waves: { sizes: [1], order: 'shortest_first' } }],
    ['estimates.fromHistory string', { ...g(), estimates: { fromHistory: 'yes' } }],
    ['estimates.lookbackDays 0', { ...g(), estimates: { lookbackDays: 0 } }],
    ['estimates.maxInstances negative', { ...g(), estimates: { maxInstances: -1 } }],
    ['estimates unknown field', { ...g(), estimates: { samples: 5 } }],
    ['health.timeoutSeconds 0', { ...g(), health: { enabled: true, timeoutSeconds: 0 } }],
    ['health.proveRestart string', { ...g(), health: { proveRestart: 'true' } }],
    ['health token in the spec', { ...g(), health: { enabled: true, token: 'secret' } }],
    ['window.instanceMaintainablePeriod string', { ...g(), window: { instanceMaintainablePeriod: 'yes' } }],
    ['concurrency.stallTimeoutSeconds 0', { ...g(), concurrency: { global: 2, stallTimeoutSeconds: 0 } }],
    ['concurrency.stallTimeoutSeconds fraction', { ...g(), concurrency: { global: 2, stallTimeoutSeconds: 1.5 } }],
  ];
  return cases.map(([why, spec]) => ({ why, spec }));
}

export function specCorpus(): CorpusResult {
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
export async function responseCorpus(texts: string[]): Promise<CorpusResult> {
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

