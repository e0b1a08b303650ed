/**
 * The StarRocks engine behind each instance, as its FE and BE HTTP endpoints see it (spec §11):
 * its own loopback address, its cluster token, when the FE process started, and whether the
 * processes are up. It follows the fleet's status transitions; the HTTP side is ./server.ts.
 */
import { createHash } from 'node:crypto';
import type { FaultConfig, WireInstanceStatus } from '../schemas';
import type { DataPlaneView, EmulatorInstance, TransitionRecord } from '../types';

export const DEFAULT_FE_READY_DELAY_MS = 500;
export const DEFAULT_BACKENDS_ONLINE_DELAY_MS = 2_000;
/** The FE's query and RPC ports reported by /api/bootstrap (StarRocks defaults). */
export const FE_QUERY_PORT = 9030;
export const FE_RPC_PORT = 9020;

/**
 * Statuses in which the engine keeps serving: running, and the BUSY operations that change a
 * running cluster (scaling, config, network, upgrade…; the emulator does not model their rolling
 * sub-steps). Everything else (creating, stopped, failed, deleted…) has no process listening.
 * `restarting` is handled on its own: down for a real restart.
 */
const SERVING: ReadonlySet<WireInstanceStatus> = new Set<WireInstanceStatus>([
  'running',
  'updating',
  'upgrading',
  'modifying_config',
  'modifying_timezone',
  'scaling_out',
  'scaling_in',
  'scaling_up',
  'scaling_down',
  'enable_public_network',
  'disable_public_network',
  'convert_from_trial_to_official',
  'migration_cluster_to_serverless',
  'switch_az',
  'agent_creating',
  'agent_scaling_up',
]);

/**
 * The instance's data-plane address: a distinct 127.0.0.0/8 address from its creation index
 * (every 127/8 address is loopback on Linux): index 0 → 127.1.0.1, 65535 → 127.2.0.0, …
 */
