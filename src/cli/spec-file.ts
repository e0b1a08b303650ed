/**
 * Reading a spec file (JSON or YAML): I/O here, validation in src/contracts/spec (pure). Every problem is
 * listed by path; nothing is started on a bad file.
 *
 * A spec file is untrusted input of bounded size: it must be a regular file (not a device, FIFO or folder, so
 * `start /dev/zero` is refused before a byte is read), at most {@link SPEC_FILE_LIMIT_BYTES}, valid UTF-8, and is
 * parsed without the YAML library's duplicate-key check, which compares every key with every other key of its map
 * (20,000 keys took 12 s); duplicates are found here in one pass instead.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { parseDocument, visit, isMap, isScalar, type Node } from 'yaml';
import { StarwaveError } from '../contracts/errors';
import { formatProblems, validateSpec, type RolloutSpec } from '../contracts/spec';

/** 1 MiB: a 10,000-instance spec with every instance named by id is about 300 KiB. */
export const SPEC_FILE_LIMIT_BYTES = 1024 * 1024;
const LIMIT_TEXT = '1 MiB';

function unreadable(message: string): StarwaveError {
  return new StarwaveError('ERR_SPEC_UNREADABLE', `${message} Nothing was started.`);
}

/**
 * Reads at most the limit plus one byte from a regular file, so neither a lying size (a /proc file says 0) nor
 * a file growing while it is read can make starwave read more.
 */
export function readSpecBytes(path: string): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer; fstat below refuses it at once.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : err instanceof Error ? err.message : String(err);
    throw unreadable(`Cannot read the spec file ${path} (${reason}).`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isDirectory() ? 'a folder' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : stat.isFIFO() ? 'a pipe' : stat.isSocket() ? 'a socket' : 'not a regular file';
      throw unreadable(`Cannot read the spec file ${path}: it is ${kind}, not a regular file; pass the path of a JSON or YAML file.`);
    }
    if (stat.size > SPEC_FILE_LIMIT_BYTES) throw tooLarge(path, stat.size);
    const buffer = Buffer.alloc(SPEC_FILE_LIMIT_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > SPEC_FILE_LIMIT_BYTES) throw tooLarge(path, length);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(path: string, bytes: number): StarwaveError {
  const size = bytes > SPEC_FILE_LIMIT_BYTES + 1 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `more than ${LIMIT_TEXT}`;
  return unreadable(`The spec file ${path} is ${size}; a spec file may be at most ${LIMIT_TEXT}. Select instances by tag or name prefix (targets.selectors) instead of listing them one by one.`);
}

/** Decodes UTF-8 strictly: a byte sequence that is not UTF-8 names its offset instead of becoming U+FFFD. */
export function decodeSpecText(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes); // a leading BOM is dropped
  } catch {
    throw unreadable(`${source} is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)}); save it as UTF-8.`);
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Binary search on prefixes would be wrong (a prefix can end inside a valid sequence); scan sequences instead.
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    try {
      decoder.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}

/** Parses JSON or YAML text (JSON is YAML, but JSON.parse is linear and its errors read better). */
export function parseSpecText(text: string, source: string): unknown {
  const fail = (reason: string): never => {
    throw unreadable(`${source} is not valid JSON or YAML (${reason}).`);
  };
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      return fail(err instanceof Error ? err.message.split('\n')[0]! : String(err));
    }
  }
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  } catch (err) {
    return fail(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
  if (doc.errors.length > 0) return fail(doc.errors[0]!.message.split('\n')[0]!);
  const duplicate = firstDuplicateKey(doc.contents, text);
  if (duplicate) return fail(`the key "${duplicate.key}" appears twice in the same mapping${duplicate.line ? ` (line ${duplicate.line})` : ''}; keep one`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
}

/** One pass over every mapping, a set of its keys each: linear where the library's check is quadratic. */
function firstDuplicateKey(root: Node | null, text: string): { key: string; line?: number } | undefined {
  if (!root) return undefined;
  let found: { key: string; line?: number } | undefined;
  visit(root, {
    Map(_, map) {
      if (!isMap(map)) return undefined;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        if (seen.has(key)) {
          const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
          found = { key, line: offset === undefined ? undefined : lineAt(text, offset) };
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

export function loadSpecFile(path: string, read: (p: string) => Uint8Array | string = readSpecBytes): RolloutSpec {
  const raw = read(path);
  const text = typeof raw === 'string' ? raw : decodeSpecText(raw, path);
  if (Buffer.byteLength(text) > SPEC_FILE_LIMIT_BYTES) throw tooLarge(path, Buffer.byteLength(text));
  const result = validateSpec(parseSpecText(text, path));
  if (!result.ok) throw new StarwaveError('ERR_SPEC_INVALID', `${path}: ${formatProblems(result.problems)}\nNothing was started.`, { problems: result.problems });
  return result.spec;
}
