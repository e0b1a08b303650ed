/**
 * Spec files are untrusted input of bounded size (issue 15): the reproductions of the report, each refused with
 * exit 2 and a sentence that names the limit or the bad byte, before anything is parsed or started.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StarwaveError } from '../../src/contracts/errors';
import { loadSpecFile, parseSpecText, readSpecBytes, SPEC_FILE_LIMIT_BYTES } from '../../src/cli/spec-file';
import { PROBLEMS_LISTED } from '../../src/contracts/spec';

const dir = mkdtempSync(join(tmpdir(), 'starwave-spec-file-'));
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const caught = (fn: () => unknown): StarwaveError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StarwaveError);
    return err as StarwaveError;
  }
  throw new Error('expected a StarwaveError, nothing was thrown');
};
/** `k<i>: <i>` lines padded so that the file has about `bytes` bytes. */
const manyKeys = (keys: number, pad = 0): string => Array.from({ length: keys }, (_, i) => `key${'x'.repeat(pad)}${i}: ${i}`).join('\n');
const validSpec = { name: 'spec-file', targets: { selectors: [{ regions: ['cn-hangzhou'] }] }, waves: { sizes: [1] } };

describe('spec file limits', () => {
  it('refuses a 1.1 MB spec by its size, naming the limit, without parsing it', () => {
    const path = file('big.yaml', manyKeys(52_428, 10));
    expect(readFileSync(path).length).toBeGreaterThan(1_100_000);
    const err = caught(() => loadSpecFile(path));
    expect(err.code).toBe('ERR_SPEC_UNREADABLE');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/is 1\.\d MiB; a spec file may be at most 1 MiB/);
    expect(err.message).toMatch(/Nothing was started\.$/);
  });

  it('reads at most the limit plus one byte, whatever the file', () => {
    const path = file('exact.json', ' '.repeat(SPEC_FILE_LIMIT_BYTES));
    expect(readSpecBytes(path).length).toBe(SPEC_FILE_LIMIT_BYTES);
    const over = file('over.json', ' '.repeat(SPEC_FILE_LIMIT_BYTES + 1));
    expect(caught(() => readSpecBytes(over)).message).toMatch(/may be at most 1 MiB/);
  });

  it('refuses /dev/zero, a folder and a FIFO at once, as not regular files', () => {
    expect(caught(() => loadSpecFile('/dev/zero')).message).toBe(
      'Cannot read the spec file /dev/zero: it is a device, not a regular file; pass the path of a JSON or YAML file. Nothing was started.',
    );
    expect(caught(() => loadSpecFile(dir)).message).toMatch(/it is a folder, not a regular file/);
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO without a writer would block for ever; this returning at all is the test.
    expect(caught(() => loadSpecFile(fifo)).message).toMatch(/it is a pipe, not a regular file/);
  });

  it('refuses invalid UTF-8 by offset instead of replacing it (the rollout would start with U+FFFD in a name)', () => {
    const bad = Buffer.concat([Buffer.from('name: "caf'), Buffer.from([0xc3]), Buffer.from('"\n')]);
    const err = caught(() => loadSpecFile(file('latin1.yaml', bad)));
    expect(err.code).toBe('ERR_SPEC_UNREADABLE');
    expect(err.message).toBe(`${join(dir, 'latin1.yaml')} is not valid UTF-8 (first bad byte at offset 10); save it as UTF-8. Nothing was started.`);
    // An encoded lone surrogate (CESU-8) is not UTF-8 either.
    const surrogate = file('surrogate.json', Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]));
    expect(caught(() => loadSpecFile(surrogate)).message).toMatch(/offset 2/);
    // A BOM is allowed and dropped.
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(validSpec))]);
    expect(loadSpecFile(file('bom.json', bom)).name).toBe('spec-file');
  });

  it('parses 45,000 keys under the limit without the quadratic duplicate-key check (it took ~18 s before)', () => {
    const text = manyKeys(45_000);
    expect(Buffer.byteLength(text)).toBeLessThan(SPEC_FILE_LIMIT_BYTES);
    const err = caught(() => loadSpecFile(file('many.yaml', text)));
    expect(err.code).toBe('ERR_SPEC_INVALID');
    // Every problem is kept on the error, the sentence lists the first ones.
    expect(err.problems.length).toBe(45_002);
    expect(err.message.split('\n').filter((l) => l.startsWith('  - ')).length).toBe(PROBLEMS_LISTED);
    expect(err.message).toContain(`… and ${45_002 - PROBLEMS_LISTED} more; fix these first.`);
  });

  it('still refuses a duplicated key, naming it and its line', () => {
    const err = caught(() => parseSpecText('name: a\ntargets:\n  regions: [cn-hangzhou]\nname: b\n', 'dup.yaml'));
    expect(err.message).toBe('dup.yaml is not valid JSON or YAML (the key "name" appears twice in the same mapping (line 4); keep one). Nothing was started.');
    expect(caught(() => parseSpecText('targets:\n  regions: [a]\n  regions: [b]\n', 'nested.yaml')).message).toMatch(/"regions" appears twice .*line 3/);
  });

  it('refuses alias bombs and runaway nesting with a sentence, not a crash', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    expect(caught(() => parseSpecText(bomb, 'bomb.yaml')).message).toMatch(/^bomb\.yaml is not valid JSON or YAML \(.*alias/i);
    expect(caught(() => parseSpecText('['.repeat(5000) + ']'.repeat(5000), 'deep.yaml')).message).toMatch(/^deep\.yaml is not valid JSON or YAML/);
    expect(caught(() => parseSpecText('{"a":', 'x.json')).message).toMatch(/^x\.json is not valid JSON or YAML/);
  });

  it('the CLI: start /dev/zero and a 1.1 MB spec end with exit 2 and the sentence, before Temporal is asked', () => {
    const big = file('big-cli.yaml', manyKeys(52_428, 10));
    // No Temporal on this address: reaching it would be a different error (exit 3/4), not exit 2.
    const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', NO_COLOR: '1' };
    for (const [path, pattern] of [
      ['/dev/zero', /it is a device, not a regular file/],
      [big, /a spec file may be at most 1 MiB/],
    ] as const) {
      const r = spawnSync(process.execPath, ['bin/starwave.js', 'start', path], { env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
  });
});
