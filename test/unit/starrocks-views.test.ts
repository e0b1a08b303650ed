/**
 * ListOperationActivity, the restart history view (ListOperationHistory, paged and bounded) and the
 * typed node-group view (DescribeNodeGroups, all pages), over a MockAgent.
 */
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { StarRocksClient } from '../../src/starrocks/client';
import { staticCredentials } from '../../src/starrocks/credentials';
import { StarRocksApiError, StarRocksInputError } from '../../src/starrocks/errors';

const ORIGIN = 'https://starrocks.cn-hangzhou.aliyuncs.com';
const ID = 'c-b25e21e24388abcd';
const OP = 'op-f49743caa809abcd';

const agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

const ok = (extra: Record<string, unknown>) => ({ RequestId: 'REQ-OK', Success: true, ErrCode: 'Success', ErrMessage: 'null', ...extra });

function setup() {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  agents.push(agent);
  const client = new StarRocksClient({
    region: 'cn-hangzhou',
    credentials: staticCredentials({ accessKeyId: 'LTAI5tFAKEAccessKeyId000', accessKeySecret: 'FAKEAccessKeySecretDoNotUse00' }),
    dispatcher: agent,
  });
  const pool = agent.get(ORIGIN);
  const requests: URL[] = [];
  const bodies: Array<string | undefined> = [];
  /** Answers every request to `path` with answer(url) (persisting). */
  const serve = (path: string, answer: (url: URL) => unknown) => {
    pool
      .intercept({ path: (p: string) => p.startsWith(path), method: 'POST' })
      .reply(200, (o) => {
        const url = new URL(o.path, ORIGIN);
        requests.push(url);
        bodies.push(typeof o.body === 'string' ? o.body : undefined);
        return JSON.stringify(answer(url));
      })
      .persist();
  };
  const calls = () => agent.getCallHistory()?.calls().length ?? 0;
  return { client, serve, requests, bodies, calls };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}

describe('listOperationActivity', () => {
  it('sends InstanceId and OperationId in the query, no body, and types the steps', async () => {
    const { client, serve, requests, bodies } = setup();
    serve('/webapi/operation/listOperationActivity', () =>
      ok({
        Total: 3,
        Data: [
          { ActivityId: 'ac-1', ActivityStatus: 'COMPLETED', Name: 'RestartFe', StartTime: 1742178604000, EndTime: 1742178664000, ErrMessage: '', ConsoleRetryCount: 0, Extra: { x: 1 } },
          { ActivityId: 'ac-2', ActivityStatus: 'RUNNING', Name: 'RestartBe', StartTime: 1742178664000, EndTime: 0, ErrMessage: null },
          { ActivityId: 'ac-3', ActivityStatus: 'FAILED', Name: 'CheckHealth', ErrMessage: 'be-0 not alive', ConsoleRetryCount: 2 },
        ],
      }),
    );
    const res = await client.listOperationActivity({ instanceId: ID, operationId: OP });
    expect(requests[0]!.pathname).toBe('/webapi/operation/listOperationActivity');
    expect(requests[0]!.search).toBe(`?InstanceId=${ID}&OperationId=${OP}`);
    expect(bodies[0]).toBeUndefined();
    expect(res).toEqual({
      requestId: 'REQ-OK',
      total: 3,
      items: [
        { activityId: 'ac-1', activityStatus: 'COMPLETED', name: 'RestartFe', startTimeMs: 1742178604000, endTimeMs: 1742178664000, consoleRetryCount: 0 },
        { activityId: 'ac-2', activityStatus: 'RUNNING', name: 'RestartBe', startTimeMs: 1742178664000 },
        { activityId: 'ac-3', activityStatus: 'FAILED', name: 'CheckHealth', errMessage: 'be-0 not alive', consoleRetryCount: 2 },
      ],
    });
  });

  it('is strict on the types of the fields it uses: a numeric ActivityId or a text StartTime is a malformed answer', async () => {
    for (const bad of [
      { ActivityId: 17, ActivityStatus: 'COMPLETED', Name: 'x' },
      { ActivityId: 'ac-1', ActivityStatus: 'COMPLETED', Name: 'x', StartTime: '1742178604000' },
      { ActivityId: 'ac-1', Name: 'x' },
    ]) {
      const { client, serve } = setup();
      serve('/webapi/operation/listOperationActivity', () => ok({ Data: [bad] }));
      const err = await rejection(client.listOperationActivity({ instanceId: ID, operationId: OP }));
      expect(err).toBeInstanceOf(StarRocksApiError);
      expect(err).toMatchObject({ errorClass: 'transient', action: 'ListOperationActivity' });
      expect((err as Error).message).toMatch(/malformed response: Data does not match/);
    }
  });

  it('checks both ids before sending', async () => {
    const { client, calls } = setup();
    for (const [q, field] of [
      [{ instanceId: 'c-x', operationId: OP }, 'instanceId'],
      [{ instanceId: ID, operationId: 'op-' }, 'operationId'],
      [{ instanceId: ID, operationId: 'op-abc&InstanceId=c-0000000000000000' }, 'operationId'],
      [{ instanceId: ID, operationId: undefined as unknown as string }, 'operationId'],
    ] as const) {
      const err = await rejection(client.listOperationActivity(q));
      expect(err).toBeInstanceOf(StarRocksInputError);
      expect((err as StarRocksInputError).field).toBe(field);
    }
    expect(calls()).toBe(0);
  });
});

