/**
 * Safe sends: the gate after the rate limiter and the credential lookup, right before the request
 * is written. A call whose signal was aborted or whose deadline passed is never sent
 * (StarRocksNotSentError, outcome known); beforeSend runs exactly once, before the dispatcher sees
 * the request; an abort after the hand-over is an unknown outcome.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAgent, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { StarRocksClient, type CallOptions } from '../../src/starrocks/client';
import { staticCredentials, type Credentials } from '../../src/starrocks/credentials';
import { StarRocksApiError, StarRocksInputError, StarRocksNotSentError } from '../../src/starrocks/errors';
import { TokenBucket, type RateLimiter } from '../../src/starrocks/rate-limit';

const AK: Credentials = { accessKeyId: 'LTAI5tFAKEAccessKeyId000', accessKeySecret: 'FAKEAccessKeySecretDoNotUse00' };
const ORIGIN = 'https://starrocks.cn-hangzhou.aliyuncs.com';
const NOW = Date.UTC(2025, 0, 15, 8, 30, 0);
const ID = 'c-b25e21e24388abcd';
const NG = 'ng-0123456789abcdef';

const agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

const ok = (extra: Record<string, unknown>) => ({ RequestId: 'REQ-OK', Success: true, ErrCode: 'Success', ...extra });

/** A client on a MockAgent whose dispatcher records, in `events`, each request it receives. */
function setup(opts: { rateLimiter?: RateLimiter; now?: () => number } = {}) {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  agents.push(agent);
  const events: string[] = [];
  const dispatcher: Dispatcher = agent.compose((dispatch) => (o, handler) => {
    events.push(`dispatch ${new URL(o.path, ORIGIN).pathname}`);
    return dispatch(o, handler);
  });
  const client = new StarRocksClient({
    region: 'cn-hangzhou',
    credentials: staticCredentials(AK),
    dispatcher,
    now: opts.now ?? (() => NOW),
    ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
  });
  const pool = agent.get(ORIGIN);
  const answerEverything = () => {
    pool
      .intercept({ path: () => true, method: 'POST' })
      .reply(200, (o) => {
        const path = new URL(o.path, ORIGIN).pathname;
        const data = path.includes('restart') ? true : [];
        return JSON.stringify(ok({ Data: data, Total: 0 }));
      })
      .persist();
  };
  const calls = () => agent.getCallHistory()?.calls().length ?? 0;
  return { client, pool, events, calls, answerEverything };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}

