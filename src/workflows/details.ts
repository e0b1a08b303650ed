/**
 * The rollout's "current details" in the Temporal Web UI: a short Markdown table of its waves and
 * regions, refreshed as it runs. Pure.
 */
import type { RolloutProgress } from '../contracts/rollout';

export function currentDetails(p: RolloutProgress): string {
  const c = p.counts;
  const lines = [
    `**${p.name}** — ${p.phase}${p.currentWave !== undefined ? `, wave ${p.currentWave} of ${p.waves.length}` : ''}`,
    '',
    `restarted ${c.restarted} of ${c.targets} · failed ${c.failed} (budget ${p.failureBudget}) · in flight ${c.inFlight} · down ${c.down}${c.notStarted ? ` · not started ${c.notStarted}` : ''}${p.eta ? ` · ETA p50 ${minutes(p.eta.p50Ms)} / p90 ${minutes(p.eta.p90Ms)}` : ''}`,
    '',
    '| wave | regions | size | done | restarted | failed | status |',
    '|---:|---|---:|---:|---:|---:|---|',
    ...p.waves.slice(0, 30).map((w) => `| ${w.number} | ${w.regions.join(', ')} | ${w.size} | ${w.done} | ${w.restarted} | ${w.failed} | ${w.status}${w.approvalRequired ? ' (gate)' : ''} |`),
  ];
  if (p.waves.length > 30) lines.push(`| … | ${p.waves.length - 30} more waves | | | | | |`);
  if (p.blocked) lines.push('', `**Blocked**: down instances hold every slot since ${new Date(p.blocked.sinceMs).toISOString()} (${p.blocked.holders.map((h) => h.instanceId).slice(0, 5).join(', ')})`);
  if (p.stopSentence) lines.push('', p.stopSentence);
  return lines.join('\n');
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? `${Math.round(ms / 1000)}s` : `${m}m`;
}
