/**
 * What crosses the boundary between the rollout workflow and its activities: inputs and results.
 * Plain JSON; never a secret (credentials and probe tokens live only in the worker).
 */
import type { ResolvedFleet } from './fleet';
import type { RolloutSpec } from './spec';
import type { ErrorClass } from './errors';
import type { WaitCause } from './rollout';

// ---- resolve ----

export interface ResolveInput {
  spec: RolloutSpec;
  /**
   * Answer with the fleet deflated to bytes (engine/codec.ts encodeFleet): the plain answer for 10,000 targets is
   * about Temporal's 2 MB payload limit. Asked by workflows from patch `compact-resolve-result` on; earlier ones
   * (and their replays) get the plain fleet.
   */
  compact?: boolean;
}
/** The fleet, or (when asked with `compact`) the fleet's JSON deflated: read it with engine/codec.ts decodeFleet. */
export type ResolveResult = ResolvedFleet | Uint8Array;

/** A permanent refusal of a call, handed back as data (the caller decides what it means for the rollout). */
export interface Refusal {
  errorClass: ErrorClass;
  /** OpenAPI action that was refused, e.g. `DescribeInstances`. */
  action: string;
  region: string;
  apiCode?: string;
  apiMessage?: string;
  requestId?: string;
  /** The client's sentence (no secrets). */
  message: string;
}

// ---- restart-duration estimates (ListOperationHistory) ----

export interface EstimateInput {
  region: string;
  instanceIds: string[];
  /** Look back this far for past restarts. */
  sinceMs: number;
  /** Pages of history per instance at most. */
  maxPagesPerInstance: number;
}

export interface RestartEstimate {
  /** Median of the instance's past restart durations. */
  medianMs: number;
  /** 90th percentile of them. */
  p90Ms: number;
  samples: number;
}

export interface EstimateResult {
  estimates: Record<string, RestartEstimate>;
  reads: number;
  /** Instances whose history could not be read (permanent refusal or retries exhausted). */
  unread: number;
}

// ---- launch ----

export interface LaunchInput {
  region: string;
  instanceId: string;
  fastMode: boolean;
  /**
   * The region's batched status read (at most two poll intervals old) did not list this instance as
   * not running, so the first attempt skips its own status read. RestartInstance itself refuses a
   * non-running instance ("Invalid instance status"), so a change since then is still caught.
   */
  preflightFromSnapshot?: boolean;
}

/**
 * Heartbeat details of a launch attempt. An attempt records `aboutToSendAtMs` right before it sends
 * RestartInstance: only a retry that finds this record may adopt a restart it did not see accepted.
 */
export interface LaunchHeartbeat {
  attempt: number;
  aboutToSendAtMs?: number;
}

export type LaunchResult =
  | { kind: 'sent'; sentAtMs: number; requestId?: string; adopted: boolean; attempt: number; reads: number }
  | { kind: 'not_running'; status: string; cause: WaitCause; attempt: number; reads: number }
  | { kind: 'refused'; refusal: Refusal; attempt: number; reads: number };

// ---- watch (one per region) ----

export type WatchKind = 'restart' | 'down' | 'health';

export interface WatchEntry {
  instanceId: string;
  /**
   * restart: our restart is in flight (return when it ends); down: the instance holds a slot while
   * not running (return when it runs again or is gone); health: running again, probe StarRocks.
   */
  kind: WatchKind;
  sentAtMs?: number;
  seenRestarting?: boolean;
  /** health: the FE HTTP endpoint, once known (from DescribeNodeGroups). */
  fe?: { endpoint: string; port: number };
  /** health: prove the restart with feStartTime > this (epoch ms). */
  proveSinceMs?: number;
  /** restart: read the operation's Progress and current step once in this watch (it is due). */
  wantProgress?: boolean;
}

export interface HealthObservation {
  ok: boolean;
  /** Why it is not healthy yet, a short sentence. */
  reason?: string;
  feStartTimeMs?: number;
  fe?: { endpoint: string; port: number };
  /** The probe could not reach the endpoint at all (VPC reachability). */
  unreachable?: boolean;
}

export interface WatchObservation {
  instanceId: string;
  /** Latest status; null when the instance no longer exists. */
  status: string | null;
  /** It was seen `restarting` (or its restart operation running or done) during this watch. */
  seenRestarting?: boolean;
  /** restart entries: the restart ended (running, failed status, or gone). */
  ended?: 'running' | 'failed' | 'gone';
  /** Running was read without `restarting` ever having been seen (short restart or stale read). */
  restartNotObserved?: boolean;
  /** The restart operation's Progress (0-100) and current step, when read this round. */
  progress?: number;
  step?: string;
  health?: HealthObservation;
}

export interface WatchInput {
  region: string;
  entries: WatchEntry[];
  pollIntervalMs: number;
  /** How long a restart may go unseen (`running` read before `restarting`) before history is consulted. */
  flipGraceMs: number;
  /** Return after this long even when nothing decisive happened, so new restarts join the watch. */
  maxWaitMs: number;
  /** Sleep this long before the first poll (at most one listing per poll interval per region). */
  initialDelayMs: number;
  /** Hand back the region's non-running listing: the availability snapshot for queued targets. */
  wantSnapshot: boolean;
  /** Return after the first listing: launches wait for it (a wave's first listing, or one to replace a stale one). */
  returnAfterListing?: boolean;
  /** Deprecated knob kept for old inputs: progress is read for entries with `wantProgress`. */
  progressEveryPolls: number;
  /**
   * When restarts in flight are expected to end (epoch ms, ascending): the next listing comes at the
   * first of these if that is sooner than a poll interval (never sooner than minPollMs), so a finished
   * restart frees its slot quickly without reading more per instance.
   */
  expectedEndsMs?: number[];
  minPollMs?: number;
  /** Probe with HTTP Basic auth / the cluster token from the worker's environment. */
  health?: { proveRestart: boolean };
}

export interface WatchResult {
  atMs: number;
  /** When the last region listing was sent (for pacing the next watch). */
  lastPollAtMs?: number;
  observations: WatchObservation[];
  /** The region's non-running instances [id, status] from the last listing; null when too many to hand back. */
  notRunning: Array<[string, string]> | null;
  reads: number;
  /** The last read was refused permanently (auth, permission, unsupported). */
  refused?: Refusal;
  /** Polls that failed transiently in a row at the end. */
  failedPolls: number;
}
