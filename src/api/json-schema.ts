/**
 * zod schemas as JSON Schema, for the OpenAPI document and docs/rollout.schema.json. zod refinements and the
 * spec's cross-field checks have no JSON Schema form of their own, so each one is translated here (REFINEMENTS,
 * CROSS_FIELD); a refinement without a translation fails the generation, so the documents cannot silently drift
 * from what the server enforces.
 */
import { z } from 'zod';
import { rolloutSpecSchema } from '../contracts/spec';
import { SERVER_SET_FIELD } from './schemas';

export type Json = Record<string, unknown>;

/**
 * JSON Schema forms of the zod refinements in the enforced schemas, by the refinement's message. The message
 * is the refinement's only stable name; a new or reworded refinement fails generation until it is listed here.
 */
const REFINEMENTS: Record<string, Json> = {
  // src/contracts/spec.ts positiveSizeSchema and src/contracts/rollout.ts positiveSize: v !== 0 && v !== '0%'
  'must be at least 1 (or a percentage above 0%)': { not: { enum: [0, '0%'] } },
  // src/contracts/spec.ts targets: instances.length + selectors.length > 0
  'name at least one instance in targets.instances or one selector in targets.selectors': {
    anyOf: [
      { required: ['instances'], properties: { instances: { minItems: 1 } } },
      { required: ['selectors'], properties: { selectors: { minItems: 1 } } },
    ],
  },
  // src/contracts/rollout.ts limitsPatchSchema: concurrency or failureBudget given
  'give concurrency and/or failureBudget': { anyOf: [{ required: ['concurrency'] }, { required: ['failureBudget'] }] },
};

/** validateSpec's cross-field checks (src/contracts/spec.ts crossFieldProblems), at their JSON Schema paths. */
const CROSS_FIELD: Array<{ path: string[]; add: Json }> = [
  { path: ['properties', 'regions', 'properties', 'order'], add: { uniqueItems: true } },
  {
    path: ['properties', 'instance', 'properties', 'pollIntervalSeconds'],
    // Not expressible in JSON Schema (it compares two fields): stated in words and as an extension keyword.
    add: { 'x-starwave-rule': 'instance.pollIntervalSeconds < instance.confirmTimeoutSeconds (defaults applied)', description: 'Status poll interval per region; must be shorter than instance.confirmTimeoutSeconds.' },
  },
];

function merge(target: Json, add: Json): void {
  for (const [key, value] of Object.entries(add)) {
    if (key === 'anyOf' && target['anyOf'] !== undefined) {
      target['allOf'] = [...((target['allOf'] as unknown[]) ?? []), { anyOf: value }];
    } else target[key] = value;
  }
}

/** The JSON Schema of a zod schema as a caller writes it (io: input), refinements translated. */
export function jsonSchemaOf(schema: z.ZodType): Json {
  const missing: string[] = [];
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const checks = ((ctx.zodSchema as { _zod: { def: { checks?: Array<{ _zod: { def: { check: string; error?: (i: unknown) => unknown } } }> } } })._zod.def.checks ?? []);
      for (const check of checks) {
        const def = check._zod.def;
        if (def.check !== 'custom') continue;
        const raw = def.error?.({});
        const message = typeof raw === 'string' ? raw : typeof (raw as { message?: unknown })?.message === 'string' ? String((raw as { message: string }).message) : '';
        const form = REFINEMENTS[message];
        if (form) merge(ctx.jsonSchema as Json, form);
        else missing.push(`${ctx.path.join('.') || '(root)'}: "${message}"`);
      }
    },
  }) as Json;
  if (missing.length > 0) throw new Error(`zod refinements without a JSON Schema form in src/api/openapi.ts REFINEMENTS: ${missing.join('; ')}.`);
  delete json['$schema'];
  return json;
}

/** JSON Schema of a rollout spec as a caller writes it (defaults applied by the server), with its cross-field rules. */
export function rolloutSpecJsonSchema(): Json {
  const json = jsonSchemaOf(rolloutSpecSchema);
  for (const rule of CROSS_FIELD) {
    let node: Json | undefined = json;
    for (const key of rule.path) node = node?.[key] as Json | undefined;
    if (!node) throw new Error(`src/api/json-schema.ts CROSS_FIELD: ${rule.path.join('.')} is not in the spec's JSON Schema any more.`);
    merge(node, rule.add);
  }
  return json;
}

/** A control body as documented: the contract schema without the field the server sets. */
export function controlBodySchema(schema: z.ZodType): Json {
  const json = jsonSchemaOf(schema);
  const properties = json['properties'] as Json | undefined;
  if (properties) delete properties[SERVER_SET_FIELD];
  if (Array.isArray(json['required'])) json['required'] = (json['required'] as string[]).filter((k) => k !== SERVER_SET_FIELD);
  return json;
}
