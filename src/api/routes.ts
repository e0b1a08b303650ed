/** Pure routing and body parsing of the HTTP API (unit-tested without a server). */

export const ROUTES = [
  { name: 'createRollout', method: 'POST', path: '/v1/rollouts' },
  { name: 'listRollouts', method: 'GET', path: '/v1/rollouts' },
  { name: 'getRollout', method: 'GET', path: '/v1/rollouts/:id' },
  { name: 'getReport', method: 'GET', path: '/v1/rollouts/:id/report' },
  { name: 'pause', method: 'POST', path: '/v1/rollouts/:id/pause' },
  { name: 'resume', method: 'POST', path: '/v1/rollouts/:id/resume' },
  { name: 'cancel', method: 'POST', path: '/v1/rollouts/:id/cancel' },
  { name: 'approve', method: 'POST', path: '/v1/rollouts/:id/approve' },
  { name: 'setLimits', method: 'PATCH', path: '/v1/rollouts/:id/limits' },
  { name: 'openapi', method: 'GET', path: '/openapi.json' },
  { name: 'healthz', method: 'GET', path: '/healthz' },
] as const;
export type RouteName = (typeof ROUTES)[number]['name'];

/** Routes answered without a token (liveness probes and the API description). */
export const PUBLIC_ROUTES: ReadonlySet<RouteName> = new Set(['healthz', 'openapi']);

export type RouteMatch = { ok: true; route: RouteName; params: Record<string, string> } | { ok: false; status: 404 | 405; allow?: string[] };

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!;
    const seg = s[i]!;
    if (part.startsWith(':')) {
      if (!seg) return undefined;
      try {
        params[part.slice(1)] = decodeURIComponent(seg);
      } catch {
        return undefined;
      }
    } else if (part !== seg) return undefined;
  }
  return params;
}

export function matchRoute(method: string, pathname: string): RouteMatch {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const allow: string[] = [];
  for (const r of ROUTES) {
    const params = matchPath(r.path, path);
    if (!params) continue;
    if (r.method === method) return { ok: true, route: r.name, params };
    allow.push(r.method);
  }
  return allow.length ? { ok: false, status: 405, allow } : { ok: false, status: 404 };
}

export interface ApiProblem {
  path: string;
  message: string;
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 415; error: string };

/** Parses a JSON request body; an empty body is `undefined` (allowed where the route takes none). */
export function parseJsonBody(text: string, contentType: string | undefined): BodyResult {
  if (text.trim() === '') return { ok: true, value: undefined };
  if (contentType && !/^application\/(.+\+)?json\b/i.test(contentType)) {
    return { ok: false, status: 415, error: `Send JSON with Content-Type: application/json (got ${contentType.split(';')[0]}).` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, status: 400, error: `The body is not valid JSON (${err instanceof Error ? err.message : String(err)}).` };
  }
}

/** `{wave: n}` for approve. */
export function validateApproveBody(body: unknown): { ok: true; wave: number } | { ok: false; problems: ApiProblem[] } {
  const wave = (body as { wave?: unknown } | undefined)?.wave;
  if (typeof body !== 'object' || body === null) return { ok: false, problems: [{ path: '(body)', message: 'send {"wave": <1-based wave number>}' }] };
  const extra = Object.keys(body).filter((k) => k !== 'wave');
  const problems: ApiProblem[] = extra.map((k) => ({ path: k, message: 'unknown field' }));
  if (typeof wave !== 'number' || !Number.isInteger(wave) || wave < 1) problems.push({ path: 'wave', message: 'must be a whole number of at least 1' });
  return problems.length ? { ok: false, problems } : { ok: true, wave: wave as number };
}

/** `{reason?: string}` for cancel. */
export function validateCancelBody(body: unknown): { ok: true; reason?: string } | { ok: false; problems: ApiProblem[] } {
  if (body === undefined) return { ok: true };
  if (typeof body !== 'object' || body === null) return { ok: false, problems: [{ path: '(body)', message: 'send {} or {"reason": "…"}' }] };
  const problems: ApiProblem[] = Object.keys(body).filter((k) => k !== 'reason').map((k) => ({ path: k, message: 'unknown field' }));
  const reason = (body as { reason?: unknown }).reason;
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) problems.push({ path: 'reason', message: 'must be a string of at most 500 characters' });
  return problems.length ? { ok: false, problems } : { ok: true, ...(typeof reason === 'string' ? { reason } : {}) };
}
