/**
 * The rollout engine's state, events and commands. The state is plain JSON: the workflow carries
 * it across continue-as-new, tests build and inspect it, and nothing in it is derived (indexes that
 * speed decisions up are rebuilt from it by the engine).
 *
 * Pure module: no Temporal, no Node built-ins, no clock (time arrives with every event).
 */
import type { EstimateResult, LaunchInput, LaunchResult, Refusal, WatchInput, WatchResult } from '../contracts/activities';
import type { ResolvedFleet } from '../contracts/fleet';
import type { ErrorClass } from '../contracts/errors';
import type {
  AuditEntry,
  FailureKind,
  FinalPhase,
  LimitsPatch,
  NotificationDelivery,
  RolloutNotification,
  NotStartedReason,
  RolloutReport,
  WaitCause,
} from '../contracts/rollout';
import type { PlanProblem } from '../planning/planner';
import type { RolloutSpec } from '../contracts/spec';

/** Where one target is in its life. The first five hold a slot by themselves; finished ones may (`down`). */
export type TargetState =
  | 'queued' // not launched yet (holds a slot only when observed down: `downQueued`)
  | 'launching' // a launch activity is running
  | 'waiting' // not running at its turn; waits for it to run (holds a slot)
  | 'restarting' // our restart was accepted; waiting for `running` (holds a slot)
  | 'checking' // running again; waiting for StarRocks itself to be healthy (holds a slot)
  | 'restarted'
  | 'failed'
  | 'skipped'
  | 'deferred'
  | 'not_started'
  | 'unknown';

export const ACTIVE_STATES: ReadonlySet<TargetState> = new Set(['launching', 'waiting', 'restarting', 'checking']);
export const FINAL_STATES: ReadonlySet<TargetState> = new Set(['restarted', 'failed', 'skipped', 'deferred', 'not_started', 'unknown']);

/** One target. Short optional fields keep 10,000 of them well under Temporal's payload limit. */
export interface TargetRec {
  id: string;
  region: string;
  name?: string;
  /** 1-based wave number. */
  wave: number;
  s: TargetState;
  /** When it entered its current state (epoch ms). */
  since?: number;
  /** Expected restart duration: median / p90 of its own history (absent: the rollout's default). */
  est?: number;
  est90?: number;
  /** Its own maintenance window (DescribeInstances MaintainablePeriod), e.g. `02:00-03:00`. */
  mp?: string;
  /** Queued and seen not running by the region's last listing: it holds a slot before its turn. */
  downQueued?: true;
  /** Finished but still down (not running): it keeps its slot until seen running, gone, or released by hand. */
  down?: true;
  /** Last status observed. */
  st?: string;
  /** Our RestartInstance was accepted at (or adopted from) this time. */
  sent?: number;
  /** The restart was seen in progress (restarting, or its operation record). */
  seen?: true;
  adopted?: true;
  /** The launch's answer was lost and its retries ran out: it may or may not have been sent. */
  unsure?: true;
  attempts?: number;
  requestId?: string;
  restartNotObserved?: true;
  /** waiting: why, since when, until when. */
  waitCause?: WaitCause;
  waitFrom?: number;
  waitUntil?: number;
  failure?: FailureKind;
  errorClass?: ErrorClass | 'timeout';
  apiCode?: string;
  apiMessage?: string;
  notStarted?: NotStartedReason;
  skippedBy?: 'policy' | 'operator';
  /** Confirmed running (and healthy, with the gate) at. */
  confirmedAt?: number;
  durationMs?: number;
  /** checking: when the health gate gives up; the last reason it is not healthy. */
  healthUntil?: number;
  healthReason?: string;
  fe?: { endpoint: string; port: number };
  /** The restart operation's Progress and step, for restarts in flight, and when they were read. */
  progress?: number;
  step?: string;
  progressAt?: number;
  /** Who released it by hand. */
  releasedBy?: string;
  /** An operator asked to skip it while its launch was in flight. */
  skipRequestedBy?: string;
  /** Queued, waiting for its own maintenance window, which opens at this time. */
  waitWindowAt?: number;
  /** Waited at its turn before its own restart (kept for the report). */
  waited?: { cause: WaitCause; status: string; ms: number };
}

export interface PlannedWaveRec {
  number: number;
  /** Index of its first target in `targets`; its targets are contiguous. */
  first: number;
  count: number;
  approvalRequired: boolean;
}

export interface RegionRec {
  /** A watch activity is running for this region. */
  watching?: true;
  /** When the region's last observation was made, and in which wave. */
  observedAt?: number;
  observedInWave?: number;
  /** Instances the last listing showed not running (ids); undefined when unknown (too many, or none yet). */
  notRunning?: string[];
  /** When the last listing was sent: the next one waits a poll interval. */
  lastPollAt?: number;
  /** A launch waits for a fresh listing of this region (its last one is too old). */
  needListing?: true;
}

export type StopReason =
  | 'cancelled'
  | 'budget'
  | 'window'
  | 'stalled'
  /** A launch was refused permanently (auth, permission, unsupported). */
  | 'refused'
  /** Reads were refused permanently too many times in a row. */
  | 'read_refused'
  /** The targets could not be resolved, leased or planned. */
  | 'setup_failed';

