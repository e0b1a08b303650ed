/** Public shapes of the emulator: options, instance model and the record of calls. */
import type {
  DurationDistribution,
  FaultConfig,
  FleetSeed,
  InstanceBehaviour,
  Tag,
  WireInstanceStatus,
} from './schemas';

export interface EmulatorKey {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, requests with this key must carry `x-acs-security-token` equal to it (STS credentials). */
  securityToken?: string;
  /** RAM deny list: actions (e.g. `RestartInstance`) this key may not call. */
  deniedActions?: string[];
  /**
   * How a RAM denial is answered: `gateway` (default) → HTTP 403 `{Code:'Forbidden.RAM', AccessDeniedDetail:{…}}`;
   * `service` → HTTP 403 service envelope `{ErrCode:'NoPermission', AccessDeniedDetail:'<json string>'}`.
   */
  denyStyle?: 'gateway' | 'service';
}

export const DEFAULT_KEY: EmulatorKey = {
  accessKeyId: 'STARWAVE0EMULATOR0KEY',
  accessKeySecret: 'emulator-secret-not-for-production',
};

export interface EmulatorOptions {
  /** Regions served, one HTTP listener each (default `['cn-hangzhou']`). */
  regions?: string[];
  /** Region i listens on basePort+i; absent or 0 = random ports. */
  basePort?: number;
  /** Host to bind (default `127.0.0.1`). */
  host?: string;
  /** Initial fleet (default: none). */
  fleet?: FleetSeed;
  /** PRNG seed for ids, durations and fault draws (default 1). */
  seed?: number;
  /** Restart-duration distribution (default lognormal, median 2000 ms, sigma 0.3). */
  restartDuration?: DurationDistribution;
  /** FastMode multiplies the drawn duration by this (default 0.5). */
  fastModeFactor?: number;
  /** PageSize cap of DescribeInstances, DescribeNodeGroups and ListOperationHistory (default 100). */
  maxPageSize?: number;
  /** Accepted key pairs (default one pair, {@link DEFAULT_KEY}). */
  keys?: EmulatorKey[];
  /** Initial faults (default none). */
  faults?: FaultConfig;
  /**
   * The StarRocks data plane (FE/BE HTTP, spec §11) served for every instance on its own loopback
   * address. Default: on, random ports. `false` turns it off (DescribeNodeGroups then reports the
   * cloud's internal host names, which do not resolve).
   */
  dataPlane?: DataPlaneOptions | false;
}

export interface DataPlaneOptions {
  /** FE HTTP port on every instance address (the real default is 8030). Default 0 = a random free port. */
  fePort?: number;
  /** BE/CN webserver port on every instance address (the real default is 8040). Default 0 = a random free port. */
  bePort?: number;
  /**
   * After an instance's engine came up (restart done, or back to a serving status), the FE
   * answers `/api/bootstrap` "not ready" for this long (ms). Default 500.
   */
  feReadyDelayMs?: number;
  /** ... and its backends are offline (online_backend_num 0, BE /api/health refused) for this long (ms). Default 2000. */
  backendsOnlineDelayMs?: number;
  /**
   * HTTP Basic credentials the FE's `/api/health` requires (as with `enable_http_auth`); 401
   * without them. `/api/bootstrap` is authenticated by the cluster token instead, BE health not at
   * all (as in StarRocks). Default: none. These are the emulator's own fake secrets.
   */
  basicAuth?: { user: string; password: string };
}

/** What the data plane of one instance looks like now (control API `GET /_emulator/instances/:id/data-plane`). */
export interface DataPlaneView {
  instanceId: string;
  /** The instance's own loopback address: DescribeNodeGroups' `Endpoint` of every group. */
  address: string;
  fePort: number;
  bePort: number;
  /** `http://<address>:<fePort>` */
  feUrl: string;
  beUrl: string;
  /** The cluster token `/api/bootstrap?token=` accepts (deterministic from the seed; the emulator's own fake secret). */
  clusterToken: string;
  /** Epoch ms the FE process started; moves only when the engine really restarts. */
  feStartTime: number;
  /** The engine processes are up (a real restart or a non-serving status takes them down). */
  engineUp: boolean;
  /** `/api/bootstrap` says OK. */
  feReady: boolean;
  backends: { total: number; online: number };
  /** Connections to this address are reset (fault dataPlane.unreachableInstanceIds). */
  unreachable: boolean;
}

