/**
 * The StarRocks data plane (spec §11) served per instance on its own loopback address: FE
 * /api/health and /api/bootstrap, BE /api/health, following the restart lifecycle, with Basic
 * auth, the cluster token and per-instance faults. Judged over real HTTP and from record().probes.
 */
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorControlClient } from '../../src/emulator/control-client';
import { isLoopbackIPv4, startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index';
import { rawExchange } from '../../src/emulator/raw-request';
import { signedCall } from '../../src/emulator/signed-request';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const TIMING = { feReadyDelayMs: 150, backendsOnlineDelayMs: 300 };
/**
 * For tests that observe a phase between two moments (restarting, not ready yet, backends offline
 * yet): each phase lasts about a second, far longer than the few local requests that look at it.
 */
const SLOW_PHASES = { dataPlane: { feReadyDelayMs: 800, backendsOnlineDelayMs: 1_600 }, restartDuration: { kind: 'fixed' as const, ms: 1_000 } };

async function start(extra: Partial<EmulatorOptions> = {}, perRegion = 3): Promise<{ base: string; ids: string[]; control: EmulatorControlClient }> {
  emu = await startEmulator({
    fleet: { generate: { regions: ['cn-hangzhou'], perRegion } },
    restartDuration: { kind: 'fixed', ms: 150 },
    dataPlane: TIMING,
    ...extra,
  });
  return { base: emu.endpoints['cn-hangzhou']!, ids: emu.instances().map((i) => i.instanceId), control: new EmulatorControlClient(emu.controlUrl) };
}

interface ProbeAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}
type Probe = ProbeAnswer | { error: string };

/** One GET on a fresh connection (no keep-alive reuse across states). */
function get(url: string, headers: Record<string, string> = {}): Promise<Probe> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers, agent: false, timeout: 3_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? 'ERROR' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? 'ERROR' }));
    req.end();
  });
}
const answered = (p: Probe): ProbeAnswer => {
  if ('error' in p) throw new Error(`expected an answer, got ${p.error}`);
  return p;
};
const json = (p: Probe): Record<string, unknown> => JSON.parse(answered(p).body) as Record<string, unknown>;

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

type Row = Record<string, unknown>;
async function nodeGroups(base: string, id: string): Promise<Row[]> {
  return (await signedCall({ baseUrl: base, action: 'DescribeNodeGroups', query: { ClusterId: id } })).json?.['Data'] as Row[];
}

describe('addressing', () => {
  it('DescribeNodeGroups gives each instance its own loopback Endpoint, FE HttpPort = fePort, BE/CN = bePort; health and dataPlaneOf agree', async () => {
    const { base, ids, control } = await start();
    const ports = emu!.dataPlane!;
    expect(ports.fePort).toBeGreaterThan(0);
    expect(ports.bePort).toBeGreaterThan(0);
    expect(ports.fePort).not.toBe(ports.bePort);
    expect((await control.health()).dataPlane).toEqual(ports);

    const endpoints = new Set<string>();
    for (const id of ids) {
      const groups = await nodeGroups(base, id);
      const fe = groups.find((g) => g['ComponentType'] === 'FE')!;
      const cn = groups.find((g) => g['ComponentType'] === 'CN')!;
      expect(fe['Endpoint']).toMatch(/^127\.1\.\d+\.\d+$/);
      expect(cn['Endpoint']).toBe(fe['Endpoint']);
      expect([fe['HttpPort'], cn['HttpPort']]).toEqual([ports.fePort, ports.bePort]);
      endpoints.add(fe['Endpoint'] as string);
      const view = await control.dataPlaneOf(id);
      expect(view).toMatchObject({ instanceId: id, address: fe['Endpoint'], fePort: ports.fePort, bePort: ports.bePort, feReady: true, engineUp: true, backends: { total: 3, online: 3 } });
      expect(view.clusterToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    expect(endpoints.size).toBe(ids.length);
    await expect(control.dataPlaneOf('c-ffffffffffffffff')).rejects.toMatchObject({ status: 404 });
  });

  it('the cluster token is deterministic from the seed and differs per instance', async () => {
    const tokens = async (seed: number): Promise<string[]> => {
      const e = await startEmulator({ seed, fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 2 } } });
      const out = e.instances().map((i) => e.dataPlaneOf(i.instanceId).clusterToken);
      await e.close();
      return out;
    };
    const first = await tokens(5);
    expect(await tokens(5)).toEqual(first);
    expect(new Set(first).size).toBe(2);
    expect(await tokens(6)).not.toEqual(first);
  });

  it('connections to a loopback address without an instance, or to a non-loopback local address, are reset', async () => {
    await start({}, 1);
    const { fePort } = emu!.dataPlane!;
    expect('error' in (await get(`http://127.0.0.1:${fePort}/api/health`))).toBe(true);
    expect(isLoopbackIPv4('192.0.2.10')).toBe(false);
    expect(isLoopbackIPv4('::ffff:127.1.0.1')).toBe(true);
    // Reach the 0.0.0.0 listener through this machine's own non-loopback address, when it has one.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) {
      const res = await rawExchange({ host: external.address, port: fePort, bytes: 'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n', timeoutMs: 2_000 });
      expect(res.received.length).toBe(0);
      expect(emu!.record().probes!.some((p) => p.reason === 'not-loopback' && p.address === external.address)).toBe(true);
    }
    expect(emu!.record().probes!.some((p) => p.reason === 'unknown-address' && p.address === '127.0.0.1')).toBe(true);
  });
});

