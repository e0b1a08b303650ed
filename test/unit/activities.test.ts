/** Pure unit tests of the activity logic with a fake region API (no HTTP, no Temporal). */
import { describe, expect, it } from 'vitest';
import type { RegionApi } from '../../src/activities/deps';
import { launchRestart, type LaunchContext } from '../../src/activities/launch';
import { watchRegion, type WatchContext } from '../../src/activities/watch';
import type { LaunchHeartbeat, WatchInput } from '../../src/contracts/activities';
import type { InstanceSummary, OperationRecord } from '../../src/starrocks/client';
import { StarRocksApiError, StarRocksNotSentError } from '../../src/starrocks/errors';
import { classifyInstanceStatus } from '../../src/starrocks/status';

const ID = 'c-0000000000000001';
const NOW = 1_000_000;

interface FakeState {
  status: Record<string, string>;
  ops?: OperationRecord[];
  failRestart?: Error;
  failListing?: Error[];
  /** RestartInstance honours notAfterMs against this clock (like the real client). */
  clock?: () => number;
}

function fakeApi(state: FakeState) {
  const calls: string[] = [];
  const summary = (instanceId: string): InstanceSummary => ({
    instanceId,
    instanceName: instanceId,
    status: state.status[instanceId]!,
    statusClass: classifyInstanceStatus(state.status[instanceId]!),
    regionId: 'cn-hangzhou',
    tags: [],
  });
  const api = {
    async describeInstance(id: string) {
      calls.push(`describe ${id}`);
      return state.status[id] === undefined ? undefined : summary(id);
    },
    async describeAllInstances(q: { statuses?: string[] }) {
      calls.push('list');
      const failure = state.failListing?.shift();
      if (failure) throw failure;
      const items = Object.keys(state.status).filter((id) => !q.statuses || q.statuses.includes(state.status[id]!)).map(summary);
      return { items, pages: 1 };
    },
    async listOperationHistory(q: { instanceId: string }) {
      calls.push(`history ${q.instanceId}`);
      return { requestId: 'r', total: state.ops?.length ?? 0, items: state.ops ?? [] };
    },
    async listOperationActivity() {
      calls.push('activity');
      return { requestId: 'r', total: 1, items: [{ activityId: 'ac-1', activityStatus: 'RUNNING', name: 'Restart FE leader' }] };
    },
    async restartInstance({ instanceId }: { instanceId: string }, opts: { notAfterMs?: number; beforeSend?: () => void } = {}) {
      if (opts.notAfterMs !== undefined && (state.clock?.() ?? NOW) > opts.notAfterMs) {
        throw new StarRocksNotSentError({ action: 'RestartInstance', region: 'cn-hangzhou', reason: 'deadline', notAfterMs: opts.notAfterMs, nowMs: state.clock?.() ?? NOW });
      }
      opts.beforeSend?.();
      calls.push(`restart ${instanceId}`);
      if (state.failRestart) throw state.failRestart;
      state.status[instanceId] = 'restarting';
      return { requestId: 'req-1' };
    },
    async listRestartHistory() {
      return { items: [], reads: 1, complete: true };
    },
    async describeAllNodeGroups() {
      return { items: [], pages: 1 };
    },
  } as unknown as RegionApi;
  return { api, calls };
}

const input = { region: 'cn-hangzhou', instanceId: ID, fastMode: false };
function ctx(attempt: number, previous?: LaunchHeartbeat, deadlineMs = NOW + 60_000): LaunchContext & { beats: LaunchHeartbeat[] } {
  const beats: LaunchHeartbeat[] = [];
  return { attempt, ...(previous ? { previous } : {}), heartbeat: (d) => beats.push(d), deadlineMs, now: () => NOW, beats };
}

