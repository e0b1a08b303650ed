/**
 * ACS3-HMAC-SHA256 request signing (Alibaba Cloud OpenAPI signature V3).
 *
 * Pure functions only: no I/O, no clock, no randomness. The client injects the date and nonce;
 * the emulator uses the same canonicalisation to verify what it receives, so both sides agree
 * byte for byte with the vendor's algorithm (see the test vectors in the spec, reproduced in
 * test/unit/signer.test.ts).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_ALGORITHM = 'ACS3-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignableRequest {
  method: string;
  /** URL pathname, e.g. `/webapi/starrocks/restartCluster`. */
  pathname: string;
  /** Decoded query parameters. Order does not matter: they are sorted for signing. */
  query: Readonly<Record<string, string | undefined>>;
  /** Every header that will be sent (names in any case). Only host, content-type and x-acs-* are signed. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** hex SHA-256 of the exact body bytes (EMPTY_BODY_SHA256 when there is no body). */
  payloadHash: string;
}

export interface AccessKey {
  accessKeyId: string;
  accessKeySecret: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 percent-encoding: keeps A-Z a-z 0-9 - _ . ~ and encodes everything else as %XX (upper case). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Pathname with each segment percent-encoded and `/` kept. */
export function canonicalUri(pathname: string): string {
  if (pathname === '') return '/';
  return pathname
    .split('/')
    .map((segment) => percentEncode(safeDecode(segment)))
    .join('/');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Sorted `name=value` pairs joined with `&`; values (and names) RFC 3986-encoded; empty value renders `name=`. */
export function canonicalQueryString(query: Readonly<Record<string, string | undefined>>): string {
  return Object.keys(query)
    .sort(compareBytes)
    .map((name) => `${percentEncode(name)}=${percentEncode(query[name] ?? '')}`)
    .join('&');
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Lower-cased names of the headers that are signed: host, content-type and every x-acs-* header. */
function signedHeaderEntries(headers: SignableRequest['headers']): Array<[string, string]> {
  const merged = new Map<string, string[]>();
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase().trim();
    if (name !== 'host' && name !== 'content-type' && !name.startsWith('x-acs-')) continue;
    const values = (Array.isArray(rawValue) ? rawValue : [rawValue as string]).map((v) => v.trim());
    merged.set(name, [...(merged.get(name) ?? []), ...values]);
  }
  return [...merged.entries()]
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([name, values]) => [name, [...values].sort(compareBytes).join(',')]);
}

export function signedHeaderNames(headers: SignableRequest['headers']): string {
  return signedHeaderEntries(headers)
    .map(([name]) => name)
    .join(';');
}

export function canonicalRequest(request: SignableRequest): string {
  const entries = signedHeaderEntries(request.headers);
  const canonicalHeaders = entries.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedHeaders = entries.map(([name]) => name).join(';');
  return [
    request.method.toUpperCase(),
    canonicalUri(request.pathname),
    canonicalQueryString(request.query),
    canonicalHeaders,
    signedHeaders,
    request.payloadHash,
  ].join('\n');
}

export function stringToSign(request: SignableRequest): string {
  return `${SIGNATURE_ALGORITHM}\n${sha256Hex(canonicalRequest(request))}`;
}

export function signature(request: SignableRequest, accessKeySecret: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign(request)).digest('hex');
}

/** The `authorization` header value for `request` signed with `key`. */
export function authorization(request: SignableRequest, key: AccessKey): string {
  return (
    `${SIGNATURE_ALGORITHM} Credential=${key.accessKeyId},` +
    `SignedHeaders=${signedHeaderNames(request.headers)},` +
    `Signature=${signature(request, key.accessKeySecret)}`
  );
}

export interface ParsedAuthorization {
  algorithm: string;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses an `authorization` header; returns undefined when its structure is not ACS3. */
export function parseAuthorization(value: string | undefined): ParsedAuthorization | undefined {
  if (!value) return undefined;
  const match = /^(\S+) Credential=([^,]+),SignedHeaders=([^,]*),Signature=([0-9a-f]+)$/.exec(value.trim());
  if (!match) return undefined;
  const [, algorithm, accessKeyId, signedHeaders, sig] = match;
  return {
    algorithm: algorithm!,
    accessKeyId: accessKeyId!,
    signedHeaders: signedHeaders!.split(';').filter(Boolean),
    signature: sig!,
  };
}

/** Constant-time comparison of two hex signatures. */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `x-acs-date` format: UTC ISO-8601 without fraction, e.g. `2025-01-15T08:30:00Z`. */
export function acsDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
