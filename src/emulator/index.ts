/**
 * Local emulator of the EMR Serverless StarRocks OpenAPI (2022-10-19): one HTTP listener per
 * region on 127.0.0.1, the real request layout and ACS3 signatures, the service envelope and the
 * gateway error shapes of the spec, a fleet with a restart lifecycle, switchable faults, and a
 * RECORD of every call/restart/status transition that tests assert on. See ./README.md.
 *
 * This file is the composition: the world (./state.ts), the fault injector (./faults.ts), the
 * cloud front door (./http/cloud.ts) and the control API (./http/control.ts).
 */
import { DEFAULT_BACKENDS_ONLINE_DELAY_MS, DEFAULT_FE_READY_DELAY_MS } from './dataplane/engines';
import { listenDataPlane } from './dataplane/server';
import { FaultInjector, mergeFaults } from './faults';
import { createCloudHandler } from './http/cloud';
import { createControlHandler } from './http/control';
import type { Server } from 'node:http';
import { closeServers, listenRegions } from './http/listen';
import { EmulatorInputError, mustValidate } from './input';
import {
  faultConfigSchema,
  fleetSeedSchema,
  foreignRestartSchema,
  instancePatchSchema,
  type FaultConfig,
  type FleetSeed,
  type ForeignRestartOptions,
  type InstancePatch,
} from './schemas';
import { DEFAULT_FAST_MODE_FACTOR, DEFAULT_RESTART_DURATION, EmulatorState } from './state';
import { DEFAULT_KEY, type DataPlaneView, type EmulatorInstance, type EmulatorKey, type EmulatorOptions, type EmulatorRecord, type RestartRecord } from './types';

export * from './types';
export * from './schemas';
export { DEFAULT_RESTART_DURATION, DEFAULT_FAST_MODE_FACTOR, DEFAULT_FAIL_STATUS } from './state';
export { MSG_NOT_EXISTS, MSG_NOT_RUNNING } from './service';
export { API_VERSION, ROUTES } from './gateway';
export { EmulatorInputError } from './input';
export { mergeFaults } from './faults';
export { DEFAULT_BACKENDS_ONLINE_DELAY_MS, DEFAULT_FE_READY_DELAY_MS, dataPlaneAddress, isLoopbackIPv4 } from './dataplane/engines';

export const DEFAULT_REGIONS = ['cn-hangzhou'];
export const DEFAULT_MAX_PAGE_SIZE = 100;
/** `action` of a recorded call that was refused before routing (the HTTP request itself was malformed). */
export const REJECTED_ACTION = '(malformed-http)';

export interface Emulator {
  /** Region → base URL, e.g. `{ 'cn-hangzhou': 'http://127.0.0.1:18080' }`. */
  readonly endpoints: Record<string, string>;
  /** The first region's base URL; the control API (`/_emulator/...`) is served on every port. */
  readonly controlUrl: string;
  readonly keys: readonly EmulatorKey[];
  /**
   * The data plane's ports (every instance's own loopback address serves FE HTTP on `fePort` and
   * BE/CN HTTP on `bePort`); undefined when started with `dataPlane: false`.
   */
  readonly dataPlane: { fePort: number; bePort: number } | undefined;
  /** The instance's data plane now: address, URLs, cluster token, feStartTime, readiness. Throws EmulatorInputError (404) for an unknown instance or when the data plane is off. */
  dataPlaneOf(instanceId: string): DataPlaneView;
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
  /**
   * Starts a restart NOT made through RestartInstance (as the console or another tool would): the
   * instance turns `restarting`, a `restart_cluster` operation appears, and it is `running` again
   * after `durationMs` (default: a duration drawn like an API restart's). Recorded in
   * `record().restarts` with origin `foreign`. Throws EmulatorInputError (httpStatus 404 unknown
   * instance, 409 not running).
   */
  foreignRestart(instanceId: string, options?: ForeignRestartOptions): RestartRecord;
  /** Clears record, faults, fleet, operations and nonces. */
  reset(): void;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const regions = opts.regions && opts.regions.length > 0 ? [...opts.regions] : [...DEFAULT_REGIONS];
  const host = opts.host ?? '127.0.0.1';
  const seedValue = opts.seed ?? 1;
  const keys: EmulatorKey[] = opts.keys && opts.keys.length > 0 ? opts.keys.map((k) => ({ ...k })) : [{ ...DEFAULT_KEY }];
  const restartDuration = opts.restartDuration ?? DEFAULT_RESTART_DURATION;
  const fastModeFactor = opts.fastModeFactor ?? DEFAULT_FAST_MODE_FACTOR;
  const dataPlaneOptions = opts.dataPlane === false ? undefined : opts.dataPlane;
  const state = new EmulatorState({
    regions,
    seed: seedValue,
    restartDuration,
    fastModeFactor,
    maxPageSize: opts.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE,
    dataPlaneTiming: {
      feReadyDelayMs: dataPlaneOptions?.feReadyDelayMs ?? DEFAULT_FE_READY_DELAY_MS,
      backendsOnlineDelayMs: dataPlaneOptions?.backendsOnlineDelayMs ?? DEFAULT_BACKENDS_ONLINE_DELAY_MS,
    },
  });
  const injector = new FaultInjector(state);

