/**
 * The HTTP layer's input handling, pure where it can be: request targets parsed without `new URL` on the raw
 * target (which throws on `//[`), bodies read under a size limit, UTF-8 checked byte by byte so a broken
 * sequence is reported at the JSON path of the string it sits in, and JSON values walked for lone surrogates.
 * Nothing here throws anything but a StarwaveError with a sentence and a code.
 */
import type { IncomingMessage } from 'node:http';
import { StarwaveError, type Problem } from '../contracts/errors';

// ---------------------------------------------------------------------------------------------
// Request targets

export interface RequestTarget {
  /** Decoded path segments (`/v1/rollouts/x` → ['v1', 'rollouts', 'x']); a trailing slash is dropped. */
  segments: string[];
  /** The path as sent, without query, fragment, scheme, host or userinfo: the only part that may be logged. */
  path: string;
  query: URLSearchParams;
}

// RFC 3986 pchar plus "/" (percent-escapes are checked separately).
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const MAX_TARGET_LENGTH = 8 * 1024;

const badTarget = (why: string): StarwaveError =>
  new StarwaveError('ERR_BAD_REQUEST_TARGET', `The request target is not a valid path (${why}); send an origin-form target such as /v1/rollouts.`);

/**
 * Parses `req.url`: origin-form (`/path?query`) or absolute-form (`http://host/path`, whose scheme, host and
 * userinfo are dropped). Anything else — `//[`, `http://[`, `//a:99999/`, `*`, broken percent-escapes — is
 * ERR_BAD_REQUEST_TARGET (400).
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget {
  let target = raw ?? '';
  if (target.length === 0) throw badTarget('it is empty');
  if (target.length > MAX_TARGET_LENGTH) throw badTarget(`it is longer than ${MAX_TARGET_LENGTH} characters`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    // Absolute-form (proxies send it). Parsed only to find where the path starts; never logged.
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw badTarget('its authority cannot be parsed');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badTarget('only http and https targets are served');
    const afterAuthority = target.indexOf('/', target.indexOf('//') + 2);
    target = afterAuthority < 0 ? '/' : target.slice(afterAuthority);
  }
  if (!target.startsWith('/')) throw badTarget('it does not start with "/"');
  if (target.startsWith('//')) throw badTarget('it starts with "//", which reads as a host name');
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const path = q >= 0 ? target.slice(0, q) : target;
  const queryText = q >= 0 ? target.slice(q + 1) : '';
  if (!PATH_CHARS.test(path)) throw badTarget('it contains characters that must be percent-encoded');
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const segments: string[] = [];
  for (const segment of trimmed.split('/').slice(1)) {
    try {
      segments.push(decodeURIComponent(segment));
    } catch {
      throw badTarget('it has a broken percent-escape');
    }
  }
  if (trimmed === '/') segments.length = 0;
  let query: URLSearchParams;
  try {
    // decodeURIComponent-compatible check first: URLSearchParams silently keeps broken escapes as text.
    for (const part of queryText.split('&')) decodeURIComponent(part.replace(/\+/g, ' '));
    query = new URLSearchParams(queryText);
  } catch {
    throw new StarwaveError('ERR_QUERY_INVALID', 'The query string has a broken percent-escape.', { problems: [{ path: '(query)', message: 'broken percent-escape' }] });
  }
  return { segments, path, query };
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** Reads the body (at most `limit` bytes, else ERR_BODY_TOO_LARGE; the rest is drained, not kept). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): StarwaveError => new StarwaveError('ERR_BODY_TOO_LARGE', `The body is larger than ${limit} bytes (${limit / 1024} KiB); send a smaller one.`);
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (err) => {
      if (!done) reject(new StarwaveError('ERR_BAD_BODY', `The body could not be read (${err.message}).`));
      done = true;
    });
  });
}

/**
 * Byte offsets where an invalid UTF-8 sequence starts (overlong forms, surrogates, code points above
 * U+10FFFF, truncated sequences and stray continuation bytes), each with its length.
 */
