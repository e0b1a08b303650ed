/**
 * Which regions a spec may name. Against the real cloud: the regions of the SDK's endpoint map
 * (plus the regional rule for others is NOT assumed — a misspelt region would otherwise become a
 * request to a host that does not exist, retried for minutes). With STARWAVE_ENDPOINTS set (the
 * emulator or another non-cloud target): exactly the regions it maps. Pure.
 */
import type { Problem } from '../contracts/errors';
import type { RolloutSpec } from '../contracts/spec';

/** Every region a spec names, with the path where it is named. */
export function namedRegions(spec: RolloutSpec): Array<{ path: string; region: string }> {
  const out: Array<{ path: string; region: string }> = [];
  spec.targets.instances.forEach((ref, i) => out.push({ path: `targets.instances.${i}.region`, region: ref.region }));
  spec.targets.selectors.forEach((sel, i) => sel.regions.forEach((region, j) => out.push({ path: `targets.selectors.${i}.regions.${j}`, region })));
  spec.regions.order.forEach((region, i) => out.push({ path: `regions.order.${i}`, region }));
  return out;
}

/** Problems for regions outside `known`, each with a spelling hint when one is close. */
export function unknownRegionProblems(spec: RolloutSpec, known: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  for (const { path, region } of namedRegions(spec)) {
    if (known.has(region)) continue;
    const hint = closest(region, [...known]);
    problems.push({
      path,
      message: `unknown region "${region}"${hint ? ` (did you mean "${hint}"?)` : ''}; known regions: ${[...known].sort().join(', ')}`,
    });
  }
  return problems;
}

/** Regions named in regions.order that no target lives in: a typo or a leftover. */
export function unusedOrderProblems(spec: RolloutSpec, targetRegions: ReadonlySet<string>): Problem[] {
  return spec.regions.order.flatMap((region, i) =>
    targetRegions.has(region) ? [] : [{ path: `regions.order.${i}`, message: `no target is in region "${region}"; it has no effect` }],
  );
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d <= 2 && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}
