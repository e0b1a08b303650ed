/**
 * Instance status values of EMR Serverless StarRocks (spec §3.2) and their orchestration class.
 *
 * Pure data and functions: imported by the client, the emulator and the workflows alike.
 */

/**
 * How the orchestrator treats an instance status:
 * - READY: healthy and restartable (`running` only).
 * - RESTARTING: a restart is in progress.
 * - BUSY: another change is in progress; wait for it to settle. Unknown statuses land here.
 * - UNAVAILABLE: stopped or unpaid; will not become READY on its own.
 * - FAILED: a terminal failure of provisioning/release.
 * - GONE: released or being released.
 */
export type InstanceStatusClass = 'READY' | 'RESTARTING' | 'BUSY' | 'UNAVAILABLE' | 'FAILED' | 'GONE';

export interface InstanceStatusInfo {
  /** Wire value, lowercase snake_case. */
  readonly value: string;
  /** Accepted by the DescribeInstances `InstanceStatus` filter. */
  readonly filterable: boolean;
  readonly class: InstanceStatusClass;
  readonly meaning: string;
}

/** The 30 documented response values (spec §3.2). */
export const INSTANCE_STATUSES = [
  { value: 'running', filterable: true, class: 'READY', meaning: 'running normally' },
  { value: 'restarting', filterable: true, class: 'RESTARTING', meaning: 'cluster restart in progress' },
  { value: 'not_init', filterable: false, class: 'BUSY', meaning: 'not initialised' },
  { value: 'unpaid', filterable: true, class: 'UNAVAILABLE', meaning: 'awaiting payment' },
  { value: 'paid', filterable: true, class: 'BUSY', meaning: 'payment done, provisioning not started' },
  { value: 'creating', filterable: true, class: 'BUSY', meaning: 'being created' },
  { value: 'created', filterable: false, class: 'BUSY', meaning: 'creation finished' },
  { value: 'creating_failed', filterable: false, class: 'FAILED', meaning: 'creation failed' },
  { value: 'updating', filterable: true, class: 'BUSY', meaning: 'upgrade (generic) in progress' },
  { value: 'upgrading', filterable: true, class: 'BUSY', meaning: 'engine version upgrade in progress' },
  { value: 'modifying_config', filterable: true, class: 'BUSY', meaning: 'configuration change in progress' },
  { value: 'modifying_timezone', filterable: false, class: 'BUSY', meaning: 'time-zone change in progress' },
  { value: 'scaling_out', filterable: true, class: 'BUSY', meaning: 'adding nodes' },
  { value: 'scaling_in', filterable: true, class: 'BUSY', meaning: 'removing nodes' },
  { value: 'scaling_up', filterable: true, class: 'BUSY', meaning: 'raising node spec (CU)' },
  { value: 'scaling_down', filterable: true, class: 'BUSY', meaning: 'lowering node spec (CU)' },
  { value: 'enable_public_network', filterable: true, class: 'BUSY', meaning: 'public endpoint being opened' },
  { value: 'disable_public_network', filterable: true, class: 'BUSY', meaning: 'public endpoint being closed' },
  { value: 'convert_from_trial_to_official', filterable: true, class: 'BUSY', meaning: 'edition change trial to standard' },
  { value: 'migration_cluster_to_serverless', filterable: true, class: 'BUSY', meaning: 'migration in progress' },
  { value: 'switch_az', filterable: false, class: 'BUSY', meaning: 'primary/standby zone switch' },
  { value: 'agent_creating', filterable: true, class: 'BUSY', meaning: 'agent node group being created' },
  { value: 'agent_scaling_up', filterable: true, class: 'BUSY', meaning: 'agent node group being upgraded' },
  { value: 'enabling', filterable: true, class: 'BUSY', meaning: 'being resumed after a stop' },
  { value: 'disable', filterable: true, class: 'UNAVAILABLE', meaning: 'unavailable (stopped, e.g. overdue)' },
  { value: 'actively_disabled', filterable: true, class: 'UNAVAILABLE', meaning: 'stopped on purpose' },
  { value: 'deleting', filterable: true, class: 'GONE', meaning: 'being released' },
  { value: 'deleting_failed', filterable: false, class: 'FAILED', meaning: 'release failed' },
  { value: 'deleted_with_error', filterable: false, class: 'GONE', meaning: 'removed because creation failed' },
  { value: 'deleted', filterable: false, class: 'GONE', meaning: 'released' },
] as const satisfies readonly InstanceStatusInfo[];

export type InstanceStatus = (typeof INSTANCE_STATUSES)[number]['value'];

/** Values the DescribeInstances `InstanceStatus` filter accepts (22 of the 30). */
export const FILTERABLE_STATUSES: readonly InstanceStatus[] = INSTANCE_STATUSES.filter((s) => s.filterable).map(
  (s) => s.value,
);

const CLASS_BY_STATUS: ReadonlyMap<string, InstanceStatusClass> = new Map(
  INSTANCE_STATUSES.map((s) => [s.value, s.class]),
);

/**
 * Class of a wire status. Case-sensitive on purpose: the wire values are lowercase, so
 * `Running` or `RUNNING` is not a value we know and must never count as READY.
 * Unknown values are BUSY: wait rather than act.
 */
export function classifyInstanceStatus(status: string): InstanceStatusClass {
  return CLASS_BY_STATUS.get(status) ?? 'BUSY';
}

export function isKnownInstanceStatus(status: string): status is InstanceStatus {
  return CLASS_BY_STATUS.has(status);
}
