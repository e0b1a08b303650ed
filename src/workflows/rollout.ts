/**
 * The rollout: resolve targets, plan waves, lease the instances, then run the waves one after
 * another (each as a child workflow), with approval gates, bake time, the failure budget, the
 * maintenance-window cutoff and operator control (pause, resume, cancel, approve, setLimits).
 *
 * Its own history stays small whatever the fleet size: a handful of events per wave; per-instance
 * work lives in the wave children, which continue-as-new as they grow.
 */
import {
  ApplicationFailure,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,

  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import { planRollout, type RolloutPlan } from '../planning/planner';
import { resolveBudget, resolveSize, sizeSchema, validateSpec, type RolloutSpec } from '../planning/spec';
import {
  approveUpdate,
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  setLimitsUpdate,
  waveControlSignal,
  type ControlAck,
  type LimitsPatch,
  type ProgressDetail,
} from './messages';
import type { InstanceResult, NotStartedReason, RolloutInput, RolloutPhase, RolloutProgress, RolloutReport, WaveControl, WaveLimits, WaveResult } from './types';
import { workflowNow } from './clock';
import { notStartedDetail } from './outcomes';
import { waveWorkflow } from './wave';

const { resolveTargets } = proxyActivities<Pick<RolloutActivities, 'resolveTargets'>>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: ['StarRocks.auth', 'StarRocks.permission', 'StarRocks.bad_request', 'StarRocks.unsupported'] },
});
const leases = proxyActivities<Pick<RolloutActivities, 'acquireLeases' | 'releaseLeases'>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 30, nonRetryableErrorTypes: ['LeaseConflict'] },
});

/** Reports of rollouts up to this many targets list every instance; larger ones list the problems. */
export const REPORT_FULL_LIMIT = 2_000;

