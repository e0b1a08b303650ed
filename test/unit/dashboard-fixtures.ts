/**
 * Synthetic progress snapshots for the dashboard's tests (any size, in the shape the progress query answers):
 * targets split into waves (one region per wave, or every wave across all regions), the first `done` targets
 * finished (every `failEvery`-th failed, still down), the next `inFlight` restarting, the rest not reached.
 */
import type { InFlightInstance, InstanceResult, RolloutCounts, RolloutProgress, WaveSummary } from '../../src/contracts/rollout';

export interface SyntheticOptions {
  regions: string[];
  perRegion: number;
  /** Waves per region (sequential) or in all (parallel). */
  waves: number;
  parallel?: boolean;
  done: number;
  inFlight?: number;
  failEvery?: number;
  /** `all`: every finished target in `instances`; `problems`: only those that did not restart cleanly. */
  listed: 'all' | 'problems';
  startedAtMs?: number;
}

export const instanceId = (region: number, i: number): string => `c-${region.toString(36).padStart(4, '0')}${i.toString(36).padStart(12, '0')}`;

export function syntheticProgress(o: SyntheticOptions): RolloutProgress {
  const started = o.startedAtMs ?? 1_764_576_000_000;
  // Targets in wave order, each with its wave number.
  const targets: Array<{ region: string; id: string; wave: number }> = [];
  const chunk = (n: number, parts: number, k: number): [number, number] => [Math.floor((n * k) / parts), Math.floor((n * (k + 1)) / parts)];
  if (o.parallel) {
    for (let w = 0; w < o.waves; w++) {
      o.regions.forEach((region, r) => {
        const [from, to] = chunk(o.perRegion, o.waves, w);
        for (let i = from; i < to; i++) targets.push({ region, id: instanceId(r, i), wave: w + 1 });
      });
    }
  } else {
    o.regions.forEach((region, r) => {
      for (let w = 0; w < o.waves; w++) {
        const [from, to] = chunk(o.perRegion, o.waves, w);
        for (let i = from; i < to; i++) targets.push({ region, id: instanceId(r, i), wave: r * o.waves + w + 1 });
      }
    });
  }
  const waveCount = o.parallel ? o.waves : o.regions.length * o.waves;
  const instances: InstanceResult[] = [];
  const inFlight: InFlightInstance[] = [];
  const c: RolloutCounts = { targets: targets.length, restarted: 0, failed: 0, skipped: 0, deferred: 0, notStarted: 0, unknown: 0, inFlight: 0, waiting: 0, down: 0, pending: 0 };
  const waves: WaveSummary[] = Array.from({ length: waveCount }, (_, k) => ({ number: k + 1, size: 0, regions: [], status: 'pending', approvalRequired: false, restarted: 0, failed: 0, done: 0 }));
  // Per-region counts of a wave, as the engine gives them for waves over several regions.
  const regionOf = (w: WaveSummary, region: string) => ((w.byRegion ??= {})[region] ??= { size: 0, restarted: 0, failed: 0, done: 0 });
  targets.forEach((t, i) => {
    const w = waves[t.wave - 1]!;
    const r = regionOf(w, t.region);
    w.size++;
    r.size++;
    if (!w.regions.includes(t.region)) w.regions.push(t.region);
    if (i < o.done) {
      const failed = o.failEvery !== undefined && (i + 1) % o.failEvery === 0;
      w.done++;
      r.done++;
      if (failed) {
        w.failed++;
        r.failed++;
        c.failed++;
        c.down++;
        instances.push({ region: t.region, instanceId: t.id, wave: t.wave, outcome: 'failed', failure: 'restart_failed', status: 'creating_failed', detail: 'the restart ended in status creating_failed instead of running', stillDown: true, sentAtMs: started + i * 1000 });
      } else {
        w.restarted++;
        r.restarted++;
        c.restarted++;
        if (o.listed === 'all') instances.push({ region: t.region, instanceId: t.id, wave: t.wave, outcome: 'restarted', status: 'running', detail: 'restarted', sentAtMs: started + i * 1000, confirmedAtMs: started + i * 1000 + 300_000, durationMs: 300_000, expectedMs: 300_000 });
      }
    } else if (i < o.done + (o.inFlight ?? 0)) {
      c.inFlight++;
      c.down++;
      inFlight.push({ region: t.region, instanceId: t.id, wave: t.wave, state: 'restarting', sinceMs: started + i * 1000, sentAtMs: started + i * 1000, seenRestarting: true, status: 'restarting', progress: 40, step: 'Restart FE follower nodes', expectedMs: 300_000 });
    } else c.pending++;
  });
  const current = targets[Math.min(o.done, targets.length - 1)]?.wave ?? 1;
  for (const w of waves) {
    w.status = w.done === w.size ? 'done' : w.number === current ? 'running' : 'pending';
    if (w.regions.length === 1) delete w.byRegion;
  }
  return {
    rolloutId: 'starwave-rollout-synthetic',
    name: 'synthetic',
    phase: 'running',
    paused: false,
    cancelRequested: false,
    currentWave: current,
    waves,
    counts: c,
    failureBudget: 1_000,
    failures: c.failed,
    limits: { concurrency: { global: 500, stallTimeoutSeconds: 1800 } as never, failureBudget: { total: 1_000 } },
    startedAtMs: started,
    eta: { p50Ms: 3_600_000, p90Ms: 5_400_000 },
    etaMs: 3_600_000,
    inFlight: inFlight.slice(0, 200),
    ...(inFlight.length > 200 ? { inFlightOmitted: inFlight.length - 200 } : {}),
    problems: [],
    instances,
    ...(o.listed === 'all' ? {} : { instancesOmitted: c.restarted }),
    audit: [{ atMs: started, action: 'start', by: 'api:0123456789ab' }],
    notifications: [{ seq: 1, event: 'started', atMs: started, state: 'delivered', receivers: [{ name: 'ops', delivered: true, attempts: 1 }] }],
    reads: 42,
    runs: 1,
  };
}
