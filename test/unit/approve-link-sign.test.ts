/**
 * Approve links: HMAC-SHA256-signed tokens with an expiry, signed by the worker and verified by `starwave
 * serve`. Any change to the payload or the MAC, another key, an expired or future-dated link is refused with
 * a sentence that never contains the token; `by` is the label or a fingerprint; the worker's wiring signs only
 * with both the key and the base URL, and refuses weak keys and bad URLs by variable name.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  APPROVE_LINK_MAX_TTL_SECONDS,
  APPROVE_LINK_TTL_SECONDS,
  APPROVE_TOKEN_PATTERN,
  approveLinkFromEnv,
  approveLinkSecretFor,
  approveLinkSigner,
  approveTokenFingerprint,
  linkIsForRun,
  signApproveToken,
  verifyApproveToken,
} from '../../src/api/approve-link';

const SECRET = 'approve-link-secret-0123456789abcdef';
const ID = 'starwave-rollout-nightly';
const NOW = 1_764_576_000_000;
const claims = { rolloutId: ID, wave: 2, issuedAt: NOW / 1000, expiresAt: NOW / 1000 + 3600 };

describe('approve tokens', () => {
  it('verifies what it signed, and names the approver by label or fingerprint', () => {
    const token = signApproveToken(SECRET, claims);
    expect(token).toMatch(new RegExp(APPROVE_TOKEN_PATTERN));
    const v = verifyApproveToken(SECRET, token, NOW + 1_000);
    expect(v).toEqual({ ok: true, claims, by: `approve-link:${approveTokenFingerprint(token)}` });
    expect(approveTokenFingerprint(token)).toMatch(/^[0-9a-f]{12}$/);
    const labelled = signApproveToken(SECRET, { ...claims, label: 'slack-ops' });
    expect(verifyApproveToken(SECRET, labelled, NOW)).toMatchObject({ ok: true, by: 'approve-link:slack-ops' });
  });

  it('refuses a changed payload, a changed MAC, another key and a damaged token, without echoing it', () => {
    const token = signApproveToken(SECRET, claims);
    const [v, payload, mac] = token.split('.') as [string, string, string];
    const otherWave = Buffer.from(JSON.stringify({ r: ID, w: 3, iat: claims.issuedAt, exp: claims.expiresAt })).toString('base64url');
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    const cases: Array<[string, string, string]> = [
      ['another wave', `${v}.${otherWave}.${mac}`, 'signature'],
      ['a changed MAC', `${v}.${payload}.${flipped}`, 'signature'],
      ['another key', signApproveToken(`${SECRET}x`, claims), 'signature'],
      ['no MAC', `${v}.${payload}.`, 'malformed'],
      ['another version', `v2.${payload}.${mac}`, 'malformed'],
      ['not a token', 'hello', 'malformed'],
      ['extra part', `${token}.x`, 'malformed'],
    ];
    for (const [label, t, reason] of cases) {
      const r = verifyApproveToken(SECRET, t, NOW);
      expect(r, label).toMatchObject({ ok: false, reason });
      if (!r.ok) {
        expect(r.message, label).not.toContain(mac);
        expect(r.message, label).toMatch(/nothing was approved|damaged|incomplete/);
      }
    }
    // A validly signed payload that is not a link of ours (a MAC over other JSON) is damaged, not trusted.
    const odd = Buffer.from(JSON.stringify({ r: 'starwave-leases-q', w: 1, iat: 1, exp: 2 })).toString('base64url');
    const oddMac = createHmac('sha256', SECRET).update(`starwave-approve-link.v1.${odd}`).digest().subarray(0, 16).toString('base64url');
    expect(verifyApproveToken(SECRET, `v1.${odd}.${oddMac}`, NOW)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('expires, refuses links dated in the future and validity beyond a week', () => {
    const token = signApproveToken(SECRET, claims);
    expect(verifyApproveToken(SECRET, token, NOW + 3_599_000).ok).toBe(true);
    const expired = verifyApproveToken(SECRET, token, NOW + 3_600_000);
    expect(expired).toMatchObject({ ok: false, reason: 'expired', claims: { rolloutId: ID, wave: 2 } });
    if (!expired.ok) expect(expired.message).toMatch(/expired at 2025-12-01T09:00:00\.000Z; approve in the dashboard or with "starwave approve starwave-rollout-nightly --wave 2"/);
    expect(verifyApproveToken(SECRET, token, NOW - 10 * 60_000)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    const long = signApproveToken(SECRET, { ...claims, expiresAt: claims.issuedAt + APPROVE_LINK_MAX_TTL_SECONDS + 1 });
    expect(verifyApproveToken(SECRET, long, NOW)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('belongs to the run it was issued for (a rollout id is reused by later runs)', () => {
    expect(linkIsForRun(claims, NOW - 60_000)).toBe(true);
    expect(linkIsForRun(claims, NOW + 60_000)).toBe(true); // clocks may differ a little
    expect(linkIsForRun(claims, NOW + 6 * 60_000)).toBe(false);
  });

  it('signs only what a verifier accepts', () => {
    expect(() => signApproveToken(SECRET, { ...claims, rolloutId: 'starwave-leases-q' })).toThrow(/not a rollout id/);
    expect(() => signApproveToken(SECRET, { ...claims, wave: 0 })).toThrow(/numbered from 1/);
    expect(() => signApproveToken(SECRET, { ...claims, label: 'has space' })).toThrow(/label/);
    expect(() => signApproveToken('short', claims)).toThrow(/STARWAVE_APPROVE_LINK_SECRET: must be at least 16 characters/);
  });
});

describe("the worker's approve links", () => {
  it('makes expiring links under the dashboard URL when both the key and the URL are set', () => {
    const sign = approveLinkSigner({ secret: SECRET, dashboardUrl: 'https://starwave.example.com/ops/', now: () => NOW });
    const link = sign(ID, 3)!;
    expect(link).toMatch(/^https:\/\/starwave\.example\.com\/ops\/approve\?t=v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    const v = verifyApproveToken(SECRET, new URL(link).searchParams.get('t')!, NOW);
    expect(v).toMatchObject({ ok: true, claims: { rolloutId: ID, wave: 3, issuedAt: NOW / 1000, expiresAt: NOW / 1000 + APPROVE_LINK_TTL_SECONDS } });
    expect(sign('not-a-rollout', 1)).toBeUndefined();

    expect(approveLinkFromEnv({ approveLinkSecret: SECRET, dashboardUrl: 'https://s.example' }).approveLink).toBeTypeOf('function');
    expect(approveLinkFromEnv({ approveLinkSecret: SECRET, dashboardUrl: undefined })).toEqual({});
    expect(approveLinkFromEnv({ approveLinkSecret: undefined, dashboardUrl: 'https://s.example' })).toEqual({});
  });

  it('refuses a weak key or a bad URL at start, by variable name, without the value', () => {
    expect(() => approveLinkFromEnv({ approveLinkSecret: 'tiny-secret', dashboardUrl: 'https://s.example' })).toThrow(/STARWAVE_APPROVE_LINK_SECRET/);
    try {
      approveLinkFromEnv({ approveLinkSecret: 'tiny-secret', dashboardUrl: 'https://s.example' });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('tiny-secret');
    }
    expect(() => approveLinkFromEnv({ approveLinkSecret: SECRET, dashboardUrl: 'starwave.example.com' })).toThrow(/STARWAVE_DASHBOARD_URL: must be the http\(s\) base URL/);
    expect(() => approveLinkFromEnv({ approveLinkSecret: SECRET, dashboardUrl: 'https://s.example/?x=1' })).toThrow(/STARWAVE_DASHBOARD_URL/);
    expect(approveLinkSecretFor(undefined)).toBeUndefined();
    expect(approveLinkSecretFor(SECRET)).toBe(SECRET);
    expect(() => approveLinkSecretFor('with a space in it 0123')).toThrow(/STARWAVE_APPROVE_LINK_SECRET/);
  });
});
