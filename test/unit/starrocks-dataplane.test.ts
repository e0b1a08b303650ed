/**
 * The data-plane probes (spec §11): FE /api/health, FE /api/bootstrap, BE /api/health. Shapes and
 * failure kinds over a MockAgent; real sockets for a bare loopback IP, a host name, keep-alive, a
 * server that never answers and a closed port; and the token and the Basic password never showing
 * up in any error or answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { inspect } from 'node:util';
import { MockAgent, errors as undiciErrors } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { DataPlaneClient, DataPlaneError, originOf, redactedUrl, type DataPlaneClientOptions } from '../../src/starrocks/dataplane';
import { StarRocksInputError } from '../../src/starrocks/errors';

const FE = 'fe-c-b25e21e24388abcd-internal.starrocks.aliyuncs.com';
const FE_ORIGIN = `http://${FE}:8030`;
const BE = '127.1.0.5';
const BE_ORIGIN = `http://${BE}:8040`;
const TOKEN = 'cluster-token-7d1f0e3c/+=&x';
const USER = 'probe';
const PASSWORD = 'probe-password-93c1a7';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

const agents: MockAgent[] = [];
const clients: DataPlaneClient[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
}

function mocked(opts: Omit<DataPlaneClientOptions, 'dispatcher'> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const client = new DataPlaneClient({ ...opts, dispatcher: agent });
  clients.push(client);
  const seen: Seen[] = [];
  const reply = (origin: string, status: number, body: unknown, path: (p: string) => boolean = () => true) => {
    agent
      .get(origin)
      .intercept({ path, method: 'GET' })
      .reply(status, (o) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries((o.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = String(v);
        seen.push({ method: o.method, path: o.path, headers });
        return typeof body === 'string' ? body : JSON.stringify(body);
      });
  };
  const fail = (origin: string, err: Error) => agent.get(origin).intercept({ path: () => true, method: 'GET' }).replyWithError(err);
  return { client, reply, fail, seen };
}

async function probeError(p: Promise<unknown>): Promise<DataPlaneError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataPlaneError);
  const e = err as DataPlaneError;
  expect(e.code).toBe('ERR_DATAPLANE_UNREACHABLE');
  expectNoSecrets(e);
  return e;
}

/** Every printable form of a value, none holding the token (raw or encoded) or the password (raw or in its header). */
function expectNoSecrets(value: unknown): void {
  const e = value as Error;
  const forms = [String(value), JSON.stringify(value), inspect(value, { depth: 10, showHidden: true }), e?.message ?? '', e?.stack ?? ''];
  for (const form of forms) {
    for (const secret of [TOKEN, encodeURIComponent(TOKEN), PASSWORD, BASIC]) expect(form).not.toContain(secret);
  }
}

function code(c: string, message = `connect ${c}`): Error {
  return Object.assign(new Error(message), { code: c });
}

