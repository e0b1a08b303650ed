/**
 * Signed, expiring approve links: `<dashboard>/approve?t=<token>` opens the approval gate before one wave of
 * one rollout, for whoever holds the link (an approval-needed notification in Slack or DingTalk), without the
 * API's bearer token. The token is `v1.<payload>.<mac>`: the payload (base64url JSON: rollout id, wave, issued
 * and expiry times in unix seconds, an optional label) and an HMAC-SHA256 over it with
 * STARWAVE_APPROVE_LINK_SECRET, truncated to 128 bits. The worker signs (src/worker/worker.ts), `starwave serve`
 * verifies (src/api/server.ts): signature, expiry, that the link was made for this run of the rollout, and —
 * by sending the approve update — that the gate is still open (the workflow's validator).
 *
 * A link is a bearer credential: it is never logged (the access log has no query strings or bodies), never
 * echoed in an answer, and the approval is recorded as `approve-link:<label>` or `approve-link:<fingerprint>`
 * (12 hex digits of a SHA-256 over the token: tells links apart, reveals nothing usable).
 *
 * Pure apart from node:crypto; the worker imports it, so it imports nothing else of the API.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../config/env';
import { StarwaveError } from '../contracts/errors';

/** How long a link is valid by default: a day (an approval gate often waits overnight). */
export const APPROVE_LINK_TTL_SECONDS = 24 * 60 * 60;
/** Longest validity accepted, whatever the link says: a week. */
export const APPROVE_LINK_MAX_TTL_SECONDS = 7 * 24 * 60 * 60;
/** Clock difference tolerated between the signing worker, `starwave serve` and Temporal. */
export const APPROVE_LINK_SKEW_SECONDS = 5 * 60;
/** Minimum length of STARWAVE_APPROVE_LINK_SECRET (the same bar as the API token). */
export const MIN_APPROVE_LINK_SECRET_LENGTH = 16;

const VERSION = 'v1';
const MAC_BYTES = 16;
const ROLLOUT_ID = /^starwave-rollout-[A-Za-z0-9._:-]{1,200}$/;
const LABEL = /^[A-Za-z0-9._:@-]{1,64}$/;
/** The shape of a token, for query validation (a real token is about 200 characters). */
export const APPROVE_TOKEN_PATTERN = '^v1\\.[A-Za-z0-9_-]{1,1200}\\.[A-Za-z0-9_-]{22}$';

export interface ApproveLinkClaims {
  rolloutId: string;
  wave: number;
  /** Issued at, unix seconds. */
  issuedAt: number;
  /** Expires at, unix seconds. */
  expiresAt: number;
  /** Who the link was made for (shown as `approve-link:<label>`); absent → the token's fingerprint. */
  label?: string;
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`starwave-approve-link.${VERSION}.${payload}`).digest().subarray(0, MAC_BYTES);
}

function checkSecret(secret: string, variable = 'STARWAVE_APPROVE_LINK_SECRET'): void {
  if (secret.length < MIN_APPROVE_LINK_SECRET_LENGTH || /\s/.test(secret)) {
    throw new ConfigError([{ path: variable, message: `must be at least ${MIN_APPROVE_LINK_SECRET_LENGTH} characters without spaces (e.g. openssl rand -hex 32)` }]);
  }
}

/** A token for `claims`, signed with `secret`. Throws on claims no verifier would accept. */
export function signApproveToken(secret: string, claims: ApproveLinkClaims): string {
  checkSecret(secret);
  if (!ROLLOUT_ID.test(claims.rolloutId)) throw new Error(`Cannot sign an approve link for "${claims.rolloutId.slice(0, 100)}": not a rollout id.`);
  if (!Number.isInteger(claims.wave) || claims.wave < 1) throw new Error(`Cannot sign an approve link for wave ${claims.wave}: waves are numbered from 1.`);
  if (claims.label !== undefined && !LABEL.test(claims.label)) throw new Error('An approve link label must be 1-64 letters, digits or ._:@-');
  const body = { r: claims.rolloutId, w: claims.wave, iat: Math.floor(claims.issuedAt), exp: Math.floor(claims.expiresAt), ...(claims.label ? { l: claims.label } : {}) };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${VERSION}.${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** Why a token is refused; each has one sentence for the person holding the link. */
export type ApproveLinkRefusal = 'malformed' | 'signature' | 'expired' | 'not_yet_valid';

export type VerifiedApproveLink = { ok: true; claims: ApproveLinkClaims; by: string } | { ok: false; reason: ApproveLinkRefusal; message: string; claims?: ApproveLinkClaims };

const refused = (reason: ApproveLinkRefusal, message: string, claims?: ApproveLinkClaims): VerifiedApproveLink => ({ ok: false, reason, message, ...(claims ? { claims } : {}) });

/** Short, non-secret name of a token for the audit trail. */
export function approveTokenFingerprint(token: string): string {
  return createHash('sha256').update(`starwave-approve-link:${token}`).digest('hex').slice(0, 12);
}

/**
 * Checks a token's signature (constant time), shape and validity window at `nowMs`. The rollout's state (gate
 * open, same run) is the caller's to check. Never throws; a refusal's sentence never contains the token.
 */
export function verifyApproveToken(secret: string, token: string, nowMs: number): VerifiedApproveLink {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? '') || !/^[A-Za-z0-9_-]{22}$/.test(parts[2] ?? '')) {
    return refused('malformed', 'This approve link is incomplete or damaged; open the link from the notification again, or approve in the dashboard.');
  }
  const [, payload, given] = parts as [string, string, string];
  const expected = mac(secret, payload);
  const givenBytes = Buffer.from(given, 'base64url');
  if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) {
    return refused('signature', 'This approve link was not signed by this starwave (wrong or changed link, or STARWAVE_APPROVE_LINK_SECRET differs between the worker and starwave serve); nothing was approved.');
  }
  let body: { r?: unknown; w?: unknown; iat?: unknown; exp?: unknown; l?: unknown };
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof body;
  } catch {
    return refused('malformed', 'This approve link is damaged; open the link from the notification again, or approve in the dashboard.');
  }
  const { r, w, iat, exp, l } = body ?? {};
  if (typeof r !== 'string' || !ROLLOUT_ID.test(r) || typeof w !== 'number' || !Number.isInteger(w) || w < 1 || typeof iat !== 'number' || typeof exp !== 'number' || (l !== undefined && (typeof l !== 'string' || !LABEL.test(l)))) {
    return refused('malformed', 'This approve link is damaged; open the link from the notification again, or approve in the dashboard.');
  }
  const claims: ApproveLinkClaims = { rolloutId: r, wave: w, issuedAt: iat, expiresAt: exp, ...(typeof l === 'string' ? { label: l } : {}) };
  const now = nowMs / 1000;
  if (now >= exp || exp - iat > APPROVE_LINK_MAX_TTL_SECONDS) {
    return refused('expired', `This approve link for wave ${w} of ${r} expired at ${new Date(exp * 1000).toISOString()}; approve in the dashboard or with "starwave approve ${r} --wave ${w}".`, claims);
  }
  if (iat > now + APPROVE_LINK_SKEW_SECONDS) {
    return refused('not_yet_valid', `This approve link for wave ${w} of ${r} is dated in the future (${new Date(iat * 1000).toISOString()}); check the clocks of the worker and of starwave serve.`, claims);
  }
  return { ok: true, claims, by: `approve-link:${claims.label ?? approveTokenFingerprint(token)}` };
}

