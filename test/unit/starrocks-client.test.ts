import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAgent, errors as undiciErrors, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { StarRocksClient, StarRocksClients } from '../../src/starrocks/client';
import { staticCredentials, type CredentialSource, type Credentials } from '../../src/starrocks/credentials';
import { StarRocksApiError, StarRocksInputError } from '../../src/starrocks/errors';
import { EMPTY_BODY_SHA256, authorization, sha256Hex } from '../../src/starrocks/signer';

// Fake keys and pinned date/nonce from the spec's test vectors (§6.1).
const AK: Credentials = { accessKeyId: 'LTAI5tFAKEAccessKeyId000', accessKeySecret: 'FAKEAccessKeySecretDoNotUse00' };
const STS: Credentials = { ...AK, securityToken: 'FAKE.STS.TOKEN/abc+def==' };
const ORIGIN = 'https://starrocks.cn-hangzhou.aliyuncs.com';
const NOW = Date.UTC(2025, 0, 15, 8, 30, 0);
const NONCE = '3f1c2a9e8b7d4c6fa0e1d2c3b4a59687';
const ID = 'c-b25e21e24388abcd';

interface Captured {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function setup(credentials: Credentials | CredentialSource = AK) {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  agents.push(agent);
  const client = new StarRocksClient({
    region: 'cn-hangzhou',
    credentials: 'getCredentials' in credentials ? credentials : staticCredentials(credentials),
    dispatcher: agent,
    now: () => NOW,
    nonce: () => NONCE,
    userAgent: 'starwave-test',
  });
  const pool = agent.get(ORIGIN);
  const captured: Captured[] = [];
  /** Answers the next request to `pathPrefix` with `status`/`data`, recording what was sent. */
  const reply = (
    pathPrefix: string,
    status: number,
    data: unknown,
    headers: Record<string, string> = {},
  ) => {
    pool
      .intercept({ path: (p: string) => p.startsWith(pathPrefix), method: 'POST' })
      .reply(
        status,
        (opts) => {
          captured.push(capture(opts));
          return typeof data === 'string' ? data : JSON.stringify(data);
        },
        { headers: { 'content-type': 'application/json;charset=utf-8', ...headers } },
      );
  };
  const calls = () => agent.getCallHistory()?.calls().length ?? 0;
  return { agent, client, pool, reply, captured, calls };
}

function capture(opts: { path: string; method: string; headers?: unknown; body?: unknown }): Captured {
  const headers: Record<string, string> = {};
  const raw = opts.headers;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) headers[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
  }
  const body = typeof opts.body === 'string' ? opts.body : opts.body == null ? undefined : Buffer.from(opts.body as Uint8Array).toString();
  return { path: opts.path, method: opts.method, headers, body };
}

/** Re-derives the authorization header from what was actually sent, using the signer. */
function expectedAuthorization(c: Captured, creds: Credentials = AK): string {
  const url = new URL(c.path, ORIGIN);
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const headers = { ...c.headers };
  delete headers.authorization;
  return authorization(
    { method: c.method, pathname: url.pathname, query, headers, payloadHash: c.body ? sha256Hex(c.body) : EMPTY_BODY_SHA256 },
    creds,
  );
}

