/**
 * Input that must never throw: the request target, percent-decoding, and the two error shapes
 * the emulator answers with (the gateway's, for anything that is not the control API, and the
 * control API's `{error, problems}`), both as ServerResponse writes and as raw socket bytes for
 * requests the HTTP parser itself rejected.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { gatewayError, gatewayErrorBody, type GatewayError } from '../gateway';

export interface RequestTarget {
  /** The path as sent (not normalised: no dot-segment removal, no backslash rewriting). */
  pathname: string;
  query: URLSearchParams;
}

export const CONTROL_PREFIX = '/_emulator/';

/**
 * Parses a request target (origin-form `/path?query`, or absolute-form `http://host/path?query`).
 * Returns an error message instead of throwing for anything else (`*`, `//[` is fine: it is a path).
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | { error: string } {
  const target = raw ?? '/';
  if (target.startsWith('/')) {
    const hash = target.indexOf('#');
    const withoutFragment = hash >= 0 ? target.slice(0, hash) : target;
    const q = withoutFragment.indexOf('?');
    return {
      pathname: q >= 0 ? withoutFragment.slice(0, q) : withoutFragment,
      query: new URLSearchParams(q >= 0 ? withoutFragment.slice(q + 1) : ''),
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      return { pathname: url.pathname, query: url.searchParams };
    } catch {
      return { error: 'The request target is not a valid absolute URL.' };
    }
  }
  return { error: 'The request target must be a path (origin-form) or an absolute URL.' };
}

/** decodeURIComponent that reports malformed percent-encoding instead of throwing URIError. */
export function safeDecodeURIComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/** Writes a JSON answer with an explicit content-length (every emulator answer is framed the same way). */
export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export interface ControlProblem {
  path: string;
  message: string;
}

export function controlErrorBody(error: string, problems: ControlProblem[]): { error: string; problems: ControlProblem[] } {
  return { error, problems };
}

/** A complete HTTP/1.1 response as bytes, closing the connection (for sockets the HTTP parser gave up on). */
export function rawJsonResponse(status: number, payload: unknown, headers: Record<string, string> = {}): string {
  const text = JSON.stringify(payload);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/json;charset=utf-8',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${text}`;
}

/** The gateway's answer to a request the HTTP parser rejected, by llhttp error code. */
export function parseErrorAnswer(code: string | undefined, bodyInProgress: boolean): GatewayError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return gatewayError(431, 'InvalidParameter', 'The request header fields are too large.');
    case 'HPE_INVALID_EOF_STATE':
      return bodyInProgress
        ? gatewayError(400, 'ContentLengthDoesNotMatch', 'The request body is shorter than its Content-Length.')
        : gatewayError(400, 'InvalidParameter', 'The request ended before its header block was complete.');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return gatewayError(400, 'InvalidParameter', 'The Content-Length header is not valid.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return gatewayError(408, 'InvalidParameter', 'The request was not received in time.');
    default:
      return gatewayError(400, 'InvalidParameter', `The request is not valid HTTP (${code ?? 'parse error'}).`);
  }
}

export function rawGatewayResponse(error: GatewayError, region: string, requestId = newRequestId()): string {
  return rawJsonResponse(error.httpStatus, gatewayErrorBody(error, requestId, region), { 'x-acs-request-id': requestId, ...error.headers });
}
