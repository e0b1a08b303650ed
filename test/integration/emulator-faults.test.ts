import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type FaultConfig } from '../../src/emulator/index';
import { signedCall } from '../../src/emulator/signed-request';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(faults: FaultConfig, regions = ['cn-hangzhou']): Promise<{ base: string; ids: string[] }> {
  emu = await startEmulator({ regions, faults, restartDuration: { kind: 'fixed', ms: 60 }, fleet: { generate: { regions, perRegion: 3 } } });
  return { base: emu.endpoints[regions[0]!]!, ids: emu.instances().map((i) => i.instanceId) };
}

const describeRegions = (baseUrl: string) => signedCall({ baseUrl, action: 'DescribeRegions' });

describe('fault switches', () => {
  it('throttling per AccessKeyId (token bucket) → 400 Throttling.User with x-acs-retry-after (ms)', async () => {
    const { base } = await start({ throttling: { userQps: 1, burst: 2 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await describeRegions(base));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 400, 400]);
    expect(statuses[2]!.json?.['Code']).toBe('Throttling.User');
    const retryAfter = Number(statuses[2]!.headers['x-acs-retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(1000);
    expect(emu!.record().calls.at(-1)).toMatchObject({ fault: 'throttling.user', code: 'Throttling.User', httpStatus: 400 });
  });

  it('throttling per API → Throttling.Api, scoped to the listed actions', async () => {
    const { base, ids } = await start({ throttling: { apiQps: 1, burst: 1, actions: ['DescribeInstances'] } });
    expect((await signedCall({ baseUrl: base, action: 'DescribeInstances' })).status).toBe(200);
    const second = await signedCall({ baseUrl: base, action: 'DescribeInstances' });
    expect([second.status, second.json?.['Code']]).toEqual([400, 'Throttling.Api']);
    // Other actions are not throttled.
    expect((await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } })).status).toBe(200);
  });

  it('throttling by rate, with a configured retry-after', async () => {
    const { base } = await start({ throttling: { rate: 1, retryAfterMs: 750 } });
    const res = await describeRegions(base);
    expect([res.status, res.json?.['Code'], res.headers['x-acs-retry-after']]).toEqual([400, 'Throttling.User', '750']);
  });

  it('5xx rate → 503 ServiceUnavailable / 500 InternalError, call not applied', async () => {
    const { base, ids } = await start({ serverErrors: { rate: 1 } });
    const res = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect([res.status, res.json?.['Code']]).toEqual([503, 'ServiceUnavailable']);
    emu!.setFaults({ serverErrors: { rate: 1, statuses: [500] } });
    const res500 = await describeRegions(base);
    expect([res500.status, res500.json?.['Code']]).toEqual([500, 'InternalError']);
    expect(emu!.record().restarts).toEqual([]);
  });

  it('added latency (fixed + spikes) delays the answer and is recorded', async () => {
    const { base } = await start({ latency: { fixedMs: 120 } });
    const t0 = Date.now();
    await describeRegions(base);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    expect(emu!.record().calls.at(-1)!.addedLatencyMs).toBe(120);
    emu!.setFaults({ latency: { spikeRate: 1, spikeMs: 150 } });
    const t1 = Date.now();
    await describeRegions(base);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(140);
  });

  it('dropBeforeRate: the socket dies and the restart did NOT happen', async () => {
    const { base, ids } = await start({ drops: { dropBeforeRate: 1 } });
    await expect(signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } })).rejects.toThrow();
    expect(emu!.record().restarts).toEqual([]);
    expect(emu!.instances()[0]!.status).toBe('running');
    expect(emu!.record().calls.at(-1)).toMatchObject({ dropped: true, fault: 'drop-before', httpStatus: 0, action: 'RestartInstance', instanceId: ids[0] });
  });

  it('dropAfterRate: the restart HAPPENED but the client never hears; a blind retry is rejected as not running', async () => {
    const { base, ids } = await start({ drops: { dropAfterRate: 1, actions: ['RestartInstance'] } });
    await expect(signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } })).rejects.toThrow();
    const record = emu!.record();
    expect(record.restarts).toHaveLength(1);
    expect(record.calls.at(-1)).toMatchObject({ dropped: true, fault: 'drop-after' });
    // Reads are not affected (scoped), and show the restart.
    const read = await signedCall({ baseUrl: base, action: 'DescribeInstances', query: { InstanceId: ids[0]! } });
    expect((read.json?.['Data'] as Array<Record<string, unknown>>)[0]?.['InstanceStatus']).toBe('restarting');
    emu!.setFaults({});
    const retry = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(retry.json).toMatchObject({ Success: false, ErrCode: 'InvalidParams' });
    expect(emu!.record().stats.restartsByInstance[ids[0]!]).toBe(1);
  });

  it('malformed: HTTP 200 with invalid JSON, and the call was applied', async () => {
    const { base, ids } = await start({ malformed: { rate: 1 } });
    const res = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(res.status).toBe(200);
    expect(res.json).toBeUndefined();
    expect(() => JSON.parse(res.text)).toThrow();
    expect(emu!.record().restarts).toHaveLength(1);
    expect(emu!.record().calls.at(-1)!.fault).toBe('malformed');
  });

  it('serviceFailure: HTTP 200 Success:false with the spec example (Data:true!) or a configured code', async () => {
    const { base, ids } = await start({ serviceFailure: { rate: 1 } });
    const res = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ Success: false, ErrCode: 'InvalidParams', ErrMessage: 'Unsupported.Non.Whitelist.Operation', Data: true, HttpStatusCode: 200 });
    emu!.setFaults({ serviceFailure: { rate: 1, code: 'OperationDenied.InstanceStatus', message: 'busy' } });
    const custom = await describeRegions(base);
    expect(custom.json).toMatchObject({ Success: false, ErrCode: 'OperationDenied.InstanceStatus', ErrMessage: 'busy' });
    expect(emu!.record().restarts).toEqual([]);
  });

  it('clockSkewMs shifts the gateway clock: a correct client date becomes InvalidTimeStamp.Expired', async () => {
    const { base } = await start({ clockSkewMs: 20 * 60_000 });
    const res = await describeRegions(base);
    expect([res.status, res.json?.['Code']]).toEqual([400, 'InvalidTimeStamp.Expired']);
    const matching = await signedCall({ baseUrl: base, action: 'DescribeRegions', dateMs: Date.now() + 20 * 60_000 });
    expect(matching.status).toBe(200);
  });

  it('flipDelayMs: the instance reads running for a while after an accepted restart (stale read hazard)', async () => {
    const { base, ids } = await start({ flipDelayMs: 150 });
    await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(emu!.instances()[0]!.status).toBe('running');
    // A second restart during the flip delay is accepted: exactly the double restart an orchestrator must avoid.
    const second = await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    expect(second.json?.['Success']).toBe(true);
    expect(emu!.record().stats.restartsByInstance[ids[0]!]).toBe(2);
    await sleep(200);
    expect(emu!.record().transitions.filter((t) => t.cause === 'restart')).toHaveLength(1);
  });

  it('restart outcomes by rate and by instance id, scoped by region', async () => {
    const { ids } = await start({ restarts: { failInstanceIds: [], stuckRate: 1, regions: ['cn-shanghai'] } }, ['cn-hangzhou', 'cn-shanghai']);
    const hz = emu!.endpoints['cn-hangzhou']!;
    const sh = emu!.endpoints['cn-shanghai']!;
    const shIds = ids.slice(3);
    await signedCall({ baseUrl: hz, action: 'RestartInstance', query: { InstanceId: ids[0]! } });
    await signedCall({ baseUrl: sh, action: 'RestartInstance', query: { InstanceId: shIds[0]! } });
    // An instance of another region does not exist at this endpoint.
    const wrongRegion = await signedCall({ baseUrl: hz, action: 'RestartInstance', query: { InstanceId: shIds[1]! } });
    expect(wrongRegion.json?.['ErrMessage']).toBe('Invalid params: [instance not exists].');
    emu!.setFaults({ restarts: { failInstanceIds: [ids[1]!], failStatus: 'deleting_failed' } });
    await signedCall({ baseUrl: hz, action: 'RestartInstance', query: { InstanceId: ids[1]! } });
    await sleep(150);
    const outcomes = Object.fromEntries(emu!.record().restarts.map((r) => [r.instanceId, r.outcome]));
    expect(outcomes).toEqual({ [ids[0]!]: 'running', [shIds[0]!]: 'stuck', [ids[1]!]: 'failed' });
    expect(emu!.instances().find((i) => i.instanceId === ids[1])!.status).toBe('deleting_failed');
  });

  it('fault draws are reproducible for a seed', async () => {
    const run = async (): Promise<number[]> => {
      const e = await startEmulator({ seed: 9, faults: { serverErrors: { rate: 0.5 } } });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await describeRegions(e.endpoints['cn-hangzhou']!)).status);
      await e.close();
      return out;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });
});
