/**
 * The operations ListOperationHistory reports: restarts (documented types) and the operation
 * behind a BUSY status (inferred types, so that "another operation in flight" is visible the way
 * the console shows it).
 */
import type { WireInstanceStatus } from '../schemas';
import type { BusyOperationType, EmulatorInstance, EmulatorOperation, OperationType } from '../types';

/**
 * BUSY statuses (spec §3.2) → the operation that causes them. The spec documents ~70 operation
 * types without listing them; these names are inferred from the statuses.
 */
export const BUSY_OPERATION_TYPES: Readonly<Partial<Record<WireInstanceStatus, BusyOperationType>>> = {
  not_init: 'create_instance',
  paid: 'create_instance',
  creating: 'create_instance',
  created: 'create_instance',
  updating: 'upgrade',
  upgrading: 'upgrade',
  modifying_config: 'modify_config',
  modifying_timezone: 'modify_timezone',
  scaling_out: 'scale_out',
  scaling_in: 'scale_in',
  scaling_up: 'scale_up',
  scaling_down: 'scale_down',
  enable_public_network: 'enable_public_network',
  disable_public_network: 'disable_public_network',
  convert_from_trial_to_official: 'convert_trial_to_official',
  migration_cluster_to_serverless: 'migrate_to_serverless',
  switch_az: 'switch_az',
  agent_creating: 'create_agent',
  agent_scaling_up: 'scale_up_agent',
  enabling: 'enable_instance',
};

const RESTART_TYPES: ReadonlySet<OperationType> = new Set(['restart_cluster', 'restart_node_group']);

export function isRestartOperation(op: EmulatorOperation): boolean {
  return RESTART_TYPES.has(op.operationType);
}

export class OperationLog {
  private operations: EmulatorOperation[] = [];
  private ids = new Set<string>();

  constructor(private readonly newId: (taken: (id: string) => boolean) => string) {}

  create(fields: Omit<EmulatorOperation, 'operationId'>): EmulatorOperation {
    const operation: EmulatorOperation = { operationId: this.newId((id) => this.ids.has(id)), ...fields };
    this.ids.add(operation.operationId);
    this.operations.push(operation);
    return operation;
  }

  /** Operations that finished before the emulator started (restart history), oldest first. */
  addPast(operations: readonly Omit<EmulatorOperation, 'operationId'>[]): void {
    for (const op of operations) this.create(op);
  }

  /** The operation of a BUSY status, RUNNING until the instance settles (COMPLETED) or is forced elsewhere (TERMINATED). */
  startBusy(instance: EmulatorInstance): EmulatorOperation | undefined {
    const operationType = BUSY_OPERATION_TYPES[instance.status];
    if (!operationType) return undefined;
    return this.create({
      instanceId: instance.instanceId,
      regionId: instance.regionId,
      operationType,
      operationStatus: 'RUNNING',
      gmtCreate: Date.now(),
      plannedDurationMs: 0,
      fastMode: false,
    });
  }

  /** Sets how long the instance's running BUSY operation is expected to take (for its Progress). */
  planBusy(instanceId: string, plannedDurationMs: number): void {
    for (const op of this.operations) {
      if (op.instanceId === instanceId && op.operationStatus === 'RUNNING' && !isRestartOperation(op)) op.plannedDurationMs = plannedDurationMs;
    }
  }

  /** Ends an instance's open operations (all of them, or those `which` selects). */
  finishOpen(instanceId: string, status: 'COMPLETED' | 'TERMINATED', which: (op: EmulatorOperation) => boolean = () => true, endReason?: string): void {
    for (const op of this.operations) {
      if (op.instanceId === instanceId && op.operationStatus === 'RUNNING' && which(op)) {
        op.operationStatus = status;
        op.gmtEnd = Date.now();
        if (endReason !== undefined) op.endReason = endReason;
      }
    }
  }

  /** An instance's operations in creation order (oldest first). */
  forInstance(instanceId: string): EmulatorOperation[] {
    return this.operations.filter((o) => o.instanceId === instanceId);
  }

  find(instanceId: string, operationId: string): EmulatorOperation | undefined {
    return this.operations.find((o) => o.instanceId === instanceId && o.operationId === operationId);
  }

  clear(): void {
    this.operations = [];
    this.ids = new Set();
  }
}
