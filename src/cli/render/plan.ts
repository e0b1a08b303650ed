/**
 * `starwave plan` as text: the waves with how many restarts really run at once and why, the
 * instances of each wave (the canary named; the first few of the others, all of them with --json),
 * per-instance estimates and maintenance windows, the expected duration (p50/p90), API calls, held
 * leases, what plan gave up on, and problems. Pure: `nowMs` comes in.
 */
import type { PlanInstance, PlanReport, PlanWave } from '../plan/model';
import { formatDuration, formatTime, indent, plural, table } from './format';

/** Instances listed per wave in text. */
export const INSTANCES_SHOWN = 5;

export function renderPlan(p: PlanReport, nowMs: number): string[] {
  const limits = [
    `concurrency.global ${p.limits.global}`,
    ...(p.limits.perRegion !== undefined ? [`concurrency.perRegion ${p.limits.perRegion}`] : []),
    `bake ${p.limits.bakeSeconds}s between waves`,
    ...(p.limits.notAfter ? [`window closes ${formatTime(Date.parse(p.limits.notAfter))}`] : []),
    ...(p.limits.instanceMaintainablePeriod ? ['each instance only in its own maintenance window'] : []),
  ];
  const lines = [
    `Plan for rollout "${p.name}" (workflow id ${p.workflowId}; every start is a new run of it)`,
    `  ${plural(p.targetCount, 'target')} in ${plural(p.regions.length, 'region')} [${p.regions.join(', ')}], ${p.mode} regions, ${plural(p.waves.length, 'wave')}`,
    `  limits: ${limits.join('; ')}`,
    `  failure budget: ${p.failureBudget} (failure ${p.failureBudget + 1} stops new restarts; restarts in flight finish)`,
    `  restart estimates: ${estimateLine(p)}`,
    '',
    ...indent(
      table(
        ['WAVE', 'SIZE', 'REGIONS', 'AT ONCE', 'EXPECTED p50/p90', 'GATE'],
        p.waves.map((w) => [
          String(w.number),
          String(w.size),
          Object.entries(w.regions).map(([r, n]) => `${r}:${n}`).join(' '),
          `${w.parallelism} (${w.limitedBy})`,
          `${formatDuration(w.expected.p50Ms)} / ${formatDuration(w.expected.p90Ms)}`,
          [w.canary ? 'canary' : '', w.approvalRequired ? 'approval' : '', w.failureBudget !== undefined ? `wave budget ${w.failureBudget}` : ''].filter(Boolean).join(', '),
        ]),
      ),
    ),
    '',
    ...p.waves.flatMap((w) => waveInstances(w, p.limits.instanceMaintainablePeriod, nowMs)),
    '',
    `Expected duration: about ${formatDuration(p.eta.p50Ms)} (p50), up to ${formatDuration(p.eta.p90Ms)} (p90), as a list schedule of each wave's restarts over the restarts that can run at once${p.limits.bakeSeconds ? `, plus ${p.limits.bakeSeconds}s of bake between waves` : ''}${p.waves.some((w) => w.approvalRequired) ? '; time waiting for approvals is not included' : ''}.`,
    ...windowLines(p),
    `Expected API calls: about ${p.apiCalls.total} (${p.apiCalls.restarts} RestartInstance, ${p.apiCalls.preflightReads} preflight reads, ~${p.apiCalls.pollReads} status-poll pages, ${p.apiCalls.resolveReads} reads resolving, ${p.apiCalls.historyReads} reading restart history)`,
    ...leaseLines(p),
  ];
  if (p.notes.length) lines.push('', 'Notes', ...p.notes.map((n) => `  - ${n}`));
  if (p.problems.length) lines.push('', `Found while resolving (${p.problems.length}):`, ...p.problems.map((x) => `  - ${x.kind}: ${x.message}`));
  if (p.blocking.length) lines.push('', `Problems (${p.blocking.length}); "starwave start" refuses this spec until they are fixed:`, ...p.blocking.map((x) => `  - ${x.path}: ${x.message}`));
  else if (!p.problems.length) lines.push('', 'No problems found.');
  return lines;
}

function estimateLine(p: PlanReport): string {
  const fallback = `instance.expectedRestartSeconds (${formatDuration(p.defaultRestartMs)})`;
  if (!p.history.fromHistory) return `${fallback} for every target (estimates.fromHistory is off)`;
  const rest = p.targetCount - p.history.withHistory;
  return `from each target's own restart history for ${p.history.withHistory} of ${p.targetCount}${rest ? `; ${rest} without history use ${fallback}` : ''}`;
}

function instanceText(x: PlanInstance, nowMs: number): string {
  const name = x.instanceName ? ` (${x.instanceName})` : '';
  const est = x.estimate === 'history' ? `~${formatDuration(x.expectedMs)} (p90 ${formatDuration(x.expectedP90Ms)}, ${plural(x.samples ?? 0, 'past restart')})` : `~${formatDuration(x.expectedMs)} (default)`;
  let window = '';
  if (x.window) {
    const w = x.window;
    window = !w.period
      ? '; no usable maintenance window: it will not be restarted'
      : !w.fits
        ? `; window ${w.period} ${w.timeZone} never leaves room for its restart: it will not be restarted`
        : w.openNow
          ? `; window ${w.period} ${w.timeZone} is open`
          : `; window ${w.period} ${w.timeZone} opens ${formatTime(w.opensAtMs!, w.timeZone)} (in ${formatDuration(w.opensAtMs! - nowMs)})`;
  }
  return `${x.instanceId}${name} ${x.region}${x.status && x.status !== 'running' ? ` [${x.status}]` : ''} ${est}${window}`;
}

function waveInstances(w: PlanWave, windows: boolean, nowMs: number): string[] {
  const shown = w.canary || windows ? w.instances.slice(0, Math.max(INSTANCES_SHOWN, w.canary ? w.instances.length : 0)) : w.instances.slice(0, INSTANCES_SHOWN);
  const head = `Wave ${w.number}${w.canary ? ' (canary)' : ''}: ${plural(w.size, 'instance')}, starts about ${formatDuration(w.startsAfterMs)} in`;
  const more = w.instances.length - shown.length;
  return [head, ...shown.map((x) => `  ${instanceText(x, nowMs)}`), ...(more > 0 ? [`  … and ${more} more (all of them with --json)`] : [])];
}

function windowLines(p: PlanReport): string[] {
  const left = p.waves.reduce((n, w) => n + w.notStartedByWindow, 0);
  if (!left) return [];
  return [`Window: about ${plural(left, 'target')} cannot be expected to finish inside the window and would be reported not_started (window).`];
}

function leaseLines(p: PlanReport): string[] {
  const l = p.leases;
  if (!l.checked) return [`Leases: not checked (${l.note ?? 'Temporal not reachable'}).`];
  const running = l.held.filter((h) => h.holderRunning);
  const stale = l.held.length - running.length;
  if (!running.length) return [`Leases: no target is held by a running rollout${stale ? ` (${stale} lease(s) of closed rollouts are taken over at start)` : ''}.`];
  const holders = [...new Set(running.map((h) => h.holder))];
  return [
    `WARNING: ${plural(running.length, 'target')} ${running.length === 1 ? 'is' : 'are'} leased by running rollout(s) ${holders.join(', ')}: ${running.slice(0, 5).map((h) => h.instanceId).join(', ')}${running.length > 5 ? ', …' : ''}.`,
    '  A start now would stop before restarting anything (lease conflict): wait for those rollouts to end, or exclude these instances.',
  ];
}
