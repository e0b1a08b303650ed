/**
 * Minimal signed HTTP caller for the emulator (tests, fault suite, smoke checks). Deliberately
 * independent of the production client in src/starrocks/ so emulator tests do not depend on it;
 * it shares only the canonicalisation in src/starrocks/signer.ts. Every knob can be bent to
 * produce a wrong request on purpose.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { EMPTY_BODY_SHA256, acsDate, authorization, percentEncode, sha256Hex } from '../starrocks/signer';
import { ROUTES } from './gateway';
import { DEFAULT_KEY } from './types';

export interface SignedCall {
  /** Base URL, e.g. `http://127.0.0.1:18080`. */
  baseUrl: string;
  action: string;
  /** Defaults to the action's real path. */
  pathname?: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  method?: string;
  key?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  /** Signing date (epoch ms); default now. */
  dateMs?: number;
  nonce?: string;
  version?: string;
  /** Headers added AFTER signing (override or add unsigned ones); `null` removes a header. */
  afterSigning?: Record<string, string | null>;
  /** Secret used to sign instead of key.accessKeySecret. */
  signWithSecret?: string;
  timeoutMs?: number;
}

export interface SignedCallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: Record<string, unknown> | undefined;
}

export function pathFor(action: string): string {
  const entry = Object.entries(ROUTES).find(([, a]) => a === action);
  return entry ? entry[0] : `/unknown/${action}`;
}

/** Sends one signed request. Rejects on connection errors (e.g. a dropped socket). */
export function signedCall(call: SignedCall): Promise<SignedCallResult> {
  const url = new URL(call.baseUrl);
  const key = call.key ?? DEFAULT_KEY;
  const pathname = call.pathname ?? pathFor(call.action);
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) query[k] = String(v);
  const bodyText = call.body === undefined ? undefined : JSON.stringify(call.body);
  const payloadHash = bodyText === undefined ? EMPTY_BODY_SHA256 : sha256Hex(bodyText);
  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-action': call.action,
    'x-acs-version': call.version ?? '2022-10-19',
    'x-acs-date': acsDate(call.dateMs ?? Date.now()),
    'x-acs-signature-nonce': call.nonce ?? randomBytes(16).toString('hex'),
    'x-acs-content-sha256': payloadHash,
  };
  if (bodyText !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  if (key.securityToken) {
    headers['x-acs-accesskey-id'] = key.accessKeyId;
    headers['x-acs-security-token'] = key.securityToken;
  }
  const method = call.method ?? 'POST';
  headers['authorization'] = authorization(
    { method, pathname, query, headers, payloadHash },
    { accessKeyId: key.accessKeyId, accessKeySecret: call.signWithSecret ?? key.accessKeySecret },
  );
  for (const [name, value] of Object.entries(call.afterSigning ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  const qs = Object.entries(query)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: qs ? `${pathname}?${qs}` : pathname,
        headers: { ...headers, ...(bodyText !== undefined ? { 'content-length': String(Buffer.byteLength(bodyText)) } : {}) },
        agent: false,
        timeout: call.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (bodyText !== undefined) req.write(bodyText);
    req.end();
  });
}
