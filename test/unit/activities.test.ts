/** Pure unit tests of the activity logic with a fake region API (no HTTP, no Temporal). */
import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import type { RegionApi } from '../../src/activities/deps';
import { launchRestart } from '../../src/activities/restart';
import { watchRestarts } from '../../src/activities/watch';
import { classifyInstanceStatus } from '../../src/starrocks/status';
import { StarRocksApiError } from '../../src/starrocks/errors';
import type { InstanceSummary, OperationRecord } from '../../src/starrocks/client';

const ID = 'c-0000000000000001';

function fakeApi(state: { status: Record<string, string>; ops?: OperationRecord[]; failRestart?: Error; failListing?: Error[] }) {
  const calls: string[] = [];
  const summary = (instanceId: string): InstanceSummary => ({
    instanceId,
    instanceName: instanceId,
    status: state.status[instanceId]!,
    statusClass: classifyInstanceStatus(state.status[instanceId]!),
    regionId: 'cn-hangzhou',
    tags: [],
  });
  const api: RegionApi = {
    async describeInstance(id) {
      calls.push(`describe ${id}`);
      return state.status[id] === undefined ? undefined : summary(id);
    },
    async describeAllInstances(q) {
      calls.push('list');
      const failure = state.failListing?.shift();
      if (failure) throw failure;
      const items = Object.keys(state.status).filter((id) => !q.statuses || q.statuses.includes(state.status[id]!)).map(summary);
      return { items, pages: 1 };
    },
    async listOperationHistory(q) {
      calls.push(`history ${q.instanceId}`);
      return { requestId: 'r', total: state.ops?.length ?? 0, items: state.ops ?? [] };
    },
    async restartInstance({ instanceId }) {
      calls.push(`restart ${instanceId}`);
      if (state.failRestart) throw state.failRestart;
      state.status[instanceId] = 'restarting';
      return { requestId: 'req-1' };
    },
  };
  return { api, calls };
}

const input = { region: 'cn-hangzhou', instanceId: ID, fastMode: false, notRunning: 'wait' as const, pollIntervalMs: 100 };
const ctx = (attempt: number) => ({ attempt, scheduledAtMs: 1_000_000, now: () => 1_000_500 });