describe('the gate before the request is written', () => {
  it('a rate limiter that releases after the deadline: nothing sent, StarRocksNotSentError, beforeSend not called', async () => {
    let clock = NOW;
    const deadline = NOW + 1_000;
    // The wait itself moves the clock past the deadline, as a long queue for tokens would.
    const slowLimiter: RateLimiter = { acquire: async () => void (clock = deadline + 5_000) };
    const { client, calls, events, answerEverything } = setup({ rateLimiter: slowLimiter, now: () => clock });
    answerEverything();
    let before = 0;
    const err = await rejection(client.restartInstance({ instanceId: ID }, { notAfterMs: deadline, beforeSend: () => before++ }));
    expect(err).toBeInstanceOf(StarRocksNotSentError);
    expect(err).toMatchObject({
      code: 'ERR_STARROCKS_NOT_SENT',
      reason: 'deadline',
      outcomeUnknown: false,
      action: 'RestartInstance',
      region: 'cn-hangzhou',
      notAfterMs: deadline,
      nowMs: deadline + 5_000,
    });
    expect((err as Error).message).toBe(
      'StarRocks RestartInstance in region cn-hangzhou was not sent: its deadline 2025-01-15T08:30:01.000Z had passed (client clock 2025-01-15T08:30:06.000Z) before the request could be written; nothing reached the service.',
    );
    expect(err).not.toBeInstanceOf(StarRocksApiError);
    expect(before).toBe(0);
    expect(calls()).toBe(0);
    expect(events).toEqual([]);
  });

  it('a credential lookup that ends after the deadline: nothing sent', async () => {
    let clock = NOW;
    const agent = new MockAgent({ enableCallHistory: true });
    agent.disableNetConnect();
    agents.push(agent);
    const client = new StarRocksClient({
      region: 'cn-hangzhou',
      credentials: { getCredentials: async () => ((clock = NOW + 60_000), AK) },
      dispatcher: agent,
      now: () => clock,
    });
    const err = await rejection(client.describeInstance(ID, { notAfterMs: NOW + 1 }));
    expect(err).toMatchObject({ code: 'ERR_STARROCKS_NOT_SENT', reason: 'deadline' });
    expect(agent.getCallHistory()?.calls().length ?? 0).toBe(0);
  });

  it('a deadline still ahead lets the call through; the deadline is on the client clock, not Date.now', async () => {
    // NOW is in 2025: a deadline an hour after it is long past on the real clock.
    const { client, calls, answerEverything } = setup();
    answerEverything();
    await expect(client.restartInstance({ instanceId: ID }, { notAfterMs: NOW + 3_600_000 })).resolves.toEqual({ requestId: 'REQ-OK' });
    // Exactly at the deadline is not past it.
    await expect(client.restartInstance({ instanceId: ID }, { notAfterMs: NOW })).resolves.toEqual({ requestId: 'REQ-OK' });
    await expect(rejection(client.restartInstance({ instanceId: ID }, { notAfterMs: NOW - 1 }))).resolves.toMatchObject({ reason: 'deadline' });
    expect(calls()).toBe(2);
  });

  it('an already aborted signal: nothing sent, the reason is named', async () => {
    const { client, calls, events, answerEverything } = setup();
    answerEverything();
    const ac = new AbortController();
    ac.abort(new Error('activity cancelled'));
    let before = 0;
    const err = await rejection(client.restartInstance({ instanceId: ID }, { signal: ac.signal, beforeSend: () => before++ }));
    expect(err).toBeInstanceOf(StarRocksNotSentError);
    expect(err).toMatchObject({ code: 'ERR_STARROCKS_NOT_SENT', reason: 'aborted', outcomeUnknown: false, retryable: false });
    expect((err as Error).message).toBe(
      'StarRocks RestartInstance in region cn-hangzhou was not sent: the caller aborted it (Error: activity cancelled) before the request was written; nothing reached the service.',
    );
    expect(before).toBe(0);
    expect(calls()).toBe(0);
    expect(events).toEqual([]);
  });

  it('an abort while waiting for a token gives the wait up at once: nothing sent', async () => {
    // 1 request per 1,000 s with a burst of 1: the second call would wait for ~17 minutes.
    const bucket = new TokenBucket(0.001);
    const { client, calls, answerEverything } = setup({ rateLimiter: bucket });
    answerEverything();
    await client.describeInstance(ID);
    const ac = new AbortController();
    const waiting = client.restartInstance({ instanceId: ID }, { signal: ac.signal });
    ac.abort();
    const err = await rejection(waiting);
    expect(err).toMatchObject({ code: 'ERR_STARROCKS_NOT_SENT', reason: 'aborted' });
    expect(calls()).toBe(1);
  });

  it('an abort during the credential lookup: nothing sent', async () => {
    const ac = new AbortController();
    const agent = new MockAgent({ enableCallHistory: true });
    agent.disableNetConnect();
    agents.push(agent);
    const client = new StarRocksClient({
      region: 'cn-hangzhou',
      credentials: { getCredentials: async () => (ac.abort(), AK) },
      dispatcher: agent,
      now: () => NOW,
    });
    const err = await rejection(client.restartInstance({ instanceId: ID }, { signal: ac.signal }));
    expect(err).toMatchObject({ code: 'ERR_STARROCKS_NOT_SENT', reason: 'aborted' });
    expect(agent.getCallHistory()?.calls().length ?? 0).toBe(0);
  });
});

describe('beforeSend', () => {
  it('is called exactly once, synchronously, before the request reaches the dispatcher', async () => {
    const { client, events, answerEverything } = setup();
    answerEverything();
    let before = 0;
    const pending = client.restartInstance(
      { instanceId: ID },
      {
        beforeSend: () => {
          before++;
          events.push('beforeSend');
        },
      },
    );
    await expect(pending).resolves.toEqual({ requestId: 'REQ-OK' });
    expect(before).toBe(1);
    expect(events).toEqual(['beforeSend', 'dispatch /webapi/starrocks/restartCluster']);
  });

  it('runs once per request of a paged listing', async () => {
    const { client, pool, events } = setup();
    const ids = Array.from({ length: 5 }, (_, i) => `c-${i.toString(16).padStart(16, '0')}`);
    pool
      .intercept({ path: (p: string) => p.startsWith('/webapi/starrocks/describeInstances'), method: 'POST' })
      .reply(200, (o) => {
        const url = new URL(o.path, ORIGIN);
        const page = Number(url.searchParams.get('PageNumber'));
        const slice = ids.slice((page - 1) * 2, page * 2);
        return JSON.stringify(ok({ Total: ids.length, Data: slice.map((id) => ({ InstanceId: id, InstanceStatus: 'running' })) }));
      })
      .persist();
    const res = await client.describeAllInstances({}, { pageSize: 2, beforeSend: () => events.push('beforeSend') });
    expect(res.pages).toBe(3);
    expect(events).toEqual([
      'beforeSend',
      'dispatch /webapi/starrocks/describeInstances',
      'beforeSend',
      'dispatch /webapi/starrocks/describeInstances',
      'beforeSend',
      'dispatch /webapi/starrocks/describeInstances',
    ]);
  });

  it('that throws: nothing is sent and its error propagates unchanged', async () => {
    const { client, calls, answerEverything } = setup();
    answerEverything();
    const boom = new Error('could not record the attempt');
    await expect(client.restartInstance({ instanceId: ID }, { beforeSend: () => { throw boom; } })).rejects.toBe(boom);
    expect(calls()).toBe(0);
  });
});

