/**
 * `starwave plan`: a dry run. Resolves the targets through the StarRocks API (read-only calls), plans the
 * waves with the same pure planner the workflow uses, and estimates duration and API calls.
 */
import { countByRegion, estimatePlanMs, planRollout, type PlanProblem, type ResolvedFleet, type RolloutPlan } from '../planning/planner';
import { rolloutWorkflowId, type RolloutSpec } from '../planning/spec';
import { formatDuration, table } from './render';

export interface PlanReport {
  name: string;
  workflowId: string;
  targetCount: number;
  regions: string[];
  mode: RolloutSpec['regions']['mode'];
  failureBudget: number;
  waves: Array<{ number: number; size: number; regions: Record<string, number>; concurrency: number; regionConcurrency: Record<string, number>; failureBudget?: number; approvalRequired: boolean }>;
  expected: {
    /** Assumes every restart takes instance.expectedRestartSeconds and waves run at their concurrency. */
    durationMs: number;
    restartSeconds: number;
    apiCalls: { resolveReads: number; restarts: number; preflightReads: number; pollReads: number; total: number };
  };
  problems: PlanProblem[];
}

/** Pure: the plan plus estimates, from a spec and its resolved fleet. */
export function buildPlanReport(spec: RolloutSpec, fleet: ResolvedFleet): PlanReport {
  const plan: RolloutPlan = planRollout(spec, fleet);
  const restartMs = spec.instance.expectedRestartSeconds * 1000;
  const pollMs = spec.instance.pollIntervalSeconds * 1000;
  // Status polling reads one page per region per tick while a wave runs, not one call per instance.
  let pollReads = 0;
  for (const w of plan.waves) {
    const waveMs = Math.ceil(w.targets.length / Math.max(1, w.concurrency)) * restartMs;
    const regionsInWave = countByRegion(w.targets);
    let pages = 0;
    for (const n of regionsInWave.values()) pages += Math.max(1, Math.ceil(n / 100));
    pollReads += Math.ceil(waveMs / Math.max(1, pollMs)) * pages;
  }
  const restarts = plan.targetCount;
  const preflightReads = plan.targetCount;
  return {
    name: spec.name,
    workflowId: rolloutWorkflowId(spec),
    targetCount: plan.targetCount,
    regions: plan.regions,
    mode: spec.regions.mode,
    failureBudget: plan.failureBudget,
    waves: plan.waves.map((w) => ({
      number: w.number,
      size: w.targets.length,
      regions: Object.fromEntries(countByRegion(w.targets)),
      concurrency: w.concurrency,
      regionConcurrency: w.regionConcurrency,
      ...(w.failureBudget !== undefined ? { failureBudget: w.failureBudget } : {}),
      approvalRequired: w.approvalRequired,
    })),
    expected: {
      durationMs: estimatePlanMs(plan, restartMs, spec.waves.bakeSeconds * 1000),
      restartSeconds: spec.instance.expectedRestartSeconds,
      apiCalls: { resolveReads: fleet.reads, restarts, preflightReads, pollReads, total: fleet.reads + restarts + preflightReads + pollReads },
    },
    problems: plan.problems,
  };
}

export function renderPlan(p: PlanReport): string[] {
  const lines = [
    `Plan for rollout "${p.name}" (workflow id ${p.workflowId})`,
    `  ${p.targetCount} target(s) in ${p.regions.length} region(s) [${p.regions.join(', ')}], ${p.mode} regions, ${p.waves.length} wave(s)`,
    `  failure budget: ${p.failureBudget} (failure ${p.failureBudget + 1} stops new restarts; in-flight ones finish)`,
    '',
    ...table(
      ['WAVE', 'SIZE', 'REGIONS', 'CONCURRENCY', 'WAVE BUDGET', 'GATE'],
      p.waves.map((w) => [
        String(w.number),
        String(w.size),
        Object.entries(w.regions).map(([r, n]) => `${r}:${n}`).join(' '),
        `${w.concurrency}${Object.keys(w.regionConcurrency).length > 1 ? ` (${Object.entries(w.regionConcurrency).map(([r, n]) => `${r}:${n}`).join(' ')})` : ''}`,
        w.failureBudget !== undefined ? String(w.failureBudget) : '-',
        w.approvalRequired ? 'approval' : '',
      ]),
    ).map((l) => `  ${l}`),
    '',
    `Expected duration: about ${formatDuration(p.expected.durationMs)} (restarts of ${p.expected.restartSeconds}s at each wave's concurrency)`,
    `Expected API calls: about ${p.expected.apiCalls.total} (${p.expected.apiCalls.restarts} RestartInstance, ${p.expected.apiCalls.preflightReads} preflight reads, ~${p.expected.apiCalls.pollReads} status-poll pages, ${p.expected.apiCalls.resolveReads} reads spent resolving)`,
  ];
  if (p.problems.length) {
    lines.push('', `Problems (${p.problems.length}):`, ...p.problems.map((x) => `  - ${x.kind}: ${x.message}`));
  } else lines.push('', 'No problems found.');
  return lines;
}
