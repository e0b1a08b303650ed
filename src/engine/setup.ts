/**
 * Before the first wave: restart-duration estimates from each target's history (per region), then
 * the plan — the pure planner's waves, each ordered longest expected restart first.
 */
import { planRollout } from '../planning/planner';
import type { RolloutEngine } from './engine';
import { longestFirst } from './eta';
import { holdsWhileIn } from './rules';
import type { TargetRec } from './state';

export function startEstimates(e: RolloutEngine): void {
  const st = e.state;
  const est = st.spec.estimates;
  const targets = st.fleet!.targets;
  if (!est.fromHistory || est.maxInstances === 0 || targets.length === 0) {
    planNow(e);
    return;
  }
  const excluded = new Set(st.spec.targets.exclude);
  const byRegion = new Map<string, string[]>();
  let n = 0;
  for (const t of targets) {
    if (excluded.has(t.instanceId) || n >= est.maxInstances) continue;
    const list = byRegion.get(t.region) ?? [];
    if (!list.includes(t.instanceId)) {
      list.push(t.instanceId);
      n++;
    }
    byRegion.set(t.region, list);
  }
  st.life = 'estimating';
  const sinceMs = st.nowMs - est.lookbackDays * 86_400_000;
  for (const [region, instanceIds] of byRegion) {
    st.outstanding.estimates.push(region);
    e.emit({ type: 'estimate', region, instanceIds, sinceMs });
  }
  if (st.outstanding.estimates.length === 0) planNow(e);
}

/** Plans the waves (pure planner), orders each wave's targets and leaves the estimates on them. */
export function planNow(e: RolloutEngine): void {
  const st = e.state;
  const fleet = st.fleet!;
  const plan = planRollout(st.spec, fleet);
  const byId = new Map(fleet.targets.map((t) => [t.instanceId, t]));
  const targets: TargetRec[] = [];
  const waves = plan.waves.map((w) => {
    const recs: TargetRec[] = w.targets.map((t) => {
      const resolved = byId.get(t.instanceId);
      return {
        id: t.instanceId,
        region: t.region,
        ...(t.instanceName ? { name: t.instanceName } : {}),
        wave: w.number,
        s: 'queued' as const,
        ...(resolved?.estimateMs !== undefined ? { est: resolved.estimateMs } : {}),
        ...(resolved?.estimateP90Ms !== undefined ? { est90: resolved.estimateP90Ms } : {}),
        ...(resolved?.maintainablePeriod ? { mp: resolved.maintainablePeriod } : {}),
        // Seen not running when the fleet was resolved: it holds a slot until a listing shows it running.
        ...(resolved?.status !== undefined && resolved.status !== 'running' ? { st: resolved.status } : {}),
        ...(resolved?.status !== undefined && holdsWhileIn(resolved.status) ? { downQueued: true as const } : {}),
      };
    });
    const ordered = st.spec.waves.order === 'longest_first' ? longestFirst(recs, (t) => t.est ?? 0) : recs;
    const first = targets.length;
    targets.push(...ordered);
    return { number: w.number, first, count: ordered.length, approvalRequired: w.approvalRequired };
  });
  st.targets = targets;
  st.plan = { waves, regions: plan.regions, targetCount: plan.targetCount, failureBudget: plan.failureBudget, problems: plan.problems };
  delete st.fleet; // its content lives in the plan now; the state stays small
  e.reindex();
  st.life = 'leasing';
  e.log('info', `planned ${plan.targetCount} target(s) in ${waves.length} wave(s)`, { targets: plan.targetCount, waves: waves.length, regions: plan.regions });
}
