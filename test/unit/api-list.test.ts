/** The list cache: identical requests share one visibility call; distinct ones are limited; failures are not kept. */
import { describe, expect, it } from 'vitest';
import { createListCache } from '../../src/api/list';
import { createPageTokens } from '../../src/api/page-token';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('list cache', () => {
  it('shares one call among 1,000 identical requests, and reuses its answer for ttlMs', async () => {
    let now = 0;
    const pending = deferred<string>();
    let calls = 0;
    const cache = createListCache<{ page: number }, string>(() => {
      calls++;
      return pending.promise;
    }, { ttlMs: 1_000, now: () => now });
    const all = Promise.all(Array.from({ length: 1_000 }, () => cache.get({ page: 1 })));
    pending.resolve('page 1');
    expect(new Set(await all)).toEqual(new Set(['page 1']));
    expect(calls).toBe(1);
    now = 999;
    await cache.get({ page: 1 });
    expect(calls).toBe(1);
    now = 2_000;
    await cache.get({ page: 1 });
    expect(calls).toBe(2);
  });

  it('runs at most maxConcurrent distinct calls at once and queues the rest', async () => {
    const gates: Array<ReturnType<typeof deferred<number>>> = [];
    let running = 0;
    let peak = 0;
    const cache = createListCache<number, number>(async (n) => {
      running++;
      peak = Math.max(peak, running);
      const gate = deferred<number>();
      gates.push(gate);
      try {
        return await gate.promise;
      } finally {
        running--;
      }
    }, { maxConcurrent: 3 });
    const results = Array.from({ length: 10 }, (_, i) => cache.get(i));
    for (let released = 0; released < 10; released++) {
      await new Promise((r) => setImmediate(r));
      gates[released]!.resolve(released);
    }
    expect(await Promise.all(results)).toHaveLength(10);
    expect(peak).toBe(3);
    expect(cache.calls).toBe(10);
  });

  it('does not keep failures', async () => {
    let calls = 0;
    const cache = createListCache<number, number>(async () => {
      calls++;
      if (calls === 1) throw new Error('visibility down');
      return 7;
    });
    await expect(cache.get(1)).rejects.toThrow('visibility down');
    expect(await cache.get(1)).toBe(7);
  });
});

describe('page tokens', () => {
  it('hands back only Temporal tokens it issued', () => {
    const tokens = createPageTokens();
    const temporalToken = Buffer.from('{"LastStartTime":1}');
    const token = tokens.issue(temporalToken);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(tokens.open(token))).toEqual(temporalToken);
    for (const forged of ['bm90LWEtdG9rZW4', Buffer.from('{"a":1}').toString('base64url'), createPageTokens().issue(temporalToken), `${token.slice(0, -2)}AA`, 'A']) {
      expect(() => tokens.open(forged), forged).toThrow(expect.objectContaining({ code: 'ERR_QUERY_INVALID' }));
    }
  });
});
