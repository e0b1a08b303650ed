/**
 * Fault injection for the cloud API: token-bucket throttling, added latency, connection drops,
 * 5xx answers, service failures and malformed bodies. Every draw comes from the seeded `faults`
 * stream, so a seed reproduces the same faults for the same request order.
 */
import { gatewayError, type GatewayError } from './gateway';
import { chance, type RandomStreams } from './prng';
import type { FaultConfig } from './schemas';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** A fault's optional scope: only these actions / regions (absent = all). */
export function inScope(f: { actions?: string[] | undefined; regions?: string[] | undefined } | undefined, action: string, region: string): boolean {
  return !!f && (!f.actions || f.actions.includes(action)) && (!f.regions || f.regions.includes(region));
}

/** Merges a faults patch one level deep; a `null` member removes that fault. */
export function mergeFaults(current: FaultConfig, patch: Record<string, unknown>): unknown {
  const merged: Record<string, unknown> = { ...current };
  // defineProperty: a member named __proto__ stays an own (unknown, hence rejected) member instead of a prototype.
  const put = (key: string, value: unknown): void => {
    Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const [key, value] of Object.entries(patch)) {
    const existing = Object.hasOwn(merged, key) ? merged[key] : undefined;
    if (value === null) delete merged[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof existing === 'object' && existing !== null) {
      put(key, { ...existing, ...value });
    } else put(key, value);
  }
  return merged;
}

export type ThrottleAnswer = GatewayError & { fault: 'throttling.user' | 'throttling.api' };

export interface ServiceFailureAnswer {
  code: string;
  message: string;
}

/** Reads the live fault config and PRNG of the world it is given (both are replaced at run time). */
export class FaultInjector {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly world: { readonly faults: FaultConfig; readonly random: RandomStreams }) {}

  /** Forgets every token bucket (new faults start with full buckets). */
  resetBuckets(): void {
    this.buckets = new Map();
  }

  /** Token bucket; returns 0 when a token was taken, else ms until one is available. */
  private takeToken(key: string, qps: number, burst: number | undefined): number {
    const capacity = burst ?? Math.max(1, qps);
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updatedMs: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedMs) / 1000) * qps);
    bucket.updatedMs = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) / qps) * 1000));
  }

  throttle(region: string, action: string, accessKeyId: string): ThrottleAnswer | undefined {
    const t = this.world.faults.throttling;
    if (!inScope(t, action, region) || !t) return undefined;
    const answer = (code: 'Throttling.User' | 'Throttling.Api', waitMs: number): ThrottleAnswer => ({
      ...gatewayError(400, code, code === 'Throttling.Api' ? 'Request was denied due to api flow control.' : 'Request was denied due to user flow control.', {
        headers: { 'x-acs-retry-after': String(t.retryAfterMs ?? waitMs) },
      }),
      fault: code === 'Throttling.Api' ? 'throttling.api' : 'throttling.user',
    });
    if (t.userQps !== undefined) {
      const wait = this.takeToken(`${region}|user|${accessKeyId}`, t.userQps, t.burst);
      if (wait > 0) return answer('Throttling.User', wait);
    }
    if (t.apiQps !== undefined) {
      const wait = this.takeToken(`${region}|api|${action}`, t.apiQps, t.burst);
      if (wait > 0) return answer('Throttling.Api', wait);
    }
    if (chance(this.world.random.faults, t.rate)) return answer('Throttling.User', 1000);
    return undefined;
  }

  addedLatency(action: string, region: string): { ms: number; spike: boolean } {
    const l = this.world.faults.latency;
    if (!inScope(l, action, region) || !l) return { ms: 0, spike: false };
    let ms = l.fixedMs ?? 0;
    if (l.minMs !== undefined || l.maxMs !== undefined) {
      const min = l.minMs ?? 0;
      const max = Math.max(min, l.maxMs ?? min);
      ms += Math.round(min + this.world.random.faults() * (max - min));
    }
    const spike = chance(this.world.random.faults, l.spikeRate);
    if (spike) ms += l.spikeMs ?? 1000;
    return { ms, spike };
  }

  /** The "RAM revoked" fault, when it covers this action and region (no draw: it is all or nothing). */
  ramDenied(action: string, region: string): { style: 'gateway' | 'service' } | undefined {
    const r = this.world.faults.ramDeny;
    return inScope(r, action, region) && r ? { style: r.style ?? 'gateway' } : undefined;
  }

  dropBefore(action: string, region: string): boolean {
    const f = this.world.faults;
    return inScope(f.drops, action, region) && chance(this.world.random.faults, f.drops?.dropBeforeRate);
  }

  dropAfter(action: string, region: string): boolean {
    const f = this.world.faults;
    return inScope(f.drops, action, region) && chance(this.world.random.faults, f.drops?.dropAfterRate);
  }

  serverError(action: string, region: string): GatewayError | undefined {
    const f = this.world.faults;
    if (!inScope(f.serverErrors, action, region) || !chance(this.world.random.faults, f.serverErrors?.rate)) return undefined;
    const statuses = f.serverErrors?.statuses ?? [503];
    const status = statuses[Math.floor(this.world.random.faults() * statuses.length)] ?? 503;
    return status === 503
      ? gatewayError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.')
      : gatewayError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.');
  }

  serviceFailure(action: string, region: string): ServiceFailureAnswer | undefined {
    const f = this.world.faults;
    if (!inScope(f.serviceFailure, action, region) || !chance(this.world.random.faults, f.serviceFailure?.rate)) return undefined;
    return { code: f.serviceFailure?.code ?? 'InvalidParams', message: f.serviceFailure?.message ?? 'Unsupported.Non.Whitelist.Operation' };
  }

  malformed(action: string, region: string): boolean {
    const f = this.world.faults;
    return inScope(f.malformed, action, region) && chance(this.world.random.faults, f.malformed?.rate);
  }
}
