/**
 * Fuzzes the HTTP API with schemathesis against the real thing: a Temporal dev server, the StarRocks emulator,
 * a starwave worker, and `starwave serve` as its own process (bin/starwave.js). It seeds rollouts (running ones
 * held at an approval gate, and a finished one) whose ids schemathesis uses for `{id}` alongside generated
 * ones, so the control routes are fuzzed on real rollouts; the create route makes more (stateful links).
 *
 * Two runs, `--checks all`: with the token (every phase) and without it (every protected route must be 401).
 * Targets: zero failures (server errors, schema violations, undocumented statuses), 401 everywhere without
 * the token. Prints the figures and exits 1 when a target is missed. Stops everything it started.
 *
 *   npx tsx scripts/fuzz-api.ts [--max-examples 20] [--venv .data/venv] [--out .data/fuzz] [--seed 4711]
 *
 * schemathesis comes from scripts/fuzz-api-requirements.txt (.ci/run installs it into .data/venv).
 * Every request goes to 127.0.0.1; the worker only knows the emulator's regions, so no rollout can reach a cloud.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ROUTES } from '../src/api/routes';
import { startDevServer, type DevServer } from '../src/devserver/temporal-cli';
import { DEFAULT_KEY, startEmulator, type Emulator } from '../src/emulator';
import { staticCredentials } from '../src/starrocks/credentials';
import { createStarwaveWorker } from '../src/worker/worker';
import { until as waitUntil } from '../test/support/wait';

const root = resolve(__dirname, '..');
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const MAX_EXAMPLES = Number(flag('max-examples', '20'));
const SEED = Number(flag('seed', '4711'));
const VENV = resolve(root, flag('venv', '.data/venv'));
const OUT = resolve(root, flag('out', '.data/fuzz'));
const TASK_QUEUE = 'starwave-fuzz';
const say = (line: string): void => {
  process.stdout.write(`[fuzz-api] ${line}\n`);
};

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

interface Started {
  devServer?: DevServer;
  emulator?: Emulator;
  worker?: { stop(): Promise<void> };
  serve?: ChildProcess;
  client?: Client;
}

async function stopAll(s: Started): Promise<void> {
  if (s.serve && s.serve.exitCode === null) {
    const exited = new Promise((r) => s.serve!.once('exit', r));
    s.serve.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (s.serve.exitCode === null) s.serve.kill('SIGKILL');
  }
  await s.worker?.stop().catch(() => {});
  await s.client?.connection.close().catch(() => {});
  await s.emulator?.close().catch(() => {});
  await s.devServer?.stop().catch(() => {});
}

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

/** Servers still starting answer with errors: those count as "not yet". */
function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitUntil(what, fn, { timeoutMs, intervalMs: 200, ignoreErrors: true });
}