export interface EngineState {
  v: 1;
  rolloutId: string;
  spec: RolloutSpec;
  trigger?: string;
  startedAtMs: number;
  notAfterMs?: number;
  /** Time of the event being handled (workflow time). */
  nowMs: number;
  life: 'resolving' | 'estimating' | 'leasing' | 'running' | 'releasing' | 'done';
  /** Activities in flight that the engine waits for. */
  outstanding: { resolve?: true; estimates: string[]; lease?: true; leased?: true; release?: true; launches: string[]; notifies?: number[] };
  /** Notifications sent so far (their number) and the most recent deliveries. */
  notifySeq?: number;
  notices?: NotificationDelivery[];
  /** The final notification was sent (the rollout finishes once it is delivered or has failed). */
  finalNotified?: true;
  /** Notifications not yet delivered, kept so a new run (after continue-as-new) sends them again. */
  pendingNotices?: Array<{ notification: RolloutNotification; receivers?: string[] }>;
  /** Set in a continue-as-new snapshot: the new run sends the pending notifications again. */
  resendNotices?: true;
  fleet?: ResolvedFleet;
  plan?: { waves: PlannedWaveRec[]; regions: string[]; targetCount: number; failureBudget: number; problems: PlanProblem[] };
  targets: TargetRec[];
  /** Current wave number (1-based); 0 before the first. */
  wave: number;
  stage?: 'gate' | 'running' | 'baking';
  bakeUntilMs?: number;
  waveStartedAt: Record<string, number>;
  waveFinishedAt: Record<string, number>;
  /** Indexes into `targets` of the current wave's queued targets, in launch order. */
  queue: number[];
  approved: Record<string, string>;
  paused: boolean;
  cancel?: { reason?: string; by?: string; atMs: number };
  stop?: { reason: StopReason; atMs: number; sentence?: string };
  /** Some targets could not start before a window closed (theirs or the rollout's). */
  windowMissed?: true;
  /** Continue-as-new is coming: no new launches. */
  draining?: true;
  failures: number;
  waveFailures: number;
  regions: Record<string, RegionRec>;
  /** Consecutive permanently refused reads (any region). */
  refusal?: { count: number; last: Refusal; firstAtMs: number };
  stalledSinceMs?: number;
  audit: AuditEntry[];
  reads: number;
  runs: number;
  /** Measured restart durations of this rollout (most recent, bounded), for the default expectation. */
  measured: number[];
  final?: { phase: FinalPhase; finishedAtMs: number };
  /** The finish command was emitted: the engine takes no more events. */
  finished?: true;
}

export type ControlEvent =
  | { type: 'pause'; by?: string }
  | { type: 'resume'; by?: string }
  | { type: 'cancel'; reason?: string; by?: string }
  | { type: 'approve'; wave: number; by?: string }
  | { type: 'set_limits'; patch: LimitsPatch }
  | { type: 'skip'; instanceId: string; by?: string };

export type EngineEvent =
  | { type: 'resolved'; fleet: ResolvedFleet }
  | { type: 'resolve_failed'; sentence: string; refusal?: Refusal }
  | { type: 'estimated'; region: string; result: EstimateResult }
  | { type: 'estimate_failed'; region: string }
  | { type: 'leased' }
  | { type: 'lease_failed'; sentence: string }
  | { type: 'launched'; instanceId: string; result: LaunchResult }
  | {
      type: 'launch_failed';
      instanceId: string;
      errorClass?: ErrorClass | 'timeout';
      apiCode?: string;
      message: string;
      /** From the last attempt's heartbeat: it was about to send at this time. */
      maybeSentAtMs?: number;
      attempts?: number;
    }
  | { type: 'watched'; region: string; result: WatchResult }
  | { type: 'watch_failed'; region: string; message: string }
  | { type: 'released' }
  | { type: 'notified'; seq: number; receivers: Array<{ name: string; delivered: boolean; attempts: number; error?: string }> }
  | { type: 'notify_failed'; seq: number; error: string }
  | { type: 'tick' }
  | { type: 'drain' }
  | ControlEvent;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type EngineCommand =
  | { type: 'resolve' }
  | { type: 'estimate'; region: string; instanceIds: string[]; sinceMs: number }
  | { type: 'acquire_leases'; keys: string[] }
  | { type: 'launch'; input: LaunchInput }
  | { type: 'watch'; input: WatchInput }
  | { type: 'release_leases' }
  | { type: 'notify'; notification: RolloutNotification; receivers?: string[] }
  | { type: 'log'; level: LogLevel; message: string; attrs?: Record<string, unknown> }
  | { type: 'finish'; report: RolloutReport };

export interface EngineInit {
  rolloutId: string;
  spec: RolloutSpec;
  trigger?: string;
  startedAtMs: number;
  notAfterMs?: number;
}

export function initialState(init: EngineInit): EngineState {
  return {
    v: 1,
    rolloutId: init.rolloutId,
    spec: init.spec,
    ...(init.trigger ? { trigger: init.trigger } : {}),
    startedAtMs: init.startedAtMs,
    ...(init.notAfterMs !== undefined ? { notAfterMs: init.notAfterMs } : {}),
    nowMs: init.startedAtMs,
    life: 'resolving',
    outstanding: { estimates: [], launches: [] },
    targets: [],
    wave: 0,
    waveStartedAt: {},
    waveFinishedAt: {},
    queue: [],
    approved: {},
    paused: false,
    failures: 0,
    waveFailures: 0,
    regions: {},
    audit: [{ atMs: init.startedAtMs, action: 'start', ...(init.trigger ? { by: init.trigger } : {}) }],
    reads: 0,
    runs: 1,
    measured: [],
  };
}

/** Permanent refusals of reads tolerated in a row before the rollout fails (bounded time: this many poll intervals). */
export const READ_REFUSAL_LIMIT = 3;
/** Largest number of measured durations kept for the default expectation. */
export const MEASURED_KEEP = 256;
/** Audit entries kept (the oldest are dropped first, the start entry stays). */
export const AUDIT_KEEP = 200;
/** Notification deliveries kept in the state (the most recent). */
export const NOTICES_KEEP = 50;