describe('launchRestart', () => {
  it('first attempt: preflight then restart, no history lookup', async () => {
    const { api, calls } = fakeApi({ status: { [ID]: 'running' } });
    expect(await launchRestart(api, input, ctx(1))).toMatchObject({ kind: 'sent', adopted: false, requestId: 'req-1' });
    expect(calls).toEqual([`describe ${ID}`, `restart ${ID}`]);
  });
  it('a retry adopts the restart of a lost earlier attempt found in operation history, and sends nothing', async () => {
    const { api, calls } = fakeApi({
      status: { [ID]: 'running' },
      ops: [{ operationId: 'op-1', operationType: 'restart_cluster', operationStatus: 'COMPLETED', gmtCreateMs: 1_000_100, instanceId: ID }],
    });
    expect(await launchRestart(api, input, ctx(2))).toMatchObject({ kind: 'sent', adopted: true, sentAtMs: 1_000_100 });
    expect(calls).not.toContain(`restart ${ID}`);
  });
  it('a retry adopts an instance already restarting, and re-sends only when nothing took effect', async () => {
    const restarting = fakeApi({ status: { [ID]: 'restarting' } });
    expect(await launchRestart(restarting.api, input, ctx(3))).toMatchObject({ kind: 'sent', adopted: true });
    expect(restarting.calls).not.toContain(`restart ${ID}`);
    const old = fakeApi({
      status: { [ID]: 'running' },
      ops: [{ operationId: 'op-0', operationType: 'restart_cluster', operationStatus: 'COMPLETED', gmtCreateMs: 1_000_000 - 200_000, instanceId: ID }],
    });
    expect(await launchRestart(old.api, input, ctx(2))).toMatchObject({ kind: 'sent', adopted: false });
    expect(old.calls).toContain(`restart ${ID}`);
  });
  it('with a fresh region snapshot the first attempt skips its own read; a changed instance is caught by the call', async () => {
    const { api, calls } = fakeApi({ status: { [ID]: 'running' } });
    expect(await launchRestart(api, { ...input, preflightFromSnapshot: true }, ctx(1))).toMatchObject({ kind: 'sent', reads: 0 });
    expect(calls).toEqual([`restart ${ID}`]);
    const busy = new StarRocksApiError({ outcomeUnknown: false, errorClass: 'busy', action: 'RestartInstance', region: 'cn-hangzhou', apiCode: 'InvalidParams' });
    const changed = fakeApi({ status: { [ID]: 'scaling_out' }, failRestart: busy });
    expect(await launchRestart(changed.api, { ...input, notRunning: 'skip', preflightFromSnapshot: true }, ctx(1))).toMatchObject({ kind: 'skipped', status: 'scaling_out' });
    expect(changed.calls).toEqual([`restart ${ID}`, `describe ${ID}`]);
  });
  it('not running at its turn: skip, fail or wait (retryable InstanceNotReady) by policy', async () => {
    expect(await launchRestart(fakeApi({ status: { [ID]: 'updating' } }).api, { ...input, notRunning: 'skip' }, ctx(1))).toMatchObject({ kind: 'skipped', status: 'updating' });
    expect(await launchRestart(fakeApi({ status: { [ID]: 'updating' } }).api, { ...input, notRunning: 'fail' }, ctx(1))).toMatchObject({ kind: 'not_running' });
    const err = await launchRestart(fakeApi({ status: { [ID]: 'some_new_status' } }).api, input, ctx(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InstanceNotReady', nonRetryable: false });
  });
  it('maps API errors to failure types by class; fatal classes are non-retryable', async () => {
    const denied = new StarRocksApiError({ outcomeUnknown: false, errorClass: 'permission', action: 'RestartInstance', region: 'cn-hangzhou', apiCode: 'Forbidden.RAM', httpStatus: 403, requestId: 'R1' });
    const err = await launchRestart(fakeApi({ status: { [ID]: 'running' }, failRestart: denied }).api, input, ctx(1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'StarRocks.permission', nonRetryable: true });
    const throttled = new StarRocksApiError({ outcomeUnknown: false, errorClass: 'throttled', action: 'RestartInstance', region: 'cn-hangzhou', apiCode: 'Throttling.User', retryAfterMs: 750 });
    const err2 = await launchRestart(fakeApi({ status: { [ID]: 'running' }, failRestart: throttled }).api, input, ctx(1)).catch((e: unknown) => e);
    expect(err2).toMatchObject({ type: 'StarRocks.throttled', nonRetryable: false, nextRetryDelay: 750 });
    const missing = await launchRestart(fakeApi({ status: {} }).api, input, ctx(1)).catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'StarRocks.not_found', nonRetryable: true });
  });
});