export function invalidUtf8Runs(bytes: Uint8Array): Array<{ at: number; length: number }> {
  const runs: Array<{ at: number; length: number }> = [];
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else {
      runs.push({ at: i, length: 1 });
      i++;
      continue;
    }
    let j = 1;
    for (; j <= need; j++) {
      const c = bytes[i + j];
      const min = j === 1 ? lo : 0x80;
      const max = j === 1 ? hi : 0xbf;
      if (c === undefined || c < min || c > max) break;
    }
    if (j <= need) {
      runs.push({ at: i, length: j });
      i += j;
    } else i += need + 1;
  }
  return runs;
}

// A lone surrogate never comes out of decoding valid UTF-8, so it can stand in for a broken sequence: the JSON
// parser keeps it inside the string it belongs to, and the walk below then finds that string's path.
const BROKEN = '\uD800';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

/** The body as text; invalid UTF-8 sequences become lone surrogates (reported by {@link unicodeProblems}). */
export function decodeUtf8(bytes: Buffer): { text: string; invalid: boolean } {
  const runs = invalidUtf8Runs(bytes);
  if (runs.length === 0) return { text: bytes.toString('utf8'), invalid: false };
  let text = '';
  let from = 0;
  for (const run of runs) {
    text += bytes.toString('utf8', from, run.at) + BROKEN;
    from = run.at + run.length;
  }
  return { text: text + bytes.toString('utf8', from), invalid: true };
}

/**
 * Paths of every string (and object key) that is not well-formed Unicode: invalid UTF-8 in the body or a
 * lone-surrogate escape such as "\ud800". Iterative, so a deeply nested body cannot overflow the stack.
 */
export function unicodeProblems(value: unknown, limit = 20): Problem[] {
  interface Node {
    value: unknown;
    key?: string;
    parent?: Node;
  }
  const problems: Problem[] = [];
  // Paths are kept as parent links and spelled out only for a problem: a 100,000-deep body stays linear.
  const at = (node: Node | undefined, last?: string): string => {
    const keys: string[] = last === undefined ? [] : [last];
    for (let n = node; n?.key !== undefined; n = n.parent) keys.push(n.key);
    return keys.length ? keys.reverse().join('.') : '(body)';
  };
  const message = 'is not valid UTF-8 text (a broken byte sequence or a lone surrogate); send UTF-8';
  const stack: Node[] = [{ value }];
  while (stack.length > 0 && problems.length < limit) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      if (!wellFormed(v)) problems.push({ path: at(node), message });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: String(i), parent: node });
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        if (!wellFormed(key)) problems.push({ path: at(node, key.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD')), message: `${message} (in the field name)` });
        stack.push({ value: child, key, parent: node });
      }
    }
  }
  return problems;
}

export type BodyValue = { present: false } | { present: true; value: unknown };

/**
 * The JSON value of a body: empty → not present; a non-JSON content type → ERR_UNSUPPORTED_MEDIA_TYPE (415);
 * unparsable → ERR_BAD_BODY (400); invalid UTF-8 or lone surrogates → ERR_BAD_BODY with the paths.
 */
export function parseJsonBody(bytes: Buffer, contentType: string | undefined): BodyValue {
  if (bytes.length === 0) return { present: false };
  if (contentType !== undefined && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new StarwaveError('ERR_UNSUPPORTED_MEDIA_TYPE', `Send JSON with Content-Type: application/json (got ${contentType.split(';')[0]!.trim().slice(0, 100) || 'an empty type'}).`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new StarwaveError('ERR_UNSUPPORTED_MEDIA_TYPE', `Send the JSON body as UTF-8 (got charset=${charset.slice(0, 40)}).`);
  }
  const { text, invalid } = decodeUtf8(bytes);
  if (text.trim() === '') return { present: false };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (invalid) throw new StarwaveError('ERR_BAD_BODY', 'The body is not valid UTF-8.', { problems: [{ path: '(body)', message: 'is not valid UTF-8 text; send UTF-8' }] });
    const why = err instanceof Error ? err.message.replace(/\s+/g, ' ').slice(0, 200) : 'unparsable';
    throw new StarwaveError('ERR_BAD_BODY', `The body is not valid JSON (${why}).`, { problems: [{ path: '(body)', message: 'is not valid JSON' }] });
  }
  const problems = unicodeProblems(value);
  if (problems.length > 0) throw new StarwaveError('ERR_BAD_BODY', `The body is not valid UTF-8 text (${problems.length === 1 ? 'one field' : `${problems.length} fields`}); nothing was done.`, { problems });
  return { present: true, value };
}
