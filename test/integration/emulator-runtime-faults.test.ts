/**
 * Run-time faults for the rollout engine's end-to-end tests, switched over the control API (as a
 * test in another process would) and judged from the emulator's record: RAM revoked, a restart
 * made by someone else, another operation in flight, and OperationDenied.InstanceStatus.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorControlClient } from '../../src/emulator/control-client';
import { MSG_NOT_RUNNING, startEmulator, type Emulator } from '../../src/emulator/index';
import { maxConcurrentRestarting, multipleRestarts, restartCountsByInstance, restartsAfterForeignSettled, restartsDuringForeign } from '../../src/emulator/invariants';
import { signedCall } from '../../src/emulator/signed-request';

const STS_KEY = { accessKeyId: 'STS.RUNTIME0TEMP', accessKeySecret: 'sts-secret', securityToken: 'FAKE.STS.TOKEN' };

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(perRegion = 3, restartMs = 60): Promise<{ base: string; control: EmulatorControlClient; ids: string[] }> {
  emu = await startEmulator({
    keys: [{ accessKeyId: 'STARWAVE0EMULATOR0KEY', accessKeySecret: 'emulator-secret-not-for-production' }, STS_KEY],
    fleet: { generate: { regions: ['cn-hangzhou'], perRegion } },
    restartDuration: { kind: 'fixed', ms: restartMs },
  });
  return { base: emu.endpoints['cn-hangzhou']!, control: new EmulatorControlClient(emu.controlUrl), ids: emu.instances().map((i) => i.instanceId) };
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

type Row = Record<string, unknown>;
async function operations(base: string, instanceId: string, query: Record<string, string> = {}): Promise<Row[]> {
  const res = await signedCall({ baseUrl: base, action: 'ListOperationHistory', query: { InstanceId: instanceId, ...query } });
  expect(res.json?.['Success']).toBe(true);
  return res.json?.['Data'] as Row[];
}
async function statusOf(base: string, instanceId: string): Promise<unknown> {
  const res = await signedCall({ baseUrl: base, action: 'DescribeInstances', query: { InstanceId: instanceId } });
  return (res.json?.['Data'] as Row[])[0]?.['InstanceStatus'];
}

describe('RAM revoked (faults.ramDeny)', () => {
  it('refuses every action for every key with 403 Forbidden.RAM naming sr:<Action>, until cleared', async () => {
    const { base, control, ids } = await start();
    expect((await signedCall({ baseUrl: base, action: 'DescribeRegions' })).status).toBe(200);
    await control.patchFaults({ ramDeny: {} });

    for (const [action, query] of [
      ['DescribeRegions', {}],
      ['DescribeInstances', {}],
      ['RestartInstance', { InstanceId: ids[0]! }],
      ['ListOperationHistory', { InstanceId: ids[0]! }],
      ['DescribeNodeGroups', { ClusterId: ids[0]! }],
    ] as const) {
      for (const key of [undefined, STS_KEY]) {
        const res = await signedCall({ baseUrl: base, action, query, ...(key ? { key } : {}) });
        expect(res.status).toBe(403);
        expect(res.json).toMatchObject({ Code: 'Forbidden.RAM', AccessDeniedDetail: { AuthAction: `sr:${action}`, NoPermissionType: 'ImplicitDeny' } });
      }
    }
    const instanceScoped = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(String(instanceScoped.json?.['Message'])).toContain(`instance/${ids[0]}`);

    const record = await control.record();
    expect(record.restarts).toEqual([]);
    const denied = record.calls.filter((c) => c.fault === 'ram-deny');
    expect(denied).toHaveLength(11);
    expect(denied.every((c) => c.httpStatus === 403 && c.code === 'Forbidden.RAM')).toBe(true);
    expect(record.faultChanges?.at(-1)?.faults).toEqual({ ramDeny: {} });

    await control.patchFaults({ ramDeny: null });
    expect((await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } })).json).toMatchObject({ Success: true });
    expect((await control.record()).faultChanges?.at(-1)?.faults).toEqual({});
  });

  it('service style → 403 envelope NoPermission with AccessDeniedDetail as a JSON string; scoped to actions', async () => {
    const { base, control, ids } = await start();
    await control.patchFaults({ ramDeny: { style: 'service', actions: ['RestartInstance'] } });
    const res = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ Success: false, ErrCode: 'NoPermission', HttpStatusCode: 403, Data: false });
    expect(JSON.parse(String(res.json?.['AccessDeniedDetail']))).toMatchObject({ AuthAction: 'sr:RestartInstance' });
    // Reads are still allowed.
    expect((await signedCall({ baseUrl: base, action: 'DescribeInstances' })).status).toBe(200);
    expect(emu!.record().restarts).toEqual([]);
  });

  it('a wrong signature is still SignatureDoesNotMatch (authentication comes before RAM)', async () => {
    const { base, control } = await start(1);
    await control.patchFaults({ ramDeny: {} });
    const res = await signedCall({ baseUrl: base, action: 'DescribeRegions', signWithSecret: 'wrong' });
    expect(res.json?.['Code']).toBe('SignatureDoesNotMatch');
  });
});

describe('a restart made by someone else (foreign restart)', () => {
  it('turns the instance restarting with a restart_cluster operation, finishes after the duration, and is recorded as foreign', async () => {
    const { base, control, ids } = await start(3, 40);
    const id = ids[0]!;
    const foreign = await control.foreignRestart(id, { durationMs: 150 });
    expect(foreign).toMatchObject({ instanceId: id, origin: 'foreign', action: 'RestartInstance', plannedDurationMs: 150, outcome: 'pending' });
    expect(await statusOf(base, id)).toBe('restarting');
    const [running] = await operations(base, id);
    expect(running).toMatchObject({ OperationType: 'restart_cluster', OperationStatus: 'RUNNING', OperationId: foreign.operationId });

    // Ours is refused while it runs, like any restart of a non-running instance.
    const refused = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } });
    expect(refused.json).toMatchObject({ Success: false, ErrMessage: MSG_NOT_RUNNING });
    await expect(control.foreignRestart(id)).rejects.toMatchObject({ status: 409, problems: [expect.objectContaining({ path: 'instanceId' })] });

    await waitFor(async () => (await statusOf(base, id)) === 'running');
    expect((await operations(base, id))[0]).toMatchObject({ OperationStatus: 'COMPLETED', Progress: 100 });
    const settled = (await control.record()).restarts.find((r) => r.origin === 'foreign')!;
    expect(settled.outcome).toBe('running');
    expect(settled.endedSeq).toEqual(expect.any(Number));

    // The foreign restart settled: exactly one RestartInstance of ours after it.
    expect(restartsAfterForeignSettled(await control.record(), id)).toEqual([]);
    expect((await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } })).json).toMatchObject({ Success: true });
    await waitFor(() => emu!.instances()[0]!.status === 'running');
    const record = await control.record();
    expect(restartsAfterForeignSettled(record, id)).toHaveLength(1);
    expect(restartsDuringForeign(record)).toEqual([]);
    expect(record.transitions.filter((t) => t.instanceId === id).map((t) => t.cause)).toEqual(['foreign-restart', 'foreign-restart-complete', 'restart', 'restart-complete']);

    // The invariant helpers count only our restarts by default.
    expect(record.stats.restartsByInstance).toEqual({ [id]: 1 });
    expect(record.stats.foreignRestartsByInstance).toEqual({ [id]: 1 });
    expect(restartCountsByInstance(record)).toEqual({ [id]: 1 });
    expect(multipleRestarts(record)).toEqual([]);
    expect(multipleRestarts(record, 1, { includeForeign: true })).toEqual([{ instanceId: id, count: 2 }]);
    expect(maxConcurrentRestarting(record)).toBe(1);
  });

  it('unknown instance → 404, invalid options → 400; in-process foreignRestart works the same', async () => {
    const { control, ids } = await start(2);
    await expect(control.foreignRestart('c-ffffffffffffffff')).rejects.toMatchObject({ status: 404 });
    await expect(control.foreignRestart(ids[0]!, { durationMs: -5 } as never)).rejects.toMatchObject({ status: 400, problems: [expect.objectContaining({ path: 'durationMs' })] });
    const restart = emu!.foreignRestart(ids[1]!, { durationMs: 30 });
    expect(restart.origin).toBe('foreign');
    expect(emu!.instances()[1]!.status).toBe('restarting');
    expect(() => emu!.foreignRestart(ids[1]!)).toThrow(/not running/);
  });

  it('an API restart made during a foreign restart is visible to restartsDuringForeign (the check can fail)', async () => {
    const { ids } = await start(1);
    const id = ids[0]!;
    // flipDelayMs lets our restart be accepted while the instance still reads running; then the foreign one is refused.
    emu!.patchFaults({ flipDelayMs: 200 });
    await signedCall({ baseUrl: emu!.controlUrl, action: 'RestartInstance', query: { InstanceId: id } });
    expect(() => emu!.foreignRestart(id)).toThrow(/about to restart/);
    // A hand-made record of the hazard: ours landed inside the foreign one's window.
    const record = {
      restarts: [
        { ...emu!.record().restarts[0]!, seq: 5, origin: 'api' as const },
        { ...emu!.record().restarts[0]!, seq: 2, origin: 'foreign' as const, endedSeq: 9 },
      ],
    };
    expect(restartsDuringForeign(record)).toHaveLength(1);
  });
});

describe('another operation in flight (BUSY status with its operation)', () => {
  it('PATCH status scaling_out for a while → scale_out RUNNING in ListOperationHistory, COMPLETED when it settles', async () => {
    const { base, control, ids } = await start(2);
    const id = ids[0]!;
    await control.patchInstance(id, { status: 'scaling_out', settleAfterMs: 200 });
    expect(await statusOf(base, id)).toBe('scaling_out');
    const [op] = await operations(base, id);
    expect(op).toMatchObject({ OperationType: 'scale_out', OperationStatus: 'RUNNING', InstanceId: id });
    expect(op!['OperationId']).toMatch(/^op-[0-9a-f]{16}$/);
    expect((await operations(base, id, { OperationType: 'restart_cluster' })).length).toBe(0);
    await waitFor(async () => (await statusOf(base, id)) === 'running');
    const [done] = await operations(base, id);
    expect(done).toMatchObject({ OperationType: 'scale_out', OperationStatus: 'COMPLETED', Progress: 100 });
    expect(done!['GmtEnd']).toBeGreaterThanOrEqual(done!['GmtCreate'] as number);
  });

  it('every BUSY kind maps to its operation; forcing another status TERMINATES it; settleAfterMs alone is an upgrade', async () => {
    const { base, control, ids } = await start(3);
    for (const [status, type] of [
      ['modifying_config', 'modify_config'],
      ['upgrading', 'upgrade'],
      ['scaling_up', 'scale_up'],
    ] as const) {
      await control.patchInstance(ids[0]!, { status });
      expect((await operations(base, ids[0]!))[0]).toMatchObject({ OperationType: type, OperationStatus: 'RUNNING' });
    }
    const history = await operations(base, ids[0]!);
    expect(history.map((o) => [o['OperationType'], o['OperationStatus']])).toEqual([
      ['scale_up', 'RUNNING'],
      ['upgrade', 'TERMINATED'],
      ['modify_config', 'TERMINATED'],
    ]);
    await control.patchInstance(ids[1]!, { settleAfterMs: 100 });
    expect((await operations(base, ids[1]!))[0]).toMatchObject({ OperationType: 'upgrade', OperationStatus: 'RUNNING' });
    // Unavailable statuses are not operations.
    await control.patchInstance(ids[2]!, { status: 'disable' });
    expect(await operations(base, ids[2]!)).toEqual([]);
  });

  it('a seeded busy instance shows its operation from the start', async () => {
    emu = await startEmulator({ fleet: { instances: [{ regionId: 'cn-hangzhou', instanceId: 'c-00000000000000b1', status: 'modifying_config', settleAfterMs: 150 }] } });
    const base = emu.endpoints['cn-hangzhou']!;
    expect((await operations(base, 'c-00000000000000b1'))[0]).toMatchObject({ OperationType: 'modify_config', OperationStatus: 'RUNNING' });
    await waitFor(() => emu!.instances()[0]!.status === 'running');
    expect((await operations(base, 'c-00000000000000b1'))[0]).toMatchObject({ OperationStatus: 'COMPLETED' });
  });
});

describe('OperationDenied.InstanceStatus switch (faults.notRunningCode)', () => {
  it('RestartInstance / RestartNodeGroup of a non-running instance answer OperationDenied.InstanceStatus; default stays InvalidParams', async () => {
    const { base, control, ids } = await start(2);
    await control.patchInstance(ids[0]!, { status: 'upgrading' });
    const byDefault = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(byDefault.json).toMatchObject({ Success: false, ErrCode: 'InvalidParams', ErrMessage: MSG_NOT_RUNNING });

    await control.patchFaults({ notRunningCode: 'OperationDenied.InstanceStatus' });
    const denied = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(denied.status).toBe(200);
    expect(denied.json).toMatchObject({ Success: false, ErrCode: 'OperationDenied.InstanceStatus', HttpStatusCode: 200, Data: false });
    expect(String(denied.json?.['ErrMessage'])).toContain('upgrading');
    const group = emu!.instances()[0]!.nodeGroups[0]!.nodeGroupId;
    const groupDenied = await signedCall({ baseUrl: base, action: 'RestartNodeGroup', query: { InstanceId: ids[0]!, NodeGroupId: group } });
    expect(groupDenied.json).toMatchObject({ ErrCode: 'OperationDenied.InstanceStatus' });
    // A running instance still restarts.
    expect((await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[1]! } })).json).toMatchObject({ Success: true });
    expect(emu!.record().calls.filter((c) => c.code === 'OperationDenied.InstanceStatus')).toHaveLength(2);
    await expect(control.patchFaults({ notRunningCode: 'Nope' })).rejects.toMatchObject({ status: 400 });
  });
});
