/** The HTTP API's pure parts: token checks, token loading, routing and body validation. */
import { describe, expect, it } from 'vitest';
import { bearerTokenMatches, loadApiToken } from '../../src/api/auth';
import { matchRoute, parseJsonBody, validateApproveBody, validateCancelBody } from '../../src/api/routes';

const TOKEN = 'a-long-enough-token-123';

describe('bearer auth', () => {
  it('accepts only the exact token', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(undefined, TOKEN)).toBe(false);
    expect(bearerTokenMatches('', TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(TOKEN, TOKEN)).toBe(false);
  });

  it('loads the token from env or file and refuses to run without one', () => {
    expect(loadApiToken({}, { STARWAVE_API_TOKEN: TOKEN })).toBe(TOKEN);
    expect(loadApiToken({ tokenFile: '/t' }, {}, () => `${TOKEN}\n`)).toBe(TOKEN);
    expect(() => loadApiToken({}, {})).toThrow(/STARWAVE_API_TOKEN or pass --token-file/);
    expect(loadApiToken({ insecureNoAuth: true }, {})).toBeUndefined();
    expect(() => loadApiToken({}, { STARWAVE_API_TOKEN: 'short' })).toThrow(/at least 16 characters/);
    expect(() => loadApiToken({ insecureNoAuth: true }, { STARWAVE_API_TOKEN: TOKEN })).toThrow(/contradicts/);
    const secret = 'short-secret';
    try {
      loadApiToken({}, { STARWAVE_API_TOKEN: secret });
    } catch (err) {
      expect((err as Error).message).not.toContain(secret); // never echoed
    }
  });
});

describe('routing and bodies', () => {
  it('routes by method and path, with 404 and 405', () => {
    expect(matchRoute('POST', '/v1/rollouts')).toEqual({ ok: true, route: 'createRollout', params: {} });
    expect(matchRoute('GET', '/v1/rollouts/abc%2Fdef/report')).toEqual({ ok: true, route: 'getReport', params: { id: 'abc/def' } });
    expect(matchRoute('PATCH', '/v1/rollouts/x/limits/')).toMatchObject({ ok: true, route: 'setLimits' });
    expect(matchRoute('DELETE', '/v1/rollouts')).toEqual({ ok: false, status: 405, allow: ['POST', 'GET'] });
    expect(matchRoute('GET', '/v2/rollouts')).toEqual({ ok: false, status: 404 });
  });

  it('parses JSON bodies and rejects other content', () => {
    expect(parseJsonBody('{"a":1}', 'application/json')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody('', undefined)).toEqual({ ok: true, value: undefined });
    expect(parseJsonBody('{"a":', 'application/json')).toMatchObject({ ok: false, status: 400 });
    expect(parseJsonBody('a=1', 'application/x-www-form-urlencoded')).toMatchObject({ ok: false, status: 415 });
  });

  it('validates approve and cancel bodies by path', () => {
    expect(validateApproveBody({ wave: 2 })).toEqual({ ok: true, wave: 2 });
    expect(validateApproveBody({ wave: 0, x: 1 })).toEqual({ ok: false, problems: [{ path: 'x', message: 'unknown field' }, { path: 'wave', message: 'must be a whole number of at least 1' }] });
    expect(validateApproveBody(undefined)).toMatchObject({ ok: false });
    expect(validateCancelBody(undefined)).toEqual({ ok: true });
    expect(validateCancelBody({ reason: 'maintenance' })).toEqual({ ok: true, reason: 'maintenance' });
    expect(validateCancelBody({ reason: 5 })).toMatchObject({ ok: false, problems: [{ path: 'reason' }] });
  });
});
