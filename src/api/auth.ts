/** Bearer-token authentication for the HTTP API. The token is never logged or echoed. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadEnv } from '../config/env';
import { StarwaveError } from '../contracts/errors';

/**
 * Constant-time comparison of the request's `Authorization: Bearer <token>` with the expected token. Both sides are
 * hashed first so neither the content nor the length of the expected token leaks through timing.
 */
export function bearerTokenMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const given = match?.[1] ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

/**
 * A short, non-secret name of a token: the first 12 hex digits of SHA-256 over a domain-separated input.
 * 48 bits tell tokens apart in an audit trail and reveal nothing usable about a token of 16+ characters.
 */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(`starwave-api-token:${token}`).digest('hex').slice(0, 12);
}

/** The `by` of control messages and the `trigger` of rollouts started through the API: `api` or `api:<fingerprint>`. */
export function callerIdentity(token: string | undefined): string {
  return token === undefined ? 'api' : `api:${tokenFingerprint(token)}`;
}

export class ApiConfigError extends StarwaveError {
  override readonly name = 'ApiConfigError';
  constructor(message: string) {
    super('ERR_CONFIG_INVALID', message);
  }
}

/** Minimum token length: anything shorter is a typo or a placeholder, not a secret. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The token from --token-file, else env STARWAVE_API_TOKEN. Returns undefined only with insecureNoAuth.
 * Throws ApiConfigError (one sentence, never containing the token) when no usable token is configured.
 */
export function loadApiToken(
  opts: { tokenFile?: string; insecureNoAuth?: boolean },
  env: { STARWAVE_API_TOKEN?: string | undefined } = { STARWAVE_API_TOKEN: loadEnv().apiToken },
  read: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): string | undefined {
  let token: string | undefined;
  let source = 'STARWAVE_API_TOKEN';
  if (opts.tokenFile) {
    source = `--token-file ${opts.tokenFile}`;
    try {
      token = read(opts.tokenFile).trim();
    } catch (err) {
      throw new ApiConfigError(`--token-file ${opts.tokenFile} cannot be read (${err instanceof Error && 'code' in err ? String(err.code) : 'error'}).`);
    }
  } else token = env['STARWAVE_API_TOKEN']?.trim() || undefined;
  if (!token) {
    if (opts.insecureNoAuth) return undefined;
    throw new ApiConfigError('The API needs a bearer token: set STARWAVE_API_TOKEN or pass --token-file <file> (or --insecure-no-auth for local experiments).');
  }
  if (opts.insecureNoAuth) throw new ApiConfigError('--insecure-no-auth contradicts a configured token; drop one of them.');
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new ApiConfigError(`The token from ${source} must be at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32).`);
  }
  return token;
}
