/**
 * Model-based property tests of the rollout engine (fast-check `fc.commands` / `fc.modelRun`):
 * thousands of random event sequences — lost answers, hung, busy, failing and foreign-restarted
 * instances, permission errors, exhausted retries, control messages at random moments, time
 * jumps — run against the engine and a small reference model of what it must never do (see
 * test/support/engine-harness.ts). Invariants are checked after every step; at the end the world
 * turns benign and the rollout must finish with every target accounted for exactly once.
 *
 * The last block runs the same property against deliberately broken engines and expects it to
 * find each bug: proof that the property can fail.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

// Property tests run thousands of sequences: on a loaded 2-core machine they need more than the default 5 s.
vi.setConfig({ testTimeout: 120_000 });
import { RolloutEngine } from '../../src/engine';
import type { TargetRec } from '../../src/engine/state';
import { parseSpec, type RolloutSpec } from '../../src/contracts/spec';
import { Harness, TRANSITIONS, Violation } from '../support/engine-harness';

const REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing'];

interface Scenario {
  /** Answer resolve and leases at once, so the sequence starts in the running wave. */
  autoSetup: boolean;
  spec: RolloutSpec;
  fleet: Array<{ id: string; region: string; status?: 'running' | 'modifying_config' | 'disable' | 'restarting' }>;
  notAfterMs?: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    n: fc.integer({ min: 1, max: 10 }),
    regions: fc.integer({ min: 1, max: 3 }),
    parallel: fc.boolean(),
    sizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom('50%', '100%')), { minLength: 1, maxLength: 3 }),
    global: fc.integer({ min: 1, max: 4 }),
    perRegion: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    budget: fc.integer({ min: 0, max: 3 }),
    perWave: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    notRunning: fc.constantFrom('skip', 'wait', 'fail'),
    health: fc.boolean(),
    prove: fc.boolean(),
    bake: fc.constantFrom(0, 0, 2),
    gates: fc.array(fc.integer({ min: 2, max: 3 }), { maxLength: 1 }),
    estimates: fc.boolean(),
    order: fc.constantFrom('longest_first', 'listing'),
    notAfter: fc.option(fc.integer({ min: 5_000, max: 120_000 }), { nil: undefined }),
    autoSetup: fc.constantFrom(true, true, true, false),
    initial: fc.array(fc.constantFrom('running', 'running', 'running', 'modifying_config', 'disable', 'restarting'), { minLength: 10, maxLength: 10 }),
  })
  .map((g) => {
    const fleet = Array.from({ length: g.n }, (_, i) => ({
      id: `c-${String(i).padStart(16, '0')}`,
      region: REGIONS[i % g.regions]!,
      status: g.initial[i] as Scenario['fleet'][number]['status'],
    }));
    const spec = parseSpec({
      name: 'model',
      targets: { selectors: [{ regions: REGIONS.slice(0, g.regions) }] },
      regions: { mode: g.parallel ? 'parallel' : 'sequential' },
      waves: { sizes: g.sizes, bakeSeconds: g.bake, approvalBefore: g.gates, order: g.order },
      concurrency: { global: g.global, ...(g.perRegion ? { perRegion: g.perRegion } : {}), stallTimeoutSeconds: 30 },
      failureBudget: { total: g.budget, ...(g.perWave !== undefined ? { perWave: g.perWave } : {}) },
      instance: { notRunning: g.notRunning, notRunningWaitSeconds: 10, confirmTimeoutSeconds: 20, pollIntervalSeconds: 1, expectedRestartSeconds: 2 },
      health: { enabled: g.health, timeoutSeconds: 15, proveRestart: false },
      estimates: { fromHistory: g.estimates },
    });
    return { autoSetup: g.autoSetup, spec, fleet, ...(g.notAfter !== undefined ? { notAfterMs: g.notAfter } : {}) };
  });

type Cmd = fc.Command<object, Harness>;

const pick = <T>(items: T[], n: number): T => items[n % items.length]!;

