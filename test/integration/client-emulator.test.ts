/**
 * The production client (src/starrocks) against the emulator (src/emulator) over REAL HTTP on
 * 127.0.0.1: happy paths, paging over 1,000 instances, every error class the emulator can produce
 * as the client classifies it, bad inputs rejected before any request, and no credential in any
 * error text. Unit tests with MockAgent cover the client's parsing case by case; here the two
 * halves must agree on the wire.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_KEY, startEmulator, type Emulator, type EmulatorKey, type EmulatorOptions } from '../../src/emulator/index';
import {
  ERROR_CLASSES,
  StarRocksApiError,
  StarRocksClient,
  StarRocksClients,
  StarRocksInputError,
  StarRocksNotSentError,
  staticCredentials,
  type CredentialSource,
  type Credentials,
  type ErrorClass,
} from '../../src/starrocks/index';
import { until } from '../support/wait';

// ------------------------------------------------------------------------------------------------
// Keys and the secrets that must never show up in an error

const STS_KEY: EmulatorKey = {
  accessKeyId: 'STS.EMULATOR0TEMP0KEY',
  accessKeySecret: 'sts-secret-5f0c1e9a7d2b4c68',
  securityToken: 'CAIS-sts-token-emulator-9d3e7a1b2c4f6e8d0a1b2c3d4e5f',
};
const DENY_GATEWAY_KEY: EmulatorKey = {
  accessKeyId: 'STARWAVE0DENIED0GATEWAY',
  accessKeySecret: 'deny-gateway-secret-77c1f0',
  deniedActions: ['RestartInstance'],
  denyStyle: 'gateway',
};
const DENY_SERVICE_KEY: EmulatorKey = {
  accessKeyId: 'STARWAVE0DENIED0SERVICE',
  accessKeySecret: 'deny-service-secret-2b9e44',
  deniedActions: ['RestartInstance'],
  denyStyle: 'service',
};
const WRONG_SECRET = 'wrong-secret-a41d8cd98f00b204';
const WRONG_TOKEN = 'CAIS-wrong-token-0e4f1a2b3c5d7e9f1a2b3c4d';
const UNKNOWN_KEY: Credentials = { accessKeyId: 'STARWAVE0NOBODY0KNOWS', accessKeySecret: 'unknown-key-secret-1c2d3e' };

const SECRETS = [
  DEFAULT_KEY.accessKeySecret,
  STS_KEY.accessKeySecret,
  STS_KEY.securityToken!,
  DENY_GATEWAY_KEY.accessKeySecret,
  DENY_SERVICE_KEY.accessKeySecret,
  WRONG_SECRET,
  WRONG_TOKEN,
  UNKNOWN_KEY.accessKeySecret,
];

function creds(key: Pick<EmulatorKey, 'accessKeyId' | 'accessKeySecret' | 'securityToken'>): CredentialSource {
  return staticCredentials({
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    ...(key.securityToken ? { securityToken: key.securityToken } : {}),
  });
}

// ------------------------------------------------------------------------------------------------
// Fleet: explicit instances with names/tags/resource groups in cn-hangzhou, generated ones elsewhere

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const ID = {
  ordersProd: 'c-a0a0000000000001',
  ordersStaging: 'c-a0a0000000000002',
  billingProd: 'c-a0a0000000000003',
  upgrading: 'c-a0a0000000000004',
  shanghai: 'c-b0b0000000000001',
};
const UNKNOWN_ID = 'c-ffffffffffffffff';

function fleetOptions(extra: Partial<EmulatorOptions> = {}): EmulatorOptions {
  return {
    regions: [HZ, SH],
    keys: [DEFAULT_KEY, STS_KEY, DENY_GATEWAY_KEY, DENY_SERVICE_KEY],
    restartDuration: { kind: 'fixed', ms: 300 },
    fleet: {
      instances: [
        {
          instanceId: ID.ordersProd,
          instanceName: 'orders-prod',
          regionId: HZ,
          resourceGroupId: 'rg-prod',
          tags: [
            { Key: 'env', Value: 'prod' },
            { Key: 'team', Value: 'orders' },
          ],
        },
        {
          instanceId: ID.ordersStaging,
          instanceName: 'orders-staging',
          regionId: HZ,
          resourceGroupId: 'rg-dev',
          tags: [
            { Key: 'env', Value: 'staging' },
            { Key: 'team', Value: 'orders' },
          ],
        },
        {
          instanceId: ID.billingProd,
          instanceName: 'billing-prod',
          regionId: HZ,
          resourceGroupId: 'rg-prod',
          tags: [
            { Key: 'env', Value: 'prod' },
            { Key: 'team', Value: 'billing' },
          ],
        },
        { instanceId: ID.upgrading, instanceName: 'reporting', regionId: HZ, resourceGroupId: 'rg-dev', status: 'upgrading' },
        { instanceId: ID.shanghai, instanceName: 'orders-sh', regionId: SH, resourceGroupId: 'rg-prod', tags: [{ Key: 'env', Value: 'prod' }] },
      ],
    },
    ...extra,
  };
}

// ------------------------------------------------------------------------------------------------
// Lifecycle: every test gets its own emulator and clients, closed afterwards

let emu: Emulator | undefined;
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await emu?.close();
  emu = undefined;
});

async function start(extra: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  emu = await startEmulator(fleetOptions(extra));
  return emu;
}

function clientFor(e: Emulator, region = HZ, credentials: CredentialSource = creds(DEFAULT_KEY), more: { now?: () => number } = {}): StarRocksClient {
  const client = new StarRocksClient({ region, credentials, endpointOverrides: e.endpoints, ...more });
  closers.push(() => client.close());
  return client;
}

// ------------------------------------------------------------------------------------------------
// Error assertions

/** Classes seen across this file (checked for completeness at the end). */
const seenClasses = new Set<ErrorClass>();

async function apiError(p: Promise<unknown>): Promise<StarRocksApiError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeInstanceOf(StarRocksApiError);
  return err as StarRocksApiError;
}

function expectNoSecrets(err: unknown): void {
  const e = err as Error;
  const texts = {
    string: String(e),
    message: e.message,
    json: JSON.stringify(e),
    stack: e.stack ?? '',
    inspect: inspect(e, { depth: 5 }),
  };
  for (const [what, text] of Object.entries(texts)) {
    for (const secret of SECRETS) expect(text.includes(secret), `${what} contains a secret`).toBe(false);
  }
}

interface Expected {
  errorClass: ErrorClass;
  apiCode?: string;
  httpStatus?: number;
  outcomeUnknown?: boolean;
  /** The emulator answered (so the client must carry the answer's RequestId). Default true. */
  answered?: boolean;
}

