/**
 * The HTTP trigger API (`starwave serve`): node:http, bearer-token auth, JSON bodies validated by the same spec
 * schema as the CLI, a request size limit, and the typed client (src/client) for everything Temporal.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import * as sw from '../client';
import { toCliError, EXIT } from '../cli/errors';
import { validateSpec } from '../planning/spec';
import { validateLimitsPatch } from '../workflows/rollout';
import { bearerTokenMatches } from './auth';
import { openApiText } from './openapi';
import { matchRoute, parseJsonBody, PUBLIC_ROUTES, validateApproveBody, validateCancelBody, type ApiProblem } from './routes';

/** Default request body limit: 256 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export interface ApiOptions {
  /** Returns a connected client; may throw TemporalUnreachableError (→ 503). Called per request (cache inside). */
  getClient: () => Promise<Client>;
  taskQueue: string;
  /** Required bearer token; undefined only when auth is deliberately off. */
  token: string | undefined;
  maxBodyBytes?: number;
  /** Access log line (never contains the token or bodies). */
  log?: (entry: Record<string, unknown>) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { code?: string; problems?: ApiProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new HttpError(413, `The body is larger than ${limit} bytes.`, { code: 'ERR_BODY_TOO_LARGE' }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `The body is larger than ${limit} bytes.`, { code: 'ERR_BODY_TOO_LARGE' }));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Maps errors from the client module to HTTP statuses. */
function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof WorkflowNotFoundError) return new HttpError(404, `No rollout with id "${err.workflowId}".`, { code: 'ERR_ROLLOUT_NOT_FOUND' });
  const cli = toCliError(err);
  if (cli.exitCode === EXIT.unreachable) return new HttpError(503, 'Temporal could not be reached; try again later.', { code: cli.code });
  if (cli.code === 'ERR_UPDATE_REJECTED') return new HttpError(400, cli.message, { code: cli.code });
  if (cli.code === 'ERR_SPEC_INVALID') return new HttpError(400, 'The rollout spec is invalid.', { code: cli.code });
  return new HttpError(500, 'Internal error.', { code: 'ERR_INTERNAL' });
}