describe('listRestartHistory', () => {
  /** A history of `n` restart_cluster operations, newest first, 1 minute apart, each lasting 10 s + i s. */
  function history(n: number, extra: Array<Record<string, unknown>> = []) {
    const ops = Array.from({ length: n }, (_, i) => ({
      OperationId: `op-${i.toString(16).padStart(16, '0')}`,
      OperationType: 'restart_cluster',
      OperationStatus: i === 0 ? 'TERMINATED' : 'COMPLETED',
      GmtCreate: 1_000_000 + (n - i) * 60_000,
      GmtEnd: 1_000_000 + (n - i) * 60_000 + 10_000 + i * 1_000,
      InstanceId: ID,
    }));
    return [...extra, ...ops];
  }

  it('asks for restart_cluster since sinceMs page by page and returns finished restarts, newest first, with the reads spent', async () => {
    const { client, serve, requests } = setup();
    const running = { OperationId: 'op-ffffffffffffffff', OperationType: 'restart_cluster', OperationStatus: 'RUNNING', GmtCreate: 9_999_999, InstanceId: ID };
    const ops = history(5, [running]);
    serve('/webapi/operation/listOperationHistory', (url) => {
      const page = Number(url.searchParams.get('PageNumber'));
      const size = Number(url.searchParams.get('PageSize'));
      return ok({ Total: ops.length, Data: ops.slice((page - 1) * size, page * size) });
    });
    const res = await client.listRestartHistory({ instanceId: ID, sinceMs: 1_000_000, pageSize: 2 });
    expect(requests.map((u) => u.searchParams.get('PageNumber'))).toEqual(['1', '2', '3']);
    for (const u of requests) {
      expect(u.searchParams.get('OperationType')).toBe('restart_cluster');
      expect(u.searchParams.get('StartTime')).toBe('1000000');
      expect(u.searchParams.get('InstanceId')).toBe(ID);
    }
    expect(res.reads).toBe(3);
    expect(res.complete).toBe(true);
    // The running one is not finished: left out.
    expect(res.items.map((r) => r.operationId)).toEqual(ops.slice(1).map((o) => o.OperationId));
    expect(res.items[0]).toEqual({ operationId: 'op-0000000000000000', gmtCreateMs: 1_300_000, gmtEndMs: 1_310_000, status: 'TERMINATED', durationMs: 10_000 });
    expect(res.items.map((r) => r.durationMs)).toEqual([10_000, 11_000, 12_000, 13_000, 14_000]);
  });

  it('stops at maxPages with complete: false instead of reading the whole history', async () => {
    const { client, serve } = setup();
    const ops = history(50);
    serve('/webapi/operation/listOperationHistory', (url) => {
      const page = Number(url.searchParams.get('PageNumber'));
      return ok({ Total: ops.length, Data: ops.slice((page - 1) * 10, page * 10) });
    });
    const res = await client.listRestartHistory({ instanceId: ID, sinceMs: 0, pageSize: 10, maxPages: 2 });
    expect(res).toMatchObject({ reads: 2, complete: false });
    expect(res.items).toHaveLength(20);
  });

  it('defaults: 20 per page, at most 5 pages', async () => {
    const { client, serve, requests } = setup();
    const ops = history(500);
    serve('/webapi/operation/listOperationHistory', (url) => {
      const page = Number(url.searchParams.get('PageNumber'));
      return ok({ Total: ops.length, Data: ops.slice((page - 1) * 20, page * 20) });
    });
    const res = await client.listRestartHistory({ instanceId: ID, sinceMs: 0 });
    expect(requests.every((u) => u.searchParams.get('PageSize') === '20')).toBe(true);
    expect(res.reads).toBe(5);
  });

  it('re-checks what the server should have filtered: other types, older ones and inconsistent times are left out', async () => {
    const { client, serve } = setup();
    serve('/webapi/operation/listOperationHistory', () =>
      ok({
        Total: 5,
        Data: [
          { OperationId: 'op-0000000000000001', OperationType: 'restart_node_group', OperationStatus: 'COMPLETED', GmtCreate: 2_000, GmtEnd: 3_000 },
          { OperationId: 'op-0000000000000002', OperationType: 'restart_cluster', OperationStatus: 'COMPLETED', GmtCreate: 500, GmtEnd: 3_000 },
          { OperationId: 'op-0000000000000003', OperationType: 'restart_cluster', OperationStatus: 'COMPLETED', GmtCreate: 5_000, GmtEnd: 4_000 },
          { OperationId: 'op-0000000000000004', OperationType: 'restart_cluster', OperationStatus: 'HUMAN_PROCESSING', GmtCreate: 2_000, GmtEnd: 3_000 },
          { OperationId: 'op-0000000000000005', OperationType: 'restart_cluster', OperationStatus: 'COMPLETED', GmtCreate: 2_000, GmtEnd: 9_000 },
        ],
      }),
    );
    const res = await client.listRestartHistory({ instanceId: ID, sinceMs: 1_000 });
    expect(res.items).toEqual([{ operationId: 'op-0000000000000005', gmtCreateMs: 2_000, gmtEndMs: 9_000, status: 'COMPLETED', durationMs: 7_000 }]);
    expect(res).toMatchObject({ reads: 1, complete: true });
  });

  it('orders newest first whatever order the server uses (its default order is undocumented)', async () => {
    const { client, serve } = setup();
    const oldestFirst = history(4).reverse();
    serve('/webapi/operation/listOperationHistory', () => ok({ Total: 4, Data: oldestFirst }));
    const res = await client.listRestartHistory({ instanceId: ID, sinceMs: 0 });
    const created = res.items.map((r) => r.gmtCreateMs);
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(created).toHaveLength(4);
  });

  it('checks its arguments before sending', async () => {
    const { client, calls } = setup();
    for (const [q, field] of [
      [{ instanceId: 'nope', sinceMs: 0 }, 'instanceId'],
      [{ instanceId: ID, sinceMs: -1 }, 'sinceMs'],
      [{ instanceId: ID, sinceMs: undefined as unknown as number }, 'sinceMs'],
      [{ instanceId: ID, sinceMs: 0, pageSize: 0 }, 'pageSize'],
      [{ instanceId: ID, sinceMs: 0, maxPages: 0 }, 'maxPages'],
    ] as const) {
      const err = await rejection(client.listRestartHistory(q));
      expect(err).toBeInstanceOf(StarRocksInputError);
      expect((err as StarRocksInputError).field).toBe(field);
    }
    expect(calls()).toBe(0);
  });
});