export interface EmulatorInstance extends InstanceBehaviour {
  instanceId: string;
  instanceName: string;
  regionId: string;
  resourceGroupId: string;
  tags: Tag[];
  status: WireInstanceStatus;
  version: string;
  minorVersion: string;
  runMode: 'shared_nothing' | 'shared_data' | 'lakehouse';
  packageType: 'official' | 'trial';
  payType: 'prePaid' | 'postPaid';
  architecture: 'onEci' | 'onECS' | 'onBareMetal';
  maintainablePeriod: string;
  /** Epoch ms of creation. */
  beginTime: number;
  expireTime: number;
  /** Epoch ms since when the instance is running (for RunningTime). */
  runningSince: number;
  /** Creation order (stable DescribeInstances ordering). */
  createdSeq: number;
  /** This instance's own restart median (ms), when the seed asked for per-instance restart durations. */
  restartMedianMs?: number;
  nodeGroups: EmulatorNodeGroup[];
}

export interface EmulatorNodeGroup {
  nodeGroupId: string;
  nodeGroupName: string;
  componentType: 'FE' | 'BE' | 'CN';
  /** UPPERCASE node-group status; RESTARTING only for the group(s) being restarted. */
  status: string;
  residentNodeNumber: number;
}

/**
 * Operation types the emulator creates. `restart_cluster` / `restart_node_group` are documented
 * (§3.5); the ones for busy statuses (scale_out, modify_config, upgrade, …) are inferred names.
 */
export type OperationType = 'restart_cluster' | 'restart_node_group' | BusyOperationType;

export type BusyOperationType =
  | 'create_instance'
  | 'upgrade'
  | 'modify_config'
  | 'modify_timezone'
  | 'scale_out'
  | 'scale_in'
  | 'scale_up'
  | 'scale_down'
  | 'enable_public_network'
  | 'disable_public_network'
  | 'convert_trial_to_official'
  | 'migrate_to_serverless'
  | 'switch_az'
  | 'create_agent'
  | 'scale_up_agent'
  | 'enable_instance';

/** Who made a restart: starwave (or anyone) through RestartInstance/RestartNodeGroup, or someone else (console, another tool). */
export type RestartOrigin = 'api' | 'foreign';

export interface EmulatorOperation {
  operationId: string;
  instanceId: string;
  regionId: string;
  operationType: OperationType;
  /** `RUNNING` is inferred (the spec documents only COMPLETED / TERMINATED / HUMAN_PROCESSING). */
  operationStatus: 'RUNNING' | 'COMPLETED' | 'TERMINATED';
  gmtCreate: number;
  gmtEnd?: number;
  plannedDurationMs: number;
  fastMode: boolean;
  nodeGroupId?: string;
  /** Restart operations: who made it. */
  origin?: RestartOrigin;
  /** Why a TERMINATED operation ended (ListOperationActivity's ErrMessage of the step it ended in). */
  endReason?: string;
}

interface Stamped {
  /** Position in the emulator-wide sequence shared by calls, restarts and transitions. */
  seq: number;
  /** Epoch ms. */
  atMs: number;
  /** ms since the emulator started (monotonic, performance.now based). */
  tMs: number;
}

export interface CallRecord extends Stamped {
  region: string;
  /** `x-acs-action` if it names a known action, else the path. */
  action: string;
  path: string;
  instanceId?: string;
  accessKeyId?: string;
  requestId: string;
  /** 0 when the connection was dropped. */
  httpStatus: number;
  /** Gateway `Code` or service `ErrCode` of a failure (absent on success). */
  code?: string;
  /** The fault that decided this answer: `throttling.user`, `throttling.api`, `ram-deny`, `server-error`, `drop-before`, `drop-after`, `malformed`, `service-failure`. */
  fault?: string;
  /** Latency added by the latency fault (ms). */
  addedLatencyMs?: number;
  dropped?: boolean;
}