/** Asserts class, stable code, API code, RequestId (matching the emulator's record), retryable flag and no secrets. */
function expectClassified(err: StarRocksApiError, e: Expected): void {
  expect(err.errorClass).toBe(e.errorClass);
  expect(err.code).toBe(`ERR_STARROCKS_${e.errorClass.toUpperCase()}`);
  expect(err.retryable).toBe(['throttled', 'transient', 'busy'].includes(e.errorClass));
  if (e.apiCode !== undefined) expect(err.apiCode).toBe(e.apiCode);
  if (e.httpStatus !== undefined) expect(err.httpStatus).toBe(e.httpStatus);
  expect(err.outcomeUnknown).toBe(e.outcomeUnknown ?? false);
  const lastCall = emu!.record().calls.at(-1)!;
  if (e.answered ?? true) {
    expect(err.requestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(err.requestId).toBe(lastCall.requestId);
    expect(err.httpStatus).toBe(lastCall.httpStatus);
    if (e.apiCode !== undefined && lastCall.code !== undefined) expect(lastCall.code).toBe(e.apiCode);
  } else {
    expect(err.requestId).toBeUndefined();
    expect(err.httpStatus).toBeUndefined();
    expect(lastCall.dropped).toBe(true);
  }
  // The message is a sentence naming the action and region.
  expect(err.message).toContain(`StarRocks ${err.action} in region ${err.region}`);
  expectNoSecrets(err);
  seenClasses.add(err.errorClass);
}


// ================================================================================================

describe('happy path over real HTTP', () => {
  it('describeInstances / describeAllInstances filter by status list, tags, name and resource group', async () => {
    const e = await start();
    const hz = clientFor(e);

    const page = await hz.describeInstances({ pageNumber: 1, pageSize: 10 });
    expect(page.total).toBe(4);
    expect(page.items.map((i) => i.instanceId)).toEqual([ID.ordersProd, ID.ordersStaging, ID.billingProd, ID.upgrading]);
    const prod = page.items[0]!;
    expect(prod).toMatchObject({
      instanceName: 'orders-prod',
      status: 'running',
      statusClass: 'READY',
      regionId: HZ,
      resourceGroupId: 'rg-prod',
      tags: [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'orders' },
      ],
    });
    expect(page.items[3]).toMatchObject({ status: 'upgrading', statusClass: 'BUSY' });
    expect(page.requestId).toBe(e.record().calls.at(-1)!.requestId);

    const ids = async (q: Parameters<StarRocksClient['describeAllInstances']>[0]): Promise<string[]> =>
      (await hz.describeAllInstances(q)).items.map((i) => i.instanceId);
    expect(await ids({ statuses: ['running'] })).toEqual([ID.ordersProd, ID.ordersStaging, ID.billingProd]);
    expect(await ids({ statuses: ['upgrading', 'restarting'] })).toEqual([ID.upgrading]);
    expect(await ids({ tags: [{ key: 'env', value: 'prod' }] })).toEqual([ID.ordersProd, ID.billingProd]);
    expect(
      await ids({
        tags: [
          { key: 'env', value: 'prod' },
          { key: 'team', value: 'billing' },
        ],
      }),
    ).toEqual([ID.billingProd]);
    expect(await ids({ instanceName: 'orders' })).toEqual([ID.ordersProd, ID.ordersStaging]);
    expect(await ids({ resourceGroupId: 'rg-dev' })).toEqual([ID.ordersStaging, ID.upgrading]);
    expect(await ids({ resourceGroupId: 'rg-prod', statuses: ['running'], instanceName: 'prod' })).toEqual([ID.ordersProd, ID.billingProd]);
    expect(await ids({ instanceName: 'no-such-name' })).toEqual([]);
    // The host selects the region: each regional client sees its own region only.
    expect(await ids({ regionId: HZ })).toHaveLength(4);
    expect((await clientFor(e, SH).describeAllInstances({})).items.map((i) => i.instanceId)).toEqual([ID.shanghai]);
  });

  it('query values with spaces, *, +, &, =, %, quotes, tabs and non-ASCII are signed and matched as sent', async () => {
    const names = ['sr prod*01', '中文-实例', 'a+b', 'x=y&z', "~-._!'()", '100%', 'tab\there', 'emoji😀', 'semi;colon,comma', 'slash/back\\'];
    const e = await start({ fleet: { instances: names.map((n) => ({ regionId: HZ, instanceName: n, tags: [{ Key: `k ${n}`, Value: n }] })) } });
    const hz = clientFor(e);
    for (const name of names) {
      expect((await hz.describeInstances({ instanceName: name })).items.map((i) => i.instanceName), name).toEqual([name]);
      expect((await hz.describeInstances({ tags: [{ key: `k ${name}`, value: name }] })).items.map((i) => i.instanceName), name).toEqual([name]);
    }
    expect(e.record().calls.every((c) => c.httpStatus === 200)).toBe(true);
  });

  it('describeInstance: the instance, or undefined for an unknown id (and for an id of another region)', async () => {
    const e = await start();
    const hz = clientFor(e);
    expect(await hz.describeInstance(ID.ordersStaging)).toMatchObject({ instanceId: ID.ordersStaging, status: 'running' });
    expect(await hz.describeInstance(UNKNOWN_ID)).toBeUndefined();
    expect(await hz.describeInstance(ID.shanghai)).toBeUndefined();
    expect(e.record().calls.map((c) => [c.action, c.httpStatus])).toEqual([
      ['DescribeInstances', 200],
      ['DescribeInstances', 200],
      ['DescribeInstances', 200],
    ]);
  });

  it('restartInstance: restarting then running as observed by the client; ListOperationHistory has the restart_cluster op', async () => {
    const e = await start();
    const hz = clientFor(e);
    const before = Date.now();
    const { requestId } = await hz.restartInstance({ instanceId: ID.ordersProd });
    expect(requestId).toMatch(/^[0-9A-F-]{36}$/);

    expect(await hz.describeInstance(ID.ordersProd)).toMatchObject({ status: 'restarting', statusClass: 'RESTARTING' });
    const during = await hz.listOperationHistory({ instanceId: ID.ordersProd });
    expect(during.items[0]).toMatchObject({ operationType: 'restart_cluster', operationStatus: 'RUNNING', instanceId: ID.ordersProd });

    await until('running again', async () => (await hz.describeInstance(ID.ordersProd))?.status === 'running');

    const history = await hz.listOperationHistory({ instanceId: ID.ordersProd, operationType: 'restart_cluster' });
    expect(history.total).toBe(1);
    const op = history.items[0]!;
    expect(op).toMatchObject({ operationType: 'restart_cluster', operationStatus: 'COMPLETED', progress: 100, instanceId: ID.ordersProd });
    expect(op.gmtCreateMs).toBeGreaterThanOrEqual(before - 1000);
    expect(op.gmtEndMs).toBeGreaterThanOrEqual(op.gmtCreateMs!);

    const record = e.record();
    expect(record.restarts).toHaveLength(1);
    expect(record.restarts[0]).toMatchObject({ instanceId: ID.ordersProd, requestId, outcome: 'running', action: 'RestartInstance', fastMode: false });
    expect(record.restarts[0]!.operationId).toBe(op.operationId);
    expect(record.transitions.filter((t) => t.instanceId === ID.ordersProd).map((t) => `${t.from}>${t.to}`)).toEqual([
      'running>restarting',
      'restarting>running',
    ]);
    // Other instances untouched; history of another instance is empty.
    expect((await hz.listOperationHistory({ instanceId: ID.ordersStaging })).items).toEqual([]);
  });

  it('FastMode is sent on the wire', async () => {
    const e = await start();
    await clientFor(e).restartInstance({ instanceId: ID.ordersStaging, fastMode: true });
    expect(e.record().restarts[0]).toMatchObject({ fastMode: true, plannedDurationMs: 150 });
  });

  it('describeNodeGroups and restartNodeGroup', async () => {
    const e = await start();
    const hz = clientFor(e);
    const groups = await hz.describeNodeGroups({ clusterId: ID.billingProd });
    expect(groups.total).toBe(2);
    expect(groups.items.map((g) => [g['ComponentType'], g.Status])).toEqual([
      ['FE', 'RUNNING'],
      ['CN', 'RUNNING'],
    ]);
    const cn = groups.items.find((g) => g['ComponentType'] === 'CN')!;
    expect(cn.NodeGroupId).toMatch(/^ng-[0-9a-f]{16}$/);
    // JSON body filters reach the emulator signed and intact.
    const onlyFe = await hz.describeNodeGroups({ clusterId: ID.billingProd, componentType: 'FE' });
    expect(onlyFe.items.map((g) => g['ComponentType'])).toEqual(['FE']);
    const byId = await hz.describeNodeGroups({ clusterId: ID.billingProd, nodeGroupIds: [cn.NodeGroupId] });
    expect(byId.items.map((g) => g.NodeGroupId)).toEqual([cn.NodeGroupId]);

    const { requestId } = await hz.restartNodeGroup({ instanceId: ID.billingProd, nodeGroupId: cn.NodeGroupId });
    const after = await hz.describeNodeGroups({ clusterId: ID.billingProd });
    expect(after.items.map((g) => [g['ComponentType'], g.Status])).toEqual([
      ['FE', 'RUNNING'],
      ['CN', 'RESTARTING'],
    ]);
    expect(e.record().restarts).toEqual([
      expect.objectContaining({ action: 'RestartNodeGroup', instanceId: ID.billingProd, nodeGroupId: cn.NodeGroupId, requestId }),
    ]);
    await until('node group running', async () => (await hz.describeInstance(ID.billingProd))?.status === 'running');
    const ops = await hz.listOperationHistory({ instanceId: ID.billingProd });
    expect(ops.items.map((o) => [o.operationType, o.operationStatus])).toEqual([['restart_node_group', 'COMPLETED']]);
  });

  it('listRestartHistory: the finished restart_cluster operations with their durations, matching the record', async () => {
    const e = await start();
    const hz = clientFor(e);
    const since = Date.now() - 1_000;
    for (let i = 0; i < 2; i++) {
      await hz.restartInstance({ instanceId: ID.ordersProd });
      await until('running again', async () => (await hz.describeInstance(ID.ordersProd))?.status === 'running');
    }
    // A node-group restart is another operation type: not part of the instance's restart history.
    const groups = await hz.describeAllNodeGroups({ instanceId: ID.ordersProd });
    await hz.restartNodeGroup({ instanceId: ID.ordersProd, nodeGroupId: groups.items[0]!.nodeGroupId });
    await until('running again', async () => (await hz.describeInstance(ID.ordersProd))?.status === 'running');

    const history = await hz.listRestartHistory({ instanceId: ID.ordersProd, sinceMs: since, pageSize: 1 });
    expect(history).toMatchObject({ reads: 2, complete: true });
    const recorded = e.record().restarts.filter((r) => r.action === 'RestartInstance');
    expect(history.items.map((r) => r.operationId)).toEqual(recorded.map((r) => r.operationId).reverse());
    for (const r of history.items) {
      expect(r.status).toBe('COMPLETED');
      // The emulator's restarts take 300 ms.
      expect(r.durationMs).toBeGreaterThanOrEqual(250);
      expect(r.durationMs).toBe(r.gmtEndMs - r.gmtCreateMs);
    }
    // A later sinceMs leaves them out.
    expect((await hz.listRestartHistory({ instanceId: ID.ordersProd, sinceMs: Date.now() + 60_000 })).items).toEqual([]);
  });

  it('describeAllNodeGroups: every group typed, with its data-plane endpoint and port', async () => {
    const e = await start();
    const hz = clientFor(e);
    const { items, pages } = await hz.describeAllNodeGroups({ instanceId: ID.billingProd, pageSize: 1 });
    expect(pages).toBe(2);
    expect(items.map((g) => [g.componentType, g.status])).toEqual([
      ['FE', 'RUNNING'],
      ['CN', 'RUNNING'],
    ]);
    for (const g of items) {
      expect(g.nodeGroupId).toMatch(/^ng-[0-9a-f]{16}$/);
      expect(g.endpoint).toEqual(expect.any(String));
      expect(g.httpPort).toEqual(expect.any(Number));
    }
    expect(e.record().calls.map((c) => c.action)).toEqual(['DescribeNodeGroups', 'DescribeNodeGroups']);
  });

  it('safe send: a restart past its deadline or with an aborted signal never reaches the emulator; beforeSend precedes the one that does', async () => {
    const e = await start();
    const hz = clientFor(e);
    const notSent = async (p: Promise<unknown>) => {
      const err: unknown = await p.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(err).toBeInstanceOf(StarRocksNotSentError);
      expect(err).toMatchObject({ code: 'ERR_STARROCKS_NOT_SENT', outcomeUnknown: false });
    };
    await notSent(hz.restartInstance({ instanceId: ID.ordersProd }, { notAfterMs: Date.now() - 1 }));
    const ac = new AbortController();
    ac.abort();
    await notSent(hz.restartInstance({ instanceId: ID.ordersProd }, { signal: ac.signal }));
    expect(e.record().calls).toEqual([]);

    let callsSeenByBeforeSend = -1;
    await hz.restartInstance({ instanceId: ID.ordersProd }, { notAfterMs: Date.now() + 60_000, beforeSend: () => (callsSeenByBeforeSend = e.record().calls.length) });
    expect(callsSeenByBeforeSend).toBe(0);
    expect(e.record().restarts).toHaveLength(1);
  });

  it('200 concurrent calls through a 4-connection pool all succeed, each recorded once', async () => {
    const e = await start({ fleet: { generate: { regions: [HZ], perRegion: 200 } } });
    const clients = new StarRocksClients({ credentials: creds(DEFAULT_KEY), endpointOverrides: e.endpoints, connectionsPerEndpoint: 4 });
    closers.push(() => clients.close());
    const hz = clients.forRegion(HZ);
    const ids = e.instances().map((i) => i.instanceId);
    const restarted = await Promise.all(ids.map((instanceId) => hz.restartInstance({ instanceId }).then((r) => r.requestId)));
    expect(new Set(restarted).size).toBe(200);
    const record = e.record();
    expect(record.calls).toHaveLength(200);
    expect(record.restarts.map((r) => r.instanceId).sort()).toEqual([...ids].sort());
    expect(Object.values(record.stats.restartsByInstance).every((n) => n === 1)).toBe(true);
  });

  it('StarRocksClients: one client per region through the overrides, and an STS key with its token', async () => {
    const e = await start();
    const clients = new StarRocksClients({ credentials: creds(STS_KEY), endpointOverrides: e.endpoints, connectionsPerEndpoint: 2 });
    closers.push(() => clients.close());
    expect(clients.forRegion(HZ)).toBe(clients.forRegion(HZ));
    const [hz, sh] = await Promise.all([clients.forRegion(HZ).describeAllInstances({}), clients.forRegion(SH).describeAllInstances({})]);
    expect(hz.items).toHaveLength(4);
    expect(sh.items.map((i) => i.instanceId)).toEqual([ID.shanghai]);
    await clients.forRegion(SH).restartInstance({ instanceId: ID.shanghai });
    const calls = e.record().calls;
    expect(calls.map((c) => `${c.region}/${c.action}/${c.httpStatus}/${c.accessKeyId}`).sort()).toEqual(
      [`${HZ}/DescribeInstances/200/${STS_KEY.accessKeyId}`, `${SH}/DescribeInstances/200/${STS_KEY.accessKeyId}`, `${SH}/RestartInstance/200/${STS_KEY.accessKeyId}`].sort(),
    );
  });
});

