import { describe, expect, it } from 'vitest';
import { TokenBucket, parseRegionQps } from '../../src/starrocks/rate-limit';

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