describe('FE /api/health', () => {
  it('parses an OK answer; GET with no authorization header unless auth is configured', async () => {
    const { client, reply, seen } = mocked();
    reply(FE_ORIGIN, 200, { total_backend_num: 3, online_backend_num: 3, status: 'OK' });
    await expect(client.feHealth(FE, 8030)).resolves.toEqual({ ready: true, httpStatus: 200, status: 'OK', totalBackendNum: 3, onlineBackendNum: 3 });
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/api/health' });
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('sends HTTP Basic auth when configured', async () => {
    const { client, reply, seen } = mocked({ auth: { user: USER, password: PASSWORD } });
    reply(FE_ORIGIN, 200, { total_backend_num: 1, online_backend_num: 0, status: 'OK' });
    await client.feHealth(FE, 8030);
    expect(seen[0]!.headers.authorization).toBe(`Basic ${BASIC}`);
  });

  it('HTTP 500 (graceful exit) is a normal not-ready answer, with or without a JSON body', async () => {
    const { client, reply } = mocked();
    reply(FE_ORIGIN, 500, { status: 'FAILED', msg: 'fe is shutting down' });
    await expect(client.feHealth(FE, 8030)).resolves.toEqual({ ready: false, httpStatus: 500, status: 'FAILED', msg: 'fe is shutting down' });
    reply(FE_ORIGIN, 500, '<html>Internal Server Error</html>');
    await expect(client.feHealth(FE, 8030)).resolves.toEqual({ ready: false, httpStatus: 500, status: 'UNAVAILABLE' });
  });

  it('status other than OK is not ready; a 200 that is not the documented JSON is malformed', async () => {
    const { client, reply } = mocked();
    reply(FE_ORIGIN, 200, { total_backend_num: 3, online_backend_num: 1, status: 'FAILED', msg: 'backends down' });
    await expect(client.feHealth(FE, 8030)).resolves.toMatchObject({ ready: false, status: 'FAILED', msg: 'backends down' });
    for (const bad of ['OK', { status: 'OK' }, { total_backend_num: '3', online_backend_num: 3, status: 'OK' }]) {
      reply(FE_ORIGIN, 200, bad);
      const e = await probeError(client.feHealth(FE, 8030));
      expect(e).toMatchObject({ kind: 'malformed', probe: 'fe-health', component: 'FE', httpStatus: 200 });
    }
  });

  it('a body far larger than a health answer is malformed, not read to the end', async () => {
    const { client, reply } = mocked();
    reply(FE_ORIGIN, 200, 'x'.repeat(200 * 1024));
    expect(await probeError(client.feHealth(FE, 8030))).toMatchObject({ kind: 'malformed' });
  });
});

describe('FE /api/bootstrap', () => {
  it('not ready until the FE says OK; without a token no start time', async () => {
    const { client, reply, seen } = mocked();
    reply(FE_ORIGIN, 200, { status: 'FAILED', msg: 'not ready' });
    await expect(client.feBootstrap(FE, 8030)).resolves.toEqual({ ready: false, httpStatus: 200, status: 'FAILED', msg: 'not ready', tokenRejected: false });
    // gson writes the zero defaults when no token was given.
    reply(FE_ORIGIN, 200, { status: 'OK', msg: 'Success', replayedJournalId: 0, queryPort: 0, rpcPort: 0, feStartTime: 0 });
    await expect(client.feBootstrap(FE, 8030)).resolves.toEqual({ ready: true, httpStatus: 200, status: 'OK', msg: 'Success', tokenRejected: false });
    expect(seen.map((s) => s.path)).toEqual(['/api/bootstrap', '/api/bootstrap']);
  });

  it('with the token (URL-encoded in the query): start time, version, journal, ports, heap', async () => {
    const { client, reply, seen } = mocked();
    reply(FE_ORIGIN, 200, {
      status: 'OK',
      msg: 'Success',
      replayedJournalId: 123456,
      queryPort: 9030,
      rpcPort: 9020,
      feStartTime: 1764547200000,
      feVersion: '3.3.5-a1b2c3d',
      heapUsedPercent: 37.5,
    });
    const b = await client.feBootstrap(FE, 8030, { token: TOKEN });
    expect(seen[0]!.path).toBe(`/api/bootstrap?token=${encodeURIComponent(TOKEN)}`);
    expect(b).toEqual({
      ready: true,
      httpStatus: 200,
      status: 'OK',
      msg: 'Success',
      tokenRejected: false,
      feStartTimeMs: 1764547200000,
      feVersion: '3.3.5-a1b2c3d',
      replayedJournalId: 123456,
      queryPort: 9030,
      rpcPort: 9020,
      heapUsedPercent: 37.5,
    });
    expectNoSecrets(b);
  });

  it('a wrong token: the FE is ready but rejected it', async () => {
    const { client, reply } = mocked();
    reply(FE_ORIGIN, 200, { status: 'FAILED', msg: 'invalid parameter', feStartTime: 0 });
    const b = await client.feBootstrap(FE, 8030, { token: TOKEN });
    expect(b).toEqual({ ready: true, httpStatus: 200, status: 'FAILED', msg: 'invalid parameter', tokenRejected: true });
  });

  it('a 5xx is not ready, not an error', async () => {
    const { client, reply } = mocked();
    reply(FE_ORIGIN, 503, 'starting');
    await expect(client.feBootstrap(FE, 8030, { token: TOKEN })).resolves.toEqual({ ready: false, httpStatus: 503, status: 'UNAVAILABLE', msg: '', tokenRejected: false });
  });
});

describe('BE /api/health', () => {
  it('parses {"status":"OK","msg":"To Be Added"} from a bare IP endpoint', async () => {
    const { client, reply, seen } = mocked();
    reply(BE_ORIGIN, 200, { status: 'OK', msg: 'To Be Added' });
    await expect(client.beHealth(BE, 8040)).resolves.toEqual({ ready: true, httpStatus: 200, status: 'OK', msg: 'To Be Added' });
    expect(seen[0]!.path).toBe('/api/health');
    reply(BE_ORIGIN, 500, { status: 'FAILED', msg: 'exiting' });
    await expect(client.beHealth(BE, 8040)).resolves.toEqual({ ready: false, httpStatus: 500, status: 'FAILED', msg: 'exiting' });
  });
});

describe('failures are DataPlaneErrors with a stable code and one sentence', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['EHOSTUNREACH', 'no route to the host'],
    ['ENOTFOUND', 'the host name does not resolve'],
    ['EAI_AGAIN', 'the host name could not be resolved now'],
  ])('%s: cannot be reached, and the sentence names the usual cause (the VPC)', async (c, words) => {
    const { client, fail } = mocked();
    fail(FE_ORIGIN, code(c));
    const e = await probeError(client.feHealth(FE, 8030));
    expect(e).toMatchObject({ kind: 'unreachable', networkCode: c, probe: 'fe-health', url: `${FE_ORIGIN}/api/health` });
    expect(e.message).toBe(
      `FE endpoint ${FE}:8030 (${FE_ORIGIN}/api/health) could not be reached (${words}): the FE endpoint is reachable only from the instance's VPC, so run the worker there or turn the health gate off.`,
    );
  });

  it('connect timeout names the timeout', async () => {
    const { client, fail } = mocked({ connectTimeoutMs: 1_500 });
    fail(BE_ORIGIN, new undiciErrors.ConnectTimeoutError());
    const e = await probeError(client.beHealth(BE, 8040));
    expect(e).toMatchObject({ kind: 'unreachable', component: 'BE' });
    expect(e.message).toMatch(/^BE endpoint 127\.1\.0\.5:8040 .* could not be reached \(no connection within 1500 ms\): the BE endpoint is reachable only from the instance's VPC/);
  });

  it('headers timeout: connected but no answer', async () => {
    const { client, fail } = mocked();
    fail(FE_ORIGIN, new undiciErrors.HeadersTimeoutError());
    const e = await probeError(client.feHealth(FE, 8030));
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/accepted the connection but did not answer within 3000 ms/);
  });

  it('401/403: auth, naming the settings to set or saying they were rejected', async () => {
    const without = mocked();
    without.reply(FE_ORIGIN, 401, '');
    const e1 = await probeError(without.client.feHealth(FE, 8030));
    expect(e1).toMatchObject({ kind: 'auth', httpStatus: 401 });
    expect(e1.message).toMatch(/requires HTTP Basic auth \(enable_http_auth\): set STARWAVE_PROBE_USER and STARWAVE_PROBE_PASSWORD\.$/);
    const withAuth = mocked({ auth: { user: USER, password: PASSWORD } });
    withAuth.reply(FE_ORIGIN, 403, 'denied');
    const e2 = await probeError(withAuth.client.feHealth(FE, 8030));
    expect(e2).toMatchObject({ kind: 'auth', httpStatus: 403 });
    expect(e2.message).toMatch(/was rejected\.$/);
  });

  it('another status (404 on a version without the endpoint) is http_status', async () => {
    const { client, reply } = mocked();
    reply(FE_ORIGIN, 404, 'not found');
    expect(await probeError(client.feBootstrap(FE, 8030))).toMatchObject({ kind: 'http_status', httpStatus: 404, probe: 'fe-bootstrap' });
  });

  it('an aborted signal: nothing is sent', async () => {
    const { client, reply, seen } = mocked();
    reply(FE_ORIGIN, 200, { total_backend_num: 1, online_backend_num: 1, status: 'OK' });
    const ac = new AbortController();
    ac.abort();
    expect(await probeError(client.feHealth(FE, 8030, { signal: ac.signal }))).toMatchObject({ kind: 'aborted' });
    expect(seen).toEqual([]);
  });
});