/** schemathesis.toml for one run (the token only ever as ${STARWAVE_FUZZ_TOKEN}, never written out). */
function config(opts: { base: string; ids: string[]; pageTokens: string[]; withToken: boolean }): string {
  return [
    `base-url = "${opts.base}"`,
    `seed = ${SEED}`,
    // One worker: with two, hypothesis's lambda descriptions race in ast.parse on Python 3.11 ("AST constructor
    // recursion depth mismatch", a runtime error of the fuzzer, not of the API).
    'workers = 1',
    'request-timeout = 30',
    '',
    // No state carried between runs (CI must not depend on an earlier run's examples or cache).
    '[cache]',
    'enabled = false',
    '',
    '[generation]',
    `max-examples = ${MAX_EXAMPLES}`,
    'database = "none"',
    // Shrinking repeats failing requests many times; the run is a gate, the report names the case.
    'no-shrink = true',
    '',
    '[dictionaries.rollouts]',
    `values = [${opts.ids.map((id) => JSON.stringify(id)).join(', ')}]`,
    '',
    // A page token is a value only the server can make: no schema can describe one, so the fuzzer draws
    // them from tokens the server gave out (any other value is a documented 400).
    '[dictionaries.pageTokens]',
    `values = [${opts.pageTokens.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
    '[parameters]',
    '"path.id" = { dictionary = "rollouts", probability = 0.6 }',
    '"query.pageToken" = { dictionary = "pageTokens", probability = 1.0 }',
    ...(opts.withToken ? ['', '[auth.openapi.bearer]', 'bearer = "${STARWAVE_FUZZ_TOKEN}"'] : []),
    '',
  ].join('\n');
}

interface RunFigures {
  label: string;
  exitCode: number;
  cases: number;
  failures: number;
  statuses: Record<string, number>;
  /** Protected operation → statuses it answered. */
  byOperation: Record<string, Record<string, number>>;
  failureLines: string[];
}

async function runSchemathesis(label: string, base: string, token: string, ids: string[], pageTokens: string[], withToken: boolean): Promise<RunFigures> {
  const dir = join(OUT, label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'schemathesis.toml');
  writeFileSync(configFile, config({ base, ids, pageTokens, withToken }));
  const bin = join(VENV, 'bin', 'schemathesis');
  const args = [
    '--config-file',
    configFile,
    'run',
    `${base}/openapi.json`,
    '--checks',
    'all',
    ...(withToken ? [] : ['--phases', 'examples,coverage,fuzzing']),
    '--report',
    'ndjson,junit',
    '--report-dir',
    dir,
  ];
  say(`${label}: schemathesis ${args.join(' ')}`);
  const started = Date.now();
  const child = spawn(bin, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      STARWAVE_FUZZ_TOKEN: token,
      SCHEMATHESIS_HOOKS: 'fuzz_api_hooks',
      STARWAVE_FUZZ_PAGE_TOKENS: pageTokens.join(','),
      PYTHONPATH: join(root, 'scripts'),
      HYPOTHESIS_STORAGE_DIRECTORY: join(dir, '.hypothesis'),
      NO_COLOR: '1',
      COLUMNS: '160',
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exitCode: number = await new Promise((r) => child.once('exit', (code) => r(code ?? 1)));
  writeFileSync(join(dir, 'output.txt'), output);
  if (output.includes(token)) throw new Error(`${label}: the token appeared in schemathesis output; refusing to go on.`);
  const figures = readReport(label, dir, exitCode);
  say(`${label}: ${figures.cases} cases, ${figures.failures} failures, exit ${exitCode}, ${Math.round((Date.now() - started) / 1000)} s; statuses ${JSON.stringify(figures.statuses)}`);
  const tail = output.trim().split('\n').slice(-12).join('\n');
  process.stdout.write(`${tail}\n`);
  return figures;
}

/** Figures from the ndjson event stream: every response's status by operation, and the failures. */
function readReport(label: string, dir: string, exitCode: number): RunFigures {
  const file = ['events.ndjson', 'report.ndjson'].map((f) => join(dir, f)).find(existsSync) ?? findFile(dir, '.ndjson');
  const figures: RunFigures = { label, exitCode, cases: 0, failures: 0, statuses: {}, byOperation: {}, failureLines: [] };
  if (!file) throw new Error(`${label}: schemathesis wrote no ndjson report in ${dir}.`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Record<string, any>;
    walk(event, (node) => {
      const response = node['response'];
      const request = node['request'];
      if (response && typeof response === 'object' && typeof response['status_code'] === 'number' && request && typeof request['uri'] === 'string') {
        const status = String(response['status_code']);
        figures.cases++;
        figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
        const op = `${String(request['method'])} ${operationOf(String(request['uri']))}`;
        const perOp = (figures.byOperation[op] ??= {});
        perOp[status] = (perOp[status] ?? 0) + 1;
      }
    });
    const failures = collectFailures(event);
    figures.failures += failures.length;
    figures.failureLines.push(...failures);
  }
  return figures;
}

function findFile(dir: string, ext: string): string | undefined {
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  const entry = readdirSync(dir).find((f) => f.endsWith(ext));
  return entry ? join(dir, entry) : undefined;
}

function walk(node: unknown, visit: (n: Record<string, any>) => void, depth = 0): void {
  if (depth > 12 || typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit, depth + 1);
    return;
  }
  visit(node as Record<string, any>);
  for (const value of Object.values(node)) walk(value, visit, depth + 1);
}

/** Failed checks in one event (ScenarioFinished carries the recorder's checks with their status). */
function collectFailures(event: Record<string, any>): string[] {
  const out: string[] = [];
  walk(event, (node) => {
    if (typeof node['name'] === 'string' && (node['status'] === 'FAILURE' || node['status'] === 'failure') && 'failure_info' in node) {
      const info = node['failure_info'] as Record<string, any> | null;
      out.push(`${String(node['name'])}: ${String(info?.['failure']?.['title'] ?? info?.['title'] ?? '')} ${String(info?.['failure']?.['message'] ?? '').split('\n')[0]}`.trim());
    }
  });
  return out;
}

function operationOf(uri: string): string {
  const path = new URL(uri).pathname;
  for (const r of ROUTES) {
    const re = new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (re.test(path)) return r.path;
  }
  return path.startsWith('/v1/rollouts/') ? '/v1/rollouts/{id}…' : path;
}

async function main(): Promise<number> {
  // The worker's own log at ERROR: the fuzzer creates many rollouts that fail at once by design.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  if (!existsSync(join(VENV, 'bin', 'schemathesis'))) {
    throw new Error(`schemathesis is not installed in ${VENV}: python3 -m venv ${VENV} && ${VENV}/bin/pip install -r scripts/fuzz-api-requirements.txt`);
  }
  mkdirSync(OUT, { recursive: true });
  const s: Started = {};
  const stop = (): void => {
    void stopAll(s).then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const t0 = Date.now();
  try {
    s.devServer = await startDevServer({ port: 0, uiPort: false });
    say(`Temporal dev server at ${s.devServer.address}`);
    s.emulator = await startEmulator({
      regions: ['cn-hangzhou', 'cn-shanghai'],
      fleet: { generate: { regions: ['cn-hangzhou', 'cn-shanghai'], perRegion: 6 } },
      restartDuration: { kind: 'fixed', ms: 300 },
      seed: 11,
    });
    s.client = new Client({ connection: await Connection.connect({ address: s.devServer.address }) });
    const workerConnection = await NativeConnection.connect({ address: s.devServer.address });
    const { worker, close } = await createStarwaveWorker({
      connection: workerConnection,
      client: s.client,
      taskQueue: TASK_QUEUE,
      credentials: staticCredentials(DEFAULT_KEY),
      endpointOverrides: s.emulator.endpoints,
    });
    const running = worker.run();
    s.worker = {
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => {});
        await close();
        await workerConnection.close();
      },
    };
    say(`worker polling "${TASK_QUEUE}", emulator ${JSON.stringify(s.emulator.endpoints)}`);

    const token = randomBytes(24).toString('hex');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let serveLog = '';
    s.serve = spawn(process.execPath, [join(root, 'bin', 'starwave.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--task-queue', TASK_QUEUE], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, STARWAVE_API_TOKEN: token, TEMPORAL_ADDRESS: s.devServer.address, STARWAVE_TASK_QUEUE: TASK_QUEUE },
    });
    s.serve.stderr!.on('data', (d: Buffer) => (serveLog += d.toString()));
    await until('starwave serve to answer /healthz', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 60_000).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)} Its log:\n${serveLog.slice(-2000)}`);
    });
    say(`starwave serve (pid ${s.serve.pid}) at ${base}`);

    // Fixture: rollouts held at the gate before wave 1 (running, nothing restarted until approved) and one
    // finished rollout, so control routes meet both.
    // Each holds its own instances: running rollouts never share targets (the lease registry refuses it).
    const ids: string[] = [];
    const fleet = s.emulator.instances().map((i) => ({ region: i.regionId, instanceId: i.instanceId }));
    for (let i = 0; i < 3; i++) {
      const created = await api(base, token, 'POST', '/v1/rollouts', {
        name: `fuzz-gated-${i}`,
        requestId: `fuzz-gated-${i}-${Date.now().toString(36)}`,
        targets: { instances: fleet.slice(2 * i, 2 * i + 2) },
        waves: { sizes: [1, '100%'], approvalBefore: [1, 2] },
        instance: { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 60, expectedRestartSeconds: 0.3 },
      });
      if (created.status !== 201) throw new Error(`Seeding a gated rollout answered ${created.status}: ${JSON.stringify(created.json)}`);
      ids.push(String(created.json['workflowId']));
    }
    const done = await api(base, token, 'POST', '/v1/rollouts', {
      name: 'fuzz-finished',
      targets: { instances: fleet.slice(6, 7) },
      waves: { sizes: [1] },
      instance: { pollIntervalSeconds: 0.2, confirmTimeoutSeconds: 60, expectedRestartSeconds: 0.3 },
    });
    if (done.status !== 201) throw new Error(`Seeding the finished rollout answered ${done.status}: ${JSON.stringify(done.json)}`);
    ids.push(String(done.json['workflowId']));
    let last: unknown;
    await until('the finished fixture to complete', async () => {
      const status = await api(base, token, 'GET', `/v1/rollouts/${ids[3]}`);
      last = status.json;
      return status.json['executionStatus'] === 'COMPLETED' ? true : undefined;
    }).catch(async (err: unknown) => {
      // Not the API's concern (the rollout tests judge the workflow), but say so loudly: the fuzz still needs
      // a finished rollout, so this one is terminated (a closed run all the same).
      say(`WARNING: ${err instanceof Error ? err.message : String(err)} Its last state: ${JSON.stringify(last).slice(0, 1500)}; terminating it.`);
      await s.client!.workflow.getHandle(ids[3]!).terminate('fuzz-api: the finished fixture did not complete in time');
    });
    for (const id of ids.slice(0, 3)) {
      await until(`${id} to reach its gate`, async () => ((await api(base, token, 'GET', `/v1/rollouts/${id}`)).json['progress']?.phase === 'awaiting_approval' ? true : undefined));
    }
    const pageTokens: string[] = [];
    for (const size of [1, 2, 3]) {
      const page = await until(`a second page of ${size}`, async () => (await api(base, token, 'GET', `/v1/rollouts?pageSize=${size}`)).json['nextPageToken'] as string | undefined);
      pageTokens.push(page);
    }
    say(`fixture: ${ids.join(', ')}; ${pageTokens.length} page tokens`);

    const withToken = await runSchemathesis('with-token', base, token, ids, pageTokens, true);
    const withoutToken = await runSchemathesis('without-token', base, token, ids, pageTokens, false);

    // Targets.
    const problems: string[] = [];
    for (const run of [withToken, withoutToken]) {
      if (run.cases === 0) problems.push(`${run.label}: no request was made`);
      if (run.failures > 0 || run.exitCode !== 0) problems.push(`${run.label}: ${run.failures} failure(s), exit ${run.exitCode}${run.failureLines.length ? `:\n    ${[...new Set(run.failureLines)].slice(0, 30).join('\n    ')}` : ''}`);
      const serverErrors = Object.entries(run.statuses).filter(([st]) => Number(st) >= 500);
      if (serverErrors.length) problems.push(`${run.label}: server errors ${JSON.stringify(Object.fromEntries(serverErrors))}`);
    }
    const protectedOps = ROUTES.filter((r) => !('public' in r && r.public)).flatMap((r) => r.methods.map((m) => `${m} ${r.path}`));
    for (const op of protectedOps) {
      const statuses = withoutToken.byOperation[op];
      if (!statuses) problems.push(`without-token: ${op} was never called`);
      else if (Object.keys(statuses).some((st) => st !== '401')) problems.push(`without-token: ${op} answered ${JSON.stringify(statuses)}, not only 401`);
    }
    const created = withToken.byOperation['POST /v1/rollouts']?.['201'] ?? 0;
    const controlOnReal = ['pause', 'resume', 'cancel', 'approve', 'skip', 'limits'].reduce((n, c) => n + (withToken.byOperation[`${c === 'limits' ? 'PATCH' : 'POST'} /v1/rollouts/{id}/${c}`]?.['200'] ?? 0), 0);
    say(`with-token: ${created} rollouts created by the fuzzer, ${controlOnReal} control requests accepted by real rollouts`);
    if (created === 0) problems.push('with-token: the fuzzer never created a rollout (no 201)');
    if (controlOnReal === 0) problems.push('with-token: no control request reached a real rollout (no 200 on a control route)');
    if (serveLog.includes(token)) problems.push('the token appeared in the starwave serve log');
    if (/"status":5\d\d/.test(serveLog)) problems.push('the serve access log shows 5xx answers');
    writeFileSync(join(OUT, 'serve.log'), serveLog);
    writeFileSync(join(OUT, 'figures.json'), `${JSON.stringify({ withToken, withoutToken, seconds: Math.round((Date.now() - t0) / 1000) }, null, 2)}\n`);
    say(`${problems.length === 0 ? 'PASS' : 'FAIL'} in ${Math.round((Date.now() - t0) / 1000)} s: with token ${withToken.cases} cases, ${withToken.failures} failures; without token ${withoutToken.cases} cases, ${withoutToken.failures} failures (reports in ${OUT}).`);
    for (const p of problems) say(`  - ${p}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await stopAll(s);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[fuzz-api] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