const ok = (extra: Record<string, unknown>) => ({
  RequestId: 'REQ-OK',
  Success: true,
  ErrCode: 'Success',
  ErrMessage: 'null',
  HttpStatusCode: 200,
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<StarRocksApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StarRocksApiError);
    const e = err as StarRocksApiError;
    // Never leak credentials, whatever the server echoed.
    for (const text of [e.message, String(e.stack), JSON.stringify(e), e.apiMessage ?? '', e.apiCode ?? '']) {
      expect(text).not.toContain(AK.accessKeySecret);
      expect(text).not.toContain(STS.securityToken);
    }
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('request shape and signature', () => {
  it('RestartInstance: spec vector V1 byte for byte', async () => {
    const { client, reply, captured } = setup();
    reply('/webapi/starrocks/restartCluster', 200, ok({ Data: true, AccessDeniedDetail: '' }));
    await expect(client.restartInstance({ instanceId: ID })).resolves.toEqual({ requestId: 'REQ-OK' });
    const c = captured[0]!;
    expect(c.method).toBe('POST');
    expect(c.path).toBe('/webapi/starrocks/restartCluster?FastMode=false&InstanceId=c-b25e21e24388abcd');
    expect(c.body).toBeUndefined();
    expect(c.headers['content-type']).toBeUndefined();
    expect(c.headers).toMatchObject({
      host: 'starrocks.cn-hangzhou.aliyuncs.com',
      'x-acs-action': 'RestartInstance',
      'x-acs-version': '2022-10-19',
      'x-acs-date': '2025-01-15T08:30:00Z',
      'x-acs-signature-nonce': NONCE,
      'x-acs-content-sha256': EMPTY_BODY_SHA256,
      'user-agent': 'starwave-test',
    });
    expect(c.headers['x-acs-security-token']).toBeUndefined();
    expect(c.headers.authorization).toBe(
      'ACS3-HMAC-SHA256 Credential=LTAI5tFAKEAccessKeyId000,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=01cf7d75b157fcd514cba241326a48783bbc4184051643a631564be9aaf2e703',
    );
    expect(c.headers.authorization).toBe(expectedAuthorization(c));
  });

  it('RestartInstance with STS and fast mode: spec vector V3', async () => {
    const { client, reply, captured } = setup(STS);
    reply('/webapi/starrocks/restartCluster', 200, ok({ Data: true }));
    await client.restartInstance({ instanceId: ID, fastMode: true });
    const c = captured[0]!;
    expect(c.path).toBe('/webapi/starrocks/restartCluster?FastMode=true&InstanceId=c-b25e21e24388abcd');
    expect(c.headers['x-acs-security-token']).toBe(STS.securityToken);
    expect(c.headers['x-acs-accesskey-id']).toBe(STS.accessKeyId);
    expect(c.headers.authorization).toMatch(/Signature=b3b114f13d6a824378193cf5f631f31c46187935affa6d67c3aa9b3faa4cc47e$/);
  });

  it('DescribeInstances with encoding and Tag JSON: spec vector V2', async () => {
    const { client, reply, captured } = setup();
    reply('/webapi/starrocks/describeInstances', 200, ok({ Data: [], Total: 0 }));
    await client.describeInstances({
      instanceName: 'sr prod*01',
      statuses: ['running', 'restarting'],
      pageNumber: 1,
      pageSize: 50,
      regionId: 'cn-hangzhou',
      tags: [{ key: 'env', value: 'prod' }],
    });
    const c = captured[0]!;
    expect(c.path).toBe(
      '/webapi/starrocks/describeInstances?InstanceName=sr%20prod%2A01&InstanceStatus=running%2Crestarting&PageNumber=1&PageSize=50&RegionId=cn-hangzhou&Tag=%5B%7B%22Key%22%3A%22env%22%2C%22Value%22%3A%22prod%22%7D%5D',
    );
    expect(c.headers.authorization).toMatch(/Signature=da1804b99efe33208f530431118efe703183e0e8b95be24e046d866689a80ccc$/);
  });

  it('DescribeNodeGroups with a JSON body: spec vector V4', async () => {
    const { client, reply, captured } = setup();
    reply('/webapi/nodegroup/describeNodeGroups', 200, ok({ Data: [{ NodeGroupId: 'ng-1', Status: 'RUNNING', Cu: 8 }], Total: 1 }));
    const res = await client.describeNodeGroups({ clusterId: ID, pageNumber: 1, pageSize: 20, componentType: 'CN', status: 'RUNNING' });
    expect(res.items).toEqual([{ NodeGroupId: 'ng-1', Status: 'RUNNING', Cu: 8 }]);
    const c = captured[0]!;
    expect(c.path).toBe('/webapi/nodegroup/describeNodeGroups?ClusterId=c-b25e21e24388abcd&PageNumber=1&PageSize=20');
    expect(c.body).toBe('{"componentType":"CN","status":"RUNNING"}');
    expect(c.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(c.headers['x-acs-content-sha256']).toBe('b7a02c743bc00573f0ff3a97e20fd035c1985e71ade789241c3e43082cabf9cb');
    expect(c.headers.authorization).toMatch(/Signature=0bdb2ea7ccddd2f9469a13c72c61cb896827e674d4ffdb8023d54aa9b4b77ec2$/);
  });

  it('DescribeNodeGroups without body params sends no body', async () => {
    const { client, reply, captured } = setup();
    reply('/webapi/nodegroup/describeNodeGroups', 200, ok({ Data: [], Total: 0 }));
    await client.describeNodeGroups({ clusterId: ID });
    expect(captured[0]!.body).toBeUndefined();
    expect(captured[0]!.headers['content-type']).toBeUndefined();
  });

  it('RestartNodeGroup and ListOperationHistory: paths, params, verifiable signatures', async () => {
    const { client, reply, captured } = setup(STS);
    reply('/webapi/nodegroup/restart', 200, ok({ Data: true }));
    reply(
      '/webapi/operation/listOperationHistory',
      200,
      ok({
        Total: 1,
        Data: [{ OperationId: 'op-1', OperationType: 'restart_cluster', OperationStatus: 'COMPLETED', Progress: 100, GmtCreate: 1, GmtEnd: 2, Extra: 'x' }],
      }),
    );
    await client.restartNodeGroup({ instanceId: ID, nodeGroupId: 'ng-0123456789abcdef' });
    const ops = await client.listOperationHistory({ instanceId: ID, operationType: 'restart_cluster', startTimeMs: 1000, pageSize: 5 });
    expect(ops).toEqual({
      requestId: 'REQ-OK',
      total: 1,
      items: [
        { operationId: 'op-1', operationType: 'restart_cluster', operationStatus: 'COMPLETED', progress: 100, gmtCreateMs: 1, gmtEndMs: 2, instanceId: ID },
      ],
    });
    expect(captured[0]!.path).toBe('/webapi/nodegroup/restart?FastMode=false&InstanceId=c-b25e21e24388abcd&NodeGroupId=ng-0123456789abcdef');
    expect(captured[1]!.path).toBe('/webapi/operation/listOperationHistory?InstanceId=c-b25e21e24388abcd&OperationType=restart_cluster&PageSize=5&StartTime=1000');
    for (const c of captured) expect(c.headers.authorization).toBe(expectedAuthorization(c, STS));
    expect(captured[1]!.headers['x-acs-action']).toBe('ListOperationHistory');
  });

  it('uses a fresh default nonce per request (32 hex)', async () => {
    const agent = new MockAgent({ enableCallHistory: true });
    agent.disableNetConnect();
    agents.push(agent);
    const client = new StarRocksClient({ region: 'cn-hangzhou', credentials: staticCredentials(AK), dispatcher: agent });
    const nonces: string[] = [];
    agent
      .get(ORIGIN)
      .intercept({ path: () => true, method: 'POST' })
      .reply(200, (opts) => {
        nonces.push(capture(opts).headers['x-acs-signature-nonce']!);
        return JSON.stringify(ok({ Data: true }));
      })
      .times(2);
    await client.restartInstance({ instanceId: ID });
    await client.restartInstance({ instanceId: ID });
    expect(nonces[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(nonces[1]).not.toBe(nonces[0]);
  });
});

describe('responses', () => {
  it('parses DescribeInstances items, tolerating missing and extra fields', async () => {
    const { client, reply } = setup();
    reply(
      '/webapi/starrocks/describeInstances',
      200,
      ok({
        Total: 2,
        Data: [
          { InstanceId: ID, InstanceName: 'sr1', InstanceStatus: 'running', RegionId: 'cn-hangzhou', ResourceGroupId: 'rg-1', Tags: [{ Key: 'env', Value: 'prod' }], RunMode: 'shared_data', Future: { x: 1 } },
          { InstanceId: 'c-0000000000000002', InstanceStatus: 'Running' },
        ],
      }),
    );
    const res = await client.describeInstances({});
    expect(res.total).toBe(2);
    expect(res.items).toEqual([
      { instanceId: ID, instanceName: 'sr1', status: 'running', statusClass: 'READY', regionId: 'cn-hangzhou', resourceGroupId: 'rg-1', tags: [{ key: 'env', value: 'prod' }] },
      { instanceId: 'c-0000000000000002', instanceName: '', status: 'Running', statusClass: 'BUSY', regionId: 'cn-hangzhou', tags: [] },
    ]);
  });

  it('describeInstance: undefined when Data is empty, the exact match otherwise', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/describeInstances', 200, ok({ Total: 0, Data: [] }));
    await expect(client.describeInstance(ID)).resolves.toBeUndefined();
    reply('/webapi/starrocks/describeInstances', 200, ok({ Total: 1, Data: [{ InstanceId: ID, InstanceStatus: 'restarting' }] }));
    await expect(client.describeInstance(ID)).resolves.toMatchObject({ instanceId: ID, statusClass: 'RESTARTING' });
  });

  it('HTTP 200 with Success:false is a failure (spec example: unsupported, even with Data:true)', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/restartCluster', 200, {
      RequestId: 'REQ-WL',
      HttpStatusCode: 200,
      Success: false,
      ErrCode: 'InvalidParams',
      ErrMessage: 'Unsupported.Non.Whitelist.Operation',
      Data: true,
      AccessDeniedDetail: '',
    });
    const e = await failure(client.restartInstance({ instanceId: ID }));
    expect(e).toMatchObject({
      code: 'ERR_STARROCKS_UNSUPPORTED',
      errorClass: 'unsupported',
      action: 'RestartInstance',
      region: 'cn-hangzhou',
      apiCode: 'InvalidParams',
      apiMessage: 'Unsupported.Non.Whitelist.Operation',
      requestId: 'REQ-WL',
      httpStatus: 200,
      outcomeUnknown: false,
      retryable: false,
    });
    expect(e.message).toMatch(/RestartInstance.*cn-hangzhou.*InvalidParams.*Unsupported\.Non\.Whitelist\.Operation.*REQ-WL/);
  });

  it('busy and not-found service errors', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/restartCluster', 200, { RequestId: 'R1', Success: false, ErrCode: 'InvalidParams', ErrMessage: 'Invalid instance status: [cannot restart when instance is not running].' });
    reply('/webapi/starrocks/restartCluster', 200, { RequestId: 'R2', Success: false, ErrCode: 'InvalidParams', ErrMessage: 'Invalid params: [instance not exists].' });
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'busy', retryable: true });
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'not_found', code: 'ERR_STARROCKS_NOT_FOUND' });
  });

  it('400 Throttling.User with x-acs-retry-after', async () => {
    const { client, reply } = setup();
    reply(
      '/webapi/starrocks/describeInstances',
      400,
      { RequestId: 'REQ-T', HostId: 'starrocks.cn-hangzhou.aliyuncs.com', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
      { 'x-acs-retry-after': '2500' },
    );
    const e = await failure(client.describeInstances({}));
    expect(e).toMatchObject({ errorClass: 'throttled', code: 'ERR_STARROCKS_THROTTLED', retryAfterMs: 2500, httpStatus: 400, requestId: 'REQ-T', retryable: true, outcomeUnknown: false });
  });

  it('caps x-acs-retry-after at 120000 ms', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/describeInstances', 429, { code: 'Throttling', message: 'slow down', requestId: 'r' }, { 'x-acs-retry-after': '9999999' });
    expect((await failure(client.describeInstances({}))).retryAfterMs).toBe(120_000);
  });

  it('503 ServiceUnavailable is transient and retryable', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/restartCluster', 503, { RequestId: 'REQ-U', Code: 'ServiceUnavailable', Message: 'The request has failed due to a temporary failure of the server.' });
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'transient', retryable: true, httpStatus: 503, outcomeUnknown: false });
  });

  it('non-JSON 502 page is transient with unknown outcome; non-JSON 404 is a bad request', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/restartCluster', 502, '<html>Bad Gateway</html>');
    reply('/webapi/starrocks/restartCluster', 404, 'not here');
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'transient', outcomeUnknown: true });
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'bad_request', outcomeUnknown: false });
  });

  it('403 with an AccessDeniedDetail object (camelCase gateway variant) is permission', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/restartCluster', 403, {
      requestId: 'REQ-P',
      code: 'NoPermission',
      message: 'You are not authorized to do this action.',
      accessDeniedDetail: { AuthAction: 'sr:RestartInstance', NoPermissionType: 'ImplicitDeny', PolicyType: 'AccountLevelIdentityBasedPolicy' },
    });
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({
      errorClass: 'permission',
      code: 'ERR_STARROCKS_PERMISSION',
      apiCode: 'NoPermission',
      requestId: 'REQ-P',
      retryable: false,
    });
  });

  it('XML gateway errors are understood', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/restartCluster', 400, '<?xml version="1.0"?><Error><RequestId>REQ-X</RequestId><Code>InvalidTimeStamp.Expired</Code><Message>too old</Message></Error>', { 'content-type': 'text/xml;charset=utf-8' });
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'auth', apiCode: 'InvalidTimeStamp.Expired', requestId: 'REQ-X' });
  });

  it.each([
    ['not JSON', '{"RequestId": "x", "Succ'],
    ['JSON but not an envelope', '{"hello":"world"}'],
    ['envelope with wrong types', '{"Success":"yes"}'],
    ['restart success without Data:true', JSON.stringify(ok({ Data: false }))],
  ])('malformed 200 body (%s) → transient, outcome unknown', async (_name, body) => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/restartCluster', 200, body);
    const e = await failure(client.restartInstance({ instanceId: ID }));
    expect(e).toMatchObject({ errorClass: 'transient', outcomeUnknown: true, retryable: true });
    expect(e.message).toMatch(/malformed response/);
  });

  it('DescribeInstances items without InstanceStatus are malformed', async () => {
    const { client, reply } = setup();
    reply('/webapi/starrocks/describeInstances', 200, ok({ Total: 1, Data: [{ InstanceId: ID }] }));
    expect(await failure(client.describeInstances({}))).toMatchObject({ errorClass: 'transient', outcomeUnknown: true });
  });

  it('never leaks the secret or STS token, even when the server echoes them', async () => {
    const { client, reply } = setup(STS);
    reply('/webapi/starrocks/restartCluster', 400, {
      RequestId: 'REQ-S',
      Code: 'SignatureDoesNotMatch',
      Message: `Specified signature is not matched with our calculation. key=${STS.accessKeySecret} token=${STS.securityToken}`,
    });
    const e = await failure(client.restartInstance({ instanceId: ID }));
    expect(e.errorClass).toBe('auth');
    expect(e.apiMessage).toContain('[REDACTED]');
    expect(e.message).toContain('SignatureDoesNotMatch');
  });
});

