/**
 * The data plane's HTTP endpoints (spec §11): one FE port and one BE/CN port for the whole
 * emulator, bound on 0.0.0.0 so that every instance's own 127.x.y.z address reaches them; the
 * instance is the connection's LOCAL address. Connections whose local address is not loopback are
 * reset at once: the data plane must not be reachable from the network.
 *
 *   FE  GET /api/health     200 {total_backend_num, online_backend_num, status:"OK"}; 500 (empty) while restarting
 *   FE  GET /api/bootstrap  200 {…, status:"FAILED", msg:"not ready"} → {…, status:"OK", msg:"Success"} (+ details with ?token=)
 *   BE  GET /api/health     200 {"status": "OK","msg": "To Be Added"} once the backends are online
 *
 * "Refused" is modelled as a TCP reset (the listener is shared, so the port is open): no process
 * listening (engine down), the backends not up yet, or the unreachable fault.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Recorder } from '../state/record';
import type { DataPlaneOptions, EmulatorInstance, ProbeRecord } from '../types';
import { FE_QUERY_PORT, FE_RPC_PORT, isLoopbackIPv4, normaliseAddress, totalBackends, type Engines } from './engines';

export interface DataPlaneDeps {
  engines: Engines;
  recorder: Recorder;
  instance: (instanceId: string) => EmulatorInstance | undefined;
  basicAuth?: DataPlaneOptions['basicAuth'];
}

export interface DataPlaneListeners {
  fePort: number;
  bePort: number;
  servers: Server[];
}

type Component = 'FE' | 'BE';
type ProbeFields = Omit<ProbeRecord, 'seq' | 'atMs' | 'tMs'>;

/** What StarRocks' BE health action writes, byte for byte (be/src/http/action/health_action.cpp). */
const BE_HEALTH_BODY = '{"status": "OK","msg": "To Be Added"}';

function reset(socket: Socket): void {
  // resetAndDestroy sends RST (the closest a shared, open port gets to "connection refused").
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}