// ================================================================================================

describe('paging over 1,000 instances (emulator maxPageSize 100)', () => {
  const startBig = (): Promise<Emulator> =>
    start({
      maxPageSize: 100,
      fleet: {
        instances: [{ instanceId: ID.shanghai, regionId: SH }],
        generate: { regions: [HZ], perRegion: 1000, tags: [{ Key: 'fleet', Value: 'big' }] },
      },
    });

  const hzIdsInCreationOrder = (e: Emulator): string[] => e.instances().filter((i) => i.regionId === HZ).map((i) => i.instanceId);

  it('describeAllInstances returns all 1,000 exactly once, in creation order, in 10 pages = 10 calls', async () => {
    const e = await startBig();
    const hz = clientFor(e);
    const since = e.record().nextSeq;
    const { items, pages } = await hz.describeAllInstances({});
    const ids = items.map((i) => i.instanceId);
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    expect(ids).toEqual(hzIdsInCreationOrder(e));
    expect(pages).toBe(10);
    const calls = e.record(since).calls;
    expect(calls).toHaveLength(pages);
    expect(calls.every((c) => c.action === 'DescribeInstances' && c.httpStatus === 200 && c.region === HZ)).toBe(true);
    // A second walk gives the same order.
    expect((await hz.describeAllInstances({})).items.map((i) => i.instanceId)).toEqual(ids);
  });

  it('asking for more than the server cap (500) does not stop at the first short page: still 10 pages', async () => {
    const e = await startBig();
    const since = e.record().nextSeq;
    const { items, pages } = await clientFor(e).describeAllInstances({}, { pageSize: 500 });
    expect(items.map((i) => i.instanceId)).toEqual(hzIdsInCreationOrder(e));
    expect(pages).toBe(10);
    expect(e.record(since).calls).toHaveLength(10);
  });

  it('a page size that does not divide 1,000 (30 → 34 pages), and a status filter across pages', async () => {
    const e = await startBig();
    const hz = clientFor(e);
    let since = e.record().nextSeq;
    const odd = await hz.describeAllInstances({ tags: [{ key: 'fleet', value: 'big' }] }, { pageSize: 30 });
    expect(odd.pages).toBe(34);
    expect(odd.items.map((i) => i.instanceId)).toEqual(hzIdsInCreationOrder(e));
    expect(e.record(since).calls).toHaveLength(34);

    // Every 27th instance is busy: the running ones come back in order, skipping those.
    const all = hzIdsInCreationOrder(e);
    const busy = all.filter((_, i) => i % 27 === 0);
    for (const id of busy) e.patchInstance(id, { status: 'updating' });
    since = e.record().nextSeq;
    const running = await hz.describeAllInstances({ statuses: ['running'] });
    expect(running.items.map((i) => i.instanceId)).toEqual(all.filter((id) => !busy.includes(id)));
    expect(running.pages).toBe(Math.ceil((1000 - busy.length) / 100));
    expect(e.record(since).calls).toHaveLength(running.pages);
  });

  it('maxPages too small → a bad_request error rather than a silently partial fleet', async () => {
    const e = await startBig();
    const err = await apiError(clientFor(e).describeAllInstances({}, { maxPages: 3 }));
    expect(err.errorClass).toBe('bad_request');
    expect(err.message).toContain('collected 300 of Total 1000');
    expect(e.record().calls).toHaveLength(3);
    expectNoSecrets(err);
  });
});

