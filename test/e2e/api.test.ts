/**
 * The HTTP API in-process against the run's Temporal dev server, a real worker and the emulator: idempotent create,
 * auth, validation, size limit, control endpoints (skip included) with the server's `by`, finished rollouts (409
 * with their final state), ids that are not rollouts (404), paging, and the deadlines when no worker polls or
 * Temporal is down. Restart outcomes come from the emulator's record.
 */
import { createServer } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerIdentity } from '../../src/api/auth';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { connectClient, listRollouts } from '../../src/client';
import type { RolloutReport } from '../../src/contracts/rollout';
import { fleet, startStack, type Stack } from '../support/stack';
import { temporalAddress, uniqueId, uniqueTaskQueue } from '../support/temporal';
import { until } from '../support/wait';

const TOKEN = 'test-token-0123456789abcdef';
const BY = callerIdentity(TOKEN);
let stack: Stack;
let api: ApiServer;

const fastPolicy = { pollIntervalSeconds: 0.1, confirmTimeoutSeconds: 30, heartbeatTimeoutSeconds: 5, expectedRestartSeconds: 0.3 };
const spec = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: uniqueId('api'),
  targets: { selectors: [{ regions: ['cn-hangzhou'] }] },
  waves: { sizes: [1, '100%'] },
  concurrency: { global: 2 },
  instance: fastPolicy,
  ...extra,
});

type Answer = { status: number; json: Record<string, any>; ms: number };
async function call(server: ApiServer, method: string, path: string, body?: unknown, opts: { token?: string | null; raw?: string } = {}): Promise<Answer> {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const started = Date.now();
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || opts.raw ? { 'content-type': 'application/json' } : {}) },
    ...(opts.raw !== undefined ? { body: opts.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any>, ms: Date.now() - started };
}
const req = (method: string, path: string, body?: unknown, opts?: { token?: string | null; raw?: string }) => call(api, method, path, body, opts);


beforeAll(async () => {
  stack = await startStack(fleet(['cn-hangzhou'], 4, 250));
  api = await startApiServer({ port: 0, token: TOKEN, taskQueue: stack.taskQueue, getClient: async () => stack.client });
});
afterAll(async () => {
  await api?.close();
  await stack?.close();
});