describe('FE and BE endpoints of a running instance', () => {
  it('FE /api/health, /api/bootstrap (without and with the token) and BE /api/health have the documented shapes', async () => {
    const { ids } = await start();
    const view = emu!.dataPlaneOf(ids[0]!);
    const health = answered(await get(`${view.feUrl}/api/health`));
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toMatch(/json/);
    expect(JSON.parse(health.body)).toEqual({ total_backend_num: 3, online_backend_num: 3, status: 'OK' });

    // Without a token StarRocks' gson output still carries the zero-valued fields.
    expect(json(await get(`${view.feUrl}/api/bootstrap`))).toEqual({ replayedJournalId: 0, queryPort: 0, rpcPort: 0, feStartTime: 0, heapUsedPercent: 0, status: 'OK', msg: 'Success' });
    const withToken = json(await get(`${view.feUrl}/api/bootstrap?token=${view.clusterToken}`));
    expect(withToken).toEqual({
      replayedJournalId: expect.any(Number),
      queryPort: 9030,
      rpcPort: 9020,
      feStartTime: view.feStartTime,
      feVersion: expect.stringMatching(/^3\.3\.9-[0-9a-f]{10}$/),
      heapUsedPercent: expect.any(Number),
      status: 'OK',
      msg: 'Success',
    });
    expect(withToken['replayedJournalId']).toBeGreaterThan(0);
    expect(json(await get(`${view.feUrl}/api/bootstrap?token=not-the-token`))).toMatchObject({ status: 'FAILED', msg: 'invalid parameter', feStartTime: 0 });

    const be = answered(await get(`${view.beUrl}/api/health`));
    expect([be.status, be.body]).toEqual([200, '{"status": "OK","msg": "To Be Added"}']);
    expect(answered(await get(`${view.feUrl}/api/nothing`)).status).toBe(404);

    const record = emu!.record();
    const probes = record.probes!.filter((p) => p.instanceId === ids[0]);
    expect(probes.map((p) => [p.component, p.path, p.httpStatus])).toEqual([
      ['FE', '/api/health', 200],
      ['FE', '/api/bootstrap', 200],
      ['FE', '/api/bootstrap', 200],
      ['FE', '/api/bootstrap', 200],
      ['BE', '/api/health', 200],
      ['FE', '/api/nothing', 404],
    ]);
    expect(probes.map((p) => p.tokenValid)).toEqual([undefined, undefined, true, false, undefined, undefined]);
    expect(record.stats.probesByInstance![ids[0]!]).toBe(6);
    // The token is the emulator's fake secret: never written into the record.
    expect(JSON.stringify(record)).not.toContain(view.clusterToken);
  });
});

