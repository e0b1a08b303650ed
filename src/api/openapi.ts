/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table (./routes) and the zod schemas the
 * server enforces (./schemas: the rollout spec, the control messages, the query parameters), translated to JSON
 * Schema by ./json-schema (refinements included, so the document cannot drift from the server).
 *
 * docs/openapi.json is this document and docs/rollout.schema.json the spec's JSON Schema alone; a unit test
 * (test/unit/api-docs.test.ts) fails when either is stale — regenerate with `npm run docs:generate`.
 */
import type { z } from 'zod';
import { version } from '../../package.json';
import { ERROR_CODES } from '../contracts/errors';
import { ROLLOUT_PHASES } from '../contracts/rollout';
import { LIST_STATUSES } from '../client/api-list';
import { PATH_PARAMS, ROUTES, type RouteName } from './routes';
import { CONTROL_BODIES, QUERY_SCHEMAS } from './schemas';
import { controlBodySchema, jsonSchemaOf, rolloutSpecJsonSchema, type Json } from './json-schema';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_PAGE_SIZE, DEFAULT_READ_TIMEOUT_MS, DEFAULT_UPDATE_TIMEOUT_MS } from './defaults';
import { APPROVE_LINK_TTL_SECONDS, APPROVE_TOKEN_PATTERN } from './approve-link';
import { FULL_DETAIL_LIMIT, ISSUES_SHOWN, SQUARE_CODES } from './dashboard/view';

const json = (schema: unknown): Json => ({ content: { 'application/json': { schema } } });
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const err = (description: string): Json => ({ description, ...json(ref('Error')) });

const counts = {
  type: 'object',
  required: ['targets', 'restarted', 'failed', 'skipped', 'deferred', 'notStarted', 'unknown', 'inFlight', 'waiting', 'down', 'pending'],
  properties: Object.fromEntries(['targets', 'restarted', 'failed', 'skipped', 'deferred', 'notStarted', 'unknown', 'inFlight', 'waiting', 'down', 'pending'].map((k) => [k, { type: 'integer', minimum: 0 }])),
};
const phase = { type: 'string', enum: [...ROLLOUT_PHASES] };
const limits = { type: 'object', required: ['concurrency', 'failureBudget'], properties: { concurrency: { type: 'object' }, failureBudget: { type: 'object' } } };