describe('launchRestart', () => {
  it('first attempt: preflight then restart; the intent is recorded before the send', async () => {
    const { api, calls } = fakeApi({ status: { [ID]: 'running' } });
    const c = ctx(1);
    expect(await launchRestart(api, input, c)).toMatchObject({ kind: 'sent', adopted: false, requestId: 'req-1' });
    expect(calls).toEqual([`describe ${ID}`, `restart ${ID}`]);
    expect(c.beats).toEqual([{ attempt: 1, aboutToSendAtMs: NOW }]);
  });

  it('a retry adopts the restart of an earlier attempt that recorded its send, found in operation history; nothing is sent', async () => {
    const { api, calls } = fakeApi({ status: { [ID]: 'running' }, ops: [{ operationId: 'op-1', operationType: 'restart_cluster', operationStatus: 'RUNNING', gmtCreateMs: NOW - 1_000, instanceId: ID }] });
    expect(await launchRestart(api, input, ctx(2, { attempt: 1, aboutToSendAtMs: NOW - 2_000 }))).toMatchObject({ kind: 'sent', adopted: true });
    expect(calls.filter((c) => c.startsWith('restart'))).toEqual([]);
  });

  it('a retry whose earlier attempt never got to send does not adopt a restart someone else started: it reports the instance not running', async () => {
    const { api, calls } = fakeApi({ status: { [ID]: 'restarting' }, ops: [{ operationId: 'op-9', operationType: 'restart_cluster', operationStatus: 'RUNNING', gmtCreateMs: NOW - 1_000, instanceId: ID }] });
    const res = await launchRestart(api, input, ctx(2, { attempt: 1 }));
    expect(res).toMatchObject({ kind: 'not_running', status: 'restarting', cause: 'restarting' });
    expect(calls).not.toContain(`history ${ID}`);
    expect(calls.filter((c) => c.startsWith('restart'))).toEqual([]);
  });

  it('a retry after a lost send that did not take effect sends again (once)', async () => {
    const { api, calls } = fakeApi({ status: { [ID]: 'running' } });
    expect(await launchRestart(api, input, ctx(2, { attempt: 1, aboutToSendAtMs: NOW - 2_000 }))).toMatchObject({ kind: 'sent', adopted: false });
    expect(calls.filter((c) => c.startsWith('restart'))).toEqual([`restart ${ID}`]);
  });

  it('nothing is sent after the attempt’s deadline (e.g. after waiting for the client-side rate limit)', async () => {
    const { api, calls } = fakeApi({ status: { [ID]: 'running' }, clock: () => NOW + 120_000 });
    const c = ctx(1, undefined, NOW + 60_000);
    await expect(launchRestart(api, input, c)).rejects.toMatchObject({ type: 'NotSent' });
    expect(calls.filter((x) => x.startsWith('restart'))).toEqual([]);
    expect(c.beats).toEqual([]); // no intent recorded: a retry will not adopt anything
  });

  it('permanent refusals come back as data, naming the action', async () => {
    const denied = new StarRocksApiError({ errorClass: 'permission', action: 'RestartInstance', region: 'cn-hangzhou', apiCode: 'Forbidden.RAM', outcomeUnknown: false });
    const { api } = fakeApi({ status: { [ID]: 'running' }, failRestart: denied });
    expect(await launchRestart(api, input, ctx(1))).toMatchObject({ kind: 'refused', refusal: { errorClass: 'permission', action: 'RestartInstance', apiCode: 'Forbidden.RAM' } });
  });

  it('retryable errors are thrown as their failure type for Temporal to retry', async () => {
    const throttled = new StarRocksApiError({ errorClass: 'throttled', action: 'RestartInstance', region: 'cn-hangzhou', apiCode: 'Throttling.User', retryAfterMs: 700, outcomeUnknown: false });
    const { api } = fakeApi({ status: { [ID]: 'running' }, failRestart: throttled });
    await expect(launchRestart(api, input, ctx(1))).rejects.toMatchObject({ type: 'StarRocks.throttled', nextRetryDelay: 700 });
  });

  it('a busy answer to the send is reported as not running with the status read right after', async () => {
    const busy = new StarRocksApiError({ errorClass: 'busy', action: 'RestartInstance', region: 'cn-hangzhou', apiMessage: 'Invalid instance status', outcomeUnknown: false });
    const state: FakeState = { status: { [ID]: 'running' }, failRestart: busy };
    const { api } = fakeApi(state);
    const withSnapshot = { ...input, preflightFromSnapshot: true };
    state.status[ID] = 'running';
    const original = api.restartInstance.bind(api);
    (api as { restartInstance: RegionApi['restartInstance'] }).restartInstance = async (...a) => {
      state.status[ID] = 'scaling_out';
      return original(...a);
    };
    expect(await launchRestart(api, withSnapshot, ctx(1))).toMatchObject({ kind: 'not_running', status: 'scaling_out', cause: 'busy' });
  });
});

function watchCtx(opts: Partial<WatchContext> & { clock: { t: number } }): WatchContext & { beats: number[] } {
  const beats: number[] = [];
  return {
    now: () => opts.clock.t,
    sleep: async (ms) => {
      opts.clock.t += ms;
    },
    heartbeat: () => beats.push(opts.clock.t),
    heartbeatEveryMs: opts.heartbeatEveryMs ?? 10_000,
    cancelled: () => false,
    beats,
    ...opts,
  } as WatchContext & { beats: number[] };
}

