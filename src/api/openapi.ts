/**
 * The OpenAPI 3.1 document of the HTTP API, generated from code: the request body schema is the same zod
 * schema the CLI and the workflow validate with. docs/openapi.json is this document (a unit test checks it);
 * docs/rollout.schema.json is the spec's JSON Schema alone.
 */
import { z } from 'zod';
import { version } from '../../package.json';
import { rolloutSpecSchema } from '../planning/spec';

/** JSON Schema of a rollout spec as a caller writes it (defaults applied by the server). */
export function rolloutSpecJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(rolloutSpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
    $id: 'https://github.com/starwave/starwave/docs/rollout.schema.json',
    title: 'starwave rollout spec',
  };
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', description: 'One sentence saying what is wrong and how to fix it.' },
    code: { type: 'string', description: 'Stable error code, e.g. ERR_SPEC_INVALID.' },
    problems: {
      type: 'array',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const json = (schema: unknown): Record<string, unknown> => ({ content: { 'application/json': { schema } } });
const err = (description: string): Record<string, unknown> => ({ description, ...json({ $ref: '#/components/schemas/Error' }) });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Rollout (workflow) id, e.g. starwave-rollout-req-<requestId>.' };
const common = { '401': err('Missing or wrong bearer token.'), '503': err('Temporal could not be reached.') };
const withRollout = { ...common, '404': err('No rollout with this id.') };
const ack = json({ type: 'object', properties: { paused: { type: 'boolean' }, cancelRequested: { type: 'boolean' }, phase: { type: 'string' } } });

export function buildOpenApi(): Record<string, unknown> {
  const control = (summary: string, body?: unknown): Record<string, unknown> => ({
    summary,
    parameters: [idParam],
    ...(body ? { requestBody: { required: summary.startsWith('Approve'), ...json(body) } } : {}),
    responses: { '200': { description: 'Accepted by the workflow.', ...ack }, '400': err('Invalid body or rejected by the workflow.'), ...withRollout },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'starwave API',
      version,
      description:
        'Trigger and control rolling restarts of Alibaba Cloud EMR Serverless StarRocks instances. Every request except /healthz and /openapi.json needs `Authorization: Bearer <token>`. Bodies are JSON, at most 256 KiB.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/rollouts': {
        post: {
          summary: 'Create a rollout (idempotent by spec.requestId, else spec.name)',
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/RolloutSpec' }) },
          responses: {
            '201': { description: 'Started.', ...json({ $ref: '#/components/schemas/Started' }) },
            '200': { description: 'A rollout with this requestId/name already exists (running or closed); nothing new was started.', ...json({ $ref: '#/components/schemas/Started' }) },
            '400': err('Invalid spec: every problem listed by path. Nothing was started.'),
            '413': err('Body larger than 256 KiB.'),
            '415': err('Body is not JSON.'),
            ...common,
          },
        },
        get: {
          summary: 'List rollouts (Temporal visibility, newest first)',
          parameters: [{ name: 'status', in: 'query', schema: { enum: ['running', 'completed', 'failed', 'terminated', 'cancelled', 'timed_out', 'continued_as_new'] } }],
          responses: { '200': { description: 'Rollouts.', ...json({ type: 'object', properties: { rollouts: { type: 'array', items: { type: 'object' } } } }) }, ...common },
        },
      },
      '/v1/rollouts/{id}': {
        get: {
          summary: 'Progress of a rollout, merged with the running wave',
          parameters: [idParam, { name: 'detail', in: 'query', schema: { enum: ['summary', 'problems', 'all'] } }],
          responses: { '200': { description: 'Progress (see RolloutProgress in src/workflows/types.ts).', ...json({ type: 'object' }) }, ...withRollout },
        },
      },
      '/v1/rollouts/{id}/report': {
        get: {
          summary: 'Final per-instance report',
          parameters: [idParam],
          responses: { '200': { description: 'Report.', ...json({ type: 'object' }) }, '409': err('Still running.'), ...withRollout },
        },
      },
      '/v1/rollouts/{id}/pause': { post: control('Pause: no new restarts; in-flight ones finish') },
      '/v1/rollouts/{id}/resume': { post: control('Resume launching restarts') },
      '/v1/rollouts/{id}/cancel': { post: control('Cancel gracefully', { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } }, additionalProperties: false }) },
      '/v1/rollouts/{id}/approve': {
        post: control('Approve the gate before a wave', { type: 'object', required: ['wave'], properties: { wave: { type: 'integer', minimum: 1 } }, additionalProperties: false }),
      },
      '/v1/rollouts/{id}/limits': {
        patch: {
          summary: 'Change concurrency and failure budgets at run time',
          parameters: [idParam],
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              additionalProperties: false,
              properties: {
                concurrency: { type: 'object', properties: { global: { $ref: '#/components/schemas/Size' }, perRegion: { $ref: '#/components/schemas/Size' } }, additionalProperties: false },
                failureBudget: { type: 'object', properties: { total: { $ref: '#/components/schemas/Size' }, perWave: { $ref: '#/components/schemas/Size' } }, additionalProperties: false },
              },
            }),
          },
          responses: { '200': { description: 'The limits now in force.', ...json({ type: 'object' }) }, '400': err('Invalid patch (rejected by the workflow).'), ...withRollout },
        },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'OK.', ...json({ type: 'object' }) } } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1.', ...json({ type: 'object' }) } } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        RolloutSpec: (({ $schema: _s, $id: _i, ...rest }) => rest)(rolloutSpecJsonSchema()),
        Size: { oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^(100|[1-9]?[0-9](\\.[0-9]+)?)%$' }] },
        Started: {
          type: 'object',
          required: ['workflowId', 'runId', 'existing'],
          properties: { workflowId: { type: 'string' }, runId: { type: 'string' }, existing: { type: 'boolean' } },
        },
        Error: errorSchema,
      },
    },
  };
}

/** Stable text of the committed documents (2-space JSON, trailing newline). */
export const openApiText = (): string => `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
export const rolloutSchemaText = (): string => `${JSON.stringify(rolloutSpecJsonSchema(), null, 2)}\n`;