  const setFaults = (faults: FaultConfig): FaultConfig => {
    state.setFaults(mustValidate(faultConfigSchema, faults, 'faults'));
    injector.resetBuckets();
    return state.faults;
  };
  const patchFaults = (patch: Record<string, unknown>): FaultConfig => setFaults(mergeFaults(state.faults, patch) as FaultConfig);
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
  const foreignRestart = (instanceId: string, options: ForeignRestartOptions = {}): RestartRecord => {
    const valid = mustValidate(foreignRestartSchema, options, 'foreign restart');
    const result = state.foreignRestart(instanceId, valid);
    if ('refused' in result) {
      if (result.refused === 'unknown-instance') throw new EmulatorInputError(`Unknown instance ${instanceId}`, [{ path: 'instanceId', message: `unknown instance ${instanceId}` }], 404);
      throw new EmulatorInputError(`Instance ${instanceId} is not running (${result.status}); the console would refuse a restart too`, [{ path: 'instanceId', message: `instance is ${result.status}` }], 409);
    }
    return { ...result };
  };
  const dataPlaneOf = (instanceId: string): DataPlaneView => {
    const instance = state.instance(instanceId);
    const view = instance && state.dataPlanePorts ? state.engines.view(instance, state.dataPlanePorts) : undefined;
    if (!view) {
      const why = state.dataPlanePorts ? `unknown instance ${instanceId}` : 'the data plane is off (dataPlane: false)';
      throw new EmulatorInputError(why, [{ path: 'instanceId', message: why }], 404);
    }
    return view;
  };
  const reset = (): void => {
    state.reset(seedValue);
    state.restartDuration = restartDuration;
    state.fastModeFactor = fastModeFactor;
    injector.resetBuckets();
  };

  if (opts.faults) setFaults(opts.faults);
  if (opts.fleet) seed(opts.fleet);

  const endpoints: Record<string, string> = {};
  const cloud = createCloudHandler({ state, faults: injector, keys });
  const control = createControlHandler({
    health: () => ({ ok: true, regions, endpoints, instances: state.instances().length, nextSeq: state.recorder.nextSeq(), dataPlane: state.dataPlanePorts ?? null }),
    seed,
    instances: () => state.instances(),
    instance: (id) => state.instance(id),
    patchInstance,
    faults: () => state.faults,
    setFaults,
    patchFaults,
    record: (since) => state.record(since),
    reset,
    foreignRestart,
    dataPlaneOf,
  });
  // Requests refused before any handler ran (unparsable HTTP, bad target, oversized body) are calls too.
  const listeners = await listenRegions(regions, host, opts.basePort, cloud, control, (r) =>
    state.recordCall({ region: r.region, action: REJECTED_ACTION, path: r.path, requestId: r.requestId, httpStatus: r.httpStatus, code: r.code }),
  );
  for (const l of listeners) endpoints[l.region] = `http://${host}:${l.port}`;
  let dataPlaneServers: Server[] = [];
  if (opts.dataPlane !== false) {
    try {
      const dp = await listenDataPlane(
        { engines: state.engines, recorder: state.recorder, instance: (id) => state.instance(id), ...(dataPlaneOptions?.basicAuth ? { basicAuth: dataPlaneOptions.basicAuth } : {}) },
        { ...(dataPlaneOptions?.fePort !== undefined ? { fePort: dataPlaneOptions.fePort } : {}), ...(dataPlaneOptions?.bePort !== undefined ? { bePort: dataPlaneOptions.bePort } : {}) },
      );
      dataPlaneServers = dp.servers;
      state.dataPlanePorts = { fePort: dp.fePort, bePort: dp.bePort };
    } catch (error) {
      await closeServers(listeners.map((l) => l.server));
      throw error;
    }
  }

  let closed = false;
  return {
    endpoints,
    controlUrl: endpoints[regions[0]!]!,
    keys,
    dataPlane: state.dataPlanePorts ? { ...state.dataPlanePorts } : undefined,
    dataPlaneOf,
    endpointsJson: () => JSON.stringify(endpoints),
    record: (since) => state.record(since),
    seed,
    instances: () => state.instances(),
    patchInstance,
    faults: () => state.faults,
    setFaults,
    patchFaults,
    foreignRestart,
    reset,
    close: async () => {
      if (closed) return;
      closed = true;
      state.clearTimers();
      await closeServers([...listeners.map((l) => l.server), ...dataPlaneServers]);
    },
  };
}
