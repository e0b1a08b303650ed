/**
 * The two pieces of undici the StarRocks client uses: its connection Pool and the request API. `require('undici')`
 * loads all of undici (fetch, WebSocket, EventSource, caches, mocks: 111 files), which measured ~50 ms of every CLI
 * start on Node 20 (`node -e "require('undici')"` 0.103 s against 0.050 s for an empty script; these two files alone
 * 0.065 s). `undici/lib/dispatcher/pool` and `undici/lib/api/api-request` are those pieces' own files in the exactly
 * pinned undici of package.json (undici publishes no "exports" map, so the paths are reachable); undici's index only
 * re-exports them (the request API is what it mixes into Dispatcher.prototype.request). test/unit/starrocks-http.test.ts
 * checks they are the very objects the index exports, so an upgrade that moves them fails a test instead of a start.
 * The request API runs on any dispatcher (`this.dispatch`), so an injected Agent or MockAgent works the same.
 */
import type { Dispatcher, Pool as UndiciPool } from 'undici';

export const Pool: typeof UndiciPool = require('undici/lib/dispatcher/pool');
export type Pool = UndiciPool;

/** Dispatcher.prototype.request, called with the dispatcher as `this`. */
export const requestApi: Dispatcher['request'] = require('undici/lib/api/api-request');

/** One request through `dispatcher`: `url` split into the origin and path undici's Dispatcher API takes. */
export function requestVia(
  dispatcher: Dispatcher,
  url: string,
  opts: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
): Promise<Dispatcher.ResponseData<unknown>> {
  const parsed = new URL(url);
  return requestApi.call(dispatcher, { ...opts, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
}
