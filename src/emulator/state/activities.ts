/**
 * The named steps of an operation (ListOperationActivity, spec §3.5 item 4), derived from its
 * progress: a restart runs in the documented upgrade order — BE/CN nodes, FE followers, the FE
 * leader last — then a health check. Only steps that have started are listed; the step in progress
 * is RUNNING. FAILED (with ErrMessage) for the step a TERMINATED operation ended in is inferred:
 * only COMPLETED / RUNNING are documented.
 */
import type { EmulatorInstance, EmulatorOperation } from '../types';

export type ActivityStatus = 'COMPLETED' | 'RUNNING' | 'FAILED';

export interface Activity {
  ActivityId: string;
  ActivityStatus: ActivityStatus;
  Name: string;
  StartTime: number;
  /** Absent while the step runs. */
  EndTime?: number;
  ErrMessage: string;
  ConsoleRetryCount: number;
}

interface Step {
  name: string;
  /** Share of the operation's duration. */
  share: number;
}

function restartSteps(op: EmulatorOperation, instance: EmulatorInstance): Step[] {
  const backend = instance.nodeGroups.find((g) => g.componentType !== 'FE')?.componentType ?? 'CN';
  if (op.operationType === 'restart_node_group') {
    const group = instance.nodeGroups.find((g) => g.nodeGroupId === op.nodeGroupId);
    if (group?.componentType === 'FE') {
      return [
        { name: 'Restart FE follower nodes', share: 0.5 },
        { name: 'Restart FE leader node', share: 0.4 },
        { name: 'Health check', share: 0.1 },
      ];
    }
    return [
      { name: `Restart ${group?.componentType ?? backend} nodes`, share: 0.9 },
      { name: 'Health check', share: 0.1 },
    ];
  }
  return [
    { name: `Restart ${backend} nodes`, share: 0.45 },
    { name: 'Restart FE follower nodes', share: 0.25 },
    { name: 'Restart FE leader node', share: 0.2 },
    { name: 'Health check', share: 0.1 },
  ];
}

function stepsOf(op: EmulatorOperation, instance: EmulatorInstance): Step[] {
  if (op.operationType === 'restart_cluster' || op.operationType === 'restart_node_group') return restartSteps(op, instance);
  return [{ name: op.operationType, share: 1 }];
}

export function activitiesOf(op: EmulatorOperation, instance: EmulatorInstance, nowMs = Date.now()): Activity[] {
  const steps = stepsOf(op, instance);
  // A completed operation's steps span its real duration; a running or terminated one follows its plan.
  const completed = op.operationStatus === 'COMPLETED' && op.gmtEnd !== undefined;
  const span = completed ? op.gmtEnd! - op.gmtCreate : op.plannedDurationMs;
  const until = op.gmtEnd ?? nowMs;
  const out: Activity[] = [];
  let offset = 0;
  for (const [i, step] of steps.entries()) {
    const start = Math.round(op.gmtCreate + offset * span);
    if (start > until) break;
    offset += step.share;
    const last = i === steps.length - 1;
    let end = Math.round(op.gmtCreate + offset * span);
    // The last step ends with the operation; while it runs it stays RUNNING, also past its plan (a stuck restart).
    if (last) end = completed ? op.gmtEnd! : Number.POSITIVE_INFINITY;
    const base = { ActivityId: `act-${op.operationId.slice(3)}-${i + 1}`, Name: step.name, StartTime: start, ConsoleRetryCount: 0 };
    if (op.operationStatus === 'TERMINATED' && until <= end) {
      out.push({ ...base, ActivityStatus: 'FAILED', EndTime: until, ErrMessage: op.endReason ?? 'terminated' });
      break;
    }
    if (end <= until) {
      out.push({ ...base, ActivityStatus: 'COMPLETED', EndTime: end, ErrMessage: '' });
      continue;
    }
    out.push({ ...base, ActivityStatus: 'RUNNING', ErrMessage: '' });
    break;
  }
  return out;
}
