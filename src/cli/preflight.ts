/**
 * Checks `plan` and `start` run before anything reaches the cloud or Temporal: every region a spec
 * names must be reachable (the SDK's built-in regions, or exactly the STARWAVE_ENDPOINTS regions
 * when that is set: a region without an override would otherwise become a request to the real
 * cloud), `regions.order` may only name regions the targets are in, and `targets.exclude` may only
 * name instances the spec targets. Pure, except `knownRegionsFromEnv`.
 */
import { loadEnv } from '../config/env';
import { StarwaveError, formatProblemLines, type Problem } from '../contracts/errors';
import type { ResolvedFleet } from '../planning/planner';
import { unknownRegionProblems, unusedOrderProblems } from '../planning/regions';
import type { RolloutSpec } from '../contracts/spec';
import { REGION_HOSTS, parseEndpointOverrides } from '../starrocks/endpoints';

export interface RegionSetting {
  known: ReadonlySet<string>;
  /** The STARWAVE_ENDPOINTS overrides, when set (the emulator or another non-cloud target). */
  overrides?: Record<string, string>;
}

/** The regions this machine can reach, from STARWAVE_ENDPOINTS or the built-in map. */
export function knownRegionsFromEnv(): RegionSetting {
  const overrides = parseEndpointOverrides(loadEnv().endpointsJson);
  const set = Object.keys(overrides).length > 0;
  return { known: new Set(set ? Object.keys(overrides) : Object.keys(REGION_HOSTS)), ...(set ? { overrides } : {}) };
}

/** Problems visible from the spec alone: unknown regions, order regions no selector names, excludes of a fixed list. */
export function specProblems(spec: RolloutSpec, regions: RegionSetting): Problem[] {
  const problems = unknownRegionProblems(spec, regions.known).map((p) =>
    regions.overrides ? { ...p, message: `${p.message} (STARWAVE_ENDPOINTS is set, so only its regions can be reached; add an entry for it there)` } : p,
  );
  const named = new Set([...spec.targets.instances.map((i) => i.region), ...spec.targets.selectors.flatMap((s) => s.regions)]);
  problems.push(...unusedOrderProblems(spec, named));
  if (spec.targets.selectors.length === 0) problems.push(...excludeProblems(spec, new Set(spec.targets.instances.map((i) => i.instanceId))));
  return dedupe(problems);
}

/** Problems visible once the targets are resolved: order regions without targets, excludes that match nothing. */
export function fleetProblems(spec: RolloutSpec, fleet: ResolvedFleet): Problem[] {
  const problems = [...unusedOrderProblems(spec, new Set(fleet.targets.map((t) => t.region))), ...excludeProblems(spec, new Set(fleet.targets.map((t) => t.instanceId)))];
  return dedupe(problems);
}

function excludeProblems(spec: RolloutSpec, targeted: ReadonlySet<string>): Problem[] {
  return spec.targets.exclude.flatMap((id, i) =>
    targeted.has(id) ? [] : [{ path: `targets.exclude.${i}`, message: `${id} is not a target of this spec, so excluding it has no effect; check the id` }],
  );
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => (seen.has(p.path) ? false : (seen.add(p.path), true)));
}

/** The error `start` (and `plan`) end with when the spec has problems: exit 2, nothing started. */
export function preflightError(source: string, problems: readonly Problem[]): StarwaveError {
  return new StarwaveError(
    'ERR_SPEC_INVALID',
    `${source}: the spec names things that do not exist (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${formatProblemLines(problems)}\nNothing was started.`,
    { problems: [...problems] },
  );
}
