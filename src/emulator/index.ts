/**
 * Local emulator of the EMR Serverless StarRocks OpenAPI (2022-10-19): one HTTP listener per
 * region on 127.0.0.1, the real request layout and ACS3 signatures, the service envelope and the
 * gateway error shapes of the spec, a fleet with a restart lifecycle, switchable faults, and a
 * RECORD of every call/restart/status transition that tests assert on. See ./README.md.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ROUTES,
  accessDeniedDetail,
  gatewayError,
  gatewayErrorBody,
  isGatewayError,
  route,
  verify,
  type GatewayError,
} from './gateway';
import { chance } from './prng';
import {
  faultConfigSchema,
  fleetSeedSchema,
  instancePatchSchema,
  validate,
  type FaultConfig,
  type FleetSeed,
  type InstancePatch,
  type ValidationProblem,
} from './schemas';
import { HANDLERS, envelope, type ServiceAnswer } from './service';
import { DEFAULT_FAST_MODE_FACTOR, DEFAULT_RESTART_DURATION, EmulatorState } from './state';
import { DEFAULT_KEY, type CallRecord, type EmulatorInstance, type EmulatorKey, type EmulatorOptions, type EmulatorRecord } from './types';

export * from './types';
export * from './schemas';
export { DEFAULT_RESTART_DURATION, DEFAULT_FAST_MODE_FACTOR, DEFAULT_FAIL_STATUS } from './state';
export { MSG_NOT_EXISTS, MSG_NOT_RUNNING } from './service';
export { API_VERSION, ROUTES } from './gateway';

export const DEFAULT_REGIONS = ['cn-hangzhou'];
export const DEFAULT_MAX_PAGE_SIZE = 100;
const MAX_BODY_BYTES = 1024 * 1024;

export class EmulatorInputError extends Error {
  readonly code = 'EMULATOR_INVALID_INPUT';
  constructor(
    message: string,
    readonly problems: ValidationProblem[],
  ) {
    super(message);
    this.name = 'EmulatorInputError';
  }
}

export interface Emulator {
  /** Region → base URL, e.g. `{ 'cn-hangzhou': 'http://127.0.0.1:18080' }`. */
  readonly endpoints: Record<string, string>;
  /** The first region's base URL; the control API (`/_emulator/...`) is served on every port. */
  readonly controlUrl: string;
  readonly keys: readonly EmulatorKey[];
  /** JSON text for the STARWAVE_ENDPOINTS environment variable. */
  endpointsJson(): string;
  /** Copy of the record; `since` keeps entries with seq >= since. */
  record(since?: number): EmulatorRecord;
  /** Replaces the fleet (throws EmulatorInputError listing problems). */
  seed(spec: FleetSeed): EmulatorInstance[];
  instances(): EmulatorInstance[];
  /** Throws EmulatorInputError when the patch is invalid or the instance is unknown. */
  patchInstance(instanceId: string, patch: InstancePatch): EmulatorInstance;
  faults(): FaultConfig;
  /** Replaces the faults (resets throttling buckets). */
  setFaults(faults: FaultConfig): FaultConfig;
  /** Merges into the faults: one level deep; a `null` member removes that fault. */
  patchFaults(patch: Record<string, unknown>): FaultConfig;
  /** Clears record, faults, fleet, operations and nonces. */
  reset(): void;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

function inScope(f: { actions?: string[] | undefined; regions?: string[] | undefined } | undefined, action: string, region: string): boolean {
  return !!f && (!f.actions || f.actions.includes(action)) && (!f.regions || f.regions.includes(region));
}

function mustValidate<T>(schema: Parameters<typeof validate<T>>[0], input: unknown, what: string): T {
  const result = validate(schema, input);
  if (!result.ok) {
    throw new EmulatorInputError(`Invalid ${what}: ${result.problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`, result.problems);
  }
  return result.value;
}