export function dataPlaneAddress(createdSeq: number): string {
  const n = createdSeq + 1;
  const second = 1 + Math.floor(n / 65_536);
  if (second > 254) throw new Error(`no loopback address left for instance #${createdSeq}`);
  return `127.${second}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** True for 127.0.0.0/8, also written as an IPv4-mapped IPv6 address. */
export function isLoopbackIPv4(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export function normaliseAddress(address: string | undefined): string {
  return address?.startsWith('::ffff:') ? address.slice(7) : (address ?? '');
}

function digest(...parts: Array<string | number>): Buffer {
  return createHash('sha256').update(parts.join('\n')).digest();
}

/** The cluster token: UUID-shaped like StarRocks' own, derived from the PRNG seed and the instance id. */
export function clusterTokenFor(seed: number, instanceId: string): string {
  const hex = digest('cluster-token', seed, instanceId).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface Engine {
  instanceId: string;
  address: string;
  clusterToken: string;
  /** Epoch ms the FE process started. */
  feStartTime: number;
  /** The FE and BE processes are up. */
  up: boolean;
  /** The restart in progress is not a real one (fault restartNotRealInstanceIds when it began). */
  fakeRestart: boolean;
  /** The last restart that ended was not real (its feStartTime is stale): probes are marked with that fault. */
  lastRestartFake: boolean;
  /** `<version>-<commit>` */
  feVersion: string;
  journalBase: number;
  heapUsedPercent: number;
}

export interface EngineTiming {
  feReadyDelayMs: number;
  backendsOnlineDelayMs: number;
}

export class Engines {
  private byId = new Map<string, Engine>();
  private byAddress = new Map<string, string>();

  constructor(
    private readonly world: { readonly faults: FaultConfig; readonly prngSeed: number },
    readonly timing: EngineTiming,
  ) {}

  /** Engines for a freshly seeded fleet (replacing all): every serving instance has been up since it began running. */
  replace(instances: readonly EmulatorInstance[]): void {
    this.clear();
    for (const instance of instances) {
      const d = digest('engine', this.world.prngSeed, instance.instanceId);
      const engine: Engine = {
        instanceId: instance.instanceId,
        address: dataPlaneAddress(instance.createdSeq),
        clusterToken: clusterTokenFor(this.world.prngSeed, instance.instanceId),
        feStartTime: instance.runningSince,
        up: SERVING.has(instance.status),
        fakeRestart: false,
        lastRestartFake: false,
        feVersion: `${instance.minorVersion.split('-')[0] ?? instance.version}-${digest('commit', instance.minorVersion).toString('hex').slice(0, 10)}`,
        journalBase: 1_000 + d.readUInt32BE(0) % 1_000_000,
        heapUsedPercent: Math.round((20 + (d.readUInt16BE(4) % 5_000) / 100) * 100) / 100,
      };
      this.byId.set(engine.instanceId, engine);
      this.byAddress.set(engine.address, engine.instanceId);
    }
  }

  get(instanceId: string): Engine | undefined {
    return this.byId.get(instanceId);
  }

  instanceAt(address: string): string | undefined {
    return this.byAddress.get(normaliseAddress(address));
  }

  /**
   * Follows a status transition: a real restart takes the processes down; coming back to a
   * serving status starts them (a new feStartTime). A restart that is not real (fault) keeps them up,
   * so feStartTime does not move.
   */
  follow(instance: EmulatorInstance, transition: TransitionRecord): void {
    const engine = this.byId.get(instance.instanceId);
    if (!engine) return;
    let serving: boolean;
    if (transition.to === 'restarting') {
      engine.fakeRestart = this.world.faults.dataPlane?.restartNotRealInstanceIds?.includes(instance.instanceId) ?? false;
      engine.lastRestartFake = false;
      serving = engine.fakeRestart;
    } else {
      if (transition.from === 'restarting') engine.lastRestartFake = engine.fakeRestart;
      engine.fakeRestart = false;
      serving = SERVING.has(transition.to as WireInstanceStatus);
    }
    if (serving && !engine.up) engine.feStartTime = transition.atMs;
    engine.up = serving;
  }

  unreachable(instanceId: string): boolean {
    return this.world.faults.dataPlane?.unreachableInstanceIds?.includes(instanceId) ?? false;
  }

  backendsHeldOffline(instanceId: string): boolean {
    return this.world.faults.dataPlane?.backendsOfflineInstanceIds?.includes(instanceId) ?? false;
  }

  feReady(engine: Engine, nowMs: number): boolean {
    return engine.up && nowMs >= engine.feStartTime + this.timing.feReadyDelayMs;
  }

  onlineBackends(engine: Engine, total: number, nowMs: number): number {
    if (!engine.up || this.backendsHeldOffline(engine.instanceId)) return 0;
    return nowMs >= engine.feStartTime + this.timing.backendsOnlineDelayMs ? total : 0;
  }

  view(instance: EmulatorInstance, ports: { fePort: number; bePort: number }, nowMs = Date.now()): DataPlaneView | undefined {
    const engine = this.byId.get(instance.instanceId);
    if (!engine) return undefined;
    const total = totalBackends(instance);
    return {
      instanceId: engine.instanceId,
      address: engine.address,
      fePort: ports.fePort,
      bePort: ports.bePort,
      feUrl: `http://${engine.address}:${ports.fePort}`,
      beUrl: `http://${engine.address}:${ports.bePort}`,
      clusterToken: engine.clusterToken,
      feStartTime: engine.feStartTime,
      engineUp: engine.up,
      feReady: this.feReady(engine, nowMs),
      backends: { total, online: this.onlineBackends(engine, total, nowMs) },
      unreachable: this.unreachable(engine.instanceId),
    };
  }

  clear(): void {
    this.byId.clear();
    this.byAddress.clear();
  }
}

/** BE and CN nodes of the instance: what the FE counts as backends. */
export function totalBackends(instance: EmulatorInstance): number {
  return instance.nodeGroups.filter((g) => g.componentType !== 'FE').reduce((sum, g) => sum + g.residentNodeNumber, 0);
}