describe('network failures', () => {
  it('connect refused (mocked) → transient, request not sent', async () => {
    const { client, pool } = setup();
    pool
      .intercept({ path: () => true, method: 'POST' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }));
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'transient', outcomeUnknown: false, retryable: true });
  });

  it('headers timeout (mocked) → transient, outcome unknown', async () => {
    const { client, pool } = setup();
    pool.intercept({ path: () => true, method: 'POST' }).replyWithError(new undiciErrors.HeadersTimeoutError());
    expect(await failure(client.restartInstance({ instanceId: ID }))).toMatchObject({ errorClass: 'transient', outcomeUnknown: true });
  });

  it('real connection refused on a closed local port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const client = new StarRocksClient({
      region: 'cn-hangzhou',
      credentials: staticCredentials(AK),
      endpointOverrides: { 'cn-hangzhou': `http://127.0.0.1:${port}` },
    });
    try {
      const e = await failure(client.restartInstance({ instanceId: ID }));
      expect(e).toMatchObject({ errorClass: 'transient', outcomeUnknown: false });
    } finally {
      await client.close();
    }
  });

  it('real response timeout from a local server that never answers → outcome unknown', async () => {
    let server: Server | undefined;
    let seen = 0;
    server = createServer(() => {
      seen++; // never respond
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const client = new StarRocksClient({
      region: 'cn-hangzhou',
      credentials: staticCredentials(AK),
      endpointOverrides: { 'cn-hangzhou': `http://127.0.0.1:${port}` },
      headersTimeoutMs: 200,
    });
    try {
      const e = await failure(client.restartInstance({ instanceId: ID }));
      expect(e).toMatchObject({ errorClass: 'transient', outcomeUnknown: true });
      expect(seen).toBe(1);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server!.close(() => r()));
    }
  });
});

