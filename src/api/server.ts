/**
 * The HTTP API (`starwave serve`): node:http, the route table of ./routes, bearer-token auth, JSON bodies
 * validated by the zod schemas the workflow itself enforces (./schemas), and the typed client (src/client)
 * for everything Temporal — every call under a deadline, every error a coded StarwaveError whose HTTP status
 * comes from the registry (src/contracts/errors).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Client } from '@temporalio/client';
import * as sw from '../client';
import { listRolloutPage, type RolloutPage, type RolloutPageQuery } from '../client/api-list';
import { StarwaveError, type Problem } from '../contracts/errors';
import { WORKFLOW_TYPE, type RolloutReport } from '../contracts/rollout';
import { validateSpec } from '../contracts/spec';
import { bearerTokenMatches, callerIdentity } from './auth';
import { parseJsonBody, parseRequestTarget, readBody, type BodyValue } from './http';
import { createListCache, type ListCacheOptions } from './list';
import { createPageTokens } from './page-token';
import { openApiText } from './openapi';
import { checkPathParams, matchRoute, rolloutNotFound, type ControlRoute, type RouteName } from './routes';
import { listQuerySchema, parseControlBody, parseQuery, progressQuerySchema } from './schemas';
import { ASSETS } from './dashboard/assets';
import { approveByLink, approveLinkPage, bodyErrorPage, tokenOfBody, type ApproveLinkDeps } from './dashboard/approve';
import { createRolloutEvents, streamEvents, wantsEventStream, type EventsOptions } from './dashboard/events';
import { listPage, rolloutPage, sendHtml } from './dashboard/pages';

import { DEFAULT_MAX_BODY_BYTES, DEFAULT_PAGE_SIZE, DEFAULT_READ_TIMEOUT_MS, DEFAULT_UPDATE_TIMEOUT_MS } from './defaults';

export { DEFAULT_MAX_BODY_BYTES, DEFAULT_PAGE_SIZE, DEFAULT_READ_TIMEOUT_MS, DEFAULT_UPDATE_TIMEOUT_MS } from './defaults';

export interface ApiOptions {
  /** Returns a connected client; may throw TemporalUnreachableError (→ 503). Called per request (cache inside). */
  getClient: () => Promise<Client>;
  taskQueue: string;
  /** Required bearer token; undefined only when auth is deliberately off. */
  token: string | undefined;
  /** Temporal's address, for sentences ("Temporal at 127.0.0.1:7233 …"). */
  temporalAddress?: string;
  maxBodyBytes?: number;
  readTimeoutMs?: number;
  updateTimeoutMs?: number;
  /** GET /v1/rollouts answer cache and visibility concurrency limit. */
  listCache?: ListCacheOptions;
  /** Access log line: method, route, rollout id, status, ms, code. Never the token, query, userinfo or body. */
  log?: (entry: Record<string, unknown>) => void;
  /** Key of approve links (STARWAVE_APPROVE_LINK_SECRET); absent → /approve answers that links are not enabled. */
  approveLinkSecret?: string;
  /** The dashboard's live views (GET /v1/rollouts/{id}/events): poll interval and stream limits. */
  events?: Pick<EventsOptions, 'pollMs' | 'maxPollMs' | 'keepAliveMs' | 'maxStreamMs'>;
  /** Wall clock (approve-link expiry), epoch ms. */
  now?: () => number;
}

/** The request handler; `close()` stops the live-view pollers (startApiServer calls it). */
export type ApiHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { close(): void };

interface ErrorBody {
  error: string;
  code: string;
  problems?: Problem[];
  state?: Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Rejects after `ms` with `onTimeout()` unless `work` settles first (a guard over the gRPC deadline). */
function within<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, guard]).finally(() => clearTimeout(timer));
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

let openApiCache: string | undefined;

