/**
 * docs/openapi.json and docs/rollout.schema.json are generated from code; they must equal what the code
 * generates now (regenerate with `npm run docs:generate`, UPDATE_DOCS=1). And the document must agree with the
 * server: a body valid by the document is a body the server's own validation accepts, and the reverse.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { jsonSchemaOf } from '../../src/api/json-schema';
import { buildOpenApi, openApiText, rolloutSchemaText } from '../../src/api/openapi';
import { ROUTES } from '../../src/api/routes';
import { CONTROL_BODIES, parseControlBody } from '../../src/api/schemas';
import { validateSpec } from '../../src/contracts/spec';
import { z } from 'zod';

const root = resolve(__dirname, '..', '..');
const docs: Array<[string, () => string]> = [
  ['docs/openapi.json', openApiText],
  ['docs/rollout.schema.json', rolloutSchemaText],
];

type Json = Record<string, any>;
const doc = buildOpenApi() as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: doc['components'] });
const validatorFor = (schema: unknown) => ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components/g, '"doc#/components')));
const specValid = validatorFor({ $ref: '#/components/schemas/RolloutSpec' });
const bodyValid = (route: string, method: string) => validatorFor(doc['paths'][route][method]['requestBody']['content']['application/json']['schema']);

describe('generated documents', () => {
  for (const [file, generate] of docs) {
    it(`${file} equals the generated document`, () => {
      const path = join(root, file);
      if (process.env['UPDATE_DOCS'] === '1') writeFileSync(path, generate());
      expect(existsSync(path), `${file} is missing: run npm run docs:generate`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${file} is stale: run npm run docs:generate`).toBe(generate());
    });
  }

  it('documents every route and method the server answers, with the statuses each can answer', () => {
    const paths = doc['paths'] as Record<string, Record<string, Json>>;
    for (const r of ROUTES) {
      for (const method of r.methods) {
        const op = paths[r.path]?.[method.toLowerCase()];
        expect(op, `${method} ${r.path}`).toBeDefined();
        const statuses = Object.keys(op!['responses']);
        expect(statuses, `${method} ${r.path}`).toEqual(expect.arrayContaining(['200', '400', '500']));
        const isPublic = 'public' in r && r.public;
        if (!isPublic) expect(statuses, `${method} ${r.path}`).toEqual(expect.arrayContaining(['401', '503', '504']));
        if (r.path.includes('{id}')) expect(statuses).toContain('404');
        if (method === 'POST' || method === 'PATCH') expect(statuses, `${method} ${r.path}`).toEqual(expect.arrayContaining(['413', '415']));
        if (r.name !== 'listRollouts' && (method === 'POST' || method === 'PATCH' || r.name === 'getReport')) expect(statuses).toContain('409');
        expect(op!['security'] === undefined, `${r.path} security`).toBe(!isPublic);
      }
    }
  });

  it('fails generation on a zod refinement it cannot translate, so the document cannot drift silently', () => {
    expect(() => jsonSchemaOf(z.object({ a: z.number() }).refine((v) => v.a !== 3, 'a must not be 3'))).toThrow(/a must not be 3/);
  });
});

describe('valid by the document means accepted by the server', () => {
  const base = { name: 'nightly', targets: { selectors: [{ regions: ['cn-hangzhou'] }] } };
  const specs: Array<[string, unknown]> = [
    ['minimal', base],
    ['perRegion 0 (issue 15)', { ...base, concurrency: { perRegion: 0 } }],
    ['global "0%"', { ...base, concurrency: { global: '0%' } }],
    ['global "0.0%" (not 0 by the check)', { ...base, concurrency: { global: '0.0%' } }],
    ['selectors: [] (issue 15)', { name: 'x', targets: { selectors: [] } }],
    ['no targets', { name: 'x', targets: {} }],
    ['instances only', { name: 'x', targets: { instances: [{ region: 'cn-hangzhou', instanceId: 'c-0123456789abcdef' }] } }],
    ['wave size 0', { ...base, waves: { sizes: [0] } }],
    ['duplicate region order', { ...base, regions: { order: ['cn-hangzhou', 'cn-hangzhou'] } }],
    ['unknown field', { ...base, speed: 1 }],
    ['failure budget 0', { ...base, failureBudget: { total: 0 } }],
    ['bad notAfter', { ...base, window: { notAfter: 'tomorrow' } }],
    ['good notAfter', { ...base, window: { notAfter: '2030-01-01T00:00:00Z' } }],
    ['name with capitals', { ...base, name: 'Nightly' }],
    ['not an object', [base]],
  ];
  for (const [label, spec] of specs) {
    it(`spec: ${label}`, () => {
      expect(specValid(spec), `${label}: ${JSON.stringify(specValid.errors)}`).toBe(validateSpec(spec).ok);
    });
  }

  it('control bodies: every combination of limits agrees', () => {
    const sizes = [undefined, 0, 1, 7, -1, 1.5, '0%', '0.0%', '50%', '101%', 'x', null];
    const validDoc = bodyValid('/v1/rollouts/{id}/limits', 'patch');
    let checked = 0;
    for (const global of sizes)
      for (const perRegion of sizes)
        for (const total of sizes) {
          const concurrency = global === undefined && perRegion === undefined ? undefined : { ...(global !== undefined ? { global } : {}), ...(perRegion !== undefined ? { perRegion } : {}) };
          const body = { ...(concurrency ? { concurrency } : {}), ...(total !== undefined ? { failureBudget: { total } } : {}) };
          let accepted = true;
          try {
            parseControlBody('setLimits', { present: true, value: body }, 'api');
          } catch {
            accepted = false;
          }
          expect(validDoc(body), JSON.stringify(body)).toBe(accepted);
          checked++;
        }
    expect(checked).toBe(sizes.length ** 3);
  });

  it('control bodies: by is not documented, and a body with it is refused', () => {
    for (const route of Object.keys(CONTROL_BODIES) as Array<keyof typeof CONTROL_BODIES>) {
      const r = ROUTES.find((x) => x.name === route)!;
      const validDoc = bodyValid(r.path, r.methods[0].toLowerCase());
      const sample = { approve: { wave: 1 }, skip: { instanceId: 'c-0123456789abcdef' }, setLimits: { concurrency: { global: 1 } }, cancel: { reason: 'r' }, pause: {}, resume: {} }[route];
      expect(validDoc(sample), route).toBe(true);
      expect(validDoc({ ...sample, by: 'me' }), route).toBe(false);
      expect(() => parseControlBody(route, { present: true, value: { ...sample, by: 'me' } }, 'api')).toThrow();
    }
  });
});