/**
 * Whether a verified link belongs to the run that is asking: a rollout id is reused by later runs of the same
 * name, so a link issued before this run started is for an earlier run (and its gate), not this one.
 */
export function linkIsForRun(claims: ApproveLinkClaims, runStartedAtMs: number): boolean {
  return claims.issuedAt * 1000 >= runStartedAtMs - APPROVE_LINK_SKEW_SECONDS * 1000;
}

/** The sentence of a link issued for an earlier run of the rollout (HTTP 409). */
export function earlierRunError(claims: ApproveLinkClaims): StarwaveError {
  return new StarwaveError(
    'ERR_CONTROL_REJECTED',
    `This approve link was made for an earlier run of ${claims.rolloutId} (issued ${new Date(claims.issuedAt * 1000).toISOString()}, before the current run started); nothing was approved.`,
  );
}

export interface ApproveLinkSignerOptions {
  secret: string;
  /** Public base URL of `starwave serve` (STARWAVE_DASHBOARD_URL), e.g. https://starwave.example.com. */
  dashboardUrl: string;
  ttlSeconds?: number;
  label?: string;
  now?: () => number;
}

/** The URL of `/approve` under a base URL (a base with a path prefix keeps it). */
export function approveUrl(dashboardUrl: string, token: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/approve?t=${token}`;
}

/**
 * The worker's `notifier.approveLink`: a signed link per (rollout, wave). Validates the secret and the URL at
 * once (ConfigError naming the variable), so a misconfigured worker fails at start rather than sending links no
 * server accepts.
 */
export function approveLinkSigner(opts: ApproveLinkSignerOptions): (rolloutId: string, wave: number) => string | undefined {
  checkSecret(opts.secret);
  if (!/^https?:\/\/[^\s/?#]+/i.test(opts.dashboardUrl) || /[\s?#]/.test(opts.dashboardUrl)) {
    throw new ConfigError([{ path: 'STARWAVE_DASHBOARD_URL', message: 'must be the http(s) base URL of starwave serve, e.g. https://starwave.example.com (no query or fragment)' }]);
  }
  const ttl = Math.min(opts.ttlSeconds ?? APPROVE_LINK_TTL_SECONDS, APPROVE_LINK_MAX_TTL_SECONDS);
  const now = opts.now ?? Date.now;
  return (rolloutId, wave) => {
    if (!ROLLOUT_ID.test(rolloutId) || !Number.isInteger(wave) || wave < 1) return undefined;
    const issuedAt = Math.floor(now() / 1000);
    return approveUrl(opts.dashboardUrl, signApproveToken(opts.secret, { rolloutId, wave, issuedAt, expiresAt: issuedAt + ttl, ...(opts.label ? { label: opts.label } : {}) }));
  };
}

/** The worker's wiring: a signer when both the key and the base URL are configured, else none. */
export function approveLinkFromEnv(notify: { approveLinkSecret?: string | undefined; dashboardUrl?: string | undefined }): { approveLink?: (rolloutId: string, wave: number) => string | undefined } {
  return notify.approveLinkSecret && notify.dashboardUrl ? { approveLink: approveLinkSigner({ secret: notify.approveLinkSecret, dashboardUrl: notify.dashboardUrl }) } : {};
}

/** For `starwave serve`: validates the configured key (ConfigError) or returns undefined when none is set. */
export function approveLinkSecretFor(serve: string | undefined): string | undefined {
  if (!serve) return undefined;
  checkSecret(serve);
  return serve;
}