export function createApiHandler(opts: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = opts.log ?? (() => {});

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const match = matchRoute(method, url.pathname);
    if (!match.ok) {
      if (match.status === 405) throw new HttpError(405, `${method} is not allowed here; use ${match.allow!.join(' or ')}.`, { headers: { allow: match.allow!.join(', ') } });
      throw new HttpError(404, `No route ${method} ${url.pathname}; see /openapi.json.`);
    }
    if (opts.token !== undefined && !PUBLIC_ROUTES.has(match.route) && !bearerTokenMatches(req.headers.authorization, opts.token)) {
      throw new HttpError(401, 'Missing or wrong bearer token: send Authorization: Bearer <token>.', { code: 'ERR_UNAUTHORIZED', headers: { 'www-authenticate': 'Bearer' } });
    }
    const id = match.params['id'] ?? '';
    const body = async (): Promise<unknown> => {
      const parsed = parseJsonBody(await readBody(req, limit), req.headers['content-type']);
      if (!parsed.ok) throw new HttpError(parsed.status, parsed.error, { code: 'ERR_BAD_BODY' });
      return parsed.value;
    };
    const ok = (status: number, value: unknown): number => {
      send(res, status, value);
      return status;
    };

    switch (match.route) {
      case 'healthz':
        return ok(200, { ok: true });
      case 'openapi':
        send(res, 200, openApiText());
        return 200;
      case 'createRollout': {
        const input = await body();
        const validated = validateSpec(input);
        if (!validated.ok) throw new HttpError(400, `The rollout spec is invalid (${validated.problems.length} problem(s)); nothing was started.`, { code: 'ERR_SPEC_INVALID', problems: validated.problems });
        const started = await sw.startRollout(await opts.getClient(), validated.spec, { taskQueue: opts.taskQueue, trigger: 'api' });
        return ok(started.existing ? 200 : 201, { ...started, links: { self: `/v1/rollouts/${encodeURIComponent(started.workflowId)}` } });
      }
      case 'listRollouts': {
        const status = url.searchParams.get('status');
        if (status !== null && !(sw.LIST_STATUSES as readonly string[]).includes(status)) {
          throw new HttpError(400, `status must be one of ${sw.LIST_STATUSES.join(', ')}.`, { problems: [{ path: 'status', message: 'unknown status' }] });
        }
        return ok(200, { rollouts: await sw.listRollouts(await opts.getClient(), status ? { status: status as sw.ListStatus } : {}) });
      }
      case 'getRollout': {
        const detail = url.searchParams.get('detail') ?? 'problems';
        if (!['summary', 'problems', 'all'].includes(detail)) throw new HttpError(400, 'detail must be summary, problems or all.', { problems: [{ path: 'detail', message: 'unknown value' }] });
        return ok(200, await sw.getProgress(await opts.getClient(), id, detail as sw.ProgressDetail));
      }
      case 'getReport': {
        const client = await opts.getClient();
        const description = await client.workflow.getHandle(id).describe();
        if (description.status.name === 'RUNNING') throw new HttpError(409, `Rollout ${id} is still running; GET /v1/rollouts/${id} shows its progress.`, { code: 'ERR_STILL_RUNNING' });
        return ok(200, await sw.getReport(client, id).catch((err: unknown) => {
          throw new HttpError(409, `Rollout ${id} did not produce a report: ${sw.describeFailure(err)}`, { code: 'ERR_ROLLOUT_FAILED' });
        }));
      }
      case 'pause':
      case 'resume': {
        await body();
        const client = await opts.getClient();
        return ok(200, match.route === 'pause' ? await sw.pause(client, id) : await sw.resume(client, id));
      }
      case 'cancel': {
        const v = validateCancelBody(await body());
        if (!v.ok) throw new HttpError(400, 'Invalid cancel body.', { problems: v.problems });
        return ok(200, await sw.cancel(await opts.getClient(), id, v.reason));
      }
      case 'approve': {
        const v = validateApproveBody(await body());
        if (!v.ok) throw new HttpError(400, 'Invalid approve body.', { problems: v.problems });
        return ok(200, await sw.approve(await opts.getClient(), id, v.wave));
      }
      case 'setLimits': {
        const patch = await body();
        try {
          // The same validator the workflow's update runs; checked here too so bad input never reaches Temporal.
          validateLimitsPatch(patch as sw.LimitsPatch);
        } catch (err) {
          const text = err instanceof Error ? err.message.replace(/^Invalid limits: /, '') : String(err);
          const problems = text.split('; ').map((p) => {
            const [path, ...rest] = p.split(': ');
            return rest.length ? { path: path!, message: rest.join(': ') } : { path: '(body)', message: p };
          });
          throw new HttpError(400, 'Invalid limits.', { code: 'ERR_LIMITS_INVALID', problems });
        }
        return ok(200, await sw.setLimits(await opts.getClient(), id, patch as sw.LimitsPatch));
      }
    }
  };

  return (req, res) => {
    const started = Date.now();
    handle(req, res)
      .catch((err: unknown) => {
        const e = toHttpError(err);
        if (e.status === 500) log({ level: 'ERROR', msg: 'request failed', error: err instanceof Error ? err.message : String(err) });
        send(res, e.status, { error: e.message, ...(e.extra.code ? { code: e.extra.code } : {}), ...(e.extra.problems ? { problems: e.extra.problems } : {}) }, e.extra.headers);
        return e.status;
      })
      .then((status) => log({ level: 'INFO', msg: 'request', method: req.method, path: (req.url ?? '').split('?')[0], status, ms: Date.now() - started }));
  };
}

export interface ApiServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(opts: ApiOptions & { port: number; host?: string }): Promise<ApiServer> {
  const server = createServer(createApiHandler(opts));
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
