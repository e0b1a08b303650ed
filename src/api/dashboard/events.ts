/**
 * Live views for the dashboard: `GET /v1/rollouts/{id}/events` as server-sent events. One poller per rollout
 * id however many browsers watch it: it reads the progress (under the API's read deadline, through `read`),
 * builds the view (./view) and pushes it to every subscriber when it changed. It polls every `pollMs`, slower
 * when the answer is large (1 MiB of query answer and view waits 4 × pollMs), backs off while reads fail (each distinct
 * failure is pushed once, as a `problem` event with the API's sentence), stops when the last subscriber
 * leaves, and ends every stream after the view of a closed run (`end` event).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RolloutStatus } from '../../client';
import { StarwaveError } from '../../contracts/errors';
import { buildView, detailFor, type DashboardView } from './view';

export interface EventsOptions {
  /** Reads the rollout's status with a detail; throws coded StarwaveErrors (deadlines are the reader's). */
  read: (rolloutId: string, detail: 'summary' | 'all' | 'problems') => Promise<RolloutStatus>;
  /** Interval between reads of a watched rollout, ms. Default 1,000. */
  pollMs?: number;
  /** Longest interval (large views, failing reads), ms. Default 10,000. */
  maxPollMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream, ms. Default 15,000. */
  keepAliveMs?: number;
  /** A stream ends after this long (the browser reconnects at once), ms. Default 10 minutes. */
  maxStreamMs?: number;
  now?: () => number;
  /** Called with the message of a read that failed with an internal error (the server logs it). */
  onInternalError?: (message: string) => void;
  /** Timer (tests drive it); default setTimeout, unref'd. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

export type ViewMessage = { event: 'view'; id: number; view: DashboardView } | { event: 'problem'; error: string; code: string } | { event: 'end' };

interface Watch {
  subscribers: Set<(m: ViewMessage) => void>;
  last?: { json: string; id: number; view: DashboardView };
  lastProblem?: string;
  targets?: number;
  timer?: { cancel(): void };
  running: boolean;
  failures: number;
  ended: boolean;
}

const defaultTimer = (fn: () => void, ms: number): { cancel(): void } => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

/** A view's JSON without the build time, to tell whether anything changed. */
const comparable = (v: DashboardView): string => JSON.stringify({ ...v, atMs: 0 });

export interface RolloutEvents {
  /** The current view (reads once unless a poller has a fresh one); throws the read's error. */
  snapshot(rolloutId: string): Promise<DashboardView>;
  /**
   * Subscribes to a rollout's views; the first message is the current view (`initial`, a view just read,
   * when no poller has one: the next read then waits a poll interval). Returns the unsubscribe.
   */
  subscribe(rolloutId: string, listener: (m: ViewMessage) => void, initial?: DashboardView): () => void;
  /** Rollouts being polled right now (tests and the log). */
  watched(): string[];
  /** Stops every poller (server shutdown). */
  close(): void;
}

