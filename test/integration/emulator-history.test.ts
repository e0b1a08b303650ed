/**
 * Restart durations per instance and the restart history a duration estimate reads: each instance
 * draws its own median once; past restart_cluster operations carry that instance's durations and
 * are served by ListOperationHistory (paged, newest first, StartTime/EndTime filters).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type FleetSeed } from '../../src/emulator/index';
import { drawDuration, randomStreams } from '../../src/emulator/prng';
import { signedCall } from '../../src/emulator/signed-request';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

type Row = Record<string, unknown>;

async function history(base: string, instanceId: string, query: Record<string, string | number> = {}): Promise<{ total: number; data: Row[] }> {
  const res = await signedCall({ baseUrl: base, action: 'ListOperationHistory', query: { InstanceId: instanceId, ...query } });
  expect(res.json?.['Success']).toBe(true);
  return { total: res.json?.['Total'] as number, data: res.json?.['Data'] as Row[] };
}

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

const LOGNORMAL = { kind: 'lognormal' as const, medianMs: 60, sigma: 0.6 };

async function restartAll(e: Emulator, rounds: number): Promise<void> {
  const base = e.endpoints['cn-hangzhou']!;
  for (let round = 0; round < rounds; round++) {
    for (const i of e.instances()) await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: i.instanceId } });
    await waitFor(() => e.instances().every((i) => i.status === 'running'));
  }
}

describe('per-instance restart durations', () => {
  it('without the option a restart draws from the fleet distribution, exactly as before', async () => {
    emu = await startEmulator({ seed: 3, restartDuration: LOGNORMAL, fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 3 } } });
    expect(emu.instances().every((i) => i.restartMedianMs === undefined)).toBe(true);
    await restartAll(emu, 1);
    const durations = randomStreams(3).durations;
    const expected = [0, 1, 2].map(() => drawDuration(durations, LOGNORMAL));
    expect(emu.record().restarts.map((r) => r.plannedDurationMs)).toEqual(expected);
    expect((await history(emu.endpoints['cn-hangzhou']!, emu.instances()[0]!.instanceId)).total).toBe(1);
  });

  it('each instance draws its own median once; its restarts take that median (noise 0: exactly)', async () => {
    emu = await startEmulator({ seed: 3, restartDuration: LOGNORMAL, fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 4 }, perInstanceRestartDuration: { noiseSigma: 0 } } });
    const medians = emu.instances().map((i) => i.restartMedianMs!);
    expect(new Set(medians).size).toBe(4);
    await restartAll(emu, 2);
    const byInstance = new Map<string, number[]>();
    for (const r of emu.record().restarts) byInstance.set(r.instanceId, [...(byInstance.get(r.instanceId) ?? []), r.plannedDurationMs]);
    expect(emu.instances().map((i) => byInstance.get(i.instanceId))).toEqual(medians.map((m) => [m, m]));
  });

  it('with noise, one instance restarts around its own median, far tighter than the fleet spread', async () => {
    emu = await startEmulator({
      seed: 11,
      restartDuration: { kind: 'lognormal', medianMs: 40, sigma: 0.8 },
      fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 3 }, perInstanceRestartDuration: { noiseSigma: 0.05 } },
    });
    await restartAll(emu, 4);
    for (const instance of emu.instances()) {
      const mine = emu.record().restarts.filter((r) => r.instanceId === instance.instanceId).map((r) => r.plannedDurationMs);
      expect(mine).toHaveLength(4);
      for (const d of mine) expect(Math.abs(Math.log(d / instance.restartMedianMs!))).toBeLessThan(0.25);
    }
  });
});

describe('restart history', () => {
  const seed = (extra: Partial<FleetSeed> = {}): FleetSeed => ({
    seed: 21,
    restartDuration: { kind: 'lognormal', medianMs: 90_000, sigma: 0.5 },
    generate: { regions: ['cn-hangzhou'], perRegion: 3 },
    ...extra,
  });

  it('N past restart_cluster operations per instance: COMPLETED, in the past, paged newest first, with the instance’s own durations', async () => {
    emu = await startEmulator({ fleet: seed({ restartHistory: { perInstance: 12, intervalMs: 3_600_000 } }) });
    const base = emu.endpoints['cn-hangzhou']!;
    const now = Date.now();
    for (const instance of emu.instances()) {
      const pages: Row[] = [];
      for (let page = 1; page <= 3; page++) {
        const { total, data } = await history(base, instance.instanceId, { PageNumber: page, PageSize: 5 });
        expect(total).toBe(12);
        pages.push(...data);
      }
      expect(pages).toHaveLength(12);
      const creates = pages.map((o) => o['GmtCreate'] as number);
      expect([...creates].sort((a, b) => b - a)).toEqual(creates);
      for (const op of pages) {
        expect(op).toMatchObject({ OperationType: 'restart_cluster', OperationStatus: 'COMPLETED', Progress: 100, InstanceId: instance.instanceId });
        expect(op['OperationId']).toMatch(/^op-[0-9a-f]{16}$/);
        const gmtCreate = op['GmtCreate'] as number;
        const gmtEnd = op['GmtEnd'] as number;
        expect(gmtEnd).toBeLessThan(now);
        expect(gmtCreate).toBeGreaterThan(instance.beginTime);
        // The default noise (sigma 0.1) keeps a past restart within a factor 1.6 of the instance's median.
        expect(Math.abs(Math.log((gmtEnd - gmtCreate) / instance.restartMedianMs!))).toBeLessThan(0.5);
      }
      expect(new Set(pages.map((o) => o['OperationId'])).size).toBe(12);
    }
    const medians = emu.instances().map((i) => i.restartMedianMs!);
    expect(Math.max(...medians) / Math.min(...medians)).toBeGreaterThan(1.1);
  });

  it('StartTime/EndTime filter on GmtCreate; a new restart is listed first', async () => {
    emu = await startEmulator({ restartDuration: { kind: 'fixed', ms: 30 }, fleet: seed({ restartDuration: { kind: 'fixed', ms: 45_000 }, perInstanceRestartDuration: { noiseSigma: 0 }, restartHistory: { perInstance: 6, intervalMs: 3_600_000 } }) });
    const base = emu.endpoints['cn-hangzhou']!;
    const id = emu.instances()[0]!.instanceId;
    const all = (await history(base, id, { PageSize: 50 })).data;
    expect(all.every((o) => (o['GmtEnd'] as number) - (o['GmtCreate'] as number) === 45_000)).toBe(true);
    const middle = all[2]!['GmtCreate'] as number;
    const recent = await history(base, id, { StartTime: middle });
    expect(recent.data.map((o) => o['OperationId'])).toEqual(all.slice(0, 3).map((o) => o['OperationId']));
    const older = await history(base, id, { EndTime: middle - 1 });
    expect(older.total).toBe(3);

    emu.patchInstance(id, { restartDurationMs: 20 });
    await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } });
    const after = await history(base, id);
    expect(after.total).toBe(7);
    expect(after.data[0]).toMatchObject({ OperationType: 'restart_cluster', OperationId: emu.record().restarts[0]!.operationId });
  });

  it('is reproducible for a seed and leaves instance ids as a seed without history makes them', async () => {
    const take = async (extra: Partial<FleetSeed>): Promise<{ ids: string[]; ops: unknown[] }> => {
      const e = await startEmulator({ fleet: seed(extra) });
      const id = e.instances()[0]!.instanceId;
      const { data } = await history(e.endpoints['cn-hangzhou']!, id, { PageSize: 50 });
      const out = { ids: e.instances().map((i) => i.instanceId), ops: data.map((o) => (o['GmtEnd'] as number) - (o['GmtCreate'] as number)) };
      await e.close();
      return out;
    };
    const first = await take({ restartHistory: { perInstance: 5 } });
    expect(await take({ restartHistory: { perInstance: 5 } })).toEqual(first);
    expect((await take({})).ids).toEqual(first.ids);
    expect(first.ops).toHaveLength(5);
  });

  it('rejects a bad history request with its path', () => {
    return expect(startEmulator({ fleet: seed({ restartHistory: { perInstance: -1 } }) })).rejects.toMatchObject({ problems: [expect.objectContaining({ path: 'restartHistory.perInstance' })] });
  });
});