describe('HTTP API on the real stack', () => {
  it('creates a rollout once per requestId: 201, then 200 with the same workflow id; a finished one answers control with 409 and its final state', async () => {
    const requestId = uniqueId('req');
    const body = spec({ requestId });
    const first = await req('POST', '/v1/rollouts', body);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ workflowId: `starwave-rollout-req-${requestId}`, existing: false });
    const second = await req('POST', '/v1/rollouts', { ...body, name: uniqueId('other-name') });
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ workflowId: first.json['workflowId'], runId: first.json['runId'], existing: true });

    const id = String(first.json['workflowId']);
    const report = (await stack.client.workflow.getHandle(id).result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    expect(report.trigger).toBe(BY);
    // After completion the same requestId still answers 200 and starts nothing.
    const third = await req('POST', '/v1/rollouts', body);
    expect(third.status).toBe(200);
    expect(third.json['runId']).toBe(first.json['runId']);
    expect(await listRollouts(stack.client, { workflowId: id })).toHaveLength(1);
    const restarts = stack.emulator.record().restarts.filter((r) => r.atMs >= report.startedAtMs);
    expect(restarts).toHaveLength(4);

    const progress = await req('GET', `/v1/rollouts/${id}?detail=all`);
    expect(progress.status).toBe(200);
    expect(progress.json).toMatchObject({ executionStatus: 'COMPLETED', progress: { counts: { restarted: 4 } } });
    const rep = await req('GET', `/v1/rollouts/${id}/report`);
    expect(rep.status).toBe(200);
    expect(rep.json).toMatchObject({ phase: 'completed', counts: { targets: 4, restarted: 4 } });

    // Issue 15: controlling a finished rollout answered 404 "No rollout with id" while GET said COMPLETED.
    for (const [method, path, b] of [
      ['POST', 'pause', undefined],
      ['POST', 'cancel', { reason: 'late' }],
      ['POST', 'skip', { instanceId: restarts[0]!.instanceId }],
      ['PATCH', 'limits', { concurrency: { global: 3 } }],
    ] as const) {
      const late = await req(method, `/v1/rollouts/${id}/${path}`, b);
      expect(late.status, path).toBe(409);
      expect(late.json, path).toMatchObject({ code: 'ERR_ROLLOUT_FINISHED', error: expect.stringMatching(/has finished \(completed\)/), state: { executionStatus: 'COMPLETED', phase: 'completed' } });
    }
  });

  it('starts a valid spec whose search attributes Temporal finds too large, instead of answering 500 (found by the fuzzer)', async () => {
    // 40 region ids of 60 characters: StarwaveRegions exceeds the dev server's 2,048-byte limit for one value.
    const regions = Array.from({ length: 40 }, (_, i) => `cn-${'x'.repeat(50)}${String(i).padStart(4, '0')}`);
    const created = await req('POST', '/v1/rollouts', spec({ targets: { selectors: [{ regions }] } }));
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = String(created.json['workflowId']);
    // The worker knows only the emulator's regions, so this rollout fails at once without a cloud request.
    await expect(stack.client.workflow.getHandle(id).result()).resolves.toMatchObject({ phase: 'failed' });
  });

  it('rejects a missing or wrong token with 401 and starts nothing', async () => {
    const body = spec();
    const before = stack.emulator.record().restarts.length;
    const missing = await req('POST', '/v1/rollouts', body, { token: null });
    expect(missing.status).toBe(401);
    expect(missing.json['error']).toMatch(/bearer token/);
    const wrong = await req('POST', '/v1/rollouts', body, { token: `${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.json)).not.toContain(TOKEN);
    expect((await req('GET', '/v1/rollouts', undefined, { token: 'nope' })).status).toBe(401);
    await expect(stack.client.workflow.getHandle(`starwave-rollout-${String(body['name'])}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(stack.emulator.record().restarts.length).toBe(before);
    expect((await req('GET', '/healthz', undefined, { token: null })).status).toBe(200);
  });

  it('answers a bad body with 400 and every problem by path, an oversized one with 413, and starts nothing', async () => {
    const body = spec({ waves: { sizes: [0, 'x'] }, concurrency: { global: 0 } });
    const bad = await req('POST', '/v1/rollouts', body);
    expect(bad.status).toBe(400);
    const paths = (bad.json['problems'] as Array<{ path: string }>).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['waves.sizes.0', 'waves.sizes.1', 'concurrency.global']));
    await expect(stack.client.workflow.getHandle(`starwave-rollout-${String(body['name'])}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    expect((await req('POST', '/v1/rollouts', undefined, { raw: '{"name":' })).status).toBe(400);
    const huge = await req('POST', '/v1/rollouts', { ...spec(), description: 'x'.repeat(300 * 1024) });
    expect(huge.status).toBe(413);
    expect((await req('GET', '/v1/nothing')).status).toBe(404);
    expect((await req('DELETE', '/v1/rollouts')).status).toBe(405);
    expect((await req('GET', '/v1/rollouts/starwave-rollout-missing')).status).toBe(404);
  });

  it('pauses, resumes, changes limits, skips and approves a running rollout, recording the server-set by', async () => {
    const body = spec({ waves: { sizes: [1, '100%'], approvalBefore: [2] } });
    const since = stack.emulator.record().nextSeq;
    const created = await req('POST', '/v1/rollouts', body);
    expect(created.status).toBe(201);
    const id = String(created.json['workflowId']);
    expect((await req('POST', `/v1/rollouts/${id}/pause`)).json).toMatchObject({ paused: true });
    expect((await req('POST', `/v1/rollouts/${id}/resume`, {})).json).toMatchObject({ paused: false });
    const limits = await req('PATCH', `/v1/rollouts/${id}/limits`, { concurrency: { global: 3 } });
    expect(limits.status).toBe(200);
    expect(limits.json).toMatchObject({ limits: { concurrency: { global: 3 } } });
    const badLimits = await req('PATCH', `/v1/rollouts/${id}/limits`, { concurrency: { global: 0 }, speed: 1 });
    expect(badLimits.status).toBe(400);
    expect((badLimits.json['problems'] as Array<{ path: string }>).map((p) => p.path)).toEqual(expect.arrayContaining(['concurrency.global', 'speed']));
    expect((await req('POST', `/v1/rollouts/${id}/approve`, { wave: 'two' })).status).toBe(400);
    expect((await req('POST', `/v1/rollouts/${id}/pause`, { by: 'cli:mallory' })).json).toMatchObject({ code: 'ERR_BAD_BODY', problems: [{ path: 'by' }] });

    await until('the approval gate', async () => ((await req('GET', `/v1/rollouts/${id}`)).json['progress']?.phase === 'awaiting_approval' ? true : undefined));
    expect((await req('GET', `/v1/rollouts/${id}/report`)).json).toMatchObject({ code: 'ERR_STILL_RUNNING' });
    // The workflow refuses what it cannot do now: 409 with its sentence.
    expect((await req('POST', `/v1/rollouts/${id}/approve`, { wave: 1 })).json).toMatchObject({ code: 'ERR_CONTROL_REJECTED', error: expect.stringMatching(/no approval gate/) });
    expect((await req('POST', `/v1/rollouts/${id}/skip`, { instanceId: 'c-0000000000000000' })).json).toMatchObject({ code: 'ERR_CONTROL_REJECTED', error: expect.stringMatching(/not a target/) });
    const restarted = new Set(stack.emulator.record(since).restarts.map((r) => r.instanceId));
    expect(restarted.size).toBe(1);
    const waiting = stack.emulator.instances().map((i) => i.instanceId).find((i) => !restarted.has(i))!;
    const skipped = await req('POST', `/v1/rollouts/${id}/skip`, { instanceId: waiting });
    expect(skipped.status).toBe(200);
    expect((await req('POST', `/v1/rollouts/${id}/approve`, { wave: 2 })).status).toBe(200);
    const report = (await stack.client.workflow.getHandle(id).result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    expect(report.limits.concurrency.global).toBe(3);
    expect(report.instances.find((i) => i.instanceId === waiting)?.outcome).toBe('skipped');
    const audit = report.audit.filter((a) => a.action !== 'start');
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['pause', 'resume', 'setLimits', 'skip', 'approve']));
    for (const a of audit) expect(a.by, a.action).toBe(BY);
  });

  it('answers 404 the same way for unknown ids, wave-like ids and workflows that are not rollouts (issue 15: the lease registry and waves were reachable)', async () => {
    const queue = uniqueTaskQueue('not-a-rollout');
    const imposter = `starwave-rollout-${uniqueId('imposter')}`;
    await stack.client.workflow.start('someOtherWorkflow', { taskQueue: queue, workflowId: imposter, args: [] });
    try {
      const answers: Answer[] = [];
      for (const id of [imposter, `starwave-rollout-${uniqueId('unknown')}`, `${imposter}%2Fwave-1`, 'starwave-leases']) {
        for (const [method, suffix, body] of [['GET', '', undefined], ['GET', '/report', undefined], ['POST', '/pause', undefined], ['PATCH', '/limits', { concurrency: { global: 1 } }]] as const) {
          const a = await req(method, `/v1/rollouts/${id}${suffix}`, body);
          expect(a.status, `${method} ${id}${suffix}`).toBe(404);
          answers.push(a);
        }
      }
      expect(new Set(answers.map((a) => JSON.stringify({ ...a.json, error: String(a.json['error']).replace(/"[^"]*"/, '<id>') }))).size).toBe(1);
    } finally {
      await stack.client.workflow.getHandle(imposter).terminate('test over');
    }
  });

  it('pages the list with Temporal page tokens and filters by name and status', async () => {
    const name = uniqueId('paged');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await req('POST', '/v1/rollouts', spec({ name, requestId: uniqueId('page') }));
      expect(created.status).toBe(201);
      ids.push(String(created.json['workflowId']));
    }
    const seen: string[] = [];
    await until('visibility to show all three', async () => ((await req('GET', `/v1/rollouts?name=${name}&pageSize=10`)).json['rollouts'].length === 3 ? true : undefined));
    let token: string | undefined;
    for (let page = 0; page < 5; page++) {
      const res: Answer = await req('GET', `/v1/rollouts?name=${name}&pageSize=1${token ? `&pageToken=${token}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.json['rollouts'].length).toBeLessThanOrEqual(1);
      seen.push(...res.json['rollouts'].map((r: { workflowId: string; name: string }) => (expect(r.name).toBe(name), r.workflowId)));
      token = res.json['nextPageToken'];
      if (!token) break;
    }
    expect(seen.sort()).toEqual([...ids].sort());
    // Tokens the server did not issue never reach Temporal (its dev server makes a forged token fail as
    // retryable until the deadline: a 504 instead of a 400).
    for (const query of ['pageToken=bm90LWEtdG9rZW4', `pageToken=${Buffer.from('{"a":1}').toString('base64url')}`]) {
      const forged = await req('GET', `/v1/rollouts?${query}`);
      expect(forged.status, query).toBe(400);
      expect(forged.json, query).toMatchObject({ code: 'ERR_QUERY_INVALID', problems: [{ path: 'pageToken' }] });
    }
    for (const id of ids) await stack.client.workflow.getHandle(id).result();
    await until('visibility to close them', async () => ((await req('GET', `/v1/rollouts?name=${name}&status=completed`)).json['rollouts'].length === 3 ? true : undefined));
    expect((await req('GET', `/v1/rollouts?name=${name}&status=running`)).json['rollouts']).toEqual([]);
  });
});

describe('deadlines (issue 15)', () => {
  it('answers at once with 503 "no worker" when nothing polls the task queue, for control and progress (was: 556 s, then a false "could not be reached")', async () => {
    const queue = uniqueTaskQueue('no-worker');
    const lonely = await startApiServer({ port: 0, token: TOKEN, taskQueue: queue, getClient: async () => stack.client, readTimeoutMs: 2_000, updateTimeoutMs: 3_000 });
    try {
      const created = await call(lonely, 'POST', '/v1/rollouts', spec());
      expect(created.status).toBe(201);
      const id = String(created.json['workflowId']);
      try {
        for (const path of ['pause', 'pause']) {
          const a = await call(lonely, 'POST', `/v1/rollouts/${id}/${path}`);
          expect(a.status).toBe(503);
          expect(a.json).toMatchObject({ code: 'ERR_NO_WORKER', error: expect.stringMatching(new RegExp(`No starwave worker is polling task queue "${queue}", so the pause was not sent`)) });
          expect(a.ms).toBeLessThan(3_000);
        }
        const progress = await call(lonely, 'GET', `/v1/rollouts/${id}`);
        expect(progress.status).toBe(503);
        expect(progress.json).toMatchObject({ code: 'ERR_NO_WORKER', error: expect.stringMatching(/No starwave worker is polling/) });
        expect(progress.ms).toBeLessThan(2_000 + 2_000);
      } finally {
        await stack.client.workflow.getHandle(id).terminate('test over');
      }
    } finally {
      await lonely.close();
    }
  });

  it('answers 503 "could not reach Temporal" within seconds when Temporal is down', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = await startApiServer({ port: 0, token: TOKEN, taskQueue: 'unused', getClient: async () => (await connectClient({ address: `127.0.0.1:${port}` })).client, temporalAddress: `127.0.0.1:${port}` });
    try {
      for (const [method, path] of [['GET', '/v1/rollouts'], ['GET', '/v1/rollouts/starwave-rollout-x'], ['POST', '/v1/rollouts/starwave-rollout-x/pause']] as const) {
        const a = await call(down, method, path);
        expect(a.status, path).toBe(503);
        expect(a.json, path).toMatchObject({ code: 'ERR_TEMPORAL_UNREACHABLE', error: expect.stringMatching(new RegExp(`Temporal at 127\\.0\\.0\\.1:${port} could not be reached|Could not reach Temporal at 127\\.0\\.0\\.1:${port}`)) });
        expect(a.ms, path).toBeLessThan(7_000);
      }
    } finally {
      await down.close();
    }
    expect(temporalAddress()).toBeTruthy();
  });
});
