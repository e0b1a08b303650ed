/** Request targets and bodies: nothing a client sends makes the parser throw anything but a coded 400/413/415. */
import { describe, expect, it } from 'vitest';
import { StarwaveError } from '../../src/contracts/errors';
import { decodeUtf8, invalidUtf8Runs, parseJsonBody, parseRequestTarget, unicodeProblems } from '../../src/api/http';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(StarwaveError);
    return (err as StarwaveError).code;
  }
};

describe('request targets', () => {
  it('parses origin-form and absolute-form targets to segments, dropping userinfo, host and query', () => {
    expect(parseRequestTarget('/v1/rollouts?status=running')).toMatchObject({ segments: ['v1', 'rollouts'], path: '/v1/rollouts' });
    expect(parseRequestTarget('/v1/rollouts/')).toMatchObject({ segments: ['v1', 'rollouts'] });
    expect(parseRequestTarget('/')).toMatchObject({ segments: [], path: '/' });
    const abs = parseRequestTarget('http://user:secretpw@h/v1/rollouts?x=1');
    expect(abs.segments).toEqual(['v1', 'rollouts']);
    expect(JSON.stringify(abs.path)).not.toContain('secretpw');
    expect(abs.query.get('x')).toBe('1');
    expect(parseRequestTarget('/v1/rollouts/a%2Fwave-1/report').segments).toEqual(['v1', 'rollouts', 'a/wave-1', 'report']);
  });

  it('answers unparsable targets with ERR_BAD_REQUEST_TARGET (issue 15: //[, http://[, //a:99999/, //%zz/)', () => {
    for (const t of ['//[', 'http://[', '//a:99999/', '//%zz/', 'http://a:99999/', '*', 'example.com:443', '', '/%zz', '/a b', '/\u00e9', 'ftp://h/x', `/${'a'.repeat(9000)}`]) {
      expect(code(() => parseRequestTarget(t)), JSON.stringify(t)).toBe('ERR_BAD_REQUEST_TARGET');
    }
    expect(code(() => parseRequestTarget('/v1/rollouts?status=%zz'))).toBe('ERR_QUERY_INVALID');
  });
});

describe('bodies', () => {
  const json = (text: string | Buffer, type: string | undefined = 'application/json') => parseJsonBody(Buffer.isBuffer(text) ? text : Buffer.from(text), type);

  it('parses JSON, treats an empty body as absent, and refuses other media types with 415', () => {
    expect(json('{"a":1}')).toEqual({ present: true, value: { a: 1 } });
    expect(json('{"a":1}', 'application/json; charset=utf-8')).toEqual({ present: true, value: { a: 1 } });
    expect(json('{"a":1}', 'application/merge-patch+json')).toEqual({ present: true, value: { a: 1 } });
    expect(json('{"a":1}', undefined)).toEqual({ present: true, value: { a: 1 } });
    expect(json('', undefined)).toEqual({ present: false });
    expect(code(() => json('{"a":', 'application/json'))).toBe('ERR_BAD_BODY');
    expect(code(() => json('a=1', 'application/x-www-form-urlencoded'))).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(code(() => json('{}', 'application/jsonx'))).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(code(() => json('{}', 'application/json; charset=latin1'))).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('finds every invalid UTF-8 sequence (overlong, surrogate, above U+10FFFF, truncated, stray)', () => {
    expect(invalidUtf8Runs(Buffer.from('héllo €𝄞', 'utf8'))).toEqual([]);
    // One run per maximal invalid subpart, as WHATWG's decoder counts its U+FFFD replacements.
    const cases: Array<[number[], number]> = [
      [[0xc0, 0xaf], 2], // overlong "/" (0xc0 is never valid)
      [[0xe0, 0x80, 0xaf], 3], // overlong 3-byte form
      [[0xed, 0xa0, 0x80], 3], // UTF-16 surrogate
      [[0xf4, 0x90, 0x80, 0x80], 4], // above U+10FFFF
      [[0xe2, 0x82], 1], // truncated
      [[0x80], 1], // stray continuation
      [[0xff], 1],
    ];
    for (const [bytes, runs] of cases) {
      expect(invalidUtf8Runs(Uint8Array.from(bytes)).length, bytes.join(',')).toBe(runs);
      expect(new TextDecoder().decode(Uint8Array.from(bytes)).split('\ufffd').length - 1, `WHATWG ${bytes.join(',')}`).toBe(runs);
    }
    expect(decodeUtf8(Buffer.from([0x61, 0xff, 0x62])).text).toBe('a\uD800b');
  });

  it('rejects invalid UTF-8 by the path of the string it sits in (issue 15: it was replaced and the rollout started)', () => {
    const body = Buffer.concat([Buffer.from('{"name":"ok","description":"caf'), Buffer.from([0xe9]), Buffer.from('","targets":{"selectors":[{"regions":["cn-h'), Buffer.from([0xff]), Buffer.from('"]}]}}')]);
    let err: StarwaveError | undefined;
    try {
      json(body);
    } catch (e) {
      err = e as StarwaveError;
    }
    expect(err?.code).toBe('ERR_BAD_BODY');
    expect(err?.problems.map((p) => p.path)).toEqual(['description', 'targets.selectors.0.regions.0']);
    // Broken bytes outside any string: the body itself.
    expect(code(() => json(Buffer.from([0x7b, 0xff, 0x7d])))).toBe('ERR_BAD_BODY');
    // A lone-surrogate escape is not text either.
    expect(unicodeProblems({ a: ['x', '\ud800'] })).toEqual([{ path: 'a.1', message: expect.stringMatching(/not valid UTF-8/) }]);
    expect(unicodeProblems({ 'k\udc00': 1 })[0]?.path).toBe('k\ufffd');
    expect(unicodeProblems({ ok: '😀' })).toEqual([]);
  });

  it('walks a deeply nested body without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}"\\ud800"${']'.repeat(100_000)}`;
    expect(code(() => json(deep))).toBe('ERR_BAD_BODY');
  });
});