describe('watchRestarts', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };
  it('confirms running only via restarting, polls the region in pages and reads an instance once when it leaves', async () => {
    const state = { status: { [ID]: 'restarting', 'c-0000000000000002': 'running' } as Record<string, string> };
    const { api, calls } = fakeApi(state);
    const c = clock();
    let polls = 0;
    const res = await watchRestarts(
      { ...api, describeAllInstances: async (q) => { if (++polls === 3) state.status[ID] = 'running'; return api.describeAllInstances(q); } },
      { region: 'cn-hangzhou', watching: [{ instanceId: ID, sentAtMs: 0, seenRestarting: false }], pollIntervalMs: 100, confirmTimeoutMs: 60_000, flipGraceMs: 5_000, maxWaitMs: 60_000 },
      { ...c, heartbeat: () => {}, cancelled: () => false },
    );
    expect(res.events).toEqual([expect.objectContaining({ instanceId: ID, kind: 'running' })]);
    expect(res.events[0]!.restartNotObserved).toBeUndefined();
    expect(calls.filter((x) => x === `describe ${ID}`)).toHaveLength(1);
  });
  it('never treats an unknown or busy status as healthy: it runs out the confirm timeout', async () => {
    const { api } = fakeApi({ status: { [ID]: 'brand_new_status' } });
    const res = await watchRestarts(
      api,
      { region: 'cn-hangzhou', watching: [{ instanceId: ID, sentAtMs: 0, seenRestarting: true }], pollIntervalMs: 100, confirmTimeoutMs: 1_000, flipGraceMs: 500, maxWaitMs: 60_000 },
      { ...clock(), heartbeat: () => {}, cancelled: () => false },
    );
    expect(res.events).toEqual([expect.objectContaining({ kind: 'timeout', status: 'brand_new_status' })]);
  });
  it('treats a throttled poll as a missed tick, and fails on errors that cannot heal', async () => {
    const throttled = new StarRocksApiError({ outcomeUnknown: false, errorClass: 'throttled', action: 'DescribeInstances', region: 'cn-hangzhou', retryAfterMs: 300 });
    const { api } = fakeApi({ status: { [ID]: 'running' }, failListing: [throttled, throttled] });
    const c = clock();
    const res = await watchRestarts(
      api,
      { region: 'cn-hangzhou', watching: [{ instanceId: ID, sentAtMs: 0, seenRestarting: true }], pollIntervalMs: 100, confirmTimeoutMs: 60_000, flipGraceMs: 500, maxWaitMs: 60_000 },
      { ...c, heartbeat: () => {}, cancelled: () => false },
    );
    expect(res.events[0]).toMatchObject({ kind: 'running' });
    expect(c.now()).toBeGreaterThanOrEqual(600); // waited Retry-After twice
    const auth = new StarRocksApiError({ outcomeUnknown: false, errorClass: 'auth', action: 'DescribeInstances', region: 'cn-hangzhou', apiCode: 'SignatureDoesNotMatch' });
    const failing = fakeApi({ status: { [ID]: 'running' }, failListing: [auth] });
    await expect(
      watchRestarts(failing.api, { region: 'cn-hangzhou', watching: [{ instanceId: ID, sentAtMs: 0, seenRestarting: true }], pollIntervalMs: 100, confirmTimeoutMs: 60_000, flipGraceMs: 500, maxWaitMs: 60_000 }, { ...clock(), heartbeat: () => {}, cancelled: () => false }),
    ).rejects.toMatchObject({ type: 'StarRocks.auth', nonRetryable: true });
  });
  it('confirms a restart shorter than one poll from its completed operation, but waits while none is recorded', async () => {
    const fast = fakeApi({
      status: { [ID]: 'running' },
      ops: [{ operationId: 'op-1', operationType: 'restart_cluster', operationStatus: 'COMPLETED', gmtCreateMs: 10, instanceId: ID }],
    });
    const input = { region: 'cn-hangzhou', watching: [{ instanceId: ID, sentAtMs: 0, seenRestarting: false }], pollIntervalMs: 100, confirmTimeoutMs: 60_000, flipGraceMs: 5_000, maxWaitMs: 1_000 };
    const res = await watchRestarts(fast.api, input, { ...clock(), heartbeat: () => {}, cancelled: () => false });
    expect(res.events).toEqual([expect.objectContaining({ kind: 'running' })]);
    const stale = fakeApi({ status: { [ID]: 'running' } });
    const waited = await watchRestarts(stale.api, input, { ...clock(), heartbeat: () => {}, cancelled: () => false });
    expect(waited.events).toEqual([]); // running without any restart on record is not a confirmation
    expect(stale.calls).not.toContain(`describe ${ID}`);
  });
});
