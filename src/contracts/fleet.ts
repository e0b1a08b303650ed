/**
 * The targets of a rollout as resolving finds them (DescribeInstances): who they are, what was seen of them, and
 * the problems found on the way. Produced by planning/resolve.ts (behind the resolve activity), consumed by the
 * planner, the engine, the progress and the report.
 */

export interface Target {
  region: string;
  instanceId: string;
  instanceName?: string;
}

export interface ResolvedTarget extends Target {
  /** Status seen when the fleet was resolved (informational; the restart re-checks it). */
  status?: string;
  /** Its own maintenance window (DescribeInstances MaintainablePeriod), e.g. `02:00-03:00`. */
  maintainablePeriod?: string;
  /** Expected restart duration from its own restart history (median, p90), when known. */
  estimateMs?: number;
  estimateP90Ms?: number;
}

export type PlanProblemKind = 'duplicate' | 'not_found' | 'excluded' | 'region_mismatch';

export interface PlanProblem {
  kind: PlanProblemKind;
  region?: string;
  instanceId: string;
  message: string;
}

/** What resolving the spec's targets against the cloud produced. */
export interface ResolvedFleet {
  targets: ResolvedTarget[];
  problems: PlanProblem[];
  /** API reads spent resolving (pages of DescribeInstances). */
  reads: number;
}
