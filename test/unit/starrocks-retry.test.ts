/** withRetries with a fake sleep and a pinned random: which errors are retried, how long it waits, how it gives up. */
import { describe, expect, it } from 'vitest';
import { StarRocksApiError, StarRocksInputError, StarRocksNotSentError, type ErrorClass } from '../../src/starrocks/errors';
import { withRetries, type RetryEvent, type RetryOptions } from '../../src/starrocks/retry';

function apiError(errorClass: ErrorClass, extra: { retryAfterMs?: number; outcomeUnknown?: boolean } = {}): StarRocksApiError {
  return new StarRocksApiError({
    errorClass,
    action: 'DescribeInstances',
    region: 'cn-hangzhou',
    requestId: `REQ-${errorClass}`,
    outcomeUnknown: extra.outcomeUnknown ?? false,
    ...(extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
  });
}

/** fn that fails with `errors` in turn, then answers 'ok'; records attempts and waits. */
function scripted(errors: unknown[], opts: Partial<RetryOptions> = {}) {
  const slept: number[] = [];
  const retries: RetryEvent[] = [];
  let calls = 0;
  const run = () =>
    withRetries(
      async (attempt) => {
        calls++;
        expect(attempt).toBe(calls);
        const e = errors[calls - 1];
        if (e !== undefined) throw e;
        return 'ok';
      },
      {
        sleep: async (ms) => void slept.push(ms),
        onRetry: (ev) => retries.push(ev),
        random: () => 0.5,
        ...opts,
      },
    );
  return { run, slept, retries, calls: () => calls };
}

describe('withRetries', () => {
  it('retries throttled and transient failures with exponential backoff and jitter, then succeeds', async () => {
    const s = scripted([apiError('throttled'), apiError('transient'), apiError('transient')], { attempts: 4, initialDelayMs: 100, maxDelayMs: 10_000 });
    await expect(s.run()).resolves.toBe('ok');
    expect(s.calls()).toBe(4);
    // base 100, 200, 400; with random 0.5 each wait is 3/4 of its base.
    expect(s.slept).toEqual([75, 150, 300]);
    expect(s.retries.map((r) => [r.attempt, r.delayMs, r.error.errorClass])).toEqual([
      [1, 75, 'throttled'],
      [2, 150, 'transient'],
      [3, 300, 'transient'],
    ]);
  });

  it('jitter stays between half and all of the capped backoff', async () => {
    for (const [random, expected] of [
      [0, [500, 1_000, 1_000]],
      [0.999999, [1_000, 2_000, 2_000]],
    ] as const) {
      const s = scripted([apiError('transient'), apiError('transient'), apiError('transient')], {
        attempts: 4,
        initialDelayMs: 1_000,
        maxDelayMs: 2_000,
        random: () => random,
      });
      await s.run();
      expect(s.slept).toEqual(expected);
    }
  });

  it("honours the service's retryAfterMs when it is longer than the backoff, even above maxDelayMs", async () => {
    const s = scripted([apiError('throttled', { retryAfterMs: 30_000 }), apiError('throttled', { retryAfterMs: 10 })], {
      initialDelayMs: 100,
      maxDelayMs: 1_000,
    });
    await s.run();
    expect(s.slept).toEqual([30_000, 150]);
  });

  it('gives up after `attempts` and throws the last error, same object and code, with a sentence about the attempts', async () => {
    const last = apiError('transient');
    const s = scripted([apiError('throttled'), apiError('transient'), last], { attempts: 3 });
    const err = await s.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBe(last);
    expect(last.code).toBe('ERR_STARROCKS_TRANSIENT');
    expect(last.message).toBe(
      'StarRocks DescribeInstances in region cn-hangzhou failed transiently; RequestId REQ-transient. Gave up after 3 attempts, all failed (1 throttled, 2 transient).',
    );
    expect(String(last)).toContain('Gave up after 3 attempts');
    expect(last.stack).toContain('Gave up after 3 attempts');
    expect(s.calls()).toBe(3);
    expect(s.slept).toHaveLength(2);
  });

  it('attempts: 1 never retries but still says it gave up', async () => {
    const s = scripted([apiError('throttled')], { attempts: 1 });
    await expect(s.run()).rejects.toThrow(/Gave up after 1 attempt, all failed \(1 throttled\)\.$/);
    expect(s.slept).toEqual([]);
  });

  it.each(['busy', 'auth', 'permission', 'bad_request', 'not_found', 'unsupported'] as ErrorClass[])(
    'does not retry %s: thrown at once, unchanged',
    async (errorClass) => {
      const e = apiError(errorClass);
      const message = e.message;
      const s = scripted([e]);
      await expect(s.run()).rejects.toBe(e);
      expect(e.message).toBe(message);
      expect(s.calls()).toBe(1);
      expect(s.slept).toEqual([]);
    },
  );

  it('does not retry errors that are not API failures (input errors, not-sent, anything else)', async () => {
    for (const e of [
      new StarRocksInputError('instanceId', 'bad id'),
      new StarRocksNotSentError({ action: 'RestartInstance', region: 'cn-hangzhou', reason: 'aborted', nowMs: 0 }),
      new TypeError('boom'),
    ]) {
      const s = scripted([e]);
      await expect(s.run()).rejects.toBe(e);
      expect(s.calls()).toBe(1);
    }
  });

  it('a retryable failure followed by a fatal one stops there and says so', async () => {
    const fatal = apiError('permission');
    const s = scripted([apiError('throttled'), fatal]);
    await expect(s.run()).rejects.toBe(fatal);
    expect(fatal.message).toMatch(/Stopped after 2 attempts \(1 throttled, 1 permission\): the last failure is not one a retry can fix\.$/);
    expect(s.calls()).toBe(2);
  });

  it('repeatable: false never repeats a call whose outcome is unknown (a restart must not be sent twice)', async () => {
    const unknown = apiError('transient', { outcomeUnknown: true });
    const s = scripted([apiError('throttled'), unknown], { repeatable: false });
    await expect(s.run()).rejects.toBe(unknown);
    expect(unknown.message).toMatch(/not safe to repeat\.$/);
    expect(s.calls()).toBe(2);
    // Reads (the default) do repeat it.
    const r = scripted([apiError('transient', { outcomeUnknown: true })]);
    await expect(r.run()).resolves.toBe('ok');
  });

  it('rejects bad options before calling fn', async () => {
    for (const [field, opts] of [
      ['attempts', { attempts: 0 }],
      ['attempts', { attempts: 1.5 }],
      ['initialDelayMs', { initialDelayMs: -1 }],
      ['maxDelayMs', { initialDelayMs: 1_000, maxDelayMs: 10 }],
    ] as Array<[string, RetryOptions]>) {
      const s = scripted([], opts);
      const err = await s.run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StarRocksInputError);
      expect((err as StarRocksInputError).field).toBe(field);
      expect(s.calls()).toBe(0);
    }
  });
});