describe('paging', () => {
  /** A fake DescribeInstances that caps pages at 100 whatever PageSize asks for. */
  function fleet(count: number, opts: { total?: number } = {}) {
    const ids = Array.from({ length: count }, (_, i) => `c-${i.toString(16).padStart(16, '0')}`);
    const ctx = setup();
    const pageRequests: Array<{ page: number; size: number }> = [];
    ctx.pool
      .intercept({ path: (p: string) => p.startsWith('/webapi/starrocks/describeInstances'), method: 'POST' })
      .reply(200, (o) => {
        const url = new URL(o.path, ORIGIN);
        const page = Number(url.searchParams.get('PageNumber'));
        const size = Math.min(Number(url.searchParams.get('PageSize')), 100);
        pageRequests.push({ page, size: Number(url.searchParams.get('PageSize')) });
        const slice = ids.slice((page - 1) * size, page * size);
        return JSON.stringify(ok({ Total: opts.total ?? count, Data: slice.map((id) => ({ InstanceId: id, InstanceStatus: 'running' })) }));
      })
      .persist();
    return { ...ctx, ids, pageRequests };
  }

  it('collects 1,000 instances from a server that caps pages at 100 (does not stop on a short page)', async () => {
    const { client, ids, pageRequests } = fleet(1000);
    const res = await client.describeAllInstances({ statuses: ['running'] }, { pageSize: 500 });
    expect(res.pages).toBe(10);
    expect(res.items.map((i) => i.instanceId)).toEqual(ids);
    expect(pageRequests.map((r) => r.page)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(pageRequests.every((r) => r.size === 500)).toBe(true);
  });

  it('stops on an empty page when Total over-counts', async () => {
    const { client } = fleet(250, { total: 260 });
    const res = await client.describeAllInstances({});
    expect(res.items).toHaveLength(250);
    expect(res.pages).toBe(4);
  });

  it('guards against endless listings with maxPages', async () => {
    const { client } = fleet(1000, { total: 1_000_000 });
    const e = await failure(client.describeAllInstances({}, { maxPages: 3 }));
    expect(e.message).toMatch(/maxPages=3/);
  });
});

describe('input validation happens before any request', () => {
  const bad: Array<[string, (c: StarRocksClient) => Promise<unknown>, string]> = [
    ['empty instance id', (c) => c.restartInstance({ instanceId: '' }), 'instanceId'],
    ['upper-case instance id', (c) => c.restartInstance({ instanceId: 'c-B25E21E24388ABCD' }), 'instanceId'],
    ['short instance id', (c) => c.restartInstance({ instanceId: 'c-b25e' }), 'instanceId'],
    ['instance id with injection', (c) => c.restartInstance({ instanceId: 'c-b25e21e24388abcd&FastMode=true' }), 'instanceId'],
    ['non-boolean fastMode', (c) => c.restartInstance({ instanceId: ID, fastMode: 'yes' as unknown as boolean }), 'fastMode'],
    ['bad node group id', (c) => c.restartNodeGroup({ instanceId: ID, nodeGroupId: 'grp-1' }), 'nodeGroupId'],
    ['bad clusterId', (c) => c.describeNodeGroups({ clusterId: 'x' }), 'clusterId'],
    ['bad nodeGroupIds entry', (c) => c.describeNodeGroups({ clusterId: ID, nodeGroupIds: ['ng-0123456789abcdef', 'nope'] }), 'nodeGroupIds[1]'],
    ['page size 0', (c) => c.describeInstances({ pageSize: 0 }), 'pageSize'],
    ['negative page number', (c) => c.describeInstances({ pageNumber: -1 }), 'pageNumber'],
    ['fractional page size', (c) => c.describeInstances({ pageSize: 1.5 }), 'pageSize'],
    ['empty statuses', (c) => c.describeInstances({ statuses: [] }), 'statuses'],
    ['blank status', (c) => c.describeInstances({ statuses: ['running', ''] }), 'statuses[1]'],
    ['status with comma', (c) => c.describeInstances({ statuses: ['running,creating'] }), 'statuses[0]'],
    ['bad tag', (c) => c.describeInstances({ tags: [{ key: '', value: 'x' }] }), 'tags[0]'],
    ['bad regionId filter', (c) => c.describeInstances({ regionId: 'Hangzhou' }), 'regionId'],
    ['bad instanceId filter', (c) => c.describeInstances({ instanceId: 'i-123' }), 'instanceId'],
    ['describeInstance bad id', (c) => c.describeInstance('c-'), 'instanceId'],
    ['paging pageSize 0', (c) => c.describeAllInstances({}, { pageSize: 0 }), 'pageSize'],
    ['paging maxPages 0', (c) => c.describeAllInstances({}, { maxPages: 0 }), 'maxPages'],
    ['paging bad statuses', (c) => c.describeAllInstances({ statuses: [''] }), 'statuses[0]'],
    ['operation history bad startTime', (c) => c.listOperationHistory({ instanceId: ID, startTimeMs: -5 }), 'startTimeMs'],
    ['operation history blank type', (c) => c.listOperationHistory({ instanceId: ID, operationType: ' ' }), 'operationType'],
  ];
  it.each(bad)('%s', async (_name, call, field) => {
    const { client, calls } = setup();
    const err = await call(client).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StarRocksInputError);
    expect((err as StarRocksInputError).code).toBe('ERR_STARROCKS_INVALID_INPUT');
    expect((err as StarRocksInputError).field).toBe(field);
    expect(calls()).toBe(0);
  });

  it('bad region in the constructor names the field', () => {
    expect(() => new StarRocksClient({ region: '', credentials: staticCredentials(AK) })).toThrow(StarRocksInputError);
  });

  it('a failing credential source is an auth error without a request', async () => {
    const { client, calls } = setup({
      getCredentials: () => Promise.reject(new Error('metadata service down')),
    });
    const e = await failure(client.restartInstance({ instanceId: ID }));
    expect(e).toMatchObject({ errorClass: 'auth', outcomeUnknown: false });
    expect(calls()).toBe(0);
  });
});

