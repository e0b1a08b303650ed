import type { NotStartedReason } from './types';

/** The report's sentence for a target that was never restarted. */
export function notStartedDetail(reason: NotStartedReason): string {
  switch (reason) {
    case 'budget':
      return 'not started: the failure budget was exhausted';
    case 'cancelled':
      return 'not started: the rollout was cancelled';
    case 'window':
      return 'not started: it could not be expected to finish before the maintenance window closes';
  }
}