export function createRolloutEvents(opts: EventsOptions): RolloutEvents {
  const pollMs = opts.pollMs ?? 1_000;
  const maxPollMs = opts.maxPollMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const setTimer = opts.setTimer ?? defaultTimer;
  const watches = new Map<string, Watch>();
  /** Number of targets per rollout seen lately (decides the detail of the first read). */
  const sizes = new Map<string, number>();

  /** The view, and how big the query's per-instance answer was (bytes): what a read costs the worker. */
  const read = async (id: string): Promise<{ view: DashboardView; answerBytes: number }> => {
    let targets = sizes.get(id);
    if (targets === undefined) {
      const summary = await opts.read(id, 'summary');
      targets = summary.progress?.counts.targets;
      if (targets === undefined || summary.executionStatus !== 'RUNNING') return { view: buildView(summary, detailFor(targets), now()), answerBytes: 0 };
    }
    const detail = detailFor(targets);
    const status = await opts.read(id, detail);
    const seen = status.progress?.counts.targets;
    if (seen !== undefined) {
      sizes.delete(id);
      sizes.set(id, seen);
      while (sizes.size > 1_000) sizes.delete(sizes.keys().next().value as string);
    }
    return { view: buildView(status, detail, now()), answerBytes: JSON.stringify(status.progress?.instances ?? []).length };
  };
  const readView = async (id: string): Promise<DashboardView> => (await read(id)).view;

  const broadcast = (w: Watch, m: ViewMessage): void => {
    for (const s of [...w.subscribers]) s(m);
  };

  const stop = (id: string, w: Watch): void => {
    w.timer?.cancel();
    w.timer = undefined;
    if (watches.get(id) === w) watches.delete(id);
  };

  const tick = async (id: string, w: Watch): Promise<void> => {
    w.timer = undefined;
    if (w.subscribers.size === 0) return stop(id, w);
    w.running = true;
    let delay = pollMs;
    try {
      const { view, answerBytes } = await read(id);
      w.failures = 0;
      w.lastProblem = undefined;
      const json = comparable(view);
      if (!w.last || w.last.json !== json) {
        w.last = { json, id: (w.last?.id ?? 0) + 1, view };
        broadcast(w, { event: 'view', id: w.last.id, view });
      }
      // Large views are read less often: reading and sending them costs the worker and the browser.
      delay = Math.min(maxPollMs, pollMs * Math.max(1, Math.ceil((json.length + answerBytes) / (256 * 1024))));
      if (view.final) {
        w.ended = true;
        broadcast(w, { event: 'end' });
        w.running = false;
        return stop(id, w);
      }
    } catch (err) {
      w.failures++;
      const e = err instanceof StarwaveError ? err : new StarwaveError('ERR_INTERNAL', err instanceof Error ? err.message : String(err));
      if (e.code === 'ERR_INTERNAL') opts.onInternalError?.(e.message);
      const text = `${e.code}:${e.message}`;
      if (w.lastProblem !== text) {
        w.lastProblem = text;
        broadcast(w, { event: 'problem', error: e.code === 'ERR_INTERNAL' ? 'Internal error; the server log has the details.' : e.message, code: e.code });
      }
      delay = Math.min(maxPollMs, pollMs * 2 ** Math.min(w.failures, 4));
    }
    w.running = false;
    if (w.subscribers.size === 0) return stop(id, w);
    w.timer = setTimer(() => void tick(id, w), delay);
  };

  return {
    async snapshot(id) {
      const w = watches.get(id);
      if (w?.last && !w.ended) return w.last.view;
      return readView(id);
    },
    subscribe(id, listener, initial) {
      let w = watches.get(id);
      if (!w || w.ended) {
        w = { subscribers: new Set(), running: false, failures: 0, ended: false };
        watches.set(id, w);
      }
      const watch = w;
      watch.subscribers.add(listener);
      let wait = 0;
      if (!watch.last && initial && !initial.final) {
        watch.last = { json: comparable(initial), id: 1, view: initial };
        wait = pollMs;
      }
      if (watch.last) listener({ event: 'view', id: watch.last.id, view: watch.last.view });
      else if (initial?.final) {
        // A closed run: its view, then the end.
        listener({ event: 'view', id: 1, view: initial });
        listener({ event: 'end' });
        return () => {
          watch.subscribers.delete(listener);
          if (watch.subscribers.size === 0 && !watch.running) stop(id, watch);
        };
      }
      if (!watch.running && !watch.timer) watch.timer = setTimer(() => void tick(id, watch), wait);
      return () => {
        watch.subscribers.delete(listener);
        if (watch.subscribers.size === 0 && !watch.running) stop(id, watch);
      };
    },
    watched: () => [...watches.keys()],
    close() {
      for (const [id, w] of [...watches]) {
        w.subscribers.clear();
        stop(id, w);
      }
    },
  };
}

/** Whether the request asks for the event stream (EventSource and the dashboard send `Accept: text/event-stream`). */
export function wantsEventStream(req: IncomingMessage): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(String(req.headers.accept ?? ''));
}

/** `event:`/`id:`/`data:` framing of one message (JSON is one line, so one data line). */
export function frame(m: ViewMessage): string {
  switch (m.event) {
    case 'view':
      return `id: ${m.id}\nevent: view\ndata: ${JSON.stringify(m.view)}\n\n`;
    case 'problem':
      return `event: problem\ndata: ${JSON.stringify({ error: m.error, code: m.code })}\n\n`;
    case 'end':
      return 'event: end\ndata: {}\n\n';
  }
}

/**
 * Serves one event stream until the client leaves, the run closes or `maxStreamMs` passes. The caller has
 * authenticated the request and read the first view (so a missing rollout is a plain 404, not a stream).
 * Resolves with the status for the access log when the stream ends.
 */
export function streamEvents(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  events: RolloutEvents,
  opts: Pick<EventsOptions, 'keepAliveMs' | 'maxStreamMs'> & { initial?: DashboardView } = {},
): Promise<number> {
  return new Promise((resolve) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(keepAlive);
      clearTimeout(lifetime);
      unsubscribe();
      res.end();
      resolve(200);
    };
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000);
    keepAlive.unref();
    const lifetime = setTimeout(finish, opts.maxStreamMs ?? 10 * 60_000);
    lifetime.unref();
    let unsubscribe = (): void => {};
    unsubscribe = events.subscribe(
      id,
      (m) => {
        if (done) return;
        res.write(frame(m));
        if (m.event === 'end') queueMicrotask(finish);
      },
      opts.initial,
    );
    // The response's close: the client went away or the server is closing (the request's own close only
    // says its body was read).
    res.on('close', finish);
    res.on('error', finish);
  });
}