class Resolve implements Cmd {
  check = (_: object) => true;
  run(_: object, h: Harness): void {
    if (h.resolvePending) h.answerResolve();
  }
  toString = () => 'resolve';
}
class Estimate implements Cmd {
  constructor(readonly ok: boolean) {}
  check = () => true;
  run(_: object, h: Harness): void {
    if (h.estimates.size) h.answerEstimate([...h.estimates][0]!, this.ok);
  }
  toString = () => `estimate(${this.ok})`;
}
class Lease implements Cmd {
  constructor(readonly ok: boolean) {}
  check = () => true;
  run(_: object, h: Harness): void {
    if (h.leasePending) h.answerLease(this.ok);
    else if (h.releasePending) h.answerRelease();
  }
  toString = () => `lease(${this.ok})`;
}
class Notify implements Cmd {
  constructor(readonly ok: boolean) {}
  check = () => true;
  run(_: object, h: Harness): void {
    h.answerNotify(this.ok);
  }
  toString = () => `notify(${this.ok})`;
}
class Launch implements Cmd {
  constructor(readonly n: number, readonly variant: number) {}
  check = () => true;
  run(_: object, h: Harness): void {
    if (h.launches.size) h.answerLaunch(pick([...h.launches.keys()], this.n), this.variant);
  }
  toString = () => `launch(${this.n}, v${this.variant})`;
}
class Watch implements Cmd {
  constructor(readonly n: number, readonly variant: number) {}
  check = () => true;
  run(_: object, h: Harness): void {
    if (h.watches.size) h.answerWatch(pick([...h.watches.keys()], this.n), this.variant);
  }
  toString = () => `watch(${this.n}, v${this.variant})`;
}
class World implements Cmd {
  constructor(readonly n: number, readonly kind: number) {}
  check = () => true;
  run(_: object, h: Harness): void {
    h.worldEvent(pick([...h.world.keys()], this.n), this.kind);
  }
  toString = () => `world(${this.n}, k${this.kind})`;
}
class Tick implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  run(_: object, h: Harness): void {
    h.advance(this.ms);
  }
  toString = () => `tick(${this.ms})`;
}
/** Which control message, weighted: cancel is rare so most sequences get far. */
const CONTROL_WEIGHTS = [0, 0, 0, 1, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6];

class Control implements Cmd {
  constructor(readonly kind: number, readonly n: number) {}
  check = () => true;
  run(_: object, h: Harness): void {
    const ids = [...h.world.keys()];
    const event = [
      { type: 'pause' as const, by: 'model' },
      { type: 'resume' as const, by: 'model' },
      { type: 'cancel' as const, reason: 'model', by: 'model' },
      { type: 'approve' as const, wave: 1 + (this.n % 4), by: 'model' },
      { type: 'set_limits' as const, patch: { concurrency: { global: 1 + (this.n % 4) }, failureBudget: { total: this.n % 3 } } },
      { type: 'skip' as const, instanceId: pick(ids, this.n), by: 'model' },
      { type: 'set_limits' as const, patch: { concurrency: { perRegion: 1 + (this.n % 2) } } },
    ][CONTROL_WEIGHTS[this.kind % CONTROL_WEIGHTS.length]!]!;
    // Like the workflow's update validator: a rejected message never reaches the engine.
    if (h.engine.validate(event) === undefined) h.deliver(event);
  }
  toString = () => `control(${this.kind}, ${this.n})`;
}

const commandArb = fc.commands(
  [
    fc.constant(new Resolve()),
    fc.boolean().map((ok) => new Estimate(ok)),
    fc.constantFrom(true, true, true, true, true, true, true, true, true, false).map((ok) => new Lease(ok)), // leases rarely fail
    fc.tuple(fc.nat(), fc.constantFrom(0, 0, 0, 0, 1, 2, 3)).map(([n, v]) => new Launch(n, v)),
    fc.boolean().map((ok) => new Notify(ok)),
    fc.tuple(fc.nat(), fc.constantFrom(0, 0, 0, 1, 1, 2)).map(([n, v]) => new Watch(n, v)),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 4 })).map(([n, k]) => new World(n, k)),
    fc.constantFrom(50, 500, 1_000, 5_000, 12_000, 40_000).map((ms) => new Tick(ms)),
    fc.tuple(fc.nat(), fc.nat()).map(([k, n]) => new Control(k, n)),
  ],
  { maxCommands: 200, size: 'large' },
);

function runScenario(s: Scenario, cmds: Iterable<Cmd>, make?: (h: Harness) => void): Harness {
  const h = new Harness(s.spec, s.fleet, s.notAfterMs !== undefined ? { notAfterMs: s.notAfterMs } : {});
  make?.(h);
  if (s.autoSetup) {
    h.answerResolve();
    while (h.estimates.size) h.answerEstimate([...h.estimates][0]!, true);
    if (h.leasePending) h.answerLease(true);
  }
  try {
    fc.modelRun(() => ({ model: {}, real: h }), cmds);
    h.settle();
  } catch (err) {
    if (process.env['ENGINE_MODEL_TRACE'] && err instanceof Error) err.message += `\n--- last events ---\n${h.log.slice(-Number(process.env['ENGINE_MODEL_TRACE'])).join('\n')}`;
    throw err;
  }
  return h;
}

const stats = { runs: 0, steps: 0 };

