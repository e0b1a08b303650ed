/**
 * The reply of a control command: what the action did (the workflow's sentence) and the state
 * right after it, from the ControlAck the update returned — never a re-read that could be stale.
 */
import type { ControlAck } from '../../contracts/rollout';
import { phaseWords } from './format';
import { countsLine } from './status';

export function renderAck(rolloutId: string, ack: ControlAck, runId?: string): string[] {
  const limits = ack.limits;
  const concurrency = `concurrency ${limits.concurrency.global}${limits.concurrency.perRegion !== undefined ? ` (${limits.concurrency.perRegion} per region)` : ''}`;
  const budget = `failure budget ${limits.failureBudget.total}${limits.failureBudget.perWave !== undefined ? ` (${limits.failureBudget.perWave} per wave)` : ''}`;
  return [
    `${rolloutId}${runId ? ` (run ${runId})` : ''}: ${ack.message}`,
    `  now: ${phaseWords(ack.phase)}${ack.paused && ack.phase !== 'paused' ? ' (paused)' : ''}${ack.currentWave !== undefined ? `, wave ${ack.currentWave}` : ''}; ${countsLine(ack.counts)}`,
    `  limits: ${concurrency}, ${budget}`,
  ];
}
