/**
 * The public contract of a rollout: what a caller sends (RolloutInput, control messages) and what
 * it gets back (progress, report, per-instance results). Plain JSON only; never a secret.
 *
 * Pure module (zod and types): imported by the workflow bundle, the client, the CLI and the API.
 */
import { z } from 'zod';
import type { PlanProblem, Target } from './fleet';
import { sizeSchema, type RolloutSpec } from './spec';
import type { ErrorClass } from './errors';

// ---------------------------------------------------------------------------------------------
// Input

export interface RolloutInput {
  spec: RolloutSpec;
  /** Overrides spec.window.notAfter when earlier (ISO-8601). */
  notAfter?: string;
  /** Scheduled runs derive the cutoff from their start: notAfter = start + windowSeconds. */
  windowSeconds?: number;
  /** Who or what started it: `cli:<user>`, `api:<caller>`, `schedule:<id>`, a service name. Shown in the report. */
  trigger?: string;
  /** Continue-as-new threshold in history events (tests lower it). */
  historyLimit?: number;
}

/** Workflow type name to start (`temporal workflow start --type rolloutWorkflow`). */
export const WORKFLOW_TYPE = 'rolloutWorkflow';

/**
 * The rollout's workflow task timeout (Temporal's default is 10 s), set by every start (client, schedules) and
 * kept across continue-as-new. A worker that has the run in its cache handles a task in well under a second;
 * one that does not replays the whole current run first (a new worker after a crash, or after a task the server
 * refused, e.g. UnhandledCommand when an activity completes during the continue-as-new task). Measured at
 * 10,000 targets (bench, 10000-fixed, 12 runs): the longest task took 2.5–9.3 s with the worker's defaults and
 * 17.3 s with 50 activity slots, where one task timed out at the default 10 s and the run took 184 s instead of
 * ~75 s; a task that times out is replayed again. 30 s leaves room; the cost is that a worker killed in the middle
 * of a task delays the run's next task by up to that long.
 */
export const ROLLOUT_WORKFLOW_TASK_TIMEOUT = '30s';
/** Every rollout's workflow id starts with this. */
export const ROLLOUT_ID_PREFIX = 'starwave-rollout-';

// ---------------------------------------------------------------------------------------------
// Phases and outcomes

export const ROLLOUT_PHASES = [
  'resolving',
  'awaiting_approval',
  'running',
  'baking',
  'paused',
  'cancelling',
  'completed',
  'stopped_budget',
  'stopped_window',
  'stopped_stalled',
  'cancelled',
  'failed',
] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** How a rollout ended. */
export const FINAL_PHASES = ['completed', 'stopped_budget', 'stopped_window', 'stopped_stalled', 'cancelled', 'failed'] as const;
export type FinalPhase = (typeof FINAL_PHASES)[number];

export function isFinalPhase(phase: string): phase is FinalPhase {
  return (FINAL_PHASES as readonly string[]).includes(phase);
}

/** How one target ended. */
export type InstanceOutcome =
  | 'restarted' // our RestartInstance took effect and the instance was confirmed running (and healthy, with the gate) again
  | 'failed' // counted against the failure budget
  | 'skipped' // not restarted: not running at its turn with notRunning=skip, or skipped by an operator
  | 'deferred' // another operation (or someone else's restart) kept it busy past the wait: not a failure
  | 'not_started' // never reached: budget, cancel, window, stall, or the rollout failed
  | 'unknown'; // our restart was in flight when the rollout ended without confirming it

export type FailureKind =
  | 'api_error' // RestartInstance (or its preflight read) failed with a non-retryable API error, or its retries ran out
  | 'restart_failed' // the instance left `restarting` for a failed or unavailable status
  | 'confirm_timeout' // not confirmed running within instance.confirmTimeoutSeconds
  | 'not_running' // not running at its turn (notRunning=fail, or unavailable past the wait)
  | 'gone' // the instance disappeared
  | 'health_timeout' // running again, but StarRocks itself was not healthy within health.timeoutSeconds
  | 'not_restarted'; // running and healthy, but the FE start time proves it did not restart

export type NotStartedReason = 'budget' | 'cancelled' | 'window' | 'stalled' | 'failed';