// ================================================================================================

describe('every error class produced by the emulator, as the client classifies it', () => {
  describe('throttled', () => {
    it('Throttling.User (rate) with x-acs-retry-after → retryAfterMs', async () => {
      const e = await start({ faults: { throttling: { rate: 1, retryAfterMs: 750 } } });
      const err = await apiError(clientFor(e).restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'throttled', apiCode: 'Throttling.User', httpStatus: 400 });
      expect(err.retryAfterMs).toBe(750);
      expect(e.record().restarts).toEqual([]);
      // An absurd Retry-After is capped at 120 s, as the official SDK does.
      e.setFaults({ throttling: { rate: 1, retryAfterMs: 300_000 } });
      expect((await apiError(clientFor(e).describeInstances({}))).retryAfterMs).toBe(120_000);
    });

    it('Throttling.User from the per-key token bucket, retryAfterMs = time to the next token', async () => {
      const e = await start({ faults: { throttling: { userQps: 1, burst: 2 } } });
      const hz = clientFor(e);
      await hz.describeInstances({});
      await hz.describeInstances({});
      const err = await apiError(hz.describeInstances({}));
      expectClassified(err, { errorClass: 'throttled', apiCode: 'Throttling.User', httpStatus: 400 });
      expect(err.retryAfterMs).toBeGreaterThan(0);
      expect(err.retryAfterMs).toBeLessThanOrEqual(1000);
      // Another key has its own bucket.
      await expect(clientFor(e, HZ, creds(STS_KEY)).describeInstances({})).resolves.toBeDefined();
    });

    it('Throttling.Api from the per-API QPS, scoped to one action', async () => {
      const e = await start({ faults: { throttling: { apiQps: 1, burst: 1, actions: ['DescribeInstances'] } } });
      const hz = clientFor(e);
      await hz.describeInstances({});
      const err = await apiError(hz.describeInstances({}));
      expectClassified(err, { errorClass: 'throttled', apiCode: 'Throttling.Api', httpStatus: 400 });
      expect(err.retryAfterMs).toBeGreaterThan(0);
      // The per-API bucket is per action: a different key is throttled too, another action is not.
      expectClassified(await apiError(clientFor(e, HZ, creds(STS_KEY)).describeInstances({})), { errorClass: 'throttled', apiCode: 'Throttling.Api' });
      await expect(hz.listOperationHistory({ instanceId: ID.ordersProd })).resolves.toMatchObject({ total: 0 });
    });
  });

  describe('transient', () => {
    it('503 ServiceUnavailable and 500 InternalError; the restart was not applied', async () => {
      const e = await start({ faults: { serverErrors: { rate: 1 } } });
      const hz = clientFor(e);
      const err503 = await apiError(hz.restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err503, { errorClass: 'transient', apiCode: 'ServiceUnavailable', httpStatus: 503 });
      e.setFaults({ serverErrors: { rate: 1, statuses: [500] } });
      const err500 = await apiError(hz.describeInstances({}));
      expectClassified(err500, { errorClass: 'transient', apiCode: 'InternalError', httpStatus: 500 });
      expect(e.record().restarts).toEqual([]);
      e.setFaults({});
      expect((await hz.describeInstance(ID.ordersProd))?.status).toBe('running');
    });

    it('malformed body (HTTP 200, truncated JSON) → transient with outcomeUnknown, and the restart WAS applied', async () => {
      const e = await start({ faults: { malformed: { rate: 1, actions: ['RestartInstance'] } } });
      const hz = clientFor(e);
      const err = await apiError(hz.restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'transient', httpStatus: 200, outcomeUnknown: true });
      expect(err.apiCode).toBeUndefined();
      expect(err.message).toContain('malformed response');
      expect(e.record().calls.at(-1)).toMatchObject({ fault: 'malformed' });
      expect(e.record().restarts).toEqual([expect.objectContaining({ instanceId: ID.ordersProd, requestId: err.requestId })]);
      expect((await hz.describeInstance(ID.ordersProd))?.status).toBe('restarting');
    });

    it('connection dropped before applying → transient, no RequestId, nothing restarted; the pool recovers', async () => {
      const e = await start({ faults: { drops: { dropBeforeRate: 1, actions: ['RestartInstance'] } } });
      // STS credentials, so the no-secrets check also covers the token inside the network error's cause chain.
      const hz = clientFor(e, HZ, creds(STS_KEY));
      await hz.describeInstances({}); // warm a keep-alive connection first
      const err = await apiError(hz.restartInstance({ instanceId: ID.ordersProd }));
      // The client cannot tell "before" from "after": it must treat the outcome as unknown.
      expectClassified(err, { errorClass: 'transient', answered: false, outcomeUnknown: true });
      expect(e.record().calls.at(-1)).toMatchObject({ fault: 'drop-before', action: 'RestartInstance' });
      expect(e.record().restarts).toEqual([]);
      expect((await hz.describeInstance(ID.ordersProd))?.status).toBe('running');
    });

    it('connection dropped after applying → transient with outcomeUnknown, and the record shows the restart took effect', async () => {
      const e = await start({ faults: { drops: { dropAfterRate: 1, actions: ['RestartInstance'] } } });
      const hz = clientFor(e);
      const err = await apiError(hz.restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'transient', answered: false, outcomeUnknown: true });
      const record = e.record();
      expect(record.calls.at(-1)).toMatchObject({ fault: 'drop-after', dropped: true, httpStatus: 0 });
      expect(record.restarts).toEqual([expect.objectContaining({ instanceId: ID.ordersProd, requestId: record.calls.at(-1)!.requestId })]);
      // Re-reading (as outcomeUnknown tells the caller to) shows the restart; a blind retry is refused as busy.
      expect((await hz.describeInstance(ID.ordersProd))?.status).toBe('restarting');
      e.setFaults({});
      expectClassified(await apiError(hz.restartInstance({ instanceId: ID.ordersProd })), { errorClass: 'busy', apiCode: 'InvalidParams' });
      expect(e.record().restarts).toHaveLength(1);
    });

    it('response timeout (latency fault > headersTimeoutMs) → transient, outcomeUnknown, and the restart still lands', async () => {
      // undici checks headersTimeout on a coarse (~1 s) clock, hence the generous margins.
      const e = await start({ faults: { latency: { fixedMs: 2500, actions: ['RestartInstance'] } } });
      const impatient = new StarRocksClient({ region: HZ, credentials: creds(DEFAULT_KEY), endpointOverrides: e.endpoints, headersTimeoutMs: 500 });
      closers.push(() => impatient.close());
      const t0 = Date.now();
      const err = await apiError(impatient.restartInstance({ instanceId: ID.ordersProd }));
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(err).toMatchObject({ errorClass: 'transient', code: 'ERR_STARROCKS_TRANSIENT', outcomeUnknown: true, retryable: true });
      expect(e.record().restarts).toEqual([]);
      expect(err.requestId).toBeUndefined();
      expectNoSecrets(err);
      seenClasses.add(err.errorClass);
      // The server carried on after the client gave up: exactly the hazard outcomeUnknown warns about.
      await until('the late restart', async () => e.record().restarts.length === 1);
      expect((await clientFor(e).describeInstance(ID.ordersProd))?.status).toBe('restarting');
    });

    it('replayed nonce → SignatureNonceUsed, transient (a re-signed retry is the fix)', async () => {
      const e = await start();
      const fixed = clientFor(e, HZ, creds(DEFAULT_KEY));
      const replaying = new StarRocksClient({ region: HZ, credentials: creds(DEFAULT_KEY), endpointOverrides: e.endpoints, nonce: () => 'f'.repeat(32) });
      closers.push(() => replaying.close());
      await replaying.describeInstances({});
      const err = await apiError(replaying.restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'transient', apiCode: 'SignatureNonceUsed', httpStatus: 400 });
      expect(e.record().restarts).toEqual([]);
      await fixed.restartInstance({ instanceId: ID.ordersProd });
      expect(e.record().restarts).toHaveLength(1);
    });

    it('nothing listening → transient with outcomeUnknown false (never sent)', async () => {
      const e = await start();
      const dead = new StarRocksClient({ region: HZ, credentials: creds(DEFAULT_KEY), endpointOverrides: { [HZ]: 'http://127.0.0.1:1' } });
      closers.push(() => dead.close());
      const err = await apiError(dead.restartInstance({ instanceId: ID.ordersProd }));
      expect(err).toMatchObject({ errorClass: 'transient', code: 'ERR_STARROCKS_TRANSIENT', outcomeUnknown: false, retryable: true });
      expect(err.requestId).toBeUndefined();
      expect(e.record().calls).toEqual([]);
      expectNoSecrets(err);
    });
  });

  describe('busy', () => {
    it('restart of a non-running instance → InvalidParams "Invalid instance status", HTTP 200', async () => {
      const e = await start();
      const hz = clientFor(e);
      const err = await apiError(hz.restartInstance({ instanceId: ID.upgrading }));
      expectClassified(err, { errorClass: 'busy', apiCode: 'InvalidParams', httpStatus: 200 });
      expect(err.apiMessage).toMatch(/^Invalid instance status/);
      // And a second restart while the first is in flight.
      await hz.restartInstance({ instanceId: ID.ordersProd });
      expectClassified(await apiError(hz.restartInstance({ instanceId: ID.ordersProd })), { errorClass: 'busy', apiCode: 'InvalidParams' });
      expect(e.record().restarts).toHaveLength(1);
    });
  });

  describe('auth', () => {
    it('wrong secret → SignatureDoesNotMatch', async () => {
      const e = await start();
      const err = await apiError(clientFor(e, HZ, creds({ accessKeyId: DEFAULT_KEY.accessKeyId, accessKeySecret: WRONG_SECRET })).describeInstances({}));
      expectClassified(err, { errorClass: 'auth', apiCode: 'SignatureDoesNotMatch', httpStatus: 400 });
      expect(err.apiMessage).toContain('string to sign');
    });

    it('unknown key → InvalidAccessKeyId.NotFound (404)', async () => {
      const e = await start();
      const err = await apiError(clientFor(e, HZ, creds(UNKNOWN_KEY)).restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'auth', apiCode: 'InvalidAccessKeyId.NotFound', httpStatus: 404 });
      expect(e.record().restarts).toEqual([]);
    });

    it('clock skew beyond 15 minutes → InvalidTimeStamp.Expired (either side); 14 minutes is accepted', async () => {
      const e = await start({ faults: { clockSkewMs: 16 * 60_000 } });
      const hz = clientFor(e);
      expectClassified(await apiError(hz.describeInstances({})), { errorClass: 'auth', apiCode: 'InvalidTimeStamp.Expired', httpStatus: 400 });
      e.setFaults({ clockSkewMs: -16 * 60_000 });
      expectClassified(await apiError(hz.describeInstances({})), { errorClass: 'auth', apiCode: 'InvalidTimeStamp.Expired' });
      e.setFaults({ clockSkewMs: 14 * 60_000 });
      await expect(hz.describeInstances({})).resolves.toMatchObject({ total: 4 });
      // The client's own clock wrong by 20 minutes (injected `now`) is the same failure.
      e.setFaults({});
      const lateClient = clientFor(e, HZ, creds(DEFAULT_KEY), { now: () => Date.now() - 20 * 60_000 });
      expectClassified(await apiError(lateClient.describeInstances({})), { errorClass: 'auth', apiCode: 'InvalidTimeStamp.Expired' });
    });

    it('STS key: mismatching token → InvalidSecurityToken.MismatchWithAccessKey; no token → MissingSecurityToken; right token works', async () => {
      const e = await start();
      const mismatch = clientFor(e, HZ, creds({ ...STS_KEY, securityToken: WRONG_TOKEN }));
      expectClassified(await apiError(mismatch.restartInstance({ instanceId: ID.ordersProd })), {
        errorClass: 'auth',
        apiCode: 'InvalidSecurityToken.MismatchWithAccessKey',
        httpStatus: 400,
      });
      const missing = clientFor(e, HZ, creds({ accessKeyId: STS_KEY.accessKeyId, accessKeySecret: STS_KEY.accessKeySecret }));
      expectClassified(await apiError(missing.describeInstances({})), { errorClass: 'auth', apiCode: 'MissingSecurityToken' });
      // A token sent with a permanent key is a mismatch too.
      const tokenOnPermanent = clientFor(e, HZ, creds({ ...DEFAULT_KEY, securityToken: STS_KEY.securityToken! }));
      expectClassified(await apiError(tokenOnPermanent.describeInstances({})), { errorClass: 'auth', apiCode: 'InvalidSecurityToken.MismatchWithAccessKey' });
      expect(e.record().restarts).toEqual([]);
      await clientFor(e, HZ, creds(STS_KEY)).restartInstance({ instanceId: ID.ordersProd });
      expect(e.record().restarts).toHaveLength(1);
    });

    it('a failing credential source → auth, no request sent', async () => {
      const e = await start();
      const broken: CredentialSource = {
        getCredentials: () => Promise.reject(new Error(`vault said no for ${DEFAULT_KEY.accessKeySecret}`)),
      };
      const err = await apiError(clientFor(e, HZ, broken).describeInstances({}));
      expect(err).toMatchObject({ errorClass: 'auth', code: 'ERR_STARROCKS_AUTH', retryable: false });
      expect(e.record().calls).toEqual([]);
      expectNoSecrets(err);
    });
  });

  describe('permission', () => {
    it('RAM deny, gateway style → 403 Forbidden.RAM; the key may still describe', async () => {
      const e = await start();
      const hz = clientFor(e, HZ, creds(DENY_GATEWAY_KEY));
      const err = await apiError(hz.restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'permission', apiCode: 'Forbidden.RAM', httpStatus: 403 });
      expect(e.record().restarts).toEqual([]);
      await expect(hz.describeInstances({})).resolves.toMatchObject({ total: 4 });
    });

    it('RAM deny, service style → 403 envelope NoPermission with AccessDeniedDetail string', async () => {
      const e = await start();
      const err = await apiError(clientFor(e, HZ, creds(DENY_SERVICE_KEY)).restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'permission', apiCode: 'NoPermission', httpStatus: 403 });
      expect(err.apiMessage).toContain('sr:RestartInstance');
      expect(e.record().restarts).toEqual([]);
    });
  });

  describe('bad_request', () => {
    it('service failure InvalidParams with another message (HTTP 200 Success:false)', async () => {
      const e = await start({ faults: { serviceFailure: { rate: 1, code: 'InvalidParams', message: 'Invalid params: [FastMode is not allowed now].' } } });
      const err = await apiError(clientFor(e).restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'bad_request', apiCode: 'InvalidParams', httpStatus: 200 });
      expect(err.apiMessage).toBe('Invalid params: [FastMode is not allowed now].');
      expect(e.record().restarts).toEqual([]);
    });

    it('RegionId filter naming a region the service does not serve → "Region id should be select from set"', async () => {
      const e = await start();
      const hz = clientFor(e);
      const err = await apiError(hz.describeInstances({ regionId: 'cn-beijing' }));
      expectClassified(err, { errorClass: 'bad_request', apiCode: 'InvalidParams', httpStatus: 200 });
      expect(err.apiMessage).toContain('Region id should be select from set');
      // Another region that IS served: the host selects the region, so nothing matches here.
      await expect(hz.describeInstances({ regionId: SH })).resolves.toMatchObject({ total: 0, items: [] });
    });

    it('restartNodeGroup with a well-formed but unknown node group id → InvalidParams "node group not exists"', async () => {
      const e = await start();
      const err = await apiError(clientFor(e).restartNodeGroup({ instanceId: ID.ordersProd, nodeGroupId: 'ng-0000000000000000' }));
      expectClassified(err, { errorClass: 'bad_request', apiCode: 'InvalidParams' });
      expect(e.record().restarts).toEqual([]);
    });
  });

  describe('not_found', () => {
    it('restart of an unknown id → "instance not exists"; also an id that lives in another region', async () => {
      const e = await start();
      const hz = clientFor(e);
      const err = await apiError(hz.restartInstance({ instanceId: UNKNOWN_ID }));
      expectClassified(err, { errorClass: 'not_found', apiCode: 'InvalidParams', httpStatus: 200 });
      expect(err.apiMessage).toContain('instance not exists');
      expectClassified(await apiError(hz.restartInstance({ instanceId: ID.shanghai })), { errorClass: 'not_found', apiCode: 'InvalidParams' });
      expectClassified(await apiError(hz.describeNodeGroups({ clusterId: UNKNOWN_ID })), { errorClass: 'not_found', apiCode: 'InvalidParams' });
      expectClassified(await apiError(hz.listOperationHistory({ instanceId: UNKNOWN_ID })), { errorClass: 'not_found', apiCode: 'InvalidParams' });
      expect(e.record().restarts).toEqual([]);
    });
  });

  describe('unsupported', () => {
    it('serviceFailure default: HTTP 200 Success:false "Unsupported.Non.Whitelist.Operation" (with Data:true!)', async () => {
      const e = await start({ faults: { serviceFailure: { rate: 1 } } });
      const err = await apiError(clientFor(e).restartInstance({ instanceId: ID.ordersProd }));
      expectClassified(err, { errorClass: 'unsupported', apiCode: 'InvalidParams', httpStatus: 200 });
      expect(err.apiMessage).toBe('Unsupported.Non.Whitelist.Operation');
      expect(e.record().restarts).toEqual([]);
    });
  });

  it('a server that echoes the secret or token back has it redacted from apiMessage and everywhere else', async () => {
    const e = await start({ faults: { serviceFailure: { rate: 1, message: `bad token ${STS_KEY.securityToken!} for ${STS_KEY.accessKeySecret}` } } });
    const err = await apiError(clientFor(e, HZ, creds(STS_KEY)).describeInstances({}));
    expectClassified(err, { errorClass: 'bad_request', apiCode: 'InvalidParams' });
    expect(err.apiMessage).toBe('bad token [REDACTED] for [REDACTED]');
  });

  // Runs after the tests above (vitest runs a file's tests in order): together they covered every class.
  it('(completeness) every error class was produced by the emulator and classified above', () => {
    expect([...seenClasses].sort()).toEqual([...ERROR_CLASSES].sort());
  });
});