describe('the token and the Basic password never appear in errors or answers', () => {
  const opts = { auth: { user: USER, password: PASSWORD } };
  const path = (p: string) => p.startsWith('/api/bootstrap');

  it.each([
    ['401', (m: ReturnType<typeof mocked>) => m.reply(FE_ORIGIN, 401, `bad credentials for ${PASSWORD}`, path)],
    ['404', (m: ReturnType<typeof mocked>) => m.reply(FE_ORIGIN, 404, `no route /api/bootstrap?token=${TOKEN}`, path)],
    ['malformed', (m: ReturnType<typeof mocked>) => m.reply(FE_ORIGIN, 200, `token=${TOKEN}`, path)],
    // undici and proxies may echo the request: the URL with the token, the authorization header.
    ['refused', (m: ReturnType<typeof mocked>) => m.fail(FE_ORIGIN, code('ECONNREFUSED', `connect ECONNREFUSED for /api/bootstrap?token=${encodeURIComponent(TOKEN)} Basic ${BASIC}`))],
    ['socket error', (m: ReturnType<typeof mocked>) => m.fail(FE_ORIGIN, new Error(`socket hang up GET /api/bootstrap?token=${TOKEN} authorization: Basic ${BASIC} ${PASSWORD}`))],
  ])('%s', async (_name, arrange) => {
    const m = mocked(opts);
    arrange(m);
    const e = await probeError(m.client.feBootstrap(FE, 8030, { token: TOKEN }));
    expect(e.url).toBe(`${FE_ORIGIN}/api/bootstrap?token=[REDACTED]`);
    expect(e.message).toContain('?token=[REDACTED]');
  });

  it('an answer that echoes them has them redacted', async () => {
    const m = mocked(opts);
    m.reply(FE_ORIGIN, 500, { status: 'FAILED', msg: `token ${TOKEN} user ${USER}:${PASSWORD}` }, path);
    const b = await m.client.feBootstrap(FE, 8030, { token: TOKEN });
    expect(b.msg).toContain('[REDACTED]');
    expectNoSecrets(b);
  });

  it('redactedUrl is the only form of a probe URL the module prints', () => {
    expect(redactedUrl({ endpoint: BE, port: 8030, path: '/api/bootstrap', token: TOKEN })).toBe('http://127.1.0.5:8030/api/bootstrap?token=[REDACTED]');
    expect(redactedUrl({ endpoint: '::1', port: 8030, path: '/api/health' })).toBe('http://[::1]:8030/api/health');
  });
});