const watchInput = (over: Partial<WatchInput> = {}): WatchInput => ({
  region: 'cn-hangzhou',
  entries: [{ instanceId: ID, kind: 'restart', sentAtMs: NOW, seenRestarting: true }],
  pollIntervalMs: 1_000,
  flipGraceMs: 5_000,
  maxWaitMs: 5_000,
  initialDelayMs: 0,
  wantSnapshot: true,
  progressEveryPolls: 0,
  ...over,
});

describe('watchRegion', () => {
  it('a poll interval of 600 s: heartbeats keep coming during the sleeps (never the heartbeat timeout)', async () => {
    const clock = { t: NOW };
    const { api } = fakeApi({ status: { [ID]: 'restarting' } });
    const c = watchCtx({ clock, heartbeatEveryMs: 10_000 });
    await watchRegion(api, watchInput({ pollIntervalMs: 600_000, maxWaitMs: 3_000_000, initialDelayMs: 600_000 }), c);
    const gaps = c.beats.slice(1).map((b, i) => b - c.beats[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
    expect(clock.t - NOW).toBeGreaterThanOrEqual(3_000_000);
  });

  it('a permanent refusal returns at once as data (no retry loop), counting the refused call', async () => {
    const clock = { t: NOW };
    const denied = new StarRocksApiError({ errorClass: 'permission', action: 'DescribeInstances', region: 'cn-hangzhou', apiCode: 'Forbidden.RAM', outcomeUnknown: false });
    const { api, calls } = fakeApi({ status: { [ID]: 'restarting' }, failListing: [denied] });
    const res = await watchRegion(api, watchInput(), watchCtx({ clock }));
    expect(res.refused).toMatchObject({ errorClass: 'permission', action: 'DescribeInstances', apiCode: 'Forbidden.RAM' });
    expect(calls).toEqual(['list']);
    expect(res.reads).toBe(1);
  });

  it('the first poll waits its initial delay (at most one listing per poll interval)', async () => {
    const clock = { t: NOW };
    const { api } = fakeApi({ status: { [ID]: 'running' } });
    const res = await watchRegion(api, watchInput({ initialDelayMs: 800 }), watchCtx({ clock }));
    expect(res.lastPollAtMs).toBe(NOW + 800);
  });

  it('a restart that ended running is decisive; the snapshot lists the region’s non-running instances', async () => {
    const clock = { t: NOW };
    const other = 'c-0000000000000002';
    const { api } = fakeApi({ status: { [ID]: 'running', [other]: 'modifying_config' } });
    const res = await watchRegion(api, watchInput(), watchCtx({ clock }));
    expect(res.observations).toEqual([expect.objectContaining({ instanceId: ID, status: 'running', ended: 'running' })]);
    expect(res.notRunning).toEqual([[other, 'modifying_config']]);
  });

  it('down entries are read on their own when the listing cannot show them', async () => {
    const clock = { t: NOW };
    const { api, calls } = fakeApi({ status: { [ID]: 'creating_failed' } });
    const res = await watchRegion(api, watchInput({ entries: [{ instanceId: ID, kind: 'down' }], maxWaitMs: 0 }), watchCtx({ clock }));
    expect(calls).toContain(`describe ${ID}`);
    expect(res.observations).toEqual([expect.objectContaining({ instanceId: ID, status: 'creating_failed' })]);
  });

  it('transient poll failures are missed ticks, not verdicts', async () => {
    const clock = { t: NOW };
    const flaky = new StarRocksApiError({ errorClass: 'transient', action: 'DescribeInstances', region: 'cn-hangzhou', httpStatus: 503, outcomeUnknown: false });
    const { api } = fakeApi({ status: { [ID]: 'running' }, failListing: [flaky, flaky] });
    const res = await watchRegion(api, watchInput(), watchCtx({ clock }));
    expect(res.observations[0]).toMatchObject({ ended: 'running' });
    expect(res.refused).toBeUndefined();
  });

  it('the next listing comes sooner when one of our restarts is expected to end (never below minPollMs)', async () => {
    const clock = { t: NOW };
    const { api, calls } = fakeApi({ status: { [ID]: 'restarting' } });
    const polls: number[] = [];
    const wrapped = { ...api, describeAllInstances: async (q: never) => (polls.push(clock.t), api.describeAllInstances(q)) } as RegionApi;
    await watchRegion(wrapped, watchInput({ pollIntervalMs: 1_000, maxWaitMs: 2_000, expectedEndsMs: [NOW + 300, NOW + 350], minPollMs: 100 }), watchCtx({ clock }));
    expect(polls.slice(0, 4)).toEqual([NOW, NOW + 300, NOW + 400, NOW + 1_400]);
  });
});