function sendBody(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...(body ? { 'content-type': 'application/json' } : {}), 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function credentialsMatch(header: string | undefined, auth: NonNullable<DataPlaneOptions['basicAuth']>): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice(6).trim(), 'base64');
  const expected = Buffer.from(`${auth.user}:${auth.password}`, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * gson's rendering of StarRocks' BootstrapResult: subclass fields first (primitives always, also
 * when 0; feVersion only when set), then status and msg.
 */
function bootstrapBody(fields: { status: 'OK' | 'FAILED'; msg: string; details?: { replayedJournalId: number; feStartTime: number; feVersion: string; heapUsedPercent: number } }): string {
  const d = fields.details;
  return JSON.stringify({
    replayedJournalId: d?.replayedJournalId ?? 0,
    queryPort: d ? FE_QUERY_PORT : 0,
    rpcPort: d ? FE_RPC_PORT : 0,
    feStartTime: d?.feStartTime ?? 0,
    ...(d ? { feVersion: d.feVersion } : {}),
    heapUsedPercent: d?.heapUsedPercent ?? 0,
    status: fields.status,
    msg: fields.msg,
  });
}

/**
 * Why a connection to this instance's component is refused right now, if it is: the unreachable
 * fault, no process listening (engine down; for the FE not while it is in a graceful exit), or,
 * for BE/CN, the backends not online yet.
 */
function refusal(component: Component, deps: DataPlaneDeps, instance: EmulatorInstance, nowMs: number): { reason: string; fault?: string } | undefined {
  const engine = deps.engines.get(instance.instanceId);
  if (!engine) return { reason: 'unknown-address' };
  if (deps.engines.unreachable(engine.instanceId)) return { reason: 'unreachable', fault: 'unreachable' };
  if (component === 'FE') return !engine.up && instance.status !== 'restarting' ? { reason: 'engine-down' } : undefined;
  if (!engine.up) return { reason: 'engine-down' };
  const total = totalBackends(instance);
  if (deps.engines.onlineBackends(engine, total, nowMs) < total) {
    return { reason: 'backends-offline', ...(deps.engines.backendsHeldOffline(engine.instanceId) ? { fault: 'backends-offline' } : {}) };
  }
  return undefined;
}

function handler(component: Component, deps: DataPlaneDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', () => undefined);
    req.resume();
    const address = normaliseAddress(req.socket.localAddress);
    const instanceId = deps.engines.instanceAt(address);
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const probe: ProbeFields = { component, address, ...(instanceId ? { instanceId } : {}), method: req.method ?? '', path, httpStatus: 0 };
    const record = (more: Partial<ProbeFields>): void => deps.recorder.addProbe({ ...probe, ...more });
    const engine = instanceId ? deps.engines.get(instanceId) : undefined;
    const instance = instanceId ? deps.instance(instanceId) : undefined;
    if (!engine || !instance) {
      record({ reason: 'unknown-address' });
      return reset(req.socket);
    }
    const now = Date.now();
    // Checked again per request: a keep-alive connection outlives the state it was opened in.
    const refused = refusal(component, deps, instance, now);
    if (refused) {
      record(refused);
      return reset(req.socket);
    }
    const fakeFault = engine.fakeRestart || engine.lastRestartFake ? { fault: 'restart-not-real' } : {};
    const known = (component === 'FE' && (path === '/api/health' || path === '/api/bootstrap')) || (component === 'BE' && path === '/api/health');
    if (!known || req.method !== 'GET') {
      record({ httpStatus: 404, reason: 'not-found' });
      return sendBody(res, 404, '');
    }

    if (component === 'BE') {
      record({ httpStatus: 200, ...fakeFault });
      return sendBody(res, 200, BE_HEALTH_BODY);
    }

    // FE in a real restart: a graceful exit, both endpoints answer 500 with no body.
    if (!engine.up) {
      record({ httpStatus: 500, reason: 'restarting' });
      return sendBody(res, 500, '');
    }
    if (path === '/api/health') {
      if (deps.basicAuth && !credentialsMatch(req.headers['authorization'], deps.basicAuth)) {
        record({ httpStatus: 401, reason: 'unauthorized' });
        return sendBody(res, 401, '', { 'www-authenticate': 'Basic realm=""' });
      }
      const total = totalBackends(instance);
      const online = deps.engines.onlineBackends(engine, total, now);
      const held = online < total && deps.engines.backendsHeldOffline(engine.instanceId);
      record({ httpStatus: 200, ...(online < total ? { reason: 'backends-offline' } : {}), ...(held ? { fault: 'backends-offline' } : fakeFault) });
      // StarRocks' HealthAction: status stays "OK" whatever the counts; comparing them is the caller's job.
      return sendBody(res, 200, JSON.stringify({ total_backend_num: total, online_backend_num: online, status: 'OK' }));
    }
    // /api/bootstrap: the token is checked only once the FE is ready (BootstrapFinishAction).
    const token = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '').get('token') ?? '';
    const tokenFields = token ? { tokenSent: true, tokenValid: token === engine.clusterToken } : {};
    if (!deps.engines.feReady(engine, now)) {
      record({ httpStatus: 200, reason: 'not-ready', ...tokenFields, ...fakeFault });
      return sendBody(res, 200, bootstrapBody({ status: 'FAILED', msg: 'not ready' }));
    }
    if (token && token !== engine.clusterToken) {
      record({ httpStatus: 200, reason: 'invalid-token', ...tokenFields });
      return sendBody(res, 200, bootstrapBody({ status: 'FAILED', msg: 'invalid parameter' }));
    }
    record({ httpStatus: 200, ...tokenFields, ...fakeFault });
    const details = token
      ? {
          replayedJournalId: engine.journalBase + Math.floor((now - engine.feStartTime) / 100),
          feStartTime: engine.feStartTime,
          feVersion: engine.feVersion,
          heapUsedPercent: engine.heapUsedPercent,
        }
      : undefined;
    return sendBody(res, 200, bootstrapBody({ status: 'OK', msg: 'Success', ...(details ? { details } : {}) }));
  };
}

function guardConnections(server: Server, component: Component, deps: DataPlaneDeps): void {
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => undefined);
    const address = normaliseAddress(socket.localAddress);
    if (!isLoopbackIPv4(socket.localAddress)) {
      deps.recorder.addProbe({ component, address, method: '', path: '', httpStatus: 0, reason: 'not-loopback' });
      return reset(socket);
    }
    const instanceId = deps.engines.instanceAt(address);
    const instance = instanceId ? deps.instance(instanceId) : undefined;
    if (!instanceId || !instance) {
      deps.recorder.addProbe({ component, address, method: '', path: '', httpStatus: 0, reason: 'unknown-address' });
      return reset(socket);
    }
    const refused = refusal(component, deps, instance, Date.now());
    if (refused) {
      deps.recorder.addProbe({ component, address, instanceId, method: '', path: '', httpStatus: 0, ...refused });
      return reset(socket);
    }
  });
  // Broken HTTP on the data plane: StarRocks' netty answers 400; no JSON promised.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Starts the FE and BE listeners (bind 0.0.0.0; loopback-only by the connection guard). */
export async function listenDataPlane(deps: DataPlaneDeps, ports: { fePort?: number; bePort?: number }): Promise<DataPlaneListeners> {
  const servers: Server[] = [];
  try {
    const fe = createServer({ keepAlive: true }, handler('FE', deps));
    guardConnections(fe, 'FE', deps);
    servers.push(fe);
    const fePort = await listen(fe, ports.fePort ?? 0, '0.0.0.0');
    const be = createServer({ keepAlive: true }, handler('BE', deps));
    guardConnections(be, 'BE', deps);
    servers.push(be);
    const bePort = await listen(be, ports.bePort ?? 0, '0.0.0.0');
    return { fePort, bePort, servers };
  } catch (error) {
    for (const s of servers) s.close();
    throw error;
  }
}
