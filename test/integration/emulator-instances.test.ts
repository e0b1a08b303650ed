/**
 * Instance attributes set by seed or PATCH and read back over DescribeInstances (MaintainablePeriod,
 * spec §3.2, §11), and the paging of the list operations (spec §3.4, §3.5: defaults 10, no maximum
 * documented; the emulator caps PageSize like DescribeInstances).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorControlClient } from '../../src/emulator/control-client';
import { startEmulator, type Emulator } from '../../src/emulator/index';
import { signedCall } from '../../src/emulator/signed-request';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

type Row = Record<string, unknown>;
async function describeOne(base: string, instanceId: string): Promise<Row> {
  return ((await signedCall({ baseUrl: base, action: 'DescribeInstances', query: { InstanceId: instanceId } })).json!['Data'] as Row[])[0]!;
}

describe('MaintainablePeriod', () => {
  it('comes from the seed (or a default one-hour slot) and can be PATCHed; DescribeInstances returns it', async () => {
    emu = await startEmulator({
      fleet: { instances: [{ regionId: 'cn-hangzhou', maintainablePeriod: '22:00-02:00' }, { regionId: 'cn-hangzhou' }] },
    });
    const base = emu.endpoints['cn-hangzhou']!;
    const [a, b] = emu.instances();
    expect((await describeOne(base, a!.instanceId))['MaintainablePeriod']).toBe('22:00-02:00');
    expect((await describeOne(base, b!.instanceId))['MaintainablePeriod']).toMatch(/^0[0-5]:00-0[1-6]:00$/);

    const control = new EmulatorControlClient(emu.controlUrl);
    expect((await control.patchInstance(a!.instanceId, { maintainablePeriod: '03:30-04:30' })).maintainablePeriod).toBe('03:30-04:30');
    expect((await describeOne(base, a!.instanceId))['MaintainablePeriod']).toBe('03:30-04:30');
  });

  it('rejects anything but HH:MM-HH:MM (hours 00-23), naming the path', async () => {
    emu = await startEmulator({ fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 1 } } });
    const control = new EmulatorControlClient(emu.controlUrl);
    const id = emu.instances()[0]!.instanceId;
    for (const bad of ['0:00-6:00', '00:00-24:00', '00:60-01:00', '00:00-00:00', '00:00 - 06:00', '00:00-06:00x', '']) {
      await expect(control.patchInstance(id, { maintainablePeriod: bad })).rejects.toMatchObject({ status: 400, problems: [expect.objectContaining({ path: 'maintainablePeriod' })] });
    }
    await expect(control.seed({ instances: [{ regionId: 'cn-hangzhou', maintainablePeriod: '25:00-01:00' }] })).rejects.toMatchObject({
      status: 400,
      problems: [expect.objectContaining({ path: 'instances.0.maintainablePeriod' })],
    });
  });
});

describe('paging of DescribeNodeGroups and ListOperationHistory', () => {
  it('PageSize above the cap is capped (not rejected): pages of at most 100, Total = all, defaults 10', async () => {
    emu = await startEmulator({ fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 1 }, restartHistory: { perInstance: 130 } } });
    const base = emu.endpoints['cn-hangzhou']!;
    const id = emu.instances()[0]!.instanceId;
    const list = async (query: Record<string, string | number>) => (await signedCall({ baseUrl: base, action: 'ListOperationHistory', query: { InstanceId: id, ...query } })).json!;
    const big = await list({ PageSize: 500 });
    expect(big).toMatchObject({ Success: true, Total: 130 });
    expect(big['Data']).toHaveLength(100);
    expect((await list({ PageSize: 500, PageNumber: 2 }))['Data']).toHaveLength(30);
    expect((await list({}))['Data']).toHaveLength(10);
    const tooBig = await signedCall({ baseUrl: base, action: 'ListOperationHistory', query: { InstanceId: id, PageSize: 100_001 } });
    expect([tooBig.status, tooBig.json?.['Code']]).toEqual([400, 'InvalidParameter']);

    const groups = await signedCall({ baseUrl: base, action: 'DescribeNodeGroups', query: { ClusterId: id, PageSize: 1_000 } });
    expect(groups.json).toMatchObject({ Success: true, Total: 2 });
    expect(groups.json?.['Data']).toHaveLength(2);
    const zero = await signedCall({ baseUrl: base, action: 'DescribeNodeGroups', query: { ClusterId: id, PageSize: 0 } });
    expect([zero.status, zero.json?.['Code']]).toEqual([400, 'InvalidParameter']);
  });
});
