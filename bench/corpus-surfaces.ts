/**
 * The bad-input corpus, part 2: the operator surfaces. `node bin/starwave.js …` invocations (exit 2
 * with a sentence naming the flag, field or file) and requests to an in-process `starwave serve`
 * (the expected 4xx with a JSON error, problems by path). Each kind checks afterwards that nothing
 * started on its own task queue, with a positive control that the same check sees a valid start.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { startApiServer } from '../src/api/server';
import { badSpecs, goodSpec, type CorpusResult } from './corpus';
import { ROOT, uniqueSuffix } from './harness';

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
export async function cliCorpus(client: Client, address: string, texts: string[]): Promise<CorpusResult> {
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
export async function httpCorpus(client: Client, texts: string[]): Promise<CorpusResult> {
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
