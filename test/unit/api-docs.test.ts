/**
 * docs/openapi.json and docs/rollout.schema.json are generated from code; they must equal what the code
 * generates now. Regenerate with `npm run docs:generate` (UPDATE_DOCS=1).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, openApiText, rolloutSchemaText } from '../../src/api/openapi';
import { ROUTES } from '../../src/api/routes';

const root = resolve(__dirname, '..', '..');
const docs: Array<[string, () => string]> = [
  ['docs/openapi.json', openApiText],
  ['docs/rollout.schema.json', rolloutSchemaText],
];

describe('generated documents', () => {
  for (const [file, generate] of docs) {
    it(`${file} equals the generated document`, () => {
      const path = join(root, file);
      if (process.env['UPDATE_DOCS'] === '1') writeFileSync(path, generate());
      expect(existsSync(path), `${file} is missing: run npm run docs:generate`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${file} is stale: run npm run docs:generate`).toBe(generate());
    });
  }

  it('documents every route the server answers', () => {
    const paths = buildOpenApi()['paths'] as Record<string, Record<string, unknown>>;
    for (const r of ROUTES) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      expect(paths[path], r.path).toBeDefined();
      expect(Object.keys(paths[path]!), `${r.method} ${r.path}`).toContain(r.method.toLowerCase());
    }
  });
});