/** Why an instance waited at its turn. */
export type WaitCause = 'busy' | 'restarting' | 'unavailable';

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
  /** Human sentence explaining the outcome. */
  detail?: string;
  /** Launch attempts it took (throttling, transient errors). */
  attempts?: number;
  /** Our earlier attempt's restart (whose answer was lost) was found and adopted instead of re-sent. */
  adopted?: boolean;
  /** Running was seen without `restarting` in between (a restart shorter than one poll, or a stale read). */
  restartNotObserved?: boolean;
  /** It was not running at its turn and waited (someone else's restart, another operation, stopped). */
  waited?: { cause: WaitCause; status: string; ms: number };
  /** Still down (not running) when the rollout ended or it was released. */
  stillDown?: boolean;
  /** Who released it by hand (`skip`), if anyone. */
  releasedBy?: string;
  sentAtMs?: number;
  confirmedAtMs?: number;
  durationMs?: number;
  /** Expected restart duration used for ordering and windows. */
  expectedMs?: number;
}

export type WaveStatus = 'pending' | 'awaiting_approval' | 'running' | 'baking' | 'done' | 'not_started';

export interface RolloutCounts {
  targets: number;
  restarted: number;
  failed: number;
  skipped: number;
  deferred: number;
  notStarted: number;
  unknown: number;
  /** Restarts of ours in flight (launching, restarting, health-checking). */
  inFlight: number;
  /** Waiting at their turn for the instance to run (someone else's restart, another operation). */
  waiting: number;
  /** Targets down right now that hold a slot (ours in flight, waiting, failed but still down). */
  down: number;
  /** Not reached yet. */
  pending: number;
}

export interface WaveSummary {
  number: number;
  size: number;
  regions: string[];
  status: WaveStatus;
  approvalRequired: boolean;
  approvedBy?: string;
  startedAtMs?: number;
  finishedAtMs?: number;
  restarted: number;
  failed: number;
  /** Finished targets of this wave (every outcome). */
  done: number;
  /** The same counts per region, for waves over more than one region (where the wave's totals cannot place them). */
  byRegion?: Record<string, { size: number; restarted: number; failed: number; done: number }>;
}

export type InFlightState = 'launching' | 'restarting' | 'checking' | 'waiting';

export interface InFlightInstance extends Target {
  wave: number;
  state: InFlightState;
  sinceMs: number;
  sentAtMs?: number;
  seenRestarting?: boolean;
  status?: string;
  /** The restart operation's Progress (0-100) and current step, when read. */
  progress?: number;
  step?: string;
  waitCause?: WaitCause;
  expectedMs?: number;
}

export interface BlockedInfo {
  /** Since when down instances have held every slot. */
  sinceMs: number;
  /** When the rollout stops with `stopped_stalled` unless a slot frees (or an operator skips a holder). */
  stopsAtMs: number;
  holders: Array<Target & { status?: string; sinceMs?: number; reason: string }>;
}

/** What a rollout tells the people who watch it (spec `notify:`; receivers live in the worker's environment). */
export { NOTIFY_EVENTS, type NotifyEventName } from './notify-events';
import type { NotifyEventName } from './notify-events';

/** One notification as the rollout sends it (no secrets; receivers add their own format). */
export interface RolloutNotification {
  /** Per-rollout sequence number (receivers deduplicate on rolloutId + seq). */
  seq: number;
  event: NotifyEventName;
  rolloutId: string;
  name: string;
  atMs: number;
  /** One sentence for people. */
  text: string;
  wave?: number;
  waves?: number;
  /** Time the wave (or the rollout, for final events) took so far. */
  elapsedMs?: number;
  counts?: RolloutCounts;
  /** approval_needed: how to approve. */
  approveCommand?: string;
  stopSentence?: string;
}

/** A notification's delivery as the progress shows it. */
export interface NotificationDelivery {
  seq: number;
  event: NotifyEventName;
  atMs: number;
  state: 'sending' | 'delivered' | 'failed';
  /** Per receiver: attempts made and the last error, if any. */
  receivers?: Array<{ name: string; delivered: boolean; attempts: number; error?: string }>;
  error?: string;
}

export interface AuditEntry {
  atMs: number;
  action: 'start' | 'pause' | 'resume' | 'cancel' | 'approve' | 'setLimits' | 'skip';
  by?: string;
  detail?: string;
}

