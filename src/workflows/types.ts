/**
 * Data that crosses the workflow boundary: workflow inputs and results, activity inputs and results,
 * progress snapshots. Plain JSON only; no secrets ever (credentials live in the worker).
 */
import type { PlanProblem, Target } from '../planning/planner';
import type { InstancePolicy, RolloutSpec } from '../planning/spec';

export type ErrorClass =
  | 'throttled'
  | 'transient'
  | 'busy'
  | 'auth'
  | 'permission'
  | 'bad_request'
  | 'not_found'
  | 'unsupported';

/** How one target ended. */
export type InstanceOutcome =
  | 'restarted' // RestartInstance took effect and the instance was confirmed running again
  | 'failed' // counted against the failure budget
  | 'skipped' // not restarted by policy (not running at its turn with notRunning=skip)
  | 'not_started'; // never reached: budget exhausted, cancelled, or the window closed

export type FailureKind =
  | 'api_error' // RestartInstance failed with a non-retryable API error class
  | 'restart_failed' // the instance left `restarting` for a non-running status
  | 'confirm_timeout' // not confirmed running within confirmTimeoutSeconds
  | 'not_running' // not running at its turn (notRunning=fail, or the wait ran out)
  | 'gone'; // the instance disappeared

export type NotStartedReason = 'budget' | 'cancelled' | 'window';

export interface InstanceResult extends Target {
  wave: number;
  outcome: InstanceOutcome;
  failure?: FailureKind;
  notStartedReason?: NotStartedReason;
  /** Last status observed. */
  status?: string;
  errorClass?: ErrorClass | 'timeout';
  apiCode?: string;
  apiMessage?: string;
  requestId?: string;
  /** Human sentence explaining a failure or skip. */
  detail?: string;
  /** Launch attempts it took (throttling, transient errors and waiting for a busy instance retry). */
  attempts?: number;
  /** The restart of an earlier attempt (whose answer was lost) was found and adopted instead of re-sent. */
  adopted?: boolean;
  /** Running was seen without `restarting` having been observed in between (fast restart or stale read). */
  restartNotObserved?: boolean;
  sentAtMs?: number;
  confirmedAtMs?: number;
  durationMs?: number;
}

/** Limits that can change at run time (Update `setLimits`). */
export interface WaveLimits {
  concurrency: number;
  regionConcurrency: Record<string, number>;
  /** Failures tolerated in this wave; undefined = only the rollout budget applies. */
  waveBudget?: number;
  /** Failures this wave may still absorb before the rollout budget is exceeded (rollout budget − failures so far). */
  rolloutBudgetRemaining: number;
}

export interface WaveControl {
  paused?: boolean;
  cancelled?: boolean;
  limits?: WaveLimits;
  /** Expected restart duration for the window cutoff, refreshed by the rollout as it measures restarts. */
  expectedRestartMs?: number;
}

export interface WaveInput {
  rolloutId: string;
  wave: number;
  targets: Target[];
  limits: WaveLimits;
  policy: InstancePolicy;
  notAfterMs?: number;
  expectedRestartMs: number;
  paused: boolean;
  cancelled: boolean;
  /** Continue-as-new once history passes this many events (Temporal warns at 10,240). */
  historyLimit?: number;
  carry?: WaveCarry;
}

export interface WatchedRestart {
  target: Target;
  sentAtMs: number;
  attempts?: number;
  seenRestarting: boolean;
  requestId?: string;
  adopted?: boolean;
}

/** State handed from one run of a wave to the next across continue-as-new. */
export interface WaveCarry {
  queue: Target[];
  watching: WatchedRestart[];
  results: InstanceResult[];
  failures: number;
  stopReason?: NotStartedReason;
  reads: number;
  runs: number;
}

export interface WaveResult {
  wave: number;
  results: InstanceResult[];
  failures: number;
  stopReason?: NotStartedReason;
  /** Status reads spent by this wave (preflight, polling, adoption checks). */
  reads: number;
  /** Runs of this wave's workflow (1 + continue-as-new count). */
  runs: number;
}

