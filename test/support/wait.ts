/**
 * Waiting for a condition in tests and dev scripts: poll until `fn` gives a value (anything but undefined or
 * false), or fail with a sentence naming what was awaited. Conditions, not sleeps: a test waits exactly as long as
 * the system under test takes, bounded by the timeout.
 */
export interface UntilOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /** Treat a thrown error as "not yet" (a server still starting). Default false: errors fail at once. */
  ignoreErrors?: boolean;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, opts: UntilOptions | number = {}): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 100, ignoreErrors = false } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | false;
    try {
      value = await fn();
    } catch (err) {
      if (!ignoreErrors) throw err;
      value = undefined;
    }
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${Math.round(timeoutMs / 100) / 10} s waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
