/**
 * What each route accepts, as the zod schemas the server enforces: the rollout spec (src/contracts/spec), the
 * control messages (src/contracts/rollout) and the query parameters. The OpenAPI document is generated from
 * these same objects (src/api/openapi.ts), so a value valid by the document is a value the server accepts.
 *
 * `by` (who asks, kept in the rollout's audit) is set by the server from the caller's credentials; a body
 * that sends its own `by` is rejected (400, path `by`) rather than silently overridden, so a caller never
 * believes its claim was recorded.
 */
import { z } from 'zod';
import { StarwaveError, type Problem } from '../contracts/errors';
import { approveArgsSchema, cancelArgsSchema, controlBaseSchema, limitsPatchSchema, PROGRESS_DETAILS, skipArgsSchema, zodProblems } from '../contracts/rollout';
import { REGION_ID, rolloutSpecSchema } from '../contracts/spec';
import { LIST_STATUSES } from '../client/api-list';
import type { ControlRoute } from './routes';

/** The control routes' bodies: the contract schema of the update each one sends (all carry `by`). */
export const CONTROL_BODIES = {
  pause: { schema: controlBaseSchema, required: false },
  resume: { schema: controlBaseSchema, required: false },
  cancel: { schema: cancelArgsSchema, required: false },
  approve: { schema: approveArgsSchema, required: true },
  skip: { schema: skipArgsSchema, required: true },
  setLimits: { schema: limitsPatchSchema, required: true },
} as const satisfies Record<ControlRoute, { schema: z.ZodType; required: boolean }>;

/** The field the server sets; the documented bodies leave it out. */
export const SERVER_SET_FIELD = 'by';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a control body with its contract schema after adding the server's `by`. Returns the parsed
 * message or throws ERR_BAD_BODY (ERR_LIMITS_INVALID for limits) with every problem by path.
 */
export function parseControlBody<R extends ControlRoute>(route: R, body: { present: boolean; value?: unknown }, by: string): z.output<(typeof CONTROL_BODIES)[R]['schema']> {
  const def = CONTROL_BODIES[route];
  const code = route === 'setLimits' ? 'ERR_LIMITS_INVALID' : 'ERR_BAD_BODY';
  const value = body.present ? body.value : {};
  const problems: Problem[] = [];
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, SERVER_SET_FIELD)) {
    problems.push({ path: SERVER_SET_FIELD, message: 'is set by the server from your credentials; leave it out' });
  }
  if (!body.present && def.required) problems.push({ path: '(body)', message: `is required: send a JSON object (see /openapi.json, ${route})` });
  if (problems.length === 0) {
    const parsed = def.schema.safeParse(isPlainObject(value) ? { ...value, [SERVER_SET_FIELD]: by } : value);
    if (parsed.success) return parsed.data as z.output<(typeof CONTROL_BODIES)[R]['schema']>;
    problems.push(...zodProblems(parsed.error));
  }
  throw new StarwaveError(code, `The ${route} body is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was sent to the rollout.`, { problems });
}

// ---------------------------------------------------------------------------------------------
// Query parameters. Values arrive as text; a parameter documented as an integer is read as a number when it
// is written as a decimal integer, and the zod schema below decides the rest.

const specName = rolloutSpecSchema.shape.name;

export const listQuerySchema = z.object({
  status: z.enum(LIST_STATUSES).optional().describe('Only rollouts in this Temporal execution status.'),
  name: specName.optional().describe('Only runs of the rollout with this spec name (needs the StarwaveName search attribute).'),
  region: z.string().regex(REGION_ID, 'must be a region id such as "cn-hangzhou"').optional().describe('Only rollouts that include this region (needs the StarwaveRegions search attribute).'),
  pageSize: z.number().int().min(1).max(1000).optional().describe('Rollouts per page (default 100).'),
  pageToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,4096}$/, 'must be a nextPageToken from an earlier page')
    .optional()
    .describe('nextPageToken of the previous page (same filters).'),
});

export const progressQuerySchema = z.object({
  detail: z.enum(PROGRESS_DETAILS).optional().describe('Which per-instance results to include: summary (none), problems (default: everything not plainly restarted), all.'),
});

export const QUERY_SCHEMAS = { listRollouts: listQuerySchema, getRollout: progressQuerySchema } as const;

/** Parses a query string against a schema: duplicates and invalid values are ERR_QUERY_INVALID with their names. */
export function parseQuery<S extends z.ZodObject>(schema: S, query: URLSearchParams): z.output<S> {
  const raw: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    const values = query.getAll(key);
    if (values.length === 0) continue;
    if (values.length > 1) {
      problems.push({ path: key, message: 'give it once' });
      continue;
    }
    const text = values[0]!;
    raw[key] = isIntegerField(field as z.ZodType) && /^-?\d{1,15}$/.test(text) ? Number(text) : text;
  }
  if (problems.length === 0) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push(...zodProblems(parsed.error));
  }
  throw new StarwaveError('ERR_QUERY_INVALID', `The query is invalid (${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}).`, { problems });
}

const numericFields = new WeakMap<z.ZodType, boolean>();
function isIntegerField(field: z.ZodType): boolean {
  let numeric = numericFields.get(field);
  if (numeric === undefined) {
    const json = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as { type?: unknown };
    numeric = json.type === 'integer' || json.type === 'number';
    numericFields.set(field, numeric);
  }
  return numeric;
}
