/** Seeded randomness so emulator runs are reproducible (same seed + same request order = same draws). */
import type { DurationDistribution } from './schemas';

export type Random = () => number;

/** mulberry32: tiny, fast, good enough for test doubles. Returns floats in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent streams derived from one seed, so e.g. enabling a fault does not change restart durations. */
export interface RandomStreams {
  ids: Random;
  durations: Random;
  faults: Random;
  /** Per-instance restart medians and the restart history drawn at seed time (only when a seed asks for them). */
  profiles: Random;
}

export function randomStreams(seed: number): RandomStreams {
  return {
    ids: mulberry32(seed ^ 0x1d5),
    durations: mulberry32((seed + 0x9e3779b9) >>> 0),
    faults: mulberry32((seed * 31 + 0x7f4a7c15) >>> 0),
    profiles: mulberry32((seed ^ 0x5bd1e995) >>> 0),
  };
}

export function randomHex(random: Random, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** Standard normal via Box–Muller. */
function standardNormal(random: Random): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function drawDuration(random: Random, distribution: DurationDistribution): number {
  switch (distribution.kind) {
    case 'fixed':
      return distribution.ms;
    case 'uniform':
      return Math.round(distribution.minMs + random() * (distribution.maxMs - distribution.minMs));
    case 'lognormal':
      return Math.round(distribution.medianMs * Math.exp(distribution.sigma * standardNormal(random)));
  }
}

/** A multiplicative lognormal noise factor with median 1: exp(sigma · N(0,1)). */
export function noiseFactor(random: Random, sigma: number): number {
  return sigma > 0 ? Math.exp(sigma * standardNormal(random)) : 1;
}

/** True with probability `rate` (no draw when rate is 0/undefined, keeping the stream stable). */
export function chance(random: Random, rate: number | undefined): boolean {
  if (!rate || rate <= 0) return false;
  if (rate >= 1) return true;
  return random() < rate;
}