export function mergeFaults(current: FaultConfig, patch: Record<string, unknown>): unknown {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const existing = merged[key];
    if (value === null) delete merged[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof existing === 'object' && existing !== null) {
      merged[key] = { ...existing, ...value };
    } else merged[key] = value;
  }
  return merged;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const regions = opts.regions && opts.regions.length > 0 ? [...opts.regions] : [...DEFAULT_REGIONS];
  const host = opts.host ?? '127.0.0.1';
  const seedValue = opts.seed ?? 1;
  const keys: EmulatorKey[] = opts.keys && opts.keys.length > 0 ? opts.keys.map((k) => ({ ...k })) : [{ ...DEFAULT_KEY }];
  const restartDuration = opts.restartDuration ?? DEFAULT_RESTART_DURATION;
  const fastModeFactor = opts.fastModeFactor ?? DEFAULT_FAST_MODE_FACTOR;
  const state = new EmulatorState({
    regions,
    seed: seedValue,
    restartDuration,
    fastModeFactor,
    maxPageSize: opts.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE,
  });
  let buckets = new Map<string, Bucket>();

  const setFaults = (faults: FaultConfig): FaultConfig => {
    state.faults = mustValidate(faultConfigSchema, faults, 'faults');
    buckets = new Map();
    return state.faults;
  };
  const seed = (spec: FleetSeed): EmulatorInstance[] => {
    const valid = mustValidate(fleetSeedSchema, spec, 'fleet seed');
    const problems = state.seed(valid);
    if (problems.length > 0) {
      throw new EmulatorInputError(`Invalid fleet seed: ${problems.join('; ')}`, problems.map((p) => ({ path: p.split(':')[0] ?? '', message: p })));
    }
    return state.instances();
  };
  const patchInstance = (instanceId: string, patch: InstancePatch): EmulatorInstance => {
    const valid = mustValidate(instancePatchSchema, patch, 'instance patch');
    const instance = state.patchInstance(instanceId, valid);
    if (!instance) throw new EmulatorInputError(`Unknown instance ${instanceId}`, [{ path: 'instanceId', message: `unknown instance ${instanceId}` }]);
    return instance;
  };
  const reset = (): void => {
    state.reset(seedValue);
    state.restartDuration = restartDuration;
    state.fastModeFactor = fastModeFactor;
    buckets = new Map();
  };

  if (opts.faults) setFaults(opts.faults);
  if (opts.fleet) seed(opts.fleet);

  /** Token bucket; returns 0 when a token was taken, else ms until one is available. */
  const takeToken = (key: string, qps: number, burst: number | undefined): number => {
    const capacity = burst ?? Math.max(1, qps);
    const now = Date.now();
    const bucket = buckets.get(key) ?? { tokens: capacity, updatedMs: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedMs) / 1000) * qps);
    bucket.updatedMs = now;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) / qps) * 1000));
  };

  const throttle = (region: string, action: string, accessKeyId: string): GatewayError | undefined => {
    const t = state.faults.throttling;
    if (!inScope(t, action, region) || !t) return undefined;
    const answer = (code: string, fault: string, waitMs: number): GatewayError & { fault: string } => ({
      ...gatewayError(400, code, code === 'Throttling.Api' ? 'Request was denied due to api flow control.' : 'Request was denied due to user flow control.', {
        headers: { 'x-acs-retry-after': String(t.retryAfterMs ?? waitMs) },
      }),
      fault,
    });
    if (t.userQps !== undefined) {
      const wait = takeToken(`${region}|user|${accessKeyId}`, t.userQps, t.burst);
      if (wait > 0) return answer('Throttling.User', 'throttling.user', wait);
    }
    if (t.apiQps !== undefined) {
      const wait = takeToken(`${region}|api|${action}`, t.apiQps, t.burst);
      if (wait > 0) return answer('Throttling.Api', 'throttling.api', wait);
    }
    if (chance(state.random.faults, t.rate)) return answer('Throttling.User', 'throttling.user', 1000);
    return undefined;
  };

  const addedLatency = (action: string, region: string): { ms: number; spike: boolean } => {
    const l = state.faults.latency;
    if (!inScope(l, action, region) || !l) return { ms: 0, spike: false };
    let ms = l.fixedMs ?? 0;
    if (l.minMs !== undefined || l.maxMs !== undefined) {
      const min = l.minMs ?? 0;
      const max = Math.max(min, l.maxMs ?? min);
      ms += Math.round(min + state.random.faults() * (max - min));
    }
    const spike = chance(state.random.faults, l.spikeRate);
    if (spike) ms += l.spikeMs ?? 1000;
    return { ms, spike };
  };

  const handleCloud = async (region: string, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> => {
    const requestId = randomUUID().toUpperCase();
    const pathname = url.pathname;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const headerAction = typeof req.headers['x-acs-action'] === 'string' ? req.headers['x-acs-action'] : undefined;
    const scopeAction = ROUTES[pathname] ?? headerAction ?? pathname;
    const call: Omit<CallRecord, 'seq' | 'atMs' | 'tMs'> = {
      region,
      action: scopeAction,
      path: pathname,
      requestId,
      httpStatus: 0,
      ...(query['InstanceId'] ?? query['ClusterId'] ? { instanceId: query['InstanceId'] ?? query['ClusterId'] } : {}),
    };

    const send = (httpStatus: number, payload: Record<string, unknown> | string, headers: Record<string, string> = {}): void => {
      call.httpStatus = httpStatus;
      state.recordCall(call);
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(httpStatus, { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId, ...headers });
      res.end(text);
    };
    const sendGateway = (error: GatewayError): void => {
      call.code = error.code;
      send(error.httpStatus, gatewayErrorBody(error, requestId, region), error.headers);
    };
    const drop = (fault: string): void => {
      call.dropped = true;
      call.fault = fault;
      call.httpStatus = 0;
      state.recordCall(call);
      // No response at all: the client sees a reset / "socket hang up".
      req.socket.destroy();
    };

    const latency = addedLatency(scopeAction, region);
    if (latency.ms > 0) {
      call.addedLatencyMs = latency.ms;
      await sleep(latency.ms);
    }

    const routed = route(req.method ?? 'GET', pathname, req.headers);
    if (isGatewayError(routed)) return sendGateway(routed);
    const action = routed.action;

    const verified = verify({
      method: req.method ?? 'POST',
      pathname,
      query,
      headers: req.headers,
      body,
      keys,
      nowMs: state.gatewayNow(),
      useNonce: (id, nonce) => state.useNonce(id, nonce),
    });
    if ('accessKeyId' in verified) call.accessKeyId = verified.accessKeyId;
    if (isGatewayError(verified)) return sendGateway(verified);
    const key = verified.key;
    call.accessKeyId = key.accessKeyId;

    const throttled = throttle(region, action, key.accessKeyId);
    if (throttled) {
      call.fault = (throttled as GatewayError & { fault: string }).fault;
      return sendGateway(throttled);
    }

    if (key.deniedActions?.includes(action)) {
      const detail = accessDeniedDetail(key, action);
      const message = `You are not authorized to do this action. Resource: acs:sr:${region}:1234567890123456:instance/${query['InstanceId'] ?? '*'} Action: sr:${action}`;
      if (key.denyStyle === 'service') {
        call.code = 'NoPermission';
        return send(403, envelope(requestId, { success: false, code: 'NoPermission', message, httpStatus: 403, data: false, accessDeniedDetail: JSON.stringify(detail) }));
      }
      return sendGateway(gatewayError(403, 'Forbidden.RAM', message, { extra: { AccessDeniedDetail: detail } }));
    }

    const f = state.faults;
    if (inScope(f.drops, action, region) && chance(state.random.faults, f.drops?.dropBeforeRate)) return drop('drop-before');
    if (inScope(f.serverErrors, action, region) && chance(state.random.faults, f.serverErrors?.rate)) {
      const statuses = f.serverErrors?.statuses ?? [503];
      const status = statuses[Math.floor(state.random.faults() * statuses.length)] ?? 503;
      call.fault = 'server-error';
      return sendGateway(
        status === 503
          ? gatewayError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.')
          : gatewayError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.'),
      );
    }
    if (inScope(f.serviceFailure, action, region) && chance(state.random.faults, f.serviceFailure?.rate)) {
      const code = f.serviceFailure?.code ?? 'InvalidParams';
      call.fault = 'service-failure';
      call.code = code;
      // Like the spec's example: HTTP 200, Success:false, and Data:true on restart actions.
      const data = action === 'RestartInstance' || action === 'RestartNodeGroup' ? true : [];
      return send(200, envelope(requestId, { success: false, code, message: f.serviceFailure?.message ?? 'Unsupported.Non.Whitelist.Operation', data }));
    }

    let parsedBody: unknown;
    if (body.length > 0) {
      try {
        parsedBody = JSON.parse(body.toString('utf8'));
      } catch {
        return sendGateway(gatewayError(400, 'InvalidParameter.Format', 'The request body is not valid JSON.'));
      }
    }
    const answer: ServiceAnswer | GatewayError = HANDLERS[action]({ state, region, requestId, query, body: parsedBody });
    if (isGatewayError(answer)) return sendGateway(answer);
    if (answer.code) call.code = answer.code;

    // From here on the call has been applied.
    if (inScope(f.drops, action, region) && chance(state.random.faults, f.drops?.dropAfterRate)) return drop('drop-after');
    if (inScope(f.malformed, action, region) && chance(state.random.faults, f.malformed?.rate)) {
      call.fault = 'malformed';
      const text = JSON.stringify(answer.body);
      return send(200, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    }
    send(answer.httpStatus, answer.body);
  };

  const handleControl = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void => {
    const reply = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify(payload));
    };
    let json: unknown = undefined;
    if (body.length > 0) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return reply(400, { error: 'invalid JSON body', problems: [{ path: '', message: 'body is not valid JSON' }] });
      }
    }
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    try {
      if (path === '/_emulator/health' && method === 'GET') {
        return reply(200, { ok: true, regions, endpoints, instances: state.instances().length, nextSeq: state.record(Number.MAX_SAFE_INTEGER).nextSeq });
      }
      if (path === '/_emulator/fleet' && method === 'POST') return reply(200, { instances: seed(json as FleetSeed) });
      if (path === '/_emulator/instances' && method === 'GET') return reply(200, { instances: state.instances() });
      const m = /^\/_emulator\/instances\/([^/]+)$/.exec(path);
      if (m && method === 'PATCH') {
        const id = decodeURIComponent(m[1]!);
        if (!state.instance(id)) return reply(404, { error: `unknown instance ${id}`, problems: [{ path: 'instanceId', message: `unknown instance ${id}` }] });
        return reply(200, { instance: patchInstance(id, (json ?? {}) as InstancePatch) });
      }
      if (m && method === 'GET') {
        const instance = state.instance(decodeURIComponent(m[1]!));
        return instance ? reply(200, { instance }) : reply(404, { error: 'unknown instance', problems: [] });
      }
      if (path === '/_emulator/faults') {
        if (method === 'GET') return reply(200, { faults: state.faults });
        if (method === 'PUT') return reply(200, { faults: setFaults((json ?? {}) as FaultConfig) });
        if (method === 'PATCH') {
          if (typeof json !== 'object' || json === null || Array.isArray(json)) {
            return reply(400, { error: 'Invalid faults patch', problems: [{ path: '', message: 'expected an object' }] });
          }
          return reply(200, { faults: setFaults(mergeFaults(state.faults, json as Record<string, unknown>) as FaultConfig) });
        }
      }
      if (path === '/_emulator/record' && method === 'GET') {
        const since = Number(url.searchParams.get('since') ?? '0');
        if (!Number.isInteger(since) || since < 0) return reply(400, { error: 'since must be a non-negative integer', problems: [{ path: 'since', message: 'expected a non-negative integer' }] });
        return reply(200, state.record(since));
      }
      if (path === '/_emulator/reset' && method === 'POST') {
        reset();
        return reply(200, { ok: true });
      }
      return reply(404, { error: `no control route ${method} ${url.pathname}`, problems: [] });
    } catch (error) {
      if (error instanceof EmulatorInputError) return reply(400, { error: error.message, problems: error.problems });
      throw error;
    }
  };

  const servers: Server[] = [];
  const endpoints: Record<string, string> = {};

  const makeHandler = (region: string) => (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      const work = url.pathname.startsWith('/_emulator/') ? Promise.resolve(handleControl(req, res, url, body)) : handleCloud(region, req, res, url, body);
      work.catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json;charset=utf-8' });
          res.end(JSON.stringify({ Code: 'InternalError', Message: `emulator bug: ${error instanceof Error ? error.message : String(error)}` }));
        }
      });
    });
  };

  try {
    for (const [i, region] of regions.entries()) {
      const server = createServer({ keepAlive: true }, makeHandler(region));
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.basePort ? opts.basePort + i : 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      endpoints[region] = `http://${host}:${port}`;
    }
  } catch (error) {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    throw error;
  }

  let closed = false;
  return {
    endpoints,
    controlUrl: endpoints[regions[0]!]!,
    keys,
    endpointsJson: () => JSON.stringify(endpoints),
    record: (since) => state.record(since),
    seed,
    instances: () => state.instances(),
    patchInstance,
    faults: () => state.faults,
    setFaults,
    patchFaults: (patch) => setFaults(mergeFaults(state.faults, patch) as FaultConfig),
    reset,
    close: async () => {
      if (closed) return;
      closed = true;
      state.clearTimers();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