const COMPONENT_SCHEMAS: Record<string, unknown> = {
  Error: {
    type: 'object',
    required: ['error', 'code'],
    properties: {
      error: { type: 'string', description: 'One sentence saying what is wrong and what to do.' },
      code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'Stable error code (src/contracts/errors.ts).' },
      problems: {
        type: 'array',
        description: 'Every problem with the input, by path (`waves.sizes.0`, `by`, `pageSize`, `(body)`).',
        items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
      },
      state: { type: 'object', description: 'The final state of a finished rollout (409 ERR_ROLLOUT_FINISHED, ERR_ROLLOUT_FAILED): executionStatus, phase, counts, failure.' },
    },
  },
  Started: {
    type: 'object',
    required: ['workflowId', 'runId', 'existing', 'links'],
    properties: {
      workflowId: { type: 'string', pattern: PATH_PARAMS['id']!.pattern },
      runId: { type: 'string' },
      existing: { type: 'boolean', description: 'true: this requestId had already started a run; nothing new was started.' },
      links: { type: 'object', required: ['self'], properties: { self: { type: 'string' } } },
    },
  },
  RolloutPage: {
    type: 'object',
    required: ['rollouts'],
    properties: {
      rollouts: {
        type: 'array',
        items: {
          type: 'object',
          required: ['workflowId', 'runId', 'status', 'startTime', 'taskQueue'],
          properties: {
            workflowId: { type: 'string' },
            runId: { type: 'string' },
            status: { type: 'string', description: "Temporal's execution status: RUNNING, COMPLETED, FAILED, …" },
            startTime: { type: 'string', format: 'date-time' },
            closeTime: { type: 'string', format: 'date-time' },
            taskQueue: { type: 'string' },
            name: { type: 'string', description: 'spec.name (from the StarwaveName search attribute).' },
            phase: { type: 'string', description: 'Last phase the rollout reported (StarwavePhase).' },
          },
        },
      },
      nextPageToken: { type: 'string', description: 'Pass as pageToken (same filters) for the next page; absent on the last page.' },
    },
  },
  RolloutProgress: {
    type: 'object',
    description: 'RolloutProgress of src/contracts/rollout.ts.',
    required: ['rolloutId', 'name', 'phase', 'paused', 'cancelRequested', 'waves', 'counts', 'instances'],
    properties: {
      rolloutId: { type: 'string' },
      name: { type: 'string' },
      phase,
      paused: { type: 'boolean' },
      cancelRequested: { type: 'boolean' },
      currentWave: { type: 'integer' },
      waves: { type: 'array', items: { type: 'object' } },
      counts,
      limits,
      instances: { type: 'array', items: { type: 'object' } },
      finishedAtMs: { type: 'number' },
    },
  },
  RolloutStatus: {
    type: 'object',
    required: ['workflowId', 'runId', 'executionStatus'],
    properties: {
      workflowId: { type: 'string' },
      runId: { type: 'string' },
      executionStatus: { type: 'string', description: "Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, …" },
      progress: ref('RolloutProgress'),
      failure: { type: 'string', description: 'Why the workflow itself failed (it then has no progress).' },
    },
  },
  ControlAck: {
    type: 'object',
    description: 'The rollout right after the action (ControlAck of src/contracts/rollout.ts).',
    required: ['phase', 'paused', 'cancelRequested', 'counts', 'limits', 'message'],
    properties: { phase, paused: { type: 'boolean' }, cancelRequested: { type: 'boolean' }, currentWave: { type: 'integer' }, counts, limits, message: { type: 'string' } },
  },
  Health: { type: 'object', required: ['ok'], properties: { ok: { const: true } } },
  DashboardView: {
    type: 'object',
    description: `DashboardView of src/api/dashboard/view.ts: the progress without its per-instance list, at most ${ISSUES_SHOWN} problem instances with their sentences, not-started counts, and the grid of every target by wave and region.`,
    required: ['rolloutId', 'runId', 'executionStatus', 'atMs', 'final', 'issues', 'issuesOmitted', 'notStarted', 'grid'],
    properties: {
      rolloutId: { type: 'string' },
      runId: { type: 'string' },
      executionStatus: { type: 'string' },
      failure: { type: 'string' },
      atMs: { type: 'number', description: 'When the server built the view (epoch ms).' },
      final: { type: 'boolean', description: 'The run has closed; no further view will come.' },
      progress: { type: 'object', description: 'RolloutProgress without instances: phase, waves, counts, inFlight, blocked, awaitingWindow, eta, audit, notifications, …' },
      issues: { type: 'array', items: { type: 'object' } },
      issuesOmitted: { type: 'integer', minimum: 0 },
      notStarted: { type: 'object', additionalProperties: { type: 'integer' } },
      grid: {
        type: 'object',
        required: ['regions', 'rows', 'listed'],
        properties: {
          regions: { type: 'array', items: { type: 'string' } },
          listed: { type: 'string', enum: ['all', 'problems'], description: `all: every finished target is listed by id; problems (above ${FULL_DETAIL_LIMIT} targets): clean restarts are counted per wave.` },
          rows: {
            type: 'array',
            items: {
              type: 'object',
              required: ['wave', 'status', 'size', 'cells'],
              properties: {
                wave: { type: 'integer' },
                status: { type: 'string' },
                size: { type: 'integer' },
                cells: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['region', 'states', 'ids', 'down'],
                    properties: {
                      region: { type: ['string', 'null'], description: 'null: counted squares of a wave spanning several regions.' },
                      states: { type: 'string', description: `One character per target: ${Object.entries(SQUARE_CODES).map(([k, v]) => `${v} ${k}`).join(', ')}.` },
                      ids: { type: 'array', items: { type: 'string' }, description: "Instance id per square ('' for a counted square)." },
                      down: { type: 'array', items: { type: 'integer' }, description: 'Indices of squares whose instance is down and holds a slot.' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const SUMMARIES: Record<RouteName, string> = {
  createRollout: 'Create a rollout (idempotent by requestId; a name re-runs once its last run closed)',
  listRollouts: 'List rollouts, newest first, one page at a time (Temporal visibility)',
  getRollout: 'Progress of a rollout (a closed one answers from its result)',
  getReport: 'Final per-instance report of a finished rollout',
  pause: 'Pause: no new restarts; in-flight ones finish',
  resume: 'Resume launching restarts',
  cancel: 'Cancel gracefully: in-flight restarts finish, the rest is reported not started',
  approve: 'Open the approval gate before a wave',
  skip: 'Release one instance by hand (a hung restart, or a down instance holding a slot)',
  setLimits: 'Change concurrency and failure budgets at run time',
  openapi: 'This document',
  healthz: 'Liveness of the API process (does not call Temporal)',
  rolloutEvents: 'Live view of a rollout: server-sent events (Accept: text/event-stream) or one JSON snapshot',
  dashboard: 'The dashboard: list of rollouts (HTML; the script asks for the token)',
  dashboardRollout: 'The dashboard: one rollout, live (HTML; the script asks for the token)',
  dashboardAsset: "The dashboard's script and stylesheet",
  approveLinkPage: 'Confirmation page of a signed approve link (HTML)',
  approveLink: 'Approve a wave with a signed approve link (HTML answer)',
};

const readS = DEFAULT_READ_TIMEOUT_MS / 1000;
const updateS = DEFAULT_UPDATE_TIMEOUT_MS / 1000;
const KIB = DEFAULT_MAX_BODY_BYTES / 1024;

const R = {
  badTarget: err('The request target or query is invalid (ERR_BAD_REQUEST_TARGET, ERR_QUERY_INVALID): problems by name.'),
  unauthorized: {
    description: 'Missing or wrong bearer token (ERR_UNAUTHORIZED).',
    headers: { 'WWW-Authenticate': { schema: { type: 'string', const: 'Bearer' } } },
    ...json(ref('Error')),
  },
  notFound: err('No rollout with this id (ERR_ROLLOUT_NOT_FOUND): the same answer whether the id is unknown, malformed, or names a workflow that is not a rollout.'),
  tooLarge: err(`Body larger than ${KIB} KiB (ERR_BODY_TOO_LARGE).`),
  mediaType: err('Body is not application/json in UTF-8 (ERR_UNSUPPORTED_MEDIA_TYPE).'),
  internal: err('A bug in the API (ERR_INTERNAL); the server log has the details.'),
  unavailable: err('Temporal cannot be reached (ERR_TEMPORAL_UNREACHABLE), or no starwave worker polls the rollout\'s task queue (ERR_NO_WORKER); the sentence says which. Nothing was done.'),
  timeout: err(`Temporal is up but did not answer in time (ERR_TIMEOUT): ${readS} s for reads, ${updateS} s for starts and control updates.`),
};

const html = (description: string): Json => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
/** Errors of HTML routes: refusals of the route itself are pages; malformed request targets are JSON (before routing). */
const htmlOrJson = (description: string): Json => ({ description, content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: ref('Error') } } });
const tokenSchema = { type: 'string', pattern: APPROVE_TOKEN_PATTERN, description: 'The token of the approve link (t=… in the link).' };
const APPROVE_REFUSALS = {
  '400': htmlOrJson('The link is incomplete or damaged (no t, or not a token): nothing was approved.'),
  '403': html('The signature does not verify, the link expired, or approve links are not enabled on this server (no STARWAVE_APPROVE_LINK_SECRET); the page says which.'),
  '404': html('The rollout of the link does not exist.'),
  '409': html('The gate is not open: already approved (by whom), not reached yet, the wave has started, the rollout finished, or the link is for an earlier run of the rollout; the page says which.'),
  '500': html('A bug in the API; the server log has the details.'),
  '503': html('Temporal or a worker is missing (ERR_TEMPORAL_UNREACHABLE, ERR_NO_WORKER); nothing was approved.'),
  '504': html('Temporal did not answer in time (ERR_TIMEOUT); nothing was approved.'),
};

function operation(name: RouteName, method: string): Json {
  const route = ROUTES.find((r) => r.name === name)!;
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => {
    const def = PATH_PARAMS[m[1]!]!;
    return { name: m[1], in: 'path', required: true, description: def.description, schema: { type: 'string', pattern: def.pattern } };
  });
  const protectedRoute = !('public' in route && route.public);
  const base: Json = { operationId: method === 'head' ? `${name}Head` : name, summary: SUMMARIES[name], ...(protectedRoute ? {} : { security: [] }) };
  const temporal = { '500': R.internal, '503': R.unavailable, '504': R.timeout };
  const auth = protectedRoute ? { '401': R.unauthorized } : {};
  const query = (schema: z.ZodObject): Json[] =>
    Object.entries(schema.shape).map(([key, field]) => {
      const { description, ...rest } = jsonSchemaOf(field as z.ZodType);
      return { name: key, in: 'query', required: false, ...(description ? { description } : {}), schema: rest };
    });
  const controlLinks = Object.fromEntries(
    (['getRollout', 'getReport', 'pause', 'resume', 'cancel', 'approve', 'skip', 'setLimits'] as const).map((op) => [op, { operationId: op, parameters: { id: '$response.body#/workflowId' } }]),
  );

  switch (name) {
    case 'rolloutEvents':
      return {
        ...base,
        description:
          'With `Accept: text/event-stream`: a stream of server-sent events — `view` (id: a revision; data: a DashboardView) whenever the rollout changed (read about every second, slower for large rollouts), ' +
          '`problem` (data: {error, code}) when a read failed (the stream stays open and retries), `end` after the view of a closed run; comment lines keep it alive and it ends after 10 minutes (reconnect). ' +
          'Otherwise one DashboardView as JSON. The first view is read before anything is sent, so an unknown rollout or a missing worker is a plain JSON error.',
        parameters: params,
        responses: {
          '200': {
            description: 'The event stream, or one view.',
            content: { 'text/event-stream': { schema: { type: 'string', description: 'event: view / problem / end; data: one line of JSON.' } }, 'application/json': { schema: ref('DashboardView') } },
          },
          '400': R.badTarget,
          ...auth,
          '404': R.notFound,
          ...temporal,
        },
      };
    case 'dashboard':
    case 'dashboardRollout':
      return {
        ...base,
        description: 'The page carries no data: its script asks for the API token once (kept in the tab\'s sessionStorage) and reads the API with it as the Authorization header.',
        ...(params.length ? { parameters: params } : {}),
        responses: {
          '200': html('The page.'),
          '400': R.badTarget,
          ...(params.length ? { '404': R.notFound } : {}),
          '500': R.internal,
        },
      };
    case 'dashboardAsset':
      return {
        ...base,
        parameters: params,
        responses: {
          '200': { description: 'The file (with an ETag).', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } },
          '304': { description: 'Not modified (If-None-Match).' },
          '400': R.badTarget,
          '404': err('No such file (ERR_NOT_FOUND).'),
          '500': R.internal,
        },
      };
    case 'approveLinkPage':
      return {
        ...base,
        description: `Checks the link's signature and expiry (links are valid ${APPROVE_LINK_TTL_SECONDS / 3600} h) and shows the rollout and wave with an Approve button (a form POST to /approve) while the gate is open. Opening it approves nothing, so link previews in chat apps are harmless.`,
        parameters: [{ name: 't', in: 'query', required: true, schema: tokenSchema }],
        responses: { '200': html('The confirmation page with the button.'), ...APPROVE_REFUSALS },
      };
    case 'approveLink':
      return {
        ...base,
        description:
          'Verifies the signature, the expiry, that the link was made for the current run and that the gate is open, then sends the approve update (validated by the workflow) with by = "approve-link:<label or fingerprint>". The link is never logged.',
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['t'], properties: { t: tokenSchema } } },
            'application/json': { schema: { type: 'object', required: ['t'], properties: { t: tokenSchema } } },
          },
        },
        responses: { '200': html('Approved: the page shows the reply and the rollout\'s state after it.'), ...APPROVE_REFUSALS, '413': html(`Body larger than ${KIB} KiB.`), '415': html('Another media type than the form or JSON.') },
      };
    case 'healthz':
    case 'openapi':
      return {
        ...base,
        responses: {
          '200': method === 'head' ? { description: 'OK (no body).' } : { description: 'OK.', ...json(name === 'healthz' ? ref('Health') : { type: 'object' }) },
          '400': R.badTarget,
          '500': R.internal,
        },
      };
    case 'createRollout':
      return {
        ...base,
        description: `The body is a rollout spec (docs/rollout.schema.json); at most ${KIB} KiB of UTF-8 JSON. Rollouts are started with trigger "api" (or "api:<token fingerprint>").`,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('RolloutSpec'),
              examples: {
                canary: {
                  summary: 'One region, a canary instance first, an approval before the rest',
                  value: { name: 'nightly-hangzhou', requestId: 'deploy-4711', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1, '100%'], approvalBefore: [2] }, concurrency: { global: 2 } },
                },
              },
            },
          },
        },
        responses: {
          '201': { description: 'Started.', ...json(ref('Started')), links: controlLinks },
          '200': { description: 'This requestId already started a run (running or closed); nothing new was started.', ...json(ref('Started')), links: controlLinks },
          '400': err('Invalid spec (ERR_SPEC_INVALID), invalid JSON or UTF-8 (ERR_BAD_BODY): every problem by path. Nothing was started.'),
          ...auth,
          '409': err('A run of this rollout name is still going (ERR_ROLLOUT_RUNNING); nothing new was started.'),
          '413': R.tooLarge,
          '415': R.mediaType,
          ...temporal,
        },
      };
    case 'listRollouts':
      return {
        ...base,
        description: `Pages of at most pageSize rollouts (default ${DEFAULT_PAGE_SIZE}); identical requests within a second share one visibility call.`,
        parameters: query(QUERY_SCHEMAS.listRollouts),
        responses: { '200': { description: 'One page.', ...json(ref('RolloutPage')) }, '400': R.badTarget, ...auth, ...temporal },
      };
    case 'getRollout':
      return {
        ...base,
        parameters: [...params, ...query(QUERY_SCHEMAS.getRollout)],
        responses: { '200': { description: 'Status and progress.', ...json(ref('RolloutStatus')) }, '400': R.badTarget, ...auth, '404': R.notFound, ...temporal },
      };
    case 'getReport':
      return {
        ...base,
        parameters: params,
        responses: {
          '200': { description: 'The report.', ...json(ref('RolloutProgress')) },
          '400': R.badTarget,
          ...auth,
          '404': R.notFound,
          '409': err('Still running (ERR_STILL_RUNNING), or the workflow ended without a report (ERR_ROLLOUT_FAILED, with its final state).'),
          ...temporal,
        },
      };
    case 'pause':
    case 'resume':
    case 'cancel':
    case 'approve':
    case 'skip':
    case 'setLimits': {
      const def = CONTROL_BODIES[name];
      return {
        ...base,
        description: `Sent to the rollout as the Temporal update "${name}" (validated by the workflow), with by = "api" or "api:<token fingerprint>"; a body that sets "by" itself is rejected.`,
        parameters: params,
        requestBody: { required: def.required, ...json(controlBodySchema(def.schema)) },
        responses: {
          '200': { description: 'Accepted by the workflow.', ...json(ref('ControlAck')) },
          '400': err(`Invalid body (ERR_BAD_BODY${name === 'setLimits' ? ', ERR_LIMITS_INVALID' : ''}), or refused by the workflow's validator: every problem by path. Nothing was changed.`),
          ...auth,
          '404': R.notFound,
          '409': err('The rollout has finished (ERR_ROLLOUT_FINISHED, with its final state in `state`), or the workflow refused the action in its current state (ERR_CONTROL_REJECTED).'),
          '413': R.tooLarge,
          '415': R.mediaType,
          ...temporal,
        },
      };
    }
  }
}

