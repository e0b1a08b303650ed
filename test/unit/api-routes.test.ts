/** Routing, path parameters, control bodies (the contracts' zod schemas) and query parameters. */
import { describe, expect, it } from 'vitest';
import { StarwaveError } from '../../src/contracts/errors';
import { checkPathParams, matchRoute } from '../../src/api/routes';
import { listQuerySchema, parseControlBody, parseQuery, progressQuerySchema } from '../../src/api/schemas';
import { rolloutListQuery } from '../../src/client/api-list';

const seg = (path: string): string[] => path.split('/').slice(1);
const thrown = (fn: () => unknown): StarwaveError => {
  try {
    fn();
  } catch (err) {
    return err as StarwaveError;
  }
  throw new Error('did not throw');
};

describe('routing', () => {
  it('routes by method and path, with 404 and 405 (Allow)', () => {
    expect(matchRoute('POST', seg('/v1/rollouts'))).toMatchObject({ ok: true, route: 'createRollout', params: {} });
    expect(matchRoute('GET', ['v1', 'rollouts', 'starwave-rollout-a', 'report'])).toMatchObject({ ok: true, route: 'getReport', params: { id: 'starwave-rollout-a' } });
    expect(matchRoute('POST', seg('/v1/rollouts/x/skip'))).toMatchObject({ ok: true, route: 'skip' });
    expect(matchRoute('DELETE', seg('/v1/rollouts'))).toEqual({ ok: false, status: 405, allow: ['POST', 'GET'] });
    expect(matchRoute('HEAD', seg('/healthz'))).toMatchObject({ ok: true, route: 'healthz', isPublic: true });
    expect(matchRoute('HEAD', seg('/v1/rollouts'))).toMatchObject({ ok: false, status: 405 });
    expect(matchRoute('GET', seg('/v2/rollouts'))).toEqual({ ok: false, status: 404 });
    expect(matchRoute('GET', ['v1', 'rollouts', ''])).toEqual({ ok: false, status: 404 });
  });

  it('accepts only starwave rollout ids in {id}: one 404 sentence for everything else (issue 15: wave children, the lease registry)', () => {
    expect(() => checkPathParams({ id: 'starwave-rollout-nightly' })).not.toThrow();
    const messages = new Set<string>();
    for (const id of ['starwave-rollout-x/wave-1', 'starwave-leases', 'anything', 'starwave-rollout-', 'starwave-rollout-a b']) {
      const e = thrown(() => checkPathParams({ id }));
      expect(e.code, id).toBe('ERR_ROLLOUT_NOT_FOUND');
      expect(e.httpStatus).toBe(404);
      messages.add(e.message.replace(JSON.stringify(id), '<id>'));
    }
    expect(messages.size).toBe(1);
  });
});

describe('control bodies', () => {
  it('validates each body with its contract schema and sets by on the server', () => {
    expect(parseControlBody('pause', { present: false }, 'api:abc')).toEqual({ by: 'api:abc' });
    expect(parseControlBody('cancel', { present: true, value: { reason: 'maintenance' } }, 'api')).toEqual({ reason: 'maintenance', by: 'api' });
    expect(parseControlBody('approve', { present: true, value: { wave: 2 } }, 'api')).toEqual({ wave: 2, by: 'api' });
    expect(parseControlBody('skip', { present: true, value: { instanceId: 'c-0123456789abcdef' } }, 'api')).toEqual({ instanceId: 'c-0123456789abcdef', by: 'api' });
    expect(parseControlBody('setLimits', { present: true, value: { concurrency: { perRegion: 2 } } }, 'api')).toEqual({ concurrency: { perRegion: 2 }, by: 'api' });
  });

  it('lists every problem by path, from zod (no text parsing)', () => {
    const limits = thrown(() => parseControlBody('setLimits', { present: true, value: { concurrency: { global: 0 }, speed: 1 } }, 'api'));
    expect(limits.code).toBe('ERR_LIMITS_INVALID');
    expect(limits.problems.map((p) => p.path).sort()).toEqual(['concurrency.global', 'speed']);
    expect(thrown(() => parseControlBody('setLimits', { present: true, value: {} }, 'api')).problems).toEqual([{ path: '(body)', message: 'give concurrency and/or failureBudget' }]);
    expect(thrown(() => parseControlBody('approve', { present: true, value: { wave: 'two' } }, 'api')).problems.map((p) => p.path)).toEqual(['wave']);
    expect(thrown(() => parseControlBody('approve', { present: false }, 'api')).problems.map((p) => p.path)).toEqual(['(body)']);
    expect(thrown(() => parseControlBody('skip', { present: true, value: { instanceId: 'i-1' } }, 'api')).problems.map((p) => p.path)).toEqual(['instanceId']);
    expect(thrown(() => parseControlBody('cancel', { present: true, value: { reason: 'x'.repeat(501) } }, 'api')).problems.map((p) => p.path)).toEqual(['reason']);
    expect(thrown(() => parseControlBody('pause', { present: true, value: [1] }, 'api')).code).toBe('ERR_BAD_BODY');
    expect(thrown(() => parseControlBody('resume', { present: true, value: null }, 'api')).code).toBe('ERR_BAD_BODY');
  });

  it('rejects a caller-sent by instead of recording a claim the server cannot check', () => {
    const e = thrown(() => parseControlBody('pause', { present: true, value: { by: 'cli:mallory' } }, 'api:abc'));
    expect(e.code).toBe('ERR_BAD_BODY');
    expect(e.problems).toEqual([{ path: 'by', message: expect.stringMatching(/set by the server/) }]);
  });
});

