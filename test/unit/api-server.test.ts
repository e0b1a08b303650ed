/**
 * The HTTP server end to end over real sockets, with a fake Temporal client: hostile request targets, auth
 * order, ids that are not rollouts, UTF-8, server-set `by`, the access log, and deadlines when Temporal hangs.
 * The Temporal-facing paths against a real dev server and worker are in test/e2e/api.test.ts.
 */
import { connect } from 'node:net';
import type { Client } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiOptions, type ApiServer } from '../../src/api/server';

const TOKEN = 'unit-test-token-0123456789';
const servers: ApiServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

const noTemporal = async (): Promise<Client> => {
  throw new Error('this request must not reach Temporal');
};

async function serve(opts: Partial<ApiOptions> = {}): Promise<{ api: ApiServer; logs: Array<Record<string, unknown>>; port: number }> {
  const logs: Array<Record<string, unknown>> = [];
  const api = await startApiServer({ port: 0, token: TOKEN, taskQueue: 'tq', getClient: noTemporal, log: (e) => logs.push(e), ...opts });
  servers.push(api);
  return { api, logs, port: Number(new URL(api.url).port) };
}

/** Sends raw bytes (request line as written) and returns status, headers and body. */
function raw(port: number, request: string | Buffer): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d.toString('utf8')));
    socket.on('end', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body: rest.join('\r\n\r\n') });
    });
    socket.on('error', reject);
    socket.end(request);
  });
}
const get = (target: string, headers: string[] = []) => `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
const auth = `Authorization: Bearer ${TOKEN}`;

async function call(api: ApiServer, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

describe('hostile request targets (issue 15: 500s)', () => {
  it('answers unparsable targets with a JSON 400, with or without a token, and never calls Temporal', async () => {
    const { port } = await serve();
    for (const target of ['//[', 'http://[', '//a:99999/', '//%zz/', 'http://a:99999/v1/rollouts', '/v1/rollouts/%zz', '*']) {
      for (const headers of [[], [auth]]) {
        const res = await raw(port, get(target, headers));
        expect(res.status, `${target} ${headers.length ? 'with' : 'without'} token`).toBe(400);
        expect(res.headers).toMatch(/content-type: application\/json/i);
        expect(JSON.parse(res.body)).toMatchObject({ code: 'ERR_BAD_REQUEST_TARGET', error: expect.stringMatching(/not a valid path/) });
      }
    }
  });

  it('answers requests node cannot parse with a JSON 400 too', async () => {
    const { port } = await serve();
    const res = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'ERR_BAD_REQUEST_TARGET' });
  });

  it('never logs userinfo, query strings or the token (issue 15: http://user:secretpw@h/… was logged)', async () => {
    const { port, logs } = await serve();
    await raw(port, get('http://user:secretpw@h/v1/rollouts/starwave-rollout-x%2Fwave-1/report?token=querysecret', [auth]));
    await raw(port, get('http://user:secretpw@h/nothing?token=querysecret', [auth]));
    await raw(port, get('http://user:secretpw@[/x', [auth]));
    const text = JSON.stringify(logs);
    expect(logs.length).toBe(3);
    for (const secret of ['secretpw', 'querysecret', TOKEN, 'user:']) expect(text).not.toContain(secret);
    expect(logs[0]).toMatchObject({ msg: 'request', method: 'GET', route: '/v1/rollouts/{id}/report', status: 404 });
    expect(logs[0]).not.toHaveProperty('id'); // not a rollout id: not echoed into the log either
  });
});

describe('routes', () => {
  it('answers HEAD /healthz with 200 (issue 15: 405) and GET /healthz without a token', async () => {
    const { api } = await serve();
    expect((await fetch(`${api.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const openapi = await fetch(`${api.url}/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('checks the token before anything else about a protected route, and says 405 with Allow', async () => {
    const { api } = await serve();
    const res = await fetch(`${api.url}/v1/rollouts/not-a-rollout`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const del = await call(api, 'DELETE', '/v1/rollouts');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('POST, GET');
    expect((await call(api, 'GET', '/v2')).status).toBe(404);
  });

  it('answers 404 for every {id} that is not a starwave rollout id, on every route, without asking Temporal (issue 15: %2Fwave-1/report)', async () => {
    const { api } = await serve();
    const bodies = new Set<string>();
    for (const id of ['starwave-rollout-x%2Fwave-1', 'starwave-leases', 'wave-1', 'starwave-rollout-a%20b']) {
      for (const [method, suffix] of [['GET', ''], ['GET', '/report'], ['POST', '/pause'], ['POST', '/skip'], ['PATCH', '/limits']] as const) {
        const res = await call(api, method, `/v1/rollouts/${id}${suffix}`, method === 'GET' ? undefined : '{}');
        expect(res.status, `${method} ${id}${suffix}`).toBe(404);
        expect(res.json).toMatchObject({ code: 'ERR_ROLLOUT_NOT_FOUND' });
        bodies.add(String(res.json!['error']).replace(/"[^"]*"/, '<id>'));
      }
    }
    expect(bodies.size).toBe(1);
  });

  it('rejects invalid UTF-8 in a spec by path and starts nothing (issue 15: it was replaced and started)', async () => {
    const { api } = await serve();
    const body = Buffer.concat([Buffer.from('{"name":"utf","description":"caf'), Buffer.from([0xe9, 0x22, 0x2c]), Buffer.from('"targets":{"selectors":[{"regions":["cn-hangzhou"]}]}}')]);
    const res = await call(api, 'POST', '/v1/rollouts', body);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'ERR_BAD_BODY', problems: [{ path: 'description' }] });
  });

  it('answers 400 by path for invalid specs and control bodies, 413 over the limit, 415 for other media types, before Temporal', async () => {
    const { api } = await serve({ maxBodyBytes: 1024 });
    const bad = await call(api, 'POST', '/v1/rollouts', JSON.stringify({ name: 'x', targets: { selectors: [] }, concurrency: { perRegion: 0 } }));
    expect(bad.status).toBe(400);
    expect(bad.json!['problems'].map((p: { path: string }) => p.path).sort()).toEqual(['concurrency.perRegion', 'targets']);
    const by = await call(api, 'POST', '/v1/rollouts/starwave-rollout-x/pause', JSON.stringify({ by: 'cli:mallory' }));
    expect(by).toMatchObject({ status: 400, json: { code: 'ERR_BAD_BODY', problems: [{ path: 'by' }] } });
    const limits = await call(api, 'PATCH', '/v1/rollouts/starwave-rollout-x/limits', JSON.stringify({ concurrency: { global: 0 } }));
    expect(limits).toMatchObject({ status: 400, json: { code: 'ERR_LIMITS_INVALID', problems: [{ path: 'concurrency.global' }] } });
    expect((await call(api, 'POST', '/v1/rollouts/starwave-rollout-x/approve')).status).toBe(400);
    expect((await call(api, 'POST', '/v1/rollouts', JSON.stringify({ description: 'x'.repeat(2000) }))).status).toBe(413);
    expect((await call(api, 'POST', '/v1/rollouts/starwave-rollout-x/cancel', 'reason=x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await call(api, 'GET', '/v1/rollouts?status=null')).json).toMatchObject({ code: 'ERR_QUERY_INVALID', problems: [{ path: 'status' }] });
    expect((await call(api, 'GET', '/v1/rollouts/starwave-rollout-x?detail=null')).json).toMatchObject({ code: 'ERR_QUERY_INVALID', problems: [{ path: 'detail' }] });
  });
});

describe('deadlines (issue 15: 556 s without a worker, 30 s "could not be reached" while Temporal was up)', () => {
  const hanging = (systemInfo: () => Promise<unknown>): Client =>
    ({
      options: { namespace: 'default' },
      withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
      workflow: { getHandle: () => ({ describe: () => new Promise(() => {}) }) },
      workflowService: { getSystemInfo: systemInfo, listWorkflowExecutions: () => new Promise(() => {}) },
    }) as unknown as Client;

  it('answers 504 "Temporal is up but …" when Temporal answers but the call does not', async () => {
    const { api } = await serve({ readTimeoutMs: 200, getClient: async () => hanging(async () => ({})) });
    const list = await call(api, 'GET', '/v1/rollouts');
    expect(list).toMatchObject({ status: 504, json: { code: 'ERR_TIMEOUT', error: expect.stringMatching(/is up but the list of rollouts got no answer within 0\.2 s/) } });
    const pause = await call(api, 'POST', '/v1/rollouts/starwave-rollout-x/pause');
    expect(pause).toMatchObject({ status: 504, json: { code: 'ERR_TIMEOUT' } });
  });

  it('answers 503 "Temporal … is not answering" when Temporal itself does not answer', async () => {
    const { api } = await serve({ readTimeoutMs: 200, temporalAddress: '127.0.0.1:7233', getClient: async () => hanging(() => new Promise(() => {})) });
    const res = await call(api, 'GET', '/v1/rollouts/starwave-rollout-x/report');
    expect(res).toMatchObject({ status: 503, json: { code: 'ERR_TEMPORAL_UNREACHABLE', error: expect.stringMatching(/Temporal at 127\.0\.0\.1:7233 is not answering/) } });
  });

  it('answers 503 when connecting to Temporal takes longer than the read deadline', async () => {
    const { api } = await serve({ readTimeoutMs: 200, getClient: () => new Promise(() => {}) });
    expect(await call(api, 'GET', '/v1/rollouts')).toMatchObject({ status: 503, json: { code: 'ERR_TEMPORAL_UNREACHABLE', error: expect.stringMatching(/could not be reached/) } });
  });
});