describe('endpoints', () => {
  it('host names, IPv4 and IPv6 become plain-http origins', () => {
    expect(originOf(FE, 8030)).toBe(FE_ORIGIN);
    expect(originOf('127.1.0.5', 8040)).toBe('http://127.1.0.5:8040');
    expect(originOf('localhost', 8030)).toBe('http://localhost:8030');
    expect(originOf('::1', 8030)).toBe('http://[::1]:8030');
  });

  it.each([
    ['', 8030, 'endpoint'],
    ['http://fe:8030', 8030, 'endpoint'],
    ['fe:8030', 8030, 'endpoint'],
    ['fe/api', 8030, 'endpoint'],
    ['user@fe', 8030, 'endpoint'],
    ['fe host', 8030, 'endpoint'],
    [FE, 0, 'port'],
    [FE, 70_000, 'port'],
    [FE, 80.5, 'port'],
  ] as Array<[string, number, string]>)('rejects %j port %j before sending', async (endpoint, port, field) => {
    const { client, seen } = mocked();
    const err = await client.feHealth(endpoint, port).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StarRocksInputError);
    expect((err as StarRocksInputError).field).toBe(field);
    expect(seen).toEqual([]);
  });

  it('rejects a bad auth user and bad timeouts at construction', () => {
    expect(() => new DataPlaneClient({ auth: { user: 'a:b', password: 'x' } })).toThrow(StarRocksInputError);
    expect(() => new DataPlaneClient({ headersTimeoutMs: 0 })).toThrow(StarRocksInputError);
  });
});

// ------------------------------------------------------------------------------------------------
// Real sockets