describe('rollout engine (model-based)', () => {
  it('keeps every invariant over random event sequences and always finishes', () => {
    fc.assert(
      fc.property(scenarioArb, commandArb, (s, cmds) => {
        const h = runScenario(s, cmds);
        stats.runs++;
        stats.steps += h.steps;
      }),
      { numRuns: Number(process.env['ENGINE_MODEL_RUNS'] ?? 4000), seed: 20261201 },
    );
    // Figures for the notes: how much was exercised.
    process.stdout.write(`[engine-model] ${stats.runs} sequences, ${stats.steps} engine steps, ${(stats.steps / stats.runs).toFixed(1)} per sequence\n`);
    process.stdout.write(`[engine-model] transitions: ${[...TRANSITIONS].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    // Transition coverage (in the spirit of sdk-core's transition_coverage.rs): every way a target can
    // move was exercised, so the invariants above were checked across all of them.
    const required = [
      'queued->launching',
      'launching->restarting',
      'launching->waiting',
      'launching->skipped',
      'launching->failed:not_running',
      'launching->failed:api_error',
      'restarting->restarted',
      'restarting->checking',
      'checking->restarted',
      'checking->failed:health_timeout',
      'restarting->failed:confirm_timeout',
      'restarting->failed:restart_failed',
      'restarting->unknown',
      'waiting->queued',
      'waiting->deferred',
      'waiting->failed:not_running',
      'waiting->not_started:cancelled',
      'queued->not_started:budget',
      'queued->not_started:cancelled',
      'queued->not_started:window',
      'queued->not_started:stalled',
      'queued->not_started:failed',
      'queued->skipped',
    ];
    const missing = required.filter((k) => !TRANSITIONS.has(k));
    expect(missing, `transitions never exercised: ${missing.join(', ')}`).toEqual([]);
  });

  it('a sequence survives continue-as-new at any step: the carried state decides the same way', () => {
    fc.assert(
      fc.property(scenarioArb, commandArb, fc.nat(), (s, cmds, at) => {
        const h = new Harness(s.spec, s.fleet, s.notAfterMs !== undefined ? { notAfterMs: s.notAfterMs } : {});
        const list = [...cmds];
        const cut = list.length ? at % list.length : 0;
        fc.modelRun(() => ({ model: {}, real: h }), list.slice(0, cut));
        // What a new run would start from: the JSON snapshot, re-read by a fresh engine.
        const copy = new RolloutEngine(JSON.parse(JSON.stringify(h.engine.state)));
        expect(JSON.parse(JSON.stringify(copy.progress('all')))).toEqual(JSON.parse(JSON.stringify(h.engine.progress('all'))));
        expect(copy.nextWakeAtMs()).toEqual(h.engine.nextWakeAtMs());
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

/** Mutations of the engine, each one of the real bugs the issue describes or a close cousin. */
const MUTANTS: Record<string, (h: Harness) => void> = {
  // The original availability bug: a restart that times out gives its slot to the next instance while still down.
  'confirm timeout frees the slot': (h) => {
    const update = h.engine.update.bind(h.engine);
    h.engine.update = (idx: number, change: Partial<TargetRec>, remove: Array<keyof TargetRec> = []) =>
      change.failure === 'confirm_timeout' ? update(idx, { ...change, down: undefined } as Partial<TargetRec>, [...remove, 'down']) : update(idx, change, remove);
  },
  // Failures not counted: the budget never stops the rollout.
  'failures are not counted': (h) => {
    h.engine.countFailure = () => {};
  },
  // Launches count on listings however old: an instance that went down while nobody looked is missed.
  'launches on stale listings': (h) => {
    h.engine.freshListings = false;
  },
  // A target seen down before its turn does not hold a slot.
  'down-before-turn does not count': (h) => {
    const update = h.engine.update.bind(h.engine);
    h.engine.update = (idx: number, change: Partial<TargetRec>, remove: Array<keyof TargetRec> = []) =>
      change.downQueued ? update(idx, { ...change, downQueued: undefined } as Partial<TargetRec>, [...remove, 'downQueued']) : update(idx, change, remove);
  },
};

describe('the property finds deliberately broken engines', () => {
  for (const [name, mutate] of Object.entries(MUTANTS)) {
    it(`finds: ${name}`, () => {
      let found: string | undefined;
      try {
        fc.assert(
          fc.property(scenarioArb, commandArb, (s, cmds) => {
            runScenario(s, cmds, mutate);
          }),
          { numRuns: 3000, seed: 99 },
        );
      } catch (err) {
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
        found = cause ? `${cause.name}: ${cause.message}` : String(err);
      }
      expect(found, `the property did not catch "${name}"`).toBeDefined();
      // Caught by an invariant of the model, not by a crash of the harness.
      expect(found).toMatch(/over the limit|over \d|failures counted|budget|did not finish|ms old/);
      process.stdout.write(`[engine-model] mutant "${name}" caught: ${found!.slice(0, 200)}\n`);
    });
  }

  it('the harness itself notices a launch over the limit (sanity)', () => {
    expect(() => {
      throw new Violation('x');
    }).toThrow(Violation);
  });
});