describe('query parameters', () => {
  const q = (text: string) => new URLSearchParams(text);
  it('reads documented parameters, numbers from decimal text, and ignores unknown ones', () => {
    expect(parseQuery(listQuerySchema, q('status=running&pageSize=20&x=1'))).toEqual({ status: 'running', pageSize: 20 });
    expect(parseQuery(progressQuerySchema, q('detail=all'))).toEqual({ detail: 'all' });
    expect(parseQuery(listQuerySchema, q(''))).toEqual({});
  });

  it('answers null, unknown values, non-integers and duplicates with ERR_QUERY_INVALID by name (issue 15: ?status=null, ?detail=null)', () => {
    for (const [schema, text, path] of [
      [listQuerySchema, 'status=null', 'status'],
      [progressQuerySchema, 'detail=null', 'detail'],
      [listQuerySchema, 'pageSize=0', 'pageSize'],
      [listQuerySchema, 'pageSize=1.5', 'pageSize'],
      [listQuerySchema, 'pageSize=1001', 'pageSize'],
      [listQuerySchema, 'pageSize=1e2', 'pageSize'],
      [listQuerySchema, 'name=Bad%20Name', 'name'],
      [listQuerySchema, 'pageToken=a%2Bb', 'pageToken'],
      [listQuerySchema, 'status=running&status=failed', 'status'],
    ] as const) {
      const e = thrown(() => parseQuery(schema, q(text)));
      expect(e.code, text).toBe('ERR_QUERY_INVALID');
      expect(e.httpStatus).toBe(400);
      expect(e.problems.map((p) => p.path), text).toEqual([path]);
    }
  });
});

describe('dashboard routes (issue 12)', () => {
  it('routes the pages, files, live view and approve links; only the live view needs the token', () => {
    expect(matchRoute('GET', [])).toMatchObject({ ok: true, route: 'dashboard', isPublic: true, pattern: '/' });
    expect(matchRoute('GET', seg('/rollouts/starwave-rollout-a'))).toMatchObject({ ok: true, route: 'dashboardRollout', params: { id: 'starwave-rollout-a' }, isPublic: true });
    expect(matchRoute('GET', seg('/dashboard/app.js'))).toMatchObject({ ok: true, route: 'dashboardAsset', params: { asset: 'app.js' }, isPublic: true });
    expect(matchRoute('GET', seg('/v1/rollouts/starwave-rollout-a/events'))).toMatchObject({ ok: true, route: 'rolloutEvents', isPublic: false });
    expect(matchRoute('GET', seg('/approve'))).toMatchObject({ ok: true, route: 'approveLinkPage', isPublic: true });
    expect(matchRoute('POST', seg('/approve'))).toMatchObject({ ok: true, route: 'approveLink', isPublic: true });
    expect(matchRoute('DELETE', seg('/approve'))).toEqual({ ok: false, status: 405, allow: ['GET', 'POST'] });
    expect(matchRoute('POST', [])).toEqual({ ok: false, status: 405, allow: ['GET'] });
  });

  it('serves only its own files and only rollout pages', () => {
    expect(() => checkPathParams({ asset: 'app.css' })).not.toThrow();
    for (const asset of ['../package.json', 'app.js.map', 'APP.JS', '']) expect(thrown(() => checkPathParams({ asset })).code, asset).toBe('ERR_NOT_FOUND');
    expect(thrown(() => checkPathParams({ id: 'starwave-leases-q' })).code).toBe('ERR_ROLLOUT_NOT_FOUND');
  });

  it('filters the list by region (StarwaveRegions), validated like the spec', () => {
    expect(parseQuery(listQuerySchema, new URLSearchParams('region=cn-hangzhou'))).toEqual({ region: 'cn-hangzhou' });
    expect(thrown(() => parseQuery(listQuerySchema, new URLSearchParams('region=Hangzhou!'))).problems.map((p) => p.path)).toEqual(['region']);
    expect(rolloutListQuery({ region: 'cn-hangzhou', name: 'nightly' })).toBe("WorkflowType='rolloutWorkflow' AND ExecutionStatus!='ContinuedAsNew' AND StarwaveName='nightly' AND StarwaveRegions='cn-hangzhou'");
  });
});
