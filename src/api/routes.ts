/**
 * The route table of `starwave serve` and its pure router. One table drives the server (src/api/server.ts),
 * the OpenAPI document (src/api/openapi.ts) and the tests: a route added here without a handler or without
 * documentation fails the type check or the docs test. Later surfaces (the dashboard, server-sent events)
 * add rows; a row says whether it needs the token and which path parameters it takes.
 */
import { isRolloutId } from '../client';
import { StarwaveError } from '../contracts/errors';
import { ASSET_NAMES } from './dashboard/assets';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH';

export interface RouteDef {
  name: string;
  methods: readonly Method[];
  /** `/v1/rollouts/{id}/pause`: `{name}` segments are path parameters (see PATH_PARAMS). */
  path: string;
  /** Answered without a token (liveness probes and the API description). */
  public?: boolean;
}

export const ROUTES = [
  { name: 'createRollout', methods: ['POST'], path: '/v1/rollouts' },
  { name: 'listRollouts', methods: ['GET'], path: '/v1/rollouts' },
  { name: 'getRollout', methods: ['GET'], path: '/v1/rollouts/{id}' },
  { name: 'getReport', methods: ['GET'], path: '/v1/rollouts/{id}/report' },
  { name: 'pause', methods: ['POST'], path: '/v1/rollouts/{id}/pause' },
  { name: 'resume', methods: ['POST'], path: '/v1/rollouts/{id}/resume' },
  { name: 'cancel', methods: ['POST'], path: '/v1/rollouts/{id}/cancel' },
  { name: 'approve', methods: ['POST'], path: '/v1/rollouts/{id}/approve' },
  { name: 'skip', methods: ['POST'], path: '/v1/rollouts/{id}/skip' },
  { name: 'setLimits', methods: ['PATCH'], path: '/v1/rollouts/{id}/limits' },
  { name: 'rolloutEvents', methods: ['GET'], path: '/v1/rollouts/{id}/events' },
  // The dashboard (src/api/dashboard): its pages carry no data (the script fetches it with the token), and
  // approve links are authenticated by their own signature, not by the bearer token.
  { name: 'dashboard', methods: ['GET'], path: '/', public: true },
  { name: 'dashboardRollout', methods: ['GET'], path: '/rollouts/{id}', public: true },
  { name: 'dashboardAsset', methods: ['GET'], path: '/dashboard/{asset}', public: true },
  { name: 'approveLinkPage', methods: ['GET'], path: '/approve', public: true },
  { name: 'approveLink', methods: ['POST'], path: '/approve', public: true },
  { name: 'openapi', methods: ['GET', 'HEAD'], path: '/openapi.json', public: true },
  { name: 'healthz', methods: ['GET', 'HEAD'], path: '/healthz', public: true },
] as const satisfies readonly RouteDef[];

export type RouteName = (typeof ROUTES)[number]['name'];
export type ControlRoute = 'pause' | 'resume' | 'cancel' | 'approve' | 'skip' | 'setLimits';

/** The 404 of every `{id}` that is not a rollout: the same sentence whether or not a workflow of that id exists. */
export function rolloutNotFound(id: string): StarwaveError {
  const shown = id.length > 120 ? `${id.slice(0, 120)}…` : id;
  return new StarwaveError('ERR_ROLLOUT_NOT_FOUND', `No rollout with id ${JSON.stringify(shown)} exists; GET /v1/rollouts lists them.`);
}

/** Path parameters: what a value must look like, else the route answers 404 (after authentication). */
export const PATH_PARAMS: Record<string, { accepts: (value: string) => boolean; notFound: (value: string) => StarwaveError; pattern: string; description: string }> = {
  id: {
    accepts: isRolloutId,
    notFound: rolloutNotFound,
    pattern: '^starwave-rollout-[A-Za-z0-9._:-]{1,200}$',
    description: 'Rollout id (its Temporal workflow id): starwave-rollout-<name> or starwave-rollout-req-<requestId>.',
  },
  asset: {
    accepts: (value) => ASSET_NAMES.includes(value),
    notFound: (value) => new StarwaveError('ERR_NOT_FOUND', `The dashboard has no file ${JSON.stringify(value.slice(0, 60))}.`),
    pattern: `^(${ASSET_NAMES.map((n) => n.replace(/\./g, '\\.')).join('|')})$`,
    description: 'A file of the dashboard (its script and stylesheet).',
  },
};

export type RouteMatch =
  | { ok: true; route: RouteName; params: Record<string, string>; isPublic: boolean; pattern: string }
  | { ok: false; status: 404 }
  | { ok: false; status: 405; allow: Method[] };

/** Matches decoded path segments against the table. Parameter values are checked later (after auth). */
export function matchRoute(method: string, segments: readonly string[]): RouteMatch {
  const allow = new Set<Method>();
  for (const route of ROUTES as readonly RouteDef[]) {
    const parts = route.path === '/' ? [] : route.path.split('/').slice(1);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < parts.length && matched; i++) {
      const part = parts[i]!;
      const segment = segments[i]!;
      if (part.startsWith('{')) {
        if (segment === '') matched = false;
        else params[part.slice(1, -1)] = segment;
      } else if (part !== segment) matched = false;
    }
    if (!matched) continue;
    if ((route.methods as readonly string[]).includes(method)) {
      return { ok: true, route: route.name as RouteName, params, isPublic: route.public === true, pattern: route.path };
    }
    for (const m of route.methods) allow.add(m);
  }
  return allow.size > 0 ? { ok: false, status: 405, allow: [...allow] } : { ok: false, status: 404 };
}

/** Throws the parameter's 404 when a value does not have its shape. */
export function checkPathParams(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) {
    const def = PATH_PARAMS[name];
    if (def && !def.accepts(value)) throw def.notFound(value);
  }
}