export function createApiHandler(opts: ApiOptions): ApiHandler {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const readMs = opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const updateMs = opts.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS;
  const log = opts.log ?? (() => {});
  const by = callerIdentity(opts.token);
  const at = opts.temporalAddress ? ` at ${opts.temporalAddress}` : '';

  const connect = (): Promise<Client> =>
    within(opts.getClient(), readMs + 1_000, () => new StarwaveError('ERR_TEMPORAL_UNREACHABLE', `Temporal${at} could not be reached within ${seconds(readMs)}; check that it runs (nothing was done).`)).catch(
      (err: unknown) => {
        const e = sw.toStarwaveError(err);
        throw e.code === 'ERR_INTERNAL' ? new StarwaveError('ERR_TEMPORAL_UNREACHABLE', `Temporal${at} could not be reached (${e.message}).`) : e;
      },
    );

  /** Is Temporal itself answering? (Tells "Temporal is down" from "Temporal is slow" after a timeout.) */
  const temporalAnswers = async (client: Client): Promise<boolean> => {
    try {
      const probe = client.withDeadline(Date.now() + 1_500, () => client.workflowService.getSystemInfo({}));
      await within(probe, 2_000, () => new Error('no answer'));
      return true;
    } catch {
      return false;
    }
  };

  /**
   * Runs Temporal work under a deadline. A timeout becomes one sentence saying what is missing: Temporal
   * (503 ERR_TEMPORAL_UNREACHABLE), a worker (503 ERR_NO_WORKER, from the client), or neither (504 ERR_TIMEOUT).
   */
  const temporal = async <T>(what: string, ms: number, fn: (client: Client) => Promise<T>, guardMs = ms + 1_000): Promise<T> => {
    const client = await connect();
    const timeout = (): StarwaveError => new StarwaveError('ERR_TIMEOUT', `Temporal did not answer ${what} within ${seconds(ms)}.`);
    try {
      return await within(
        client.withDeadline(Date.now() + ms, () => fn(client)),
        guardMs,
        timeout,
      );
    } catch (err) {
      const e = sw.toStarwaveError(err, { what });
      if (e.code === 'ERR_TEMPORAL_UNREACHABLE') throw new StarwaveError('ERR_TEMPORAL_UNREACHABLE', `Temporal${at} could not be reached for ${what}; check that it runs (${e.message}).`);
      if (e.code !== 'ERR_TIMEOUT') throw e;
      if (!(await temporalAnswers(client))) {
        throw new StarwaveError('ERR_TEMPORAL_UNREACHABLE', `Temporal${at} is not answering: ${what} got no answer within ${seconds(ms)}; check that Temporal runs.`);
      }
      throw new StarwaveError('ERR_TIMEOUT', `Temporal${at} is up but ${what} got no answer within ${seconds(ms)}; try again (if it keeps happening, the rollout's worker may be overloaded).`);
    }
  };

  const listCache = createListCache<RolloutPageQuery, RolloutPage>((q) => temporal('the list of rollouts', readMs, (client) => listRolloutPage(client, q)), opts.listCache);
  const pageTokens = createPageTokens();

  /** The rollout's description, or the one 404 for anything that is not a rollout. */
  const describeRollout = async (client: Client, id: string): Promise<{ status: string; taskQueue: string; runId: string }> => {
    try {
      const d = await client.workflow.getHandle(id).describe();
      if (d.type !== WORKFLOW_TYPE) throw rolloutNotFound(id);
      return { status: d.status.name, taskQueue: d.taskQueue, runId: d.runId };
    } catch (err) {
      const e = sw.toStarwaveError(err);
      throw e.code === 'ERR_ROLLOUT_NOT_FOUND' ? rolloutNotFound(id) : err;
    }
  };

  /** The final state of a closed rollout, for 409 answers (phase from its report when it has one). */
  const finalState = async (client: Client, id: string): Promise<Record<string, unknown>> => {
    const status = await sw.getProgress(client, id, { detail: 'summary', timeoutMs: readMs });
    return {
      workflowId: status.workflowId,
      runId: status.runId,
      executionStatus: status.executionStatus,
      ...(status.progress ? { phase: status.progress.phase, counts: status.progress.counts } : {}),
      ...(status.failure ? { failure: status.failure } : {}),
    };
  };

  const finished = (id: string, action: string, state: Record<string, unknown>): StarwaveError & { state?: Record<string, unknown> } => {
    const e = new StarwaveError('ERR_ROLLOUT_FINISHED', `Rollout ${id} has finished (${String(state['phase'] ?? String(state['executionStatus']).toLowerCase())}); there is nothing left to ${action}.`);
    return Object.assign(e, { state });
  };

  /** Sends a control update as `who` (default: the caller's token identity; approve links pass their own). */
  const control = async (route: ControlRoute, id: string, body: BodyValue, who: string = by): Promise<sw.ControlAck> => {
    const message = parseControlBody(route, body, who);
    const action = route === 'setLimits' ? 'change' : route;
    const client = await connect();
    // Checked before anything is sent: a finished rollout gets 409 with its final state, and without a
    // worker nothing is sent (an update would otherwise wait for a worker that may never come).
    const d = await temporal(`the state of ${id}`, readMs, (c) => describeRollout(c, id));
    if (d.status !== 'RUNNING') throw finished(id, action, await temporal(`the final state of ${id}`, readMs, (c) => finalState(c, id)));
    if (!(await temporal(`the workers of task queue "${d.taskQueue}"`, readMs, (c) => sw.hasWorker(c, d.taskQueue)))) {
      throw new StarwaveError(
        'ERR_NO_WORKER',
        `No starwave worker is polling task queue "${d.taskQueue}", so the ${route} was not sent: start one with "starwave worker --task-queue ${d.taskQueue}" and try again.`,
      );
    }
    const o = { by: message.by ?? who, timeoutMs: updateMs };
    try {
      // The client's own deadline (timeoutMs) comes first; the guard leaves room for its "no worker" check.
      return await temporal(`the ${route} of ${id}`, updateMs, async () => {
        switch (route) {
          case 'pause':
            return sw.pause(client, id, o);
          case 'resume':
            return sw.resume(client, id, o);
          case 'cancel':
            return sw.cancel(client, id, (message as { reason?: string }).reason, o);
          case 'approve':
            return sw.approve(client, id, (message as { wave: number }).wave, o);
          case 'skip':
            return sw.skip(client, id, (message as { instanceId: string }).instanceId, o);
          case 'setLimits': {
            const { by: _by, ...patch } = message as sw.LimitsPatch;
            return sw.setLimits(client, id, patch, o);
          }
        }
      }, updateMs + 2_000);
    } catch (err) {
      // It finished between the check and the update.
      if (sw.toStarwaveError(err).code === 'ERR_ROLLOUT_FINISHED') throw finished(id, action, await temporal(`the final state of ${id}`, readMs, (c) => finalState(c, id)));
      throw err;
    }
  };

  /** A rollout's status under the read deadline; the query's own deadline is shorter, so "no worker" can be told apart. */
  const readStatus = (id: string, detail: sw.ProgressDetail): Promise<sw.RolloutStatus> =>
    temporal(`the progress of ${id}`, readMs, (client) => sw.getProgress(client, id, { detail, timeoutMs: readMs }), readMs + 2_000).catch((err: unknown) => {
      throw sw.toStarwaveError(err).code === 'ERR_ROLLOUT_NOT_FOUND' ? rolloutNotFound(id) : err;
    });

  const events = createRolloutEvents({
    read: readStatus,
    ...opts.events,
    onInternalError: (message) => log({ level: 'ERROR', msg: 'live view read failed', error: message.slice(0, 500) }),
  });

  const approveDeps: ApproveLinkDeps = {
    secret: opts.approveLinkSecret,
    now: opts.now ?? Date.now,
    read: (id) => readStatus(id, 'summary'),
    approve: (id, wave, who) => control('approve', id, { present: true, value: { wave } }, who),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: Record<string, unknown>): Promise<number> => {
    const target = parseRequestTarget(req.url);
    const method = req.method ?? 'GET';
    const match = matchRoute(method, target.segments);
    if (!match.ok) {
      if (match.status === 405) {
        const allow = match.allow.join(', ');
        throw Object.assign(new StarwaveError('ERR_METHOD_NOT_ALLOWED', `${method.slice(0, 20)} is not allowed here; use ${match.allow.join(' or ')}.`), { headers: { allow } });
      }
      throw new StarwaveError('ERR_NOT_FOUND', `No such route (${method.slice(0, 20)} ${target.path.slice(0, 200)}); /openapi.json lists the routes.`);
    }
    entry['route'] = match.pattern;
    if (opts.token !== undefined && !match.isPublic && !bearerTokenMatches(req.headers.authorization, opts.token)) {
      throw Object.assign(new StarwaveError('ERR_UNAUTHORIZED', 'Missing or wrong bearer token: send Authorization: Bearer <token>.'), { headers: { 'www-authenticate': 'Bearer' } });
    }
    checkPathParams(match.params);
    const id = match.params['id'] ?? '';
    if (id) entry['id'] = id;
    const body = async (): Promise<BodyValue> => parseJsonBody(await readBody(req, limit), req.headers['content-type']);
    const ok = (status: number, value: unknown): number => {
      send(res, status, value);
      return status;
    };
    const route: RouteName = match.route;
    switch (route) {
      case 'healthz':
        return ok(200, { ok: true });
      case 'openapi':
        send(res, 200, (openApiCache ??= openApiText()));
        return 200;
      case 'createRollout': {
        const input = await body();
        const validated = validateSpec(input.present ? input.value : undefined);
        if (!validated.ok) {
          throw new StarwaveError('ERR_SPEC_INVALID', `The rollout spec is invalid (${validated.problems.length} problem${validated.problems.length === 1 ? '' : 's'}); nothing was started.`, {
            problems: validated.problems,
          });
        }
        const started = await temporal('the start of the rollout', updateMs, (client) => sw.startRollout(client, validated.spec, { taskQueue: opts.taskQueue, trigger: by }));
        entry['id'] = started.workflowId;
        return ok(started.existing ? 200 : 201, { ...started, links: { self: `/v1/rollouts/${started.workflowId}` } });
      }
      case 'listRollouts': {
        const q = parseQuery(listQuerySchema, target.query);
        const filters = { pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE, ...(q.status ? { status: q.status } : {}), ...(q.name ? { name: q.name } : {}), ...(q.region ? { region: q.region } : {}) };
        const page = await listCache.get({ ...filters, ...(q.pageToken ? { pageToken: pageTokens.open(q.pageToken) } : {}) });
        return ok(200, { rollouts: page.rollouts, ...(page.nextPageToken ? { nextPageToken: pageTokens.issue(page.nextPageToken) } : {}) });
      }
      case 'getRollout': {
        const q = parseQuery(progressQuerySchema, target.query);
        return ok(200, await readStatus(id, q.detail ?? 'problems'));
      }
      case 'rolloutEvents': {
        // The first view is read before anything is streamed: an unknown rollout, a missing worker or Temporal
        // is a plain JSON error with its status, not a stream.
        const first = await events.snapshot(id);
        if (!wantsEventStream(req)) return ok(200, first);
        return streamEvents(req, res, id, events, { ...opts.events, initial: first });
      }
      case 'dashboard':
        return sendHtml(res, 200, listPage());
      case 'dashboardRollout':
        return sendHtml(res, 200, rolloutPage(id));
      case 'dashboardAsset': {
        const asset = ASSETS[match.params['asset']!]!;
        const headers = { 'content-type': asset.contentType, etag: asset.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', vary: 'accept-encoding' };
        if (req.headers['if-none-match'] === asset.etag) {
          res.writeHead(304, headers);
          res.end();
          return 304;
        }
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        const bytes = gzip ? asset.gzip : Buffer.from(asset.body);
        res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': bytes.length });
        res.end(bytes);
        return 200;
      }
      case 'approveLinkPage': {
        const token = target.query.getAll('t');
        const page = await approveLinkPage(approveDeps, token.length === 1 ? token[0] : undefined);
        if (page.internal) log({ level: 'ERROR', msg: 'request failed', route: entry['route'], error: page.internal.slice(0, 500) });
        return sendHtml(res, page.status, page.html);
      }
      case 'approveLink': {
        let token: string | undefined;
        try {
          token = tokenOfBody(await readBody(req, limit), req.headers['content-type']);
        } catch (err) {
          const page = bodyErrorPage(err);
          return sendHtml(res, page.status, page.html);
        }
        const page = await approveByLink(approveDeps, token);
        if (page.internal) log({ level: 'ERROR', msg: 'request failed', route: entry['route'], error: page.internal.slice(0, 500) });
        if (page.rolloutId) entry['id'] = page.rolloutId;
        if (page.by) entry['by'] = page.by;
        return sendHtml(res, page.status, page.html);
      }
      case 'getReport': {
        const report = await temporal(`the report of ${id}`, readMs, async (client) => {
          const d = await describeRollout(client, id);
          if (d.status === 'RUNNING') throw new StarwaveError('ERR_STILL_RUNNING', `Rollout ${id} is still running, so it has no report yet; GET /v1/rollouts/${id} shows its progress.`);
          if (d.status !== 'COMPLETED') {
            const state = await finalState(client, id);
            throw Object.assign(new StarwaveError('ERR_ROLLOUT_FAILED', `Rollout ${id} ended ${d.status.toLowerCase()} without a report${state['failure'] ? `: ${String(state['failure'])}` : '.'}`), { state });
          }
          return (await client.workflow.getHandle(id, d.runId).result()) as RolloutReport;
        });
        return ok(200, report);
      }
      case 'pause':
      case 'resume':
      case 'cancel':
      case 'approve':
      case 'skip':
      case 'setLimits':
        return ok(200, await control(route, id, await body()));
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const entry: Record<string, unknown> = { level: 'INFO', msg: 'request', method: String(req.method).slice(0, 20) };
    handle(req, res, entry)
      .catch((err: unknown) => {
        const e = sw.toStarwaveError(err);
        const extra = err as { headers?: Record<string, string>; state?: Record<string, unknown> };
        const status = e.httpStatus;
        if (status >= 500 && e.code === 'ERR_INTERNAL') {
          log({ level: 'ERROR', msg: 'request failed', route: entry['route'] ?? null, error: e.message.slice(0, 500) });
        }
        const body: ErrorBody = {
          error: e.code === 'ERR_INTERNAL' ? 'Internal error; the server log has the details.' : e.message,
          code: e.code,
          ...(e.problems.length ? { problems: e.problems } : {}),
          ...(extra.state ? { state: extra.state } : {}),
        };
        entry['code'] = e.code;
        send(res, status, body, extra.headers);
        return status;
      })
      .then((status) => log({ ...entry, status, ms: Date.now() - started }));
  };
  return Object.assign(handler, { close: () => events.close() });
}

export interface ApiServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** A JSON 400 for requests node:http cannot parse at all (it would otherwise answer a bare 400, or nothing). */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = `${JSON.stringify({ error: tooLarge ? 'The request headers are too large.' : 'The request could not be parsed as HTTP/1.1.', code: tooLarge ? 'ERR_BAD_REQUEST_TARGET' : 'ERR_BAD_REQUEST_TARGET' })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function startApiServer(opts: ApiOptions & { port: number; host?: string }): Promise<ApiServer> {
  const handler = createApiHandler(opts);
  const server = createServer(handler);
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        handler.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