export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutReport> {
  const validated = validateSpec(input.spec);
  if (!validated.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidSpec',
      nonRetryable: true,
      message: `The rollout spec is invalid: ${validated.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      details: [validated.problems],
    });
  }
  let spec: RolloutSpec = validated.spec;
  const info = workflowInfo();
  const rolloutId = info.workflowId;
  const startedAtMs = workflowNow();
  const notAfterMs = windowEnd(input, spec, startedAtMs);

  let phase: RolloutPhase = 'resolving';
  let paused = false;
  let cancelRequested = false;
  let cancelReason: string | undefined;
  let plan: RolloutPlan | undefined;
  let currentWave: number | undefined;
  let currentWaveWorkflowId: string | undefined;
  const approved = new Set<number>();
  const results: InstanceResult[] = [];
  const waveStatus = new Map<number, RolloutProgress['waves'][number]['status']>();
  let reads = 0;
  let failures = 0;

  /** Reports every target of waves `fromWave`.. as not started. */
  const markNotStarted = (fromWave: number, reason: NotStartedReason): void => {
    for (const w of plan!.waves.filter((x) => x.number >= fromWave)) {
      waveStatus.set(w.number, 'not_started');
      for (const t of w.targets) results.push({ ...t, wave: w.number, outcome: 'not_started', notStartedReason: reason, detail: notStartedDetail(reason) });
    }
  };

  const counts = (): RolloutProgress['counts'] => {
    const c = { targets: plan?.targetCount ?? 0, restarted: 0, failed: 0, skipped: 0, notStarted: 0, inFlight: 0, pending: 0 };
    for (const r of results) {
      if (r.outcome === 'restarted') c.restarted++;
      else if (r.outcome === 'failed') c.failed++;
      else if (r.outcome === 'skipped') c.skipped++;
      else c.notStarted++;
    }
    c.pending = Math.max(0, c.targets - results.length);
    return c;
  };

  const expectedRestartMs = (): number => {
    const measured = results.filter((r) => r.durationMs !== undefined).map((r) => r.durationMs!).sort((a, b) => a - b);
    if (measured.length < 3) return spec.instance.expectedRestartSeconds * 1000;
    return measured[Math.min(measured.length - 1, Math.floor(measured.length * 0.9))]!;
  };

  const etaMs = (): number | undefined => {
    if (!plan) return undefined;
    const remaining = plan.waves.filter((w) => waveStatus.get(w.number) !== 'done' && waveStatus.get(w.number) !== 'not_started');
    const perRestart = expectedRestartMs();
    return remaining.reduce(
      (ms, w) => ms + Math.ceil(w.targets.length / Math.max(1, w.concurrency)) * perRestart + spec.waves.bakeSeconds * 1000,
      0,
    );
  };

  const progress = (detail: ProgressDetail = 'problems'): RolloutProgress => ({
    rolloutId,
    name: spec.name,
    phase: paused && !isFinal(phase) ? 'paused' : phase,
    paused,
    cancelRequested,
    ...(cancelReason ? { cancelReason } : {}),
    ...(currentWave !== undefined ? { currentWave } : {}),
    ...(currentWaveWorkflowId ? { currentWaveWorkflowId } : {}),
    waves: (plan?.waves ?? []).map((w) => ({
      number: w.number,
      size: w.targets.length,
      regions: [...new Set(w.targets.map((t) => t.region))],
      status: waveStatus.get(w.number) ?? 'pending',
      approvalRequired: w.approvalRequired,
    })),
    counts: counts(),
    failureBudget: plan?.failureBudget ?? 0,
    limits: { concurrency: spec.concurrency, failureBudget: spec.failureBudget },
    startedAtMs,
    ...(notAfterMs !== undefined ? { notAfterMs } : {}),
    ...(isFinal(phase) ? {} : { etaMs: etaMs() }),
    problems: plan?.problems ?? [],
    instances: detail === 'all' ? results : detail === 'problems' ? results.filter((r) => r.outcome !== 'restarted') : [],
    ...(detail === 'all' ? {} : { instancesOmitted: detail === 'problems' ? results.filter((r) => r.outcome === 'restarted').length : results.length }),
    reads,
  });

  const ack = (): ControlAck => ({ paused, cancelRequested, phase });

  const currentLimits = (waveNumber: number): WaveLimits => {
    const wave = plan!.waves[waveNumber - 1]!;
    const regionConcurrency: Record<string, number> = {};
    for (const region of Object.keys(wave.regionConcurrency)) {
      const n = wave.targets.filter((t) => t.region === region).length;
      regionConcurrency[region] = spec.concurrency.perRegion === undefined ? n : resolveSize(spec.concurrency.perRegion, n, { atLeastOne: true });
    }
    const limits: WaveLimits = {
      concurrency: resolveSize(spec.concurrency.global, wave.targets.length, { atLeastOne: true }),
      regionConcurrency,
      rolloutBudgetRemaining: resolveBudget(spec.failureBudget.total, plan!.targetCount) - failures,
    };
    if (spec.failureBudget.perWave !== undefined) limits.waveBudget = resolveBudget(spec.failureBudget.perWave, wave.targets.length);
    return limits;
  };

  const signalWave = async (control: WaveControl): Promise<void> => {
    if (!currentWaveWorkflowId) return;
    try {
      await getExternalWorkflowHandle(currentWaveWorkflowId).signal(waveControlSignal, control);
    } catch {
      // The wave may have just finished; its successor reads the rollout's state when it starts.
    }
  };

  setHandler(progressQuery, (detail?: ProgressDetail) => progress(detail));
  setHandler(pauseUpdate, async () => {
    paused = true;
    await signalWave({ paused: true });
    return ack();
  });
  setHandler(resumeUpdate, async () => {
    paused = false;
    await signalWave({ paused: false });
    return ack();
  });
  setHandler(cancelUpdate, async ({ reason } = {}) => {
    cancelRequested = true;
    if (reason) cancelReason = reason.slice(0, 500);
    await signalWave({ cancelled: true });
    return ack();
  });
  setHandler(
    approveUpdate,
    async ({ wave }) => {
      approved.add(wave);
      return ack();
    },
    {
      validator: ({ wave }) => {
        if (!plan) throw new Error('The rollout is still resolving its targets; approve once its waves are planned.');
        const planned = plan.waves[wave - 1];
        if (!planned) throw new Error(`There is no wave ${wave}; this rollout has ${plan.waves.length} waves.`);
        if (!planned.approvalRequired) throw new Error(`Wave ${wave} has no approval gate (waves.approvalBefore).`);
        if (approved.has(wave)) throw new Error(`Wave ${wave} is already approved.`);
      },
    },
  );
  setHandler(
    setLimitsUpdate,
    async (patch) => {
      spec = {
        ...spec,
        concurrency: { ...spec.concurrency, ...patch.concurrency },
        failureBudget: { ...spec.failureBudget, ...patch.failureBudget },
      };
      if (plan) plan = { ...plan, failureBudget: resolveBudget(spec.failureBudget.total, plan.targetCount) };
      if (currentWave !== undefined && plan) await signalWave({ limits: currentLimits(currentWave) });
      return { concurrency: spec.concurrency, failureBudget: spec.failureBudget };
    },
    { validator: validateLimitsPatch },
  );

  // Resolve and plan.
  const fleet = await resolveTargets({ spec });
  reads += fleet.reads;
  plan = planRollout(spec, fleet);

  // Lease every target so no other running rollout restarts them at the same time.
  const keys = plan.waves.flatMap((w) => w.targets.map((t) => t.instanceId));
  await leases.acquireLeases({ holder: rolloutId, keys });
  let finalPhase: RolloutPhase = 'completed';
  try {
    for (const wave of plan.waves) {
      const markRest = (reason: NotStartedReason): void => markNotStarted(wave.number, reason);
      if (cancelRequested) {
        markRest('cancelled');
        finalPhase = 'cancelled';
        break;
      }
      if (failures > plan.failureBudget) {
        markRest('budget');
        finalPhase = 'stopped_budget';
        break;
      }
      if (wave.approvalRequired && !approved.has(wave.number)) {
        phase = 'awaiting_approval';
        currentWave = wave.number;
        waveStatus.set(wave.number, 'awaiting_approval');
        const gateTimeoutMs = notAfterMs !== undefined ? Math.max(0, notAfterMs - workflowNow()) : undefined;
        const opened = gateTimeoutMs !== undefined
          ? await condition(() => approved.has(wave.number) || cancelRequested, gateTimeoutMs)
          : (await condition(() => approved.has(wave.number) || cancelRequested), true);
        if (cancelRequested) {
          markRest('cancelled');
          finalPhase = 'cancelled';
          break;
        }
        if (!opened) {
          markRest('window');
          finalPhase = 'stopped_window';
          break;
        }
      }
      if (notAfterMs !== undefined && workflowNow() + expectedRestartMs() > notAfterMs) {
        markRest('window');
        finalPhase = 'stopped_window';
        break;
      }
      phase = 'running';
      currentWave = wave.number;
      currentWaveWorkflowId = `${rolloutId}/wave-${wave.number}`;
      waveStatus.set(wave.number, 'running');
      const waveResult: WaveResult = await executeChild(waveWorkflow, {
        workflowId: currentWaveWorkflowId,
        args: [
          {
            rolloutId,
            wave: wave.number,
            targets: wave.targets,
            limits: currentLimits(wave.number),
            policy: spec.instance,
            ...(notAfterMs !== undefined ? { notAfterMs } : {}),
            expectedRestartMs: expectedRestartMs(),
            paused,
            cancelled: cancelRequested,
            ...(input.historyLimit ? { historyLimit: input.historyLimit } : {}),
          },
        ],
      });
      results.push(...waveResult.results);
      failures += waveResult.failures;
      reads += waveResult.reads;
      waveStatus.set(wave.number, 'done');
      currentWaveWorkflowId = undefined;
      if (waveResult.stopReason) {
        const reason = waveResult.stopReason;
        markNotStarted(wave.number + 1, reason);
        finalPhase = reason === 'budget' ? 'stopped_budget' : reason === 'cancelled' ? 'cancelled' : 'stopped_window';
        break;
      }
      const isLast = wave.number === plan.waves.length;
      if (!isLast && spec.waves.bakeSeconds > 0) {
        phase = 'baking';
        await condition(() => cancelRequested, spec.waves.bakeSeconds * 1000);
      }
      // Paused between waves: hold here until resumed or cancelled.
      if (paused) await condition(() => !paused || cancelRequested);
    }
  } finally {
    await leases.releaseLeases({ holder: rolloutId });
  }
  if (finalPhase === 'completed' && failures > 0 && failures > plan.failureBudget) finalPhase = 'stopped_budget';
  phase = finalPhase;
  currentWave = undefined;
  // Above REPORT_FULL_LIMIT targets the result lists only what did not restart (the payload limit is
  // 2 MB); every instance's record stays in the wave workflows' results.
  return { ...progress(results.length > REPORT_FULL_LIMIT ? 'problems' : 'all'), finishedAtMs: workflowNow() };
}

function isFinal(phase: RolloutPhase): boolean {
  return ['completed', 'stopped_budget', 'stopped_window', 'cancelled', 'failed'].includes(phase);
}

function windowEnd(input: RolloutInput, spec: RolloutSpec, startedAtMs: number): number | undefined {
  const candidates: number[] = [];
  if (spec.window.notAfter) candidates.push(Date.parse(spec.window.notAfter));
  if (input.notAfter) candidates.push(Date.parse(input.notAfter));
  if (input.windowSeconds !== undefined) candidates.push(startedAtMs + input.windowSeconds * 1000);
  return candidates.length ? Math.min(...candidates) : undefined;
}

/** Update validator: rejects a patch before it is written to history. */
export function validateLimitsPatch(patch: LimitsPatch): void {
  const problems: string[] = [];
  const check = (path: string, value: unknown, positive: boolean): void => {
    if (value === undefined) return;
    const parsed = sizeSchema.safeParse(value);
    if (!parsed.success) problems.push(`${path}: must be a whole number or a percentage such as "10%"`);
    else if (positive && (value === 0 || value === '0%')) problems.push(`${path}: must be at least 1`);
  };
  if (typeof patch !== 'object' || patch === null) throw new Error('setLimits needs an object such as {"concurrency":{"global":10}}.');
  check('concurrency.global', patch.concurrency?.global, true);
  check('concurrency.perRegion', patch.concurrency?.perRegion, true);
  check('failureBudget.total', patch.failureBudget?.total, false);
  check('failureBudget.perWave', patch.failureBudget?.perWave, false);
  const known = new Set(['concurrency', 'failureBudget']);
  for (const key of Object.keys(patch)) if (!known.has(key)) problems.push(`${key}: unknown field (use concurrency or failureBudget)`);
  if (!patch.concurrency && !patch.failureBudget) problems.push('give concurrency and/or failureBudget');
  if (problems.length) throw new Error(`Invalid limits: ${problems.join('; ')}`);
}
