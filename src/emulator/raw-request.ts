/**
 * Raw HTTP/1.1 over a TCP socket, for tests that must send what no HTTP client would (malformed
 * request targets, broken headers, lying content-length) and must see exactly what came back.
 * `parseResponses` splits the bytes into complete responses and reports anything left over, so a
 * truncated or garbled answer is visible instead of being smoothed over by a client library.
 */
import { connect } from 'node:net';

export interface RawExchange {
  /** Every byte the server sent before closing (or before the timeout). */
  received: Buffer;
  /** How the exchange ended: the server closed, the socket errored (e.g. ECONNRESET), or our timeout. */
  ended: 'closed' | 'error' | 'timeout';
  errorCode?: string;
}

export interface RawRequestOptions {
  host: string;
  port: number;
  /** Exactly what is written to the socket. */
  bytes: Buffer | string;
  /** Half-close after writing (default true): the server sees EOF, as after a complete request. */
  endAfterWrite?: boolean;
  timeoutMs?: number;
}

/** Writes the bytes, then collects everything until the server closes, errors or the timeout passes. */
export function rawExchange(opts: RawRequestOptions): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: opts.host, port: opts.port });
    const finish = (ended: RawExchange['ended'], errorCode?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), ended, ...(errorCode ? { errorCode } : {}) });
    };
    const timer = setTimeout(() => finish('timeout'), opts.timeoutMs ?? 5_000);
    socket.on('connect', () => {
      if (opts.endAfterWrite ?? true) socket.end(opts.bytes);
      else socket.write(opts.bytes);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => finish('error', error.code ?? 'ERROR'));
    socket.on('close', () => finish('closed'));
  });
}

export interface ParsedResponse {
  httpVersion: string;
  status: number;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ParsedStream {
  responses: ParsedResponse[];
  /** Bytes after the last complete response (a truncated or garbled answer when non-empty). */
  leftover: Buffer;
  /** Why parsing stopped early, when it did. */
  problem?: string;
}

/**
 * Splits a byte stream into HTTP/1.x responses. A response needs a content-length or chunked
 * framing, except when it has no body by definition (1xx, 204, 304, or `bodyless(i)` — e.g. the
 * answer to HEAD — where `i` counts final, non-1xx responses only) or is the last one and the
 * connection closed (read-until-close framing).
 */
export function parseResponses(bytes: Buffer, bodyless: (finalIndex: number, status: number) => boolean = () => false): ParsedStream {
  const responses: ParsedResponse[] = [];
  let finals = 0;
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) return { responses, leftover: bytes.subarray(offset), problem: 'incomplete head' };
    const lines = bytes.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const statusLine = /^(HTTP\/1\.[01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!statusLine) return { responses, leftover: bytes.subarray(offset), problem: `bad status line ${JSON.stringify(lines[0])}` };
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return { responses, leftover: bytes.subarray(offset), problem: `bad header line ${JSON.stringify(line)}` };
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(statusLine[2]);
    let bodyStart = headEnd + 4;
    let body: Buffer;
    const informational = status >= 100 && status < 200;
    if (informational || bodyless(finals, status) || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const sizeEnd = bytes.indexOf('\r\n', bodyStart);
        if (sizeEnd < 0) return { responses, leftover: bytes.subarray(offset), problem: 'incomplete chunk size' };
        const size = parseInt(bytes.subarray(bodyStart, sizeEnd).toString('latin1'), 16);
        if (!Number.isFinite(size)) return { responses, leftover: bytes.subarray(offset), problem: 'bad chunk size' };
        const dataStart = sizeEnd + 2;
        if (size === 0) {
          const trailerEnd = bytes.indexOf('\r\n', dataStart);
          if (trailerEnd < 0) return { responses, leftover: bytes.subarray(offset), problem: 'incomplete last chunk' };
          bodyStart = trailerEnd + 2;
          break;
        }
        if (dataStart + size + 2 > bytes.length) return { responses, leftover: bytes.subarray(offset), problem: 'incomplete chunk' };
        parts.push(bytes.subarray(dataStart, dataStart + size));
        bodyStart = dataStart + size + 2;
      }
      body = Buffer.concat(parts);
      offset = bodyStart;
      responses.push({ httpVersion: statusLine[1]!, status, headers, body });
      finals++;
      continue;
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (!Number.isInteger(length) || length < 0) return { responses, leftover: bytes.subarray(offset), problem: 'bad content-length' };
      if (bodyStart + length > bytes.length) return { responses, leftover: bytes.subarray(offset), problem: 'body shorter than content-length' };
      body = bytes.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else {
      // Read-until-close framing: everything that follows is this response's body.
      body = bytes.subarray(bodyStart);
      bodyStart = bytes.length;
    }
    responses.push({ httpVersion: statusLine[1]!, status, headers, body });
    if (!informational) finals++;
    offset = bodyStart;
  }
  return { responses, leftover: Buffer.alloc(0) };
}