async function listen(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const server = createServer(handler);
  const sockets: Socket[] = [];
  server.on('connection', (s) => sockets.push(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** A StarRocks FE+BE data plane with exactly the §11 shapes. */
function starRocksHandler(seen: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
    res.setHeader('content-type', 'application/json');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/health' && req.headers['x-role'] === 'be') return res.end(JSON.stringify({ status: 'OK', msg: 'To Be Added' }));
    if (url.pathname === '/api/health') return res.end(JSON.stringify({ total_backend_num: 3, online_backend_num: 2, status: 'OK' }));
    if (url.pathname === '/api/bootstrap') {
      const token = url.searchParams.get('token');
      if (token === null) return res.end(JSON.stringify({ status: 'OK', msg: 'Success' }));
      if (token !== TOKEN) return res.end(JSON.stringify({ status: 'FAILED', msg: 'invalid parameter' }));
      return res.end(JSON.stringify({ status: 'OK', msg: 'Success', feStartTime: 1764547200000, feVersion: '3.3.5-abc', queryPort: 9030, rpcPort: 9020 }));
    }
    res.statusCode = 404;
    res.end('{}');
  };
}

describe('over real sockets', () => {
  it('a distinct loopback IPv4 (as the emulator gives each instance): all three probes, Basic auth, one kept-alive connection', async () => {
    const seen: string[] = [];
    const { port, sockets } = await listen('127.1.0.5', starRocksHandler(seen));
    // One connection per origin, so a second socket could only come from not keeping the first alive.
    const client = new DataPlaneClient({ auth: { user: USER, password: PASSWORD }, connectionsPerOrigin: 1 });
    clients.push(client);
    await expect(client.feHealth('127.1.0.5', port)).resolves.toMatchObject({ ready: true, totalBackendNum: 3, onlineBackendNum: 2 });
    await expect(client.feBootstrap('127.1.0.5', port, { token: TOKEN })).resolves.toMatchObject({ ready: true, feStartTimeMs: 1764547200000, feVersion: '3.3.5-abc' });
    await expect(client.feBootstrap('127.1.0.5', port, { token: 'wrong-token-0000' })).resolves.toMatchObject({ ready: true, tokenRejected: true });
    expect(seen[0]).toBe(`GET /api/health Basic ${BASIC}`);
    expect(seen[1]).toBe(`GET /api/bootstrap?token=${encodeURIComponent(TOKEN)} Basic ${BASIC}`);
    // Sequential probes reuse the pool's keep-alive connection.
    expect(sockets).toHaveLength(1);
  });

  it('a host name (localhost)', async () => {
    const seen: string[] = [];
    const { port } = await listen('127.0.0.1', starRocksHandler(seen));
    const client = new DataPlaneClient();
    clients.push(client);
    await expect(client.feBootstrap('localhost', port)).resolves.toMatchObject({ ready: true, status: 'OK' });
    expect(seen).toEqual(['GET /api/bootstrap -']);
  });

  it('a server that never answers: a timeout error within headersTimeoutMs, no secrets', async () => {
    let requests = 0;
    const { port } = await listen('127.0.0.1', () => {
      requests++; // never respond
    });
    const client = new DataPlaneClient({ headersTimeoutMs: 200, auth: { user: USER, password: PASSWORD } });
    clients.push(client);
    const e = await probeError(client.feBootstrap('127.0.0.1', port, { token: TOKEN }));
    expect(e).toMatchObject({ kind: 'timeout', networkCode: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(e.message).toBe(
      `FE endpoint 127.0.0.1:${port} (http://127.0.0.1:${port}/api/bootstrap?token=[REDACTED]) accepted the connection but did not answer within 200 ms (the FE may be overloaded or hung).`,
    );
    expect(requests).toBe(1);
  });

  it('a closed port: unreachable, with the VPC hint', async () => {
    const { server, port } = await listen('127.1.0.6', () => undefined);
    servers.splice(servers.indexOf(server), 1);
    await new Promise<void>((r) => server.close(() => r()));
    const client = new DataPlaneClient();
    clients.push(client);
    const e = await probeError(client.beHealth('127.1.0.6', port));
    expect(e).toMatchObject({ kind: 'unreachable', networkCode: 'ECONNREFUSED', component: 'BE' });
    expect(e.message).toMatch(/could not be reached \(connection refused\): the BE endpoint is reachable only from the instance's VPC, so run the worker there or turn the health gate off\.$/);
  });

  it('keeps at most maxOrigins pools: the least recently used one is closed', async () => {
    const a = await listen('127.1.0.7', starRocksHandler([]));
    const b = await listen('127.1.0.8', starRocksHandler([]));
    const client = new DataPlaneClient({ maxOrigins: 1 });
    clients.push(client);
    await client.feHealth('127.1.0.7', a.port);
    const closed = new Promise<void>((r) => a.sockets[0]!.once('close', () => r()));
    await client.feHealth('127.1.0.8', b.port);
    // The first origin's pool is closed, so its idle keep-alive connection goes away.
    await closed;
    expect(a.sockets[0]!.destroyed).toBe(true);
    expect(b.sockets[0]!.destroyed).toBe(false);
  });
});