describe('describeAllNodeGroups', () => {
  const group = (i: number, componentType: string, extra: Record<string, unknown> = {}) => ({
    NodeGroupId: `ng-${i.toString(16).padStart(16, '0')}`,
    NodeGroupName: `ng_${i}`,
    ComponentType: componentType,
    Status: 'RUNNING',
    Endpoint: componentType === 'FE' ? `fe-${ID}-internal.starrocks.aliyuncs.com` : `127.1.0.${i}`,
    HttpPort: componentType === 'FE' ? 8030 : 8040,
    Cu: 8,
    NodeInfo: [{ NodeId: 'x-0' }],
    ...extra,
  });

  it('collects every page and types each group: id, component type, status, endpoint and port', async () => {
    const { client, serve, requests, bodies } = setup();
    const groups = [group(1, 'FE'), group(2, 'BE'), group(3, 'CN', { Endpoint: '', HttpPort: 0 }), group(4, 'OBSERVER', { Endpoint: null, HttpPort: null }), group(5, 'WAREHOUSE')];
    serve('/webapi/nodegroup/describeNodeGroups', (url) => {
      const page = Number(url.searchParams.get('PageNumber'));
      return ok({ Total: groups.length, Data: groups.slice((page - 1) * 2, page * 2) });
    });
    const res = await client.describeAllNodeGroups({ instanceId: ID, pageSize: 2 });
    expect(res.pages).toBe(3);
    expect(requests.map((u) => u.searchParams.get('ClusterId'))).toEqual([ID, ID, ID]);
    expect(bodies.every((b) => b === undefined)).toBe(true);
    expect(res.items).toEqual([
      { nodeGroupId: 'ng-0000000000000001', nodeGroupName: 'ng_1', componentType: 'FE', status: 'RUNNING', endpoint: `fe-${ID}-internal.starrocks.aliyuncs.com`, httpPort: 8030 },
      { nodeGroupId: 'ng-0000000000000002', nodeGroupName: 'ng_2', componentType: 'BE', status: 'RUNNING', endpoint: '127.1.0.2', httpPort: 8040 },
      { nodeGroupId: 'ng-0000000000000003', nodeGroupName: 'ng_3', componentType: 'CN', status: 'RUNNING' },
      { nodeGroupId: 'ng-0000000000000004', nodeGroupName: 'ng_4', componentType: 'OBSERVER', status: 'RUNNING' },
      // A component type the spec does not list passes through as it came.
      { nodeGroupId: 'ng-0000000000000005', nodeGroupName: 'ng_5', componentType: 'WAREHOUSE', status: 'RUNNING', endpoint: '127.1.0.5', httpPort: 8040 },
    ]);
  });

  it('filters by component type in the body (camelCase)', async () => {
    const { client, serve, bodies } = setup();
    serve('/webapi/nodegroup/describeNodeGroups', () => ok({ Total: 1, Data: [group(1, 'FE')] }));
    const res = await client.describeAllNodeGroups({ instanceId: ID, componentType: 'FE' });
    expect(bodies).toEqual(['{"componentType":"FE"}']);
    expect(res.items.map((g) => g.componentType)).toEqual(['FE']);
  });

  it('a group with a text port or without a component type is a malformed answer', async () => {
    for (const bad of [group(1, 'FE', { HttpPort: '8030' }), group(1, 'FE', { ComponentType: undefined }), group(1, 'FE', { HttpPort: 70_000 })]) {
      const { client, serve } = setup();
      serve('/webapi/nodegroup/describeNodeGroups', () => ok({ Total: 1, Data: [bad] }));
      const err = await rejection(client.describeAllNodeGroups({ instanceId: ID }));
      expect(err).toBeInstanceOf(StarRocksApiError);
      expect((err as Error).message).toMatch(/malformed response: Data\[0\] is not a node group/);
    }
  });

  it('throws rather than return a partial list when maxPages does not finish it', async () => {
    const { client, serve } = setup();
    serve('/webapi/nodegroup/describeNodeGroups', (url) => ok({ Total: 1_000, Data: [group(Number(url.searchParams.get('PageNumber')), 'BE')] }));
    const err = await rejection(client.describeAllNodeGroups({ instanceId: ID, pageSize: 1, maxPages: 3 }));
    expect(err).toMatchObject({ errorClass: 'bad_request', action: 'DescribeNodeGroups' });
    expect((err as Error).message).toMatch(/maxPages=3/);
  });
});
