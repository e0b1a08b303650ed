/**
 * Oracle: the official request builder/signer (`@alicloud/openapi-core`, dev dependency) and our
 * client must agree on canonicalisation and signature for the same requests, in both directions:
 *  1. requests our client really sends are signed exactly as OpenApiUtil.getAuthorization signs them;
 *  2. requests the real SDK Client really sends verify with our signer.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenApi, { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StarRocksClient } from '../../src/starrocks/client';
import { staticCredentials, type Credentials } from '../../src/starrocks/credentials';
import { EMPTY_BODY_SHA256, authorization, sha256Hex } from '../../src/starrocks/signer';

const AK: Credentials = { accessKeyId: 'LTAI5tFAKEAccessKeyId000', accessKeySecret: 'FAKEAccessKeySecretDoNotUse00' };
const STS: Credentials = { ...AK, securityToken: 'FAKE.STS.TOKEN/abc+def==' };
const ID = 'c-b25e21e24388abcd';

interface Received {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

let server: Server;
let baseUrl: string;
const received: Received[] = [];
let nextData: unknown = true;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: new URL(req.url ?? '/', 'http://x'), headers: flat(req.headers), body });
      res.setHeader('content-type', 'application/json;charset=utf-8');
      res.end(JSON.stringify({ RequestId: 'REQ', Success: true, Data: nextData, Total: Array.isArray(nextData) ? nextData.length : undefined }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function flat(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

function decodedQuery(url: URL): Record<string, string> {
  const q: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (q[k] = v));
  return q;
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const { authorization: _drop, ...rest } = headers;
  return rest;
}

describe('our requests, signed by the SDK', () => {
  const cases: Array<[string, Credentials, (c: StarRocksClient) => Promise<unknown>, unknown]> = [
    ['RestartInstance AK', AK, (c) => c.restartInstance({ instanceId: ID }), true],
    ['RestartInstance STS fast', STS, (c) => c.restartInstance({ instanceId: ID, fastMode: true }), true],
    [
      'DescribeInstances with awkward characters',
      AK,
      (c) =>
        c.describeInstances({
          instanceName: "sr prod*01 (a!b)'~ü+/=&",
          statuses: ['running', 'restarting'],
          tags: [{ key: 'env', value: 'prod ünïcode' }],
          pageNumber: 2,
          pageSize: 100,
        }),
      [],
    ],
    ['DescribeNodeGroups body', STS, (c) => c.describeNodeGroups({ clusterId: ID, componentType: 'CN', nodeGroupIds: ['ng-0123456789abcdef'], status: 'RUNNING' }), []],
    ['ListOperationHistory', AK, (c) => c.listOperationHistory({ instanceId: ID, operationType: 'restart_cluster', startTimeMs: 1736929800000 }), []],
  ];

  it.each(cases)('%s', async (_name, creds, call, data) => {
    nextData = data;
    const client = new StarRocksClient({ region: 'cn-hangzhou', credentials: staticCredentials(creds), endpointOverrides: { 'cn-hangzhou': baseUrl } });
    received.length = 0;
    try {
      await call(client);
    } finally {
      await client.close();
    }
    const r = received[0]!;
    const payloadHash = r.body === '' ? EMPTY_BODY_SHA256 : sha256Hex(r.body);
    expect(r.headers['x-acs-content-sha256']).toBe(payloadHash);
    const sdk = OpenApiUtil.getAuthorization(
      // The SDK's $tea.Request shape: method, pathname, decoded query, headers.
      { method: r.method, pathname: r.url.pathname, query: decodedQuery(r.url), headers: withoutAuthorization(r.headers) } as never,
      'ACS3-HMAC-SHA256',
      payloadHash,
      creds.accessKeyId,
      creds.accessKeySecret,
    );
    expect(r.headers.authorization).toBe(sdk);
  });
});

describe('SDK requests, verified with our signer', () => {
  function sdkClient(creds: Credentials): OpenApi {
    return new OpenApi(
      new $OpenApiUtil.Config({
        accessKeyId: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
        ...(creds.securityToken ? { securityToken: creds.securityToken } : {}),
        endpoint: new URL(baseUrl).host,
        protocol: 'HTTP',
        regionId: 'cn-hangzhou',
      }),
    );
  }
  function params(action: string, pathname: string): $OpenApiUtil.Params {
    return new $OpenApiUtil.Params({ action, version: '2022-10-19', protocol: 'HTTP', pathname, method: 'POST', authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'json' });
  }

  const cases: Array<[string, Credentials, string, string, Record<string, string>, Record<string, unknown> | undefined]> = [
    ['RestartInstance AK', AK, 'RestartInstance', '/webapi/starrocks/restartCluster', { InstanceId: ID, FastMode: 'false' }, undefined],
    ['RestartInstance STS', STS, 'RestartInstance', '/webapi/starrocks/restartCluster', { InstanceId: ID, FastMode: 'true' }, undefined],
    [
      'DescribeInstances (node querystring encoding on the wire)',
      AK,
      'DescribeInstances',
      '/webapi/starrocks/describeInstances',
      { InstanceName: "sr prod*01 (x)!'", InstanceStatus: 'running,restarting', Tag: '[{"Key":"env","Value":"prod"}]' },
      undefined,
    ],
    ['DescribeNodeGroups with body', AK, 'DescribeNodeGroups', '/webapi/nodegroup/describeNodeGroups', { ClusterId: ID }, { componentType: 'CN', status: 'RUNNING' }],
  ];

  it.each(cases)('%s', async (_name, creds, action, pathname, query, body) => {
    nextData = action.startsWith('Restart') ? true : [];
    received.length = 0;
    await sdkClient(creds).callApi(
      params(action, pathname),
      new $OpenApiUtil.OpenApiRequest({ query, ...(body ? { body } : {}) }),
      {} as never,
    );
    const r = received[0]!;
    const ours = authorization(
      {
        method: r.method,
        pathname: r.url.pathname,
        query: decodedQuery(r.url),
        headers: withoutAuthorization(r.headers),
        payloadHash: r.headers['x-acs-content-sha256']!,
      },
      creds,
    );
    expect(ours).toBe(r.headers.authorization);
    if (body) expect(r.headers['x-acs-content-sha256']).toBe(sha256Hex(r.body));
  });
});
