/**
 * A client-side token bucket per region, so starwave stays under each regional gateway's quota on
 * its own instead of leaning on throttling answers. Waiters are served in arrival order.
 */
export interface RateLimiter {
  /**
   * Resolves when one request may be sent. With a `signal`, an abort while waiting rejects with
   * the signal's reason and gives the place in the queue up (no token is consumed).
   */
  acquire(signal?: AbortSignal): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  /** Detaches the abort listener once the waiter is served. */
  detach: () => void;
}

export class TokenBucket implements RateLimiter {
  private tokens: number;
  private updatedMs: number;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param requestsPerSecond sustained rate
   * @param burst bucket capacity (default: one second's worth, at least 1)
   */
  constructor(
    private readonly requestsPerSecond: number,
    private readonly burst = Math.max(1, Math.ceil(requestsPerSecond)),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(requestsPerSecond > 0)) throw new RangeError('requestsPerSecond must be a positive number');
    this.tokens = burst;
    this.updatedMs = now();
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = { resolve, detach: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedMs) / 1000) * this.requestsPerSecond);
    this.updatedMs = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) / this.requestsPerSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        const waiter = this.waiters.shift()!;
        waiter.detach();
        waiter.resolve();
      }
      if (this.waiters.length > 0) this.schedule();
    }, waitMs);
    this.timer.unref?.();
  }
}

/** Parses STARWAVE_REGION_QPS: a number for every region, or JSON `{"cn-hangzhou": 20, "*": 10}`. */
export function parseRegionQps(value: string | undefined, source = 'STARWAVE_REGION_QPS'): Record<string, number> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const asNumber = Number(value);
  if (Number.isFinite(asNumber)) {
    if (asNumber <= 0) throw new Error(`${source} must be a positive number of requests per second, e.g. ${source}=20.`);
    return { '*': asNumber };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${source} must be a number or a JSON object of region → requests per second, e.g. {"cn-hangzhou":20,"*":10}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source} must be a JSON object of region → requests per second, e.g. {"cn-hangzhou":20,"*":10}.`);
  }
  const out: Record<string, number> = {};
  for (const [region, qps] of Object.entries(parsed)) {
    if (typeof qps !== 'number' || !(qps > 0)) throw new Error(`${source}: "${region}" must be a positive number of requests per second.`);
    out[region] = qps;
  }
  return out;
}