describe('through a restart', () => {
  it('restarting: FE 500 (graceful exit), BE refused; running: not ready, backends offline, then OK with a new feStartTime', async () => {
    const { base, ids } = await start(SLOW_PHASES);
    const id = ids[0]!;
    const before = emu!.dataPlaneOf(id);
    expect((await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } })).json?.['Success']).toBe(true);

    const during = answered(await get(`${before.feUrl}/api/health`));
    expect([during.status, during.body]).toEqual([500, '']);
    expect(answered(await get(`${before.feUrl}/api/bootstrap?token=${before.clusterToken}`)).status).toBe(500);
    expect(await get(`${before.beUrl}/api/health`)).toEqual({ error: expect.any(String) });

    await waitFor(() => emu!.instances()[0]!.status === 'running');
    // The FE is up but not ready yet, and its backends are not online yet.
    const notReady = json(await get(`${before.feUrl}/api/bootstrap?token=${before.clusterToken}`));
    expect(notReady).toMatchObject({ status: 'FAILED', msg: 'not ready', feStartTime: 0 });
    expect(json(await get(`${before.feUrl}/api/health`))).toEqual({ total_backend_num: 3, online_backend_num: 0, status: 'OK' });

    await waitFor(async () => json(await get(`${before.feUrl}/api/bootstrap?token=${before.clusterToken}`))['status'] === 'OK');
    await waitFor(async () => json(await get(`${before.feUrl}/api/health`))['online_backend_num'] === 3);
    expect(answered(await get(`${before.beUrl}/api/health`)).status).toBe(200);
    const after = json(await get(`${before.feUrl}/api/bootstrap?token=${before.clusterToken}`));
    expect(after['feStartTime']).toBeGreaterThan(before.feStartTime);
    expect(after['feStartTime']).toBe(emu!.dataPlaneOf(id).feStartTime);

    const reasons = emu!.record().probes!.filter((p) => p.instanceId === id).map((p) => p.reason);
    expect(reasons).toEqual(expect.arrayContaining(['restarting', 'backends-offline', 'not-ready']));
  });

  it('an instance that is not serving (stopped, failed) refuses both ports; back to running it starts anew', async () => {
    const { ids, control } = await start({}, 1);
    const view = emu!.dataPlaneOf(ids[0]!);
    await control.patchInstance(ids[0]!, { status: 'disable' });
    expect(await get(`${view.feUrl}/api/health`)).toEqual({ error: expect.any(String) });
    expect(await get(`${view.beUrl}/api/health`)).toEqual({ error: expect.any(String) });
    expect((await control.dataPlaneOf(ids[0]!)).engineUp).toBe(false);
    // A BUSY status of a running cluster keeps it serving.
    await control.patchInstance(ids[0]!, { status: 'scaling_out' });
    expect(answered(await get(`${view.feUrl}/api/health`)).status).toBe(200);
    expect((await control.dataPlaneOf(ids[0]!)).feStartTime).toBeGreaterThan(view.feStartTime);
  });
});

