/** The HTTP API's authentication and exposure rules: token checks, token loading, caller identity, bind address. */
import { describe, expect, it } from 'vitest';
import { bearerTokenMatches, callerIdentity, loadApiToken, tokenFingerprint } from '../../src/api/auth';
import { checkExposure, isLoopbackHost } from '../../src/api/serve';

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
    expect(() => loadApiToken({}, { STARWAVE_API_TOKEN: secret })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    try {
      loadApiToken({}, { STARWAVE_API_TOKEN: secret });
    } catch (err) {
      expect((err as Error).message).not.toContain(secret); // never echoed
    }
  });

  it('names the caller by a fingerprint that is not the token', () => {
    expect(callerIdentity(undefined)).toBe('api');
    const id = callerIdentity(TOKEN);
    expect(id).toMatch(/^api:[0-9a-f]{12}$/);
    expect(id).not.toContain(TOKEN);
    expect(id).toBe(`api:${tokenFingerprint(TOKEN)}`);
    expect(callerIdentity(`${TOKEN}x`)).not.toBe(id);
  });
});

describe('listen address', () => {
  it('tells loopback addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '[::]']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses --insecure-no-auth beyond loopback unless confirmed, and warns loudly either way', () => {
    expect(checkExposure({ host: '127.0.0.1', authenticated: true, confirmed: false })).toEqual([]);
    expect(checkExposure({ host: '0.0.0.0', authenticated: true, confirmed: false })[0]).toMatch(/clear text/);
    expect(checkExposure({ host: '127.0.0.1', authenticated: false, confirmed: false })[0]).toMatch(/^WARNING: .*WITHOUT authentication/);
    expect(() => checkExposure({ host: '0.0.0.0', authenticated: false, confirmed: false })).toThrow(/--i-understand-anyone-can-restart/);
    expect(() => checkExposure({ host: '0.0.0.0', authenticated: false, confirmed: false })).toThrow(expect.objectContaining({ code: 'ERR_FLAG_INVALID' }));
    expect(checkExposure({ host: '0.0.0.0', authenticated: false, confirmed: true })[0]).toMatch(/ANYONE who can reach this port/);
  });
});

describe('runServe', () => {
  it('binds 127.0.0.1 by default and warns loudly without authentication', async () => {
    const { runServe } = await import('../../src/api/serve.js');
    const lines: string[] = [];
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    let url = '';
    const done = runServe({ port: 0, insecureNoAuth: true, target: { address: '127.0.0.1:1' }, write: (l) => lines.push(l), until, onListening: (u) => ((url = u), stop()) });
    await expect(done).resolves.toBe(0);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.some((l) => /"level":"WARN".*WITHOUT authentication/.test(l))).toBe(true);
  });

  it('refuses --insecure-no-auth on a non-loopback address before listening, unless confirmed', async () => {
    const { runServe } = await import('../../src/api/serve.js');
    const lines: string[] = [];
    await expect(runServe({ port: 0, host: '0.0.0.0', insecureNoAuth: true, target: {}, write: (l) => lines.push(l), until: Promise.resolve() })).rejects.toThrow(/--i-understand-anyone-can-restart/);
    expect(lines).toEqual([]);
    await expect(runServe({ port: 0, host: '0.0.0.0', insecureNoAuth: true, iUnderstandAnyoneCanRestart: true, target: {}, write: (l) => lines.push(l), until: Promise.resolve() })).resolves.toBe(0);
    expect(lines.join('\n')).toMatch(/ANYONE who can reach this port/);
  });
});