export interface RolloutProgress {
  rolloutId: string;
  name: string;
  trigger?: string;
  phase: RolloutPhase;
  paused: boolean;
  cancelRequested: boolean;
  cancelReason?: string;
  /** One sentence saying why the rollout failed or stopped, and what to fix. */
  stopSentence?: string;
  currentWave?: number;
  waves: WaveSummary[];
  counts: RolloutCounts;
  failureBudget: number;
  failures: number;
  limits: { concurrency: RolloutSpec['concurrency']; failureBudget: RolloutSpec['failureBudget'] };
  /** The running wave's resolved limits. */
  waveLimits?: { global: number; perRegion: Record<string, number> };
  startedAtMs: number;
  notAfterMs?: number;
  /** Remaining time, point estimate (p50) and spread (p90), from per-instance estimates. */
  etaMs?: number;
  eta?: { p50Ms: number; p90Ms: number };
  inFlight: InFlightInstance[];
  inFlightOmitted?: number;
  blocked?: BlockedInfo;
  /** Targets of the running wave waiting for their own maintenance window. */
  awaitingWindow?: Array<Target & { opensAtMs?: number }>;
  problems: PlanProblem[];
  /** Per-instance results (filtered by the query's `detail`). */
  instances: InstanceResult[];
  /** How many results the `detail` filter left out. */
  instancesOmitted?: number;
  audit: AuditEntry[];
  /** Notifications sent and their delivery (the most recent ones). */
  notifications?: NotificationDelivery[];
  /** StarRocks API reads spent so far. */
  reads: number;
  /** Workflow runs so far (1 + continue-as-new count). */
  runs: number;
}

export interface RolloutReport extends RolloutProgress {
  phase: FinalPhase;
  finishedAtMs: number;
  /**
   * Large rollouts (more than 2,000 targets) list in `instances` only what did not restart cleanly,
   * and the targets never started here, compactly, by reason: [region, instanceId] pairs.
   */
  notStarted?: Array<{ reason: NotStartedReason; instances: Array<[string, string]> }>;
}

export type ProgressDetail = 'summary' | 'problems' | 'all';
export const PROGRESS_DETAILS = ['summary', 'problems', 'all'] as const satisfies readonly ProgressDetail[];

// ---------------------------------------------------------------------------------------------
// Control messages (Temporal Updates). Schemas are the single source for the workflow's validators,
// the HTTP API's body validation and the OpenAPI document.

const by = z.string().min(1).max(200).optional().describe('Who asks (shown in the report), e.g. "cli:alice" or "api:deploy-bot".');

export const controlBaseSchema = z.object({ by }).strict();
export const cancelArgsSchema = z.object({ reason: z.string().max(500).optional().describe('Why (kept in the report).'), by }).strict();
export const approveArgsSchema = z.object({ wave: z.number().int().min(1).describe('1-based wave number whose gate opens.'), by }).strict();
export const skipArgsSchema = z
  .object({
    instanceId: z.string().regex(/^c-[0-9a-z]{16}$/, 'must be an instance id: "c-" followed by 16 lowercase letters or digits'),
    by,
  })
  .strict();

const positiveSize = sizeSchema.refine((v) => v !== 0 && v !== '0%', 'must be at least 1 (or a percentage above 0%)');

export const limitsPatchSchema = z
  .object({
    concurrency: z
      .object({ global: positiveSize.optional(), perRegion: positiveSize.optional() })
      .strict()
      .optional()
      .describe('Max instances down at once, all regions / per region.'),
    failureBudget: z.object({ total: sizeSchema.optional(), perWave: sizeSchema.optional() }).strict().optional().describe('Failures tolerated.'),
    by,
  })
  .strict()
  .refine((p) => p.concurrency !== undefined || p.failureBudget !== undefined, { message: 'give concurrency and/or failureBudget' });

export type ControlBase = z.infer<typeof controlBaseSchema>;
export type CancelArgs = z.infer<typeof cancelArgsSchema>;
export type ApproveArgs = z.infer<typeof approveArgsSchema>;
export type SkipArgs = z.infer<typeof skipArgsSchema>;
export type LimitsPatch = z.infer<typeof limitsPatchSchema>;

/** zod issues as problems by path ("concurrency.global: must be at least 1"). */
export function zodProblems(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.flatMap((issue) => {
    const at = issue.path.length ? issue.path.map(String).join('.') : '(body)';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: issue.path.length ? `${at}.${key}` : key, message: 'unknown field; check its spelling' }));
    }
    return [{ path: at, message: issue.message }];
  });
}

/** The reply of every control update: the rollout's state right after the action. */
export interface ControlAck {
  phase: RolloutPhase;
  paused: boolean;
  cancelRequested: boolean;
  currentWave?: number;
  counts: RolloutCounts;
  limits: RolloutProgress['limits'];
  /** What the action did, as a sentence ("Paused: no new restarts; 2 in flight finish."). */
  message: string;
}