describe('data-plane faults', () => {
  it('backendsOfflineInstanceIds: online_backend_num stays below total after running and BE health is refused, until cleared', async () => {
    const { base, ids, control } = await start();
    const id = ids[0]!;
    const view = emu!.dataPlaneOf(id);
    await control.patchFaults({ dataPlane: { backendsOfflineInstanceIds: [id] } });
    await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } });
    await waitFor(() => emu!.instances()[0]!.status === 'running');
    await waitFor(async () => json(await get(`${view.feUrl}/api/bootstrap`))['status'] === 'OK');
    // Well past the online delay, still offline.
    await waitFor(() => Date.now() > emu!.dataPlaneOf(id).feStartTime + TIMING.backendsOnlineDelayMs + 50);
    expect(json(await get(`${view.feUrl}/api/health`))).toEqual({ total_backend_num: 3, online_backend_num: 0, status: 'OK' });
    expect(await get(`${view.beUrl}/api/health`)).toEqual({ error: expect.any(String) });
    expect(emu!.record().probes!.filter((p) => p.fault === 'backends-offline').length).toBeGreaterThanOrEqual(2);
    // Another instance is unaffected.
    expect(json(await get(`${emu!.dataPlaneOf(ids[1]!).feUrl}/api/health`))['online_backend_num']).toBe(3);
    await control.patchFaults({ dataPlane: null });
    expect(json(await get(`${view.feUrl}/api/health`))['online_backend_num']).toBe(3);
  });

  it('restartNotRealInstanceIds: the next restart leaves feStartTime unchanged and the FE answering throughout', async () => {
    const { base, ids, control } = await start(SLOW_PHASES);
    const id = ids[0]!;
    const view = emu!.dataPlaneOf(id);
    await control.patchFaults({ dataPlane: { restartNotRealInstanceIds: [id] } });
    await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } });
    expect(emu!.instances()[0]!.status).toBe('restarting');
    expect(json(await get(`${view.feUrl}/api/health`))).toEqual({ total_backend_num: 3, online_backend_num: 3, status: 'OK' });
    await waitFor(() => emu!.instances()[0]!.status === 'running');
    const after = json(await get(`${view.feUrl}/api/bootstrap?token=${view.clusterToken}`));
    expect(after).toMatchObject({ status: 'OK', feStartTime: view.feStartTime });
    expect(emu!.record().probes!.filter((p) => p.fault === 'restart-not-real')).toHaveLength(2);

    // Once cleared, a restart is real again.
    await control.patchFaults({ dataPlane: null });
    await signedCall({ baseUrl: base, action: 'RestartInstance', query: { InstanceId: id } });
    await waitFor(() => emu!.instances()[0]!.status === 'running');
    expect(emu!.dataPlaneOf(id).feStartTime).toBeGreaterThan(view.feStartTime);
  });

  it('unreachableInstanceIds: connections to that address are reset on both ports; other instances answer', async () => {
    const { ids, control } = await start();
    const view = emu!.dataPlaneOf(ids[0]!);
    await control.patchFaults({ dataPlane: { unreachableInstanceIds: [ids[0]!] } });
    expect(await get(`${view.feUrl}/api/health`)).toEqual({ error: expect.any(String) });
    expect(await get(`${view.beUrl}/api/health`)).toEqual({ error: expect.any(String) });
    expect(answered(await get(`${emu!.dataPlaneOf(ids[1]!).feUrl}/api/health`)).status).toBe(200);
    expect(emu!.record().probes!.filter((p) => p.instanceId === ids[0] && p.fault === 'unreachable')).toHaveLength(2);
    expect((await control.dataPlaneOf(ids[0]!)).unreachable).toBe(true);
    await control.patchFaults({ dataPlane: null });
    expect(answered(await get(`${view.feUrl}/api/health`)).status).toBe(200);
  });
});

describe('options', () => {
  it('basicAuth: FE /api/health needs the credentials (401 without); /api/bootstrap and BE health do not', async () => {
    const { ids } = await start({ dataPlane: { ...TIMING, basicAuth: { user: 'probe', password: 'fake-probe-password' } } });
    const view = emu!.dataPlaneOf(ids[0]!);
    const denied = answered(await get(`${view.feUrl}/api/health`));
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Basic/);
    expect(answered(await get(`${view.feUrl}/api/health`, { authorization: `Basic ${Buffer.from('probe:wrong').toString('base64')}` })).status).toBe(401);
    const ok = await get(`${view.feUrl}/api/health`, { authorization: `Basic ${Buffer.from('probe:fake-probe-password').toString('base64')}` });
    expect(json(ok)).toMatchObject({ status: 'OK' });
    expect(answered(await get(`${view.feUrl}/api/bootstrap`)).status).toBe(200);
    expect(answered(await get(`${view.beUrl}/api/health`)).status).toBe(200);
    expect(JSON.stringify(emu!.record())).not.toContain('fake-probe-password');
  });

  it('fixed ports; dataPlane:false serves none and DescribeNodeGroups keeps the internal host names', async () => {
    const probe = await startEmulator({ dataPlane: {} });
    const { fePort, bePort } = probe.dataPlane!;
    await probe.close();
    const { base, ids } = await start({ dataPlane: { fePort, bePort } }, 1);
    expect(emu!.dataPlane).toEqual({ fePort, bePort });
    await emu!.close();

    emu = await startEmulator({ dataPlane: false, fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 1 } } });
    expect(emu.dataPlane).toBeUndefined();
    const groups = await nodeGroups(emu.endpoints['cn-hangzhou']!, emu.instances()[0]!.instanceId);
    expect(groups.map((g) => [g['Endpoint'], g['HttpPort']])).toEqual([
      [`fe-${emu.instances()[0]!.instanceId}-internal.starrocks.aliyuncs.com`, 8030],
      [`cn-${emu.instances()[0]!.instanceId}-internal.starrocks.aliyuncs.com`, 8040],
    ]);
    expect(() => emu!.dataPlaneOf(emu!.instances()[0]!.instanceId)).toThrow(/data plane is off/);
    expect(base).toMatch(/^http:/);
    expect(ids).toHaveLength(1);
  });
});