// ================================================================================================

describe('bad inputs are rejected with no request sent', () => {
  const VALID = ID.ordersProd;
  type Case = [label: string, field: string, call: (c: StarRocksClient) => Promise<unknown>];
  const cases: Case[] = [
    ['restart: id too short', 'instanceId', (c) => c.restartInstance({ instanceId: 'c-123' })],
    ['restart: upper-case id', 'instanceId', (c) => c.restartInstance({ instanceId: 'C-A0A0000000000001' })],
    ['restart: parameter smuggling', 'instanceId', (c) => c.restartInstance({ instanceId: `${VALID}&FastMode=true` })],
    ['restart: empty id', 'instanceId', (c) => c.restartInstance({ instanceId: '' })],
    ['restart: not a string', 'instanceId', (c) => c.restartInstance({ instanceId: 42 as unknown as string })],
    ['restart: fastMode not boolean', 'fastMode', (c) => c.restartInstance({ instanceId: VALID, fastMode: 'yes' as unknown as boolean })],
    ['describeInstance: bad id', 'instanceId', (c) => c.describeInstance('i-0123456789abcdef')],
    ['describe: pageSize 0', 'pageSize', (c) => c.describeInstances({ pageSize: 0 })],
    ['describe: pageSize over 100000', 'pageSize', (c) => c.describeInstances({ pageSize: 100_001 })],
    ['describe: fractional pageSize', 'pageSize', (c) => c.describeInstances({ pageSize: 2.5 })],
    ['describe: pageNumber 0', 'pageNumber', (c) => c.describeInstances({ pageNumber: 0 })],
    ['describe: empty statuses', 'statuses', (c) => c.describeInstances({ statuses: [] })],
    ['describe: status with comma', 'statuses[0]', (c) => c.describeInstances({ statuses: ['running,restarting'] })],
    ['describe: tag without key', 'tags[0]', (c) => c.describeInstances({ tags: [{ key: '', value: 'x' }] })],
    ['describe: malformed regionId', 'regionId', (c) => c.describeInstances({ regionId: 'CN_HANGZHOU' })],
    ['describe: blank name', 'instanceName', (c) => c.describeInstances({ instanceName: '  ' })],
    ['describeAll: pageSize 0', 'pageSize', (c) => c.describeAllInstances({}, { pageSize: 0 })],
    ['describeAll: maxPages 0', 'maxPages', (c) => c.describeAllInstances({}, { maxPages: 0 })],
    ['describeAll: bad filter', 'instanceId', (c) => c.describeAllInstances({ instanceId: 'nope' })],
    ['restartNodeGroup: bad group id', 'nodeGroupId', (c) => c.restartNodeGroup({ instanceId: VALID, nodeGroupId: 'ng-short' })],
    ['describeNodeGroups: bad cluster id', 'clusterId', (c) => c.describeNodeGroups({ clusterId: 'c-xyz' })],
    ['describeNodeGroups: bad group id in list', 'nodeGroupIds[0]', (c) => c.describeNodeGroups({ clusterId: VALID, nodeGroupIds: ['x'] })],
    ['listOperationHistory: negative start', 'startTimeMs', (c) => c.listOperationHistory({ instanceId: VALID, startTimeMs: -1 })],
    ['listOperationHistory: pageSize 0', 'pageSize', (c) => c.listOperationHistory({ instanceId: VALID, pageSize: 0 })],
  ];

  it.each(cases)('%s → StarRocksInputError(%s), zero calls, credentials never read', async (_label, field, call) => {
    const e = await start();
    let credentialReads = 0;
    const counting: CredentialSource = {
      getCredentials: async () => {
        credentialReads++;
        return { accessKeyId: DEFAULT_KEY.accessKeyId, accessKeySecret: DEFAULT_KEY.accessKeySecret };
      },
    };
    const client = clientFor(e, HZ, counting);
    const err: unknown = await call(client).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(StarRocksInputError);
    expect(err).toMatchObject({ code: 'ERR_STARROCKS_INVALID_INPUT', field });
    expectNoSecrets(err);
    expect(credentialReads).toBe(0);
    expect(e.record().calls).toEqual([]);
  });

  it('client construction: empty or malformed region, bad override URL', async () => {
    const e = await start();
    for (const region of ['', '   ', 'Hangzhou', 'cn_hangzhou']) {
      expect(() => new StarRocksClient({ region, credentials: creds(DEFAULT_KEY), endpointOverrides: e.endpoints })).toThrow(StarRocksInputError);
    }
    expect(() => new StarRocksClient({ region: HZ, credentials: creds(DEFAULT_KEY), endpointOverrides: { [HZ]: 'not a url' } })).toThrow(StarRocksInputError);
    expect(e.record().calls).toEqual([]);
  });
});