export interface WaveProgress {
  wave: number;
  paused: boolean;
  stopReason?: NotStartedReason;
  queued: number;
  launching: Target[];
  restarting: Array<WatchedRestart>;
  results: InstanceResult[];
  limits: WaveLimits;
}

// ---- Activities ----

export interface LaunchInput {
  region: string;
  instanceId: string;
  fastMode: boolean;
  notRunning: InstancePolicy['notRunning'];
  pollIntervalMs: number;
  /**
   * The region's batched status read (at most a poll interval old) did not list this instance as
   * not running, so the first attempt skips its own status read. RestartInstance itself refuses a
   * non-running instance ("Invalid instance status"), so a change since then is still caught.
   */
  preflightFromSnapshot?: boolean;
}

export type LaunchResult =
  | { kind: 'sent'; sentAtMs: number; requestId?: string; adopted: boolean; reads: number; attempt?: number }
  | { kind: 'skipped'; status: string; reads: number; attempt?: number }
  | { kind: 'not_running'; status: string; reads: number; attempt?: number };

export interface WatchInput {
  region: string;
  watching: Array<{ instanceId: string; sentAtMs: number; seenRestarting: boolean }>;
  pollIntervalMs: number;
  confirmTimeoutMs: number;
  /** How long a restart may go unseen (`running` read before `restarting`) before history is consulted. */
  flipGraceMs: number;
  /** Return after this long even when nothing finished, so newly launched restarts join the watch. */
  maxWaitMs: number;
}

export type WatchEventKind = 'running' | 'failed' | 'timeout' | 'gone';

export interface WatchEvent {
  instanceId: string;
  kind: WatchEventKind;
  status?: string;
  atMs: number;
  restartNotObserved?: boolean;
}

export interface WatchResult {
  events: WatchEvent[];
  /** Instances seen `restarting` during this watch. */
  seenRestarting: string[];
  /** Instances of the region listed in a non-running status by the last poll (the preflight snapshot); null when too many to hand back. */
  notRunning: string[] | null;
  reads: number;
}

export interface UnhealthyInput {
  region: string;
  instanceIds: string[];
}

// ---- Rollout ----

export interface RolloutInput {
  spec: RolloutSpec;
  /** Overrides spec.window.notAfter (a scheduled run sets it from its window length). */
  notAfter?: string;
  /** Scheduled runs derive the window from their start time: notAfter = start + windowSeconds. */
  windowSeconds?: number;
  /** Who or what started it (cli, api, schedule id). */
  trigger?: string;
  /** Continue-as-new threshold for wave workflows (tests lower it). */
  historyLimit?: number;
}

export type RolloutPhase =
  | 'resolving'
  | 'awaiting_approval'
  | 'running'
  | 'baking'
  | 'paused'
  | 'completed'
  | 'stopped_budget'
  | 'stopped_window'
  | 'cancelled'
  | 'failed';

export interface RolloutCounts {
  targets: number;
  restarted: number;
  failed: number;
  skipped: number;
  notStarted: number;
  inFlight: number;
  pending: number;
}

export interface RolloutProgress {
  rolloutId: string;
  name: string;
  phase: RolloutPhase;
  paused: boolean;
  cancelRequested: boolean;
  /** The reason given with `cancel`, if any. */
  cancelReason?: string;
  currentWave?: number;
  currentWaveWorkflowId?: string;
  waves: Array<{ number: number; size: number; regions: string[]; status: 'pending' | 'awaiting_approval' | 'running' | 'done' | 'not_started'; approvalRequired: boolean }>;
  counts: RolloutCounts;
  failureBudget: number;
  limits: { concurrency: RolloutSpec['concurrency']; failureBudget: RolloutSpec['failureBudget'] };
  startedAtMs: number;
  notAfterMs?: number;
  etaMs?: number;
  problems: PlanProblem[];
  /** Per-instance results of finished waves (filtered by the query's `detail`). */
  instances: InstanceResult[];
  /** How many results the `detail` filter left out (restarted ones for `problems`). */
  instancesOmitted?: number;
  reads: number;
}

export interface RolloutReport extends RolloutProgress {
  finishedAtMs: number;
  instances: InstanceResult[];
}