export type RestartOutcome = 'pending' | 'running' | 'failed' | 'stuck';

export interface RestartRecord extends Stamped {
  region: string;
  instanceId: string;
  /** A foreign restart is recorded as `RestartInstance` (what the console calls) with origin `foreign`. */
  action: 'RestartInstance' | 'RestartNodeGroup';
  /**
   * `api` (RestartInstance/RestartNodeGroup received by the emulator) or `foreign` (started through
   * the control API, as the console or another tool would). Always set by the emulator; a record
   * made by hand without it counts as `api`.
   */
  origin?: RestartOrigin;
  nodeGroupId?: string;
  fastMode: boolean;
  requestId: string;
  operationId: string;
  plannedDurationMs: number;
  /** Updated in place when the restart ends (`running`/`failed`); `stuck` from the start. */
  outcome: RestartOutcome;
  /** When the outcome was decided (running/failed): epoch ms and tMs. */
  endedAtMs?: number;
  endedTMs?: number;
  /** seq of the transition that decided the outcome (compare with other entries' seq). */
  endedSeq?: number;
}

/** `foreign-restart*`: the transitions of a restart made by someone else (see RestartRecord.origin). */
export type TransitionCause = 'restart' | 'restart-complete' | 'restart-failed' | 'settle' | 'control' | 'foreign-restart' | 'foreign-restart-complete';

export interface TransitionRecord extends Stamped {
  region: string;
  instanceId: string;
  from: string;
  to: string;
  cause: TransitionCause;
}

export interface RecordStats {
  callsByAction: Record<string, number>;
  callsByRegion: Record<string, number>;
  /** `${region}/${action}` → count. */
  callsByRegionAction: Record<string, number>;
  /** Restarts of origin `api` that took effect, per instance id. */
  restartsByInstance: Record<string, number>;
  /** Restarts of origin `foreign`, per instance id (always set by the emulator). */
  foreignRestartsByInstance?: Record<string, number>;
  /** Data-plane requests (and refused connections) per instance id (always set by the emulator). */
  probesByInstance?: Record<string, number>;
}

/** One request (or refused connection) to the data plane. Tokens and credentials are never recorded. */
export interface ProbeRecord extends Stamped {
  component: 'FE' | 'BE';
  /** The local address the client connected to. */
  address: string;
  /** The instance behind the address, when there is one. */
  instanceId?: string;
  /** Empty for a connection reset before a request was read. */
  method: string;
  /** The path without the query (the token never enters the record). */
  path: string;
  /** 0 when the connection was reset instead of answered. */
  httpStatus: number;
  /**
   * Why it was not a plain answer: `not-loopback` / `unknown-address` (no instance there),
   * `unreachable` (fault), `engine-down` (not serving: the process is not listening),
   * `restarting` (FE graceful exit → 500), `backends-offline`, `unauthorized`, `not-found`.
   */
  reason?: string;
  /** `/api/bootstrap`: a token was sent, and whether it was the cluster token. */
  tokenSent?: boolean;
  tokenValid?: boolean;
  /** The data-plane fault that decided the answer: `unreachable`, `backends-offline`, `restart-not-real`. */
  fault?: string;
}

/** Every change of the fault switches (setFaults / patchFaults / PUT / PATCH), with the faults in force after it. */
export interface FaultChangeRecord extends Stamped {
  faults: FaultConfig;
}

export interface EmulatorRecord {
  calls: CallRecord[];
  restarts: RestartRecord[];
  transitions: TransitionRecord[];
  /** Always set by the emulator (optional only so hand-made records stay valid). */
  faultChanges?: FaultChangeRecord[];
  /** Data-plane requests (FE/BE HTTP), in the same seq order. Always set by the emulator. */
  probes?: ProbeRecord[];
  stats: RecordStats;
  /** The next seq to be assigned (pass as `since` to fetch only newer entries). */
  nextSeq: number;
}
