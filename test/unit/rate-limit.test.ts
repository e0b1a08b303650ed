import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket, parseRegionQps } from '../../src/starrocks/rate-limit';

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('lets a burst through, then paces to the rate, in arrival order', async () => {
    const bucket = new TokenBucket(20, 2);
    const started = performance.now();
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => bucket.acquire().then(() => order.push(i))));
    const elapsed = performance.now() - started;
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // 2 immediately, 3 more at 20/s → at least ~150 ms.
    expect(elapsed).toBeGreaterThanOrEqual(140);
  });
  it('an abort while waiting rejects with the reason and gives the token up to the next waiter', async () => {
    vi.useFakeTimers();
    let clock = 0;
    const bucket = new TokenBucket(1, 1, () => clock);
    await bucket.acquire();
    const ac = new AbortController();
    const aborted = bucket.acquire(ac.signal);
    const reason = new Error('cancelled');
    ac.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    // A second later one token is back; had the aborted waiter kept its place it would take it.
    clock = 1_000;
    await vi.advanceTimersByTimeAsync(1_000);
    let served = false;
    void bucket.acquire().then(() => (served = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(served).toBe(true);
  });

  it('an already aborted signal rejects at once and consumes nothing', async () => {
    const bucket = new TokenBucket(1, 1, () => 0);
    const ac = new AbortController();
    ac.abort();
    await expect(bucket.acquire(ac.signal)).rejects.toBeDefined();
    await expect(bucket.acquire()).resolves.toBeUndefined();
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });
});

describe('parseRegionQps', () => {
  it('accepts a number or a region map, and names the variable in errors', () => {
    expect(parseRegionQps(undefined)).toBeUndefined();
    expect(parseRegionQps('25')).toEqual({ '*': 25 });
    expect(parseRegionQps('{"cn-hangzhou":10,"*":5}')).toEqual({ 'cn-hangzhou': 10, '*': 5 });
    expect(() => parseRegionQps('-1')).toThrow(/STARWAVE_REGION_QPS must be a positive number/);
    expect(() => parseRegionQps('{"cn-hangzhou":"fast"}')).toThrow(/"cn-hangzhou" must be a positive number/);
    expect(() => parseRegionQps('nope')).toThrow(/STARWAVE_REGION_QPS/);
  });
});
