/**
 * Duration estimates: a target's expected restart, the order that launches the longest first, and
 * the rollout's remaining time as p50/p90 from a list schedule over the estimates. Pure.
 */

/** Median and 90th percentile of a sample (nearest rank); undefined for an empty one. */
export function percentiles(samples: readonly number[]): { p50: number; p90: number } | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { p50: at(0.5), p90: at(0.9) };
}

/**
 * Stable longest-first order of `items` by `durationOf` (ties keep their listing order): the
 * classic LPT rule, which keeps a long restart from starting late and setting the wave's end.
 */
export function longestFirst<T>(items: readonly T[], durationOf: (item: T) => number): T[] {
  return items
    .map((item, i) => ({ item, i, d: durationOf(item) }))
    .sort((a, b) => b.d - a.d || a.i - b.i)
    .map((x) => x.item);
}

/**
 * Makespan of a list schedule: jobs start in the given order on the first free of `slots` slots,
 * which are busy until `busyUntil` (relative ms, one entry per slot already in use).
 */
export function listScheduleMs(durations: readonly number[], slots: number, busyUntil: readonly number[] = []): number {
  const n = Math.max(1, slots);
  // A small binary heap of slot free times.
  const heap: number[] = [];
  const push = (v: number): void => {
    heap.push(v);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= heap[i]!) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]! < heap[m]!) m = l;
        if (r < heap.length && heap[r]! < heap[m]!) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  };
  for (let i = 0; i < n; i++) push(Math.max(0, busyUntil[i] ?? 0));
  let end = Math.max(0, ...busyUntil.slice(0, n));
  for (const d of durations) {
    const free = pop();
    const done = free + Math.max(0, d);
    end = Math.max(end, done);
    push(done);
  }
  return end;
}
