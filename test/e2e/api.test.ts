/**
 * The HTTP API in-process against the run's Temporal dev server, a real worker and the emulator: idempotent create,
 * auth, validation, size limit, control endpoints and progress. Restart outcomes come from the emulator's record.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRollouts } from '../../src/client';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { TemporalUnreachableError } from '../../src/worker/temporal';
import type { RolloutReport } from '../../src/workflows/types';
import { fleet, startStack, type Stack } from '../support/stack';
import { uniqueId } from '../support/temporal';

const TOKEN = 'test-token-0123456789abcdef';
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

async function call(method: string, path: string, body?: unknown, opts: { token?: string | null; raw?: string } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || opts.raw ? { 'content-type': 'application/json' } : {}) },
    ...(opts.raw !== undefined ? { body: opts.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startStack(fleet(['cn-hangzhou'], 4, 250));
  api = await startApiServer({ port: 0, token: TOKEN, taskQueue: stack.taskQueue, getClient: async () => stack.client });
});
afterAll(async () => {
  await api?.close();
  await stack?.close();
});

describe('HTTP API on the real stack', () => {
  it('creates a rollout once per requestId: 201, then 200 with the same workflow id, and one rollout', async () => {
    const requestId = uniqueId('req');
    const body = spec({ requestId });
    const first = await call('POST', '/v1/rollouts', body);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ workflowId: `starwave-rollout-req-${requestId}`, existing: false });
    const second = await call('POST', '/v1/rollouts', { ...body, name: uniqueId('other-name') });
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ workflowId: first.json['workflowId'], runId: first.json['runId'], existing: true });

    const id = String(first.json['workflowId']);
    const report = (await stack.client.workflow.getHandle(id).result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    // After completion the same requestId still answers 200 and starts nothing.
    const third = await call('POST', '/v1/rollouts', body);
    expect(third.status).toBe(200);
    expect(third.json['runId']).toBe(first.json['runId']);
    const runs = await listRollouts(stack.client, { workflowId: id });
    expect(runs).toHaveLength(1);
    const restarts = stack.emulator.record().restarts.filter((r) => r.atMs >= report.startedAtMs);
    expect(restarts).toHaveLength(4);

    const progress = await call('GET', `/v1/rollouts/${id}?detail=all`);
    expect(progress.status).toBe(200);
    expect(progress.json).toMatchObject({ executionStatus: 'COMPLETED', progress: { counts: { restarted: 4 } } });
    const rep = await call('GET', `/v1/rollouts/${id}/report`);
    expect(rep.status).toBe(200);
    expect(rep.json).toMatchObject({ phase: 'completed', counts: { targets: 4, restarted: 4 } });
  });

  it('rejects a missing or wrong token with 401 and starts nothing', async () => {
    const body = spec();
    const before = stack.emulator.record().restarts.length;
    const missing = await call('POST', '/v1/rollouts', body, { token: null });
    expect(missing.status).toBe(401);
    expect(missing.json['error']).toMatch(/bearer token/);
    const wrong = await call('POST', '/v1/rollouts', body, { token: `${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.json)).not.toContain(TOKEN);
    expect((await call('GET', '/v1/rollouts', undefined, { token: 'nope' })).status).toBe(401);
    await expect(stack.client.workflow.getHandle(`starwave-rollout-${String(body['name'])}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(stack.emulator.record().restarts.length).toBe(before);
    expect((await call('GET', '/healthz', undefined, { token: null })).status).toBe(200);
  });

  it('answers a bad body with 400 and every problem by path, an oversized one with 413, and starts nothing', async () => {
    const body = spec({ waves: { sizes: [0, 'x'] }, concurrency: { global: 0 } });
    const bad = await call('POST', '/v1/rollouts', body);
    expect(bad.status).toBe(400);
    const paths = (bad.json['problems'] as Array<{ path: string }>).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['waves.sizes.0', 'waves.sizes.1', 'concurrency.global']));
    await expect(stack.client.workflow.getHandle(`starwave-rollout-${String(body['name'])}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    expect((await call('POST', '/v1/rollouts', undefined, { raw: '{"name":' })).status).toBe(400);
    const huge = await call('POST', '/v1/rollouts', { ...spec(), description: 'x'.repeat(300 * 1024) });
    expect(huge.status).toBe(413);
    expect((await call('GET', '/v1/nothing')).status).toBe(404);
    expect((await call('DELETE', '/v1/rollouts')).status).toBe(405);
    expect((await call('GET', '/v1/rollouts/starwave-rollout-missing')).status).toBe(404);
  });

  it('pauses, resumes, changes limits and approves a running rollout', async () => {
    const body = spec({ waves: { sizes: [1, '100%'], approvalBefore: [2] } });
    const created = await call('POST', '/v1/rollouts', body);
    expect(created.status).toBe(201);
    const id = String(created.json['workflowId']);
    expect((await call('POST', `/v1/rollouts/${id}/pause`)).json).toMatchObject({ paused: true });
    expect((await call('POST', `/v1/rollouts/${id}/resume`)).json).toMatchObject({ paused: false });
    const limits = await call('PATCH', `/v1/rollouts/${id}/limits`, { concurrency: { global: 3 } });
    expect(limits.status).toBe(200);
    expect(limits.json).toMatchObject({ concurrency: { global: 3 } });
    const badLimits = await call('PATCH', `/v1/rollouts/${id}/limits`, { concurrency: { global: 0 }, speed: 1 });
    expect(badLimits.status).toBe(400);
    expect((badLimits.json['problems'] as Array<{ path: string }>).map((p) => p.path)).toEqual(expect.arrayContaining(['concurrency.global', 'speed']));
    expect((await call('POST', `/v1/rollouts/${id}/approve`, { wave: 'two' })).status).toBe(400);

    for (let i = 0; i < 100; i++) {
      const p = await call('GET', `/v1/rollouts/${id}`);
      if ((p.json['progress'] as { phase?: string } | undefined)?.phase === 'awaiting_approval') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await call('GET', `/v1/rollouts/${id}/report`)).status).toBe(409);
    expect((await call('POST', `/v1/rollouts/${id}/approve`, { wave: 2 })).status).toBe(200);
    const report = (await stack.client.workflow.getHandle(id).result()) as RolloutReport;
    expect(report.phase).toBe('completed');
    expect(report.limits.concurrency.global).toBe(3);
  });

  it('answers 503 when Temporal cannot be reached', async () => {
    const down = await startApiServer({
      port: 0,
      token: TOKEN,
      taskQueue: 'unused',
      getClient: async () => {
        throw new TemporalUnreachableError('127.0.0.1:1', new Error('connection refused'));
      },
    });
    try {
      const res = await fetch(`${down.url}/v1/rollouts`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(503);
    } finally {
      await down.close();
    }
  });
});
