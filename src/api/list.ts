/**
 * `GET /v1/rollouts` under load: Temporal visibility is the slowest thing the API calls, and 1,000 callers
 * asking for the same page at once should cost one ListWorkflowExecutions, not 1,000. Identical requests
 * share one call while it runs and its answer for `ttlMs` after (visibility is eventually consistent anyway,
 * so a page a second old is as true as a fresh one); at most `maxConcurrent` distinct calls run at once and
 * the rest queue. Failures are not cached.
 */
export interface ListCacheOptions {
  /** How long an answer is reused, ms. Default 1,000. */
  ttlMs?: number;
  /** Distinct visibility calls in flight at once. Default 4. */
  maxConcurrent?: number;
  /** Answers kept (oldest dropped first). Default 500. */
  maxEntries?: number;
  now?: () => number;
}

export interface ListCache<Q, T> {
  get(query: Q): Promise<T>;
  /** Visibility calls made so far (tests and the load script read it). */
  readonly calls: number;
}

export function createListCache<Q, T>(fetch: (query: Q) => Promise<T>, opts: ListCacheOptions = {}): ListCache<Q, T> {
  const ttlMs = opts.ttlMs ?? 1_000;
  const maxConcurrent = opts.maxConcurrent ?? 4;
  const maxEntries = opts.maxEntries ?? 500;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { atMs: number; pending: boolean; value: Promise<T> }>();
  const waiting: Array<() => void> = [];
  let running = 0;
  let calls = 0;

  const slot = async (): Promise<void> => {
    if (running < maxConcurrent) {
      running++;
      return;
    }
    // The releasing call hands its slot over directly, so `running` stays counted.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  const limited = async (query: Q): Promise<T> => {
    await slot();
    try {
      calls++;
      return await fetch(query);
    } finally {
      release();
    }
  };

  return {
    get(query: Q): Promise<T> {
      const key = JSON.stringify(query, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
      const hit = entries.get(key);
      if (hit && (hit.pending || now() - hit.atMs < ttlMs)) return hit.value;
      const value = limited(query);
      // Callers arriving while the call runs share it; its answer then lives ttlMs from when it came.
      const entry = { atMs: now(), pending: true, value };
      entries.delete(key);
      entries.set(key, entry);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      value.then(
        () => {
          entry.atMs = now();
          entry.pending = false;
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return value;
    },
    get calls() {
      return calls;
    },
  };
}