describe('every operation takes the same call options', () => {
  const operations: Array<[string, (c: StarRocksClient, o: CallOptions) => Promise<unknown>]> = [
    ['restartInstance', (c, o) => c.restartInstance({ instanceId: ID }, o)],
    ['restartNodeGroup', (c, o) => c.restartNodeGroup({ instanceId: ID, nodeGroupId: NG }, o)],
    ['describeInstances', (c, o) => c.describeInstances({}, o)],
    ['describeAllInstances', (c, o) => c.describeAllInstances({}, o)],
    ['describeInstance', (c, o) => c.describeInstance(ID, o)],
    ['listOperationHistory', (c, o) => c.listOperationHistory({ instanceId: ID }, o)],
    ['describeNodeGroups', (c, o) => c.describeNodeGroups({ clusterId: ID }, o)],
    ['listOperationActivity', (c, o) => c.listOperationActivity({ instanceId: ID, operationId: 'op-f49743caa809abcd' }, o)],
    ['listRestartHistory', (c, o) => c.listRestartHistory({ instanceId: ID, sinceMs: 0 }, o)],
    ['describeAllNodeGroups', (c, o) => c.describeAllNodeGroups({ instanceId: ID }, o)],
  ];

  it.each(operations)('%s: an aborted signal sends nothing; a deadline ahead sends once with beforeSend', async (_name, call) => {
    const { client, calls, events, answerEverything } = setup();
    answerEverything();
    const ac = new AbortController();
    ac.abort();
    await expect(rejection(call(client, { signal: ac.signal }))).resolves.toBeInstanceOf(StarRocksNotSentError);
    await expect(rejection(call(client, { notAfterMs: NOW - 1 }))).resolves.toBeInstanceOf(StarRocksNotSentError);
    expect(calls()).toBe(0);
    await call(client, { notAfterMs: NOW + 1, beforeSend: () => events.push('beforeSend'), signal: new AbortController().signal });
    expect(calls()).toBe(1);
    expect(events[0]).toBe('beforeSend');
    expect(events).toHaveLength(2);
  });

  it.each([
    ['notAfterMs', { notAfterMs: Number.NaN }],
    ['notAfterMs', { notAfterMs: '2025-01-01' as unknown as number }],
    ['signal', { signal: { aborted: 'no' } as unknown as AbortSignal }],
    ['beforeSend', { beforeSend: 'log it' as unknown as () => void }],
  ] as Array<[string, CallOptions]>)('a bad %s is an input error before anything is sent', async (field, options) => {
    const { client, calls, answerEverything } = setup();
    answerEverything();
    const err = await rejection(client.restartInstance({ instanceId: ID }, options));
    expect(err).toBeInstanceOf(StarRocksInputError);
    expect((err as StarRocksInputError).field).toBe(field);
    expect(calls()).toBe(0);
  });
});

describe('an abort after the request was handed over', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('is a transient error with an unknown outcome (the service may have it), like a timeout', async () => {
    const ac = new AbortController();
    let seen = 0;
    // The server receives the request and never answers; the caller aborts once it arrived.
    server = createServer(() => {
      seen++;
      ac.abort(new Error('activity cancelled'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const client = new StarRocksClient({
      region: 'cn-hangzhou',
      credentials: staticCredentials(AK),
      endpointOverrides: { 'cn-hangzhou': `http://127.0.0.1:${port}` },
    });
    try {
      let before = 0;
      const err = await rejection(client.restartInstance({ instanceId: ID }, { signal: ac.signal, beforeSend: () => before++ }));
      expect(err).toBeInstanceOf(StarRocksApiError);
      expect(err).toMatchObject({ errorClass: 'transient', outcomeUnknown: true, retryable: true });
      expect((err as Error).message).toMatch(/aborted the call after the request was handed to the connection/);
      expect((err as Error).message).not.toContain(AK.accessKeySecret);
      expect(seen).toBe(1);
      expect(before).toBe(1);
    } finally {
      await client.close();
    }
  });
});