describe('StarRocksClients', () => {
  it('caches one client per region and one dispatcher per origin', async () => {
    const made: string[] = [];
    const agent = new MockAgent();
    agents.push(agent);
    const clients = new StarRocksClients({
      credentials: staticCredentials(AK),
      endpointOverrides: { 'cn-hangzhou': 'http://127.0.0.1:18080', 'cn-beijing': 'http://127.0.0.1:18080' },
      dispatcherFor: (baseUrl): Dispatcher => {
        made.push(baseUrl);
        return agent;
      },
    });
    const a = clients.forRegion('cn-hangzhou');
    expect(clients.forRegion('cn-hangzhou')).toBe(a);
    const b = clients.forRegion('cn-beijing');
    expect(b).not.toBe(a);
    clients.forRegion('us-east-1');
    expect(made).toEqual(['http://127.0.0.1:18080', 'https://starrocks.us-east-1.aliyuncs.com']);
    expect(a.endpoint).toEqual({ baseUrl: 'http://127.0.0.1:18080', host: '127.0.0.1:18080' });
    await clients.close();
    expect(() => clients.forRegion('cn-hangzhou')).toThrow(/closed/);
  });

  it('builds and closes its own Pools', async () => {
    const clients = new StarRocksClients({ credentials: staticCredentials(AK), connectionsPerEndpoint: 2 });
    expect(clients.forRegion('cn-shanghai').endpoint.host).toBe('starrocks.cn-shanghai.aliyuncs.com');
    await clients.close();
  });
});
