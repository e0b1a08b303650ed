/**
 * ListOperationActivity (spec §3.5 item 4): the named steps of an operation, advancing with the
 * restart's progress in the documented order (BE/CN nodes, FE followers, FE leader, health check).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index';
import { signedCall } from '../../src/emulator/signed-request';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

type Row = Record<string, unknown>;
const STEPS_CN = ['Restart CN nodes', 'Restart FE follower nodes', 'Restart FE leader node', 'Health check'];

async function start(extra: Partial<EmulatorOptions> = {}): Promise<{ base: string; ids: string[] }> {
  emu = await startEmulator({ fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 2 } }, restartDuration: { kind: 'fixed', ms: 800 }, ...extra });
  return { base: emu.endpoints['cn-hangzhou']!, ids: emu.instances().map((i) => i.instanceId) };
}

async function activities(base: string, query: Record<string, string>): Promise<{ res: Row; data: Row[] }> {
  const res = (await signedCall({ baseUrl: base, action: 'ListOperationActivity', query })).json!;
  return { res, data: (res['Data'] as Row[] | undefined) ?? [] };
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

describe('ListOperationActivity', () => {
  it('the steps of a restart advance with its progress and end COMPLETED, contiguous, ending at GmtEnd', async () => {
    // 2 s: the first step alone runs for 0.9 s, long enough to be seen alone.
    const { base, ids } = await start({ restartDuration: { kind: 'fixed', ms: 2_000 } });
    const id = ids[0]!;
    await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } });
    const operationId = emu!.record().restarts[0]!.operationId;
    const first = await activities(base, { InstanceId: id, OperationId: operationId });
    expect(first.res).toMatchObject({ Success: true, Total: 1 });
    expect(first.data).toEqual([
      { ActivityId: `act-${operationId.slice(3)}-1`, ActivityStatus: 'RUNNING', Name: 'Restart CN nodes', StartTime: expect.any(Number), ErrMessage: '', ConsoleRetryCount: 0 },
    ]);

    // Later: the BE/CN step is done and the FE followers are being restarted.
    await waitFor(async () => (await activities(base, { InstanceId: id, OperationId: operationId })).data.length >= 2);
    const later = (await activities(base, { InstanceId: id, OperationId: operationId })).data;
    expect(later[0]).toMatchObject({ ActivityStatus: 'COMPLETED', EndTime: later[1]!['StartTime'] });
    expect(later.at(-1)).toMatchObject({ ActivityStatus: 'RUNNING' });
    expect(later.at(-1)).not.toHaveProperty('EndTime');

    await waitFor(() => emu!.instances()[0]!.status === 'running');
    const done = (await activities(base, { InstanceId: id, OperationId: operationId })).data;
    expect(done.map((a) => [a['Name'], a['ActivityStatus']])).toEqual(STEPS_CN.map((n) => [n, 'COMPLETED']));
    for (let i = 1; i < done.length; i++) expect(done[i]!['StartTime']).toBe(done[i - 1]!['EndTime']);
    const op = ((await signedCall({ baseUrl: base, action: 'ListOperationHistory', query: { InstanceId: id } })).json!['Data'] as Row[])[0]!;
    expect(done[0]!['StartTime']).toBe(op['GmtCreate']);
    expect(done.at(-1)!['EndTime']).toBe(op['GmtEnd']);
    // Without OperationId: the newest operation.
    expect((await activities(base, { InstanceId: id })).data).toEqual(done);
    expect(emu!.record().stats.callsByAction['ListOperationActivity']).toBeGreaterThanOrEqual(4);
  });

  it('shared_nothing restarts BE nodes; a node-group restart has its own steps', async () => {
    const { base, ids } = await start({ restartDuration: { kind: 'fixed', ms: 30 }, fleet: { instances: [{ regionId: 'cn-hangzhou', runMode: 'shared_nothing' }, { regionId: 'cn-hangzhou' }] } });
    await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    const fe = emu!.instances()[1]!.nodeGroups.find((g) => g.componentType === 'FE')!;
    await signedCall({ baseUrl: base, action: 'RestartNodeGroup', query: { InstanceId: ids[1]!, NodeGroupId: fe.nodeGroupId } });
    await waitFor(() => emu!.instances().every((i) => i.status === 'running'));
    expect((await activities(base, { InstanceId: ids[0]! })).data.map((a) => a['Name'])).toEqual(['Restart BE nodes', ...STEPS_CN.slice(1)]);
    expect((await activities(base, { InstanceId: ids[1]! })).data.map((a) => a['Name'])).toEqual(['Restart FE follower nodes', 'Restart FE leader node', 'Health check']);
  });

  it('a failed restart fails its health check; a forced status fails the step in progress; a stuck restart keeps checking', async () => {
    const { base, ids } = await start({
      restartDuration: { kind: 'fixed', ms: 60 },
      fleet: { instances: [{ regionId: 'cn-hangzhou', failRestart: true }, { regionId: 'cn-hangzhou', restartDurationMs: 10_000 }, { regionId: 'cn-hangzhou', stuck: true, restartDurationMs: 40 }] },
    });
    for (const id of ids) await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } });
    await waitFor(() => emu!.instances()[0]!.status === 'creating_failed');
    const failed = (await activities(base, { InstanceId: ids[0]! })).data;
    expect(failed.map((a) => a['ActivityStatus'])).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED']);
    expect(failed.at(-1)).toMatchObject({ Name: 'Health check', ErrMessage: expect.stringContaining('creating_failed'), EndTime: expect.any(Number) });

    emu!.patchInstance(ids[1]!, { status: 'running' });
    const forced = (await activities(base, { InstanceId: ids[1]! })).data;
    expect(forced).toEqual([expect.objectContaining({ Name: 'Restart CN nodes', ActivityStatus: 'FAILED', ErrMessage: expect.stringContaining('set to running') })]);

    await waitFor(() => Date.now() > (emu!.record().restarts[2]!.atMs + 200));
    const stuck = (await activities(base, { InstanceId: ids[2]! })).data;
    expect(stuck.map((a) => a['ActivityStatus'])).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'RUNNING']);
  });

  it('busy operations have one step; the restart history is all COMPLETED', async () => {
    const { base, ids } = await start({ fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 2 }, restartHistory: { perInstance: 2 } } });
    emu!.patchInstance(ids[0]!, { status: 'scaling_out', settleAfterMs: 100 });
    expect((await activities(base, { InstanceId: ids[0]! })).data).toEqual([expect.objectContaining({ Name: 'scale_out', ActivityStatus: 'RUNNING' })]);
    await waitFor(() => emu!.instances()[0]!.status === 'running');
    expect((await activities(base, { InstanceId: ids[0]! })).data).toEqual([expect.objectContaining({ Name: 'scale_out', ActivityStatus: 'COMPLETED' })]);
    const past = ((await signedCall({ baseUrl: base, action: 'ListOperationHistory', query: { InstanceId: ids[1]! } })).json!['Data'] as Row[])[1]!;
    const steps = (await activities(base, { InstanceId: ids[1]!, OperationId: past['OperationId'] as string })).data;
    expect(steps.map((a) => a['ActivityStatus'])).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(steps.at(-1)!['EndTime']).toBe(past['GmtEnd']);
  });

  it('errors: missing InstanceId (gateway), unknown instance or operation (InvalidParams), RAM-revoked action name', async () => {
    const { base, ids } = await start();
    const missing = await signedCall({ baseUrl: base, action: 'ListOperationActivity' });
    expect([missing.status, missing.json?.['Code']]).toEqual([400, 'MissingInstanceId']);
    expect((await activities(base, { InstanceId: 'c-ffffffffffffffff' })).res).toMatchObject({ Success: false, ErrCode: 'InvalidParams', ErrMessage: 'Invalid params: [instance not exists].' });
    expect((await activities(base, { InstanceId: ids[0]!, OperationId: 'op-0000000000000000' })).res).toMatchObject({ Success: false, ErrMessage: 'Invalid params: [operation not exists].' });
    expect((await activities(base, { InstanceId: ids[0]! })).res).toMatchObject({ Success: true, Total: 0, Data: [] });
    emu!.patchFaults({ ramDeny: { actions: ['ListOperationActivity'] } });
    const denied = await signedCall({ baseUrl: base, action: 'ListOperationActivity', query: { InstanceId: ids[0]! } });
    expect(denied.json).toMatchObject({ Code: 'Forbidden.RAM', AccessDeniedDetail: { AuthAction: 'sr:ListOperationActivity' } });
  });
});