export function buildOpenApi(): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    const item = (paths[route.path] ??= {});
    for (const method of route.methods) item[method.toLowerCase()] = operation(route.name, method.toLowerCase());
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'starwave API',
      version,
      description:
        `Trigger and control rolling restarts of Alibaba Cloud EMR Serverless StarRocks instances. Every request except /healthz, /openapi.json, the dashboard's pages and files (/, /rollouts/{id}, /dashboard/*) and signed approve links (/approve) needs \`Authorization: Bearer <token>\`. Bodies are UTF-8 JSON, at most ${KIB} KiB. ` +
        `Rollout ids are starwave-rollout-…; any other id is 404. Temporal calls run under deadlines (${readS} s reads, ${updateS} s writes): 503 says whether Temporal or a worker is missing, 504 that Temporal was too slow. Status filters: ${LIST_STATUSES.join(', ')}.`,
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { RolloutSpec: rolloutSpecJsonSchema(), ...COMPONENT_SCHEMAS },
    },
  };
}

/** Stable text of the committed documents (2-space JSON, trailing newline). */
export const openApiText = (): string => `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
export const rolloutSchemaText = (): string =>
  `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...rolloutSpecJsonSchema(), $id: 'https://github.com/starwave/starwave/docs/rollout.schema.json', title: 'starwave rollout spec' }, null, 2)}\n`;