// ================================================================================================

describe('the CLI as a human would start it', () => {
  // `npx tsx …` resolves to node_modules/.bin/tsx; we run that binary directly because npm's own wrapper,
  // when it receives Ctrl-C itself, re-raises SIGINT and so reports "killed by SIGINT" whatever its child
  // returned (checked by hand: the emulator underneath exits 0 either way).
  it('tsx src/emulator/main.ts --regions cn-hangzhou,cn-shanghai --instances 50 --port 0: banner, callable, Ctrl-C exits 0', async () => {
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    // Own process group, so "Ctrl-C" reaches tsx and its node child together, as in a terminal.
    const child = spawn(tsx, ['src/emulator/main.ts', '--regions', 'cn-hangzhou,cn-shanghai', '--instances', '50', '--port', '0'], {
      cwd: process.cwd(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STARWAVE_EMULATOR_KEYS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    let stopped = false;
    try {
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('Ctrl-C stops it.')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`emulator did not print its banner; stdout=${stdout} stderr=${stderr}`);
        await sleep(50);
      }
      expect(stdout).toContain('100 instance(s) in 2 region(s)');
      // The table: one row per region with its base URL.
      const rows = [...stdout.matchAll(/^\s+(cn-[a-z]+)\s+(http:\/\/127\.0\.0\.1:\d+)\s*$/gm)].map((m) => [m[1]!, m[2]!]);
      expect(rows.map(([r]) => r)).toEqual([HZ, SH]);
      const endpoints = JSON.parse(/export STARWAVE_ENDPOINTS='([^']+)'/.exec(stdout)![1]!) as Record<string, string>;
      expect(endpoints).toEqual(Object.fromEntries(rows));
      const accessKeyId = /export ALIBABA_CLOUD_ACCESS_KEY_ID=(\S+)/.exec(stdout)![1]!;
      const accessKeySecret = /export ALIBABA_CLOUD_ACCESS_KEY_SECRET=(\S+)/.exec(stdout)![1]!;

      const clients = new StarRocksClients({ credentials: staticCredentials({ accessKeyId, accessKeySecret }), endpointOverrides: endpoints });
      try {
        for (const region of [HZ, SH]) {
          const { items, pages } = await clients.forRegion(region).describeAllInstances({}, { pageSize: 20 });
          expect(items).toHaveLength(50);
          expect(pages).toBe(3);
          expect(items.every((i) => i.regionId === region && i.status === 'running')).toBe(true);
        }
        const target = (await clients.forRegion(SH).describeInstances({ pageSize: 1 })).items[0]!;
        await clients.forRegion(SH).restartInstance({ instanceId: target.instanceId, fastMode: true });
        expect((await clients.forRegion(SH).describeInstance(target.instanceId))?.status).toBe('restarting');
      } finally {
        await clients.close();
      }
      // The control API answers on the printed URL too.
      const health = (await (await fetch(`${endpoints[HZ]}/_emulator/health`)).json()) as { ok: boolean; instances: number };
      expect(health).toMatchObject({ ok: true, instances: 100 });

      process.kill(-child.pid!, 'SIGINT');
      stopped = true;
      const result = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
      expect(result, `stderr=${stderr}`).toEqual({ code: 0, signal: null });
      expect(stdout).toContain('Stopping the emulator.');
      // The ports are closed.
      await expect(fetch(`${endpoints[SH]}/_emulator/health`)).rejects.toThrow();
    } finally {
      if (!stopped || child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
