import { describe, expect, it } from 'vitest';
import { REGION_HOSTS, parseEndpointOverrides, resolveEndpoint } from '../../src/starrocks/endpoints';
import { StarRocksInputError } from '../../src/starrocks/errors';

describe('resolveEndpoint', () => {
  it('knows the 13 mapped regions, all HTTPS', () => {
    expect(Object.keys(REGION_HOSTS)).toHaveLength(13);
    for (const [region, host] of Object.entries(REGION_HOSTS)) {
      expect(resolveEndpoint(region)).toEqual({ baseUrl: `https://${host}`, host, overridden: false });
    }
  });

  it('falls back to the regional rule for unmapped regions', () => {
    expect(resolveEndpoint('ap-northeast-1')).toEqual({
      baseUrl: 'https://starrocks.ap-northeast-1.aliyuncs.com',
      host: 'starrocks.ap-northeast-1.aliyuncs.com',
      overridden: false,
    });
  });

  it('an explicit override wins, keeps http and the port in host', () => {
    expect(resolveEndpoint('cn-hangzhou', { 'cn-hangzhou': 'http://127.0.0.1:18080' })).toEqual({
      baseUrl: 'http://127.0.0.1:18080',
      host: '127.0.0.1:18080',
      overridden: true,
    });
    // Other regions are unaffected.
    expect(resolveEndpoint('cn-beijing', { 'cn-hangzhou': 'http://127.0.0.1:18080' }).overridden).toBe(false);
  });

  it('drops the default port from host, as the URL does', () => {
    expect(resolveEndpoint('cn-hangzhou', { 'cn-hangzhou': 'https://sr.example.com:443' }).host).toBe('sr.example.com');
  });

  it.each(['', '   ', 'CN-HANGZHOU', 'cn_hangzhou', 'hangzhou', 'cn-hangzhou/evil'])('rejects region %j naming the field', (region) => {
    try {
      resolveEndpoint(region);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(StarRocksInputError);
      expect((err as StarRocksInputError).field).toBe('region');
      expect((err as Error).message).toMatch(/region/);
    }
  });

  it('rejects an invalid override', () => {
    expect(() => resolveEndpoint('cn-hangzhou', { 'cn-hangzhou': 'ftp://x' })).toThrow(/cn-hangzhou/);
  });
});

describe('parseEndpointOverrides', () => {
  it('undefined or blank → no overrides', () => {
    expect(parseEndpointOverrides(undefined)).toEqual({});
    expect(parseEndpointOverrides('  ')).toEqual({});
  });

  it('parses and normalises to origins', () => {
    expect(parseEndpointOverrides('{"cn-hangzhou":"http://127.0.0.1:18080/","us-east-1":"https://x.example"}')).toEqual({
      'cn-hangzhou': 'http://127.0.0.1:18080',
      'us-east-1': 'https://x.example',
    });
  });

  function failure(json: string, source?: string): StarRocksInputError {
    try {
      parseEndpointOverrides(json, source);
    } catch (err) {
      expect(err).toBeInstanceOf(StarRocksInputError);
      return err as StarRocksInputError;
    }
    throw new Error('expected a failure');
  }

  it('not JSON → names the variable and the fix', () => {
    const err = failure('{cn-hangzhou: 1');
    expect(err.field).toBe('STARWAVE_ENDPOINTS');
    expect(err.message).toMatch(/STARWAVE_ENDPOINTS is not valid JSON/);
    expect(err.message).toContain('{"cn-hangzhou":"http://127.0.0.1:18080"}');
  });

  it('not an object → names the variable', () => {
    expect(failure('["http://x"]').message).toMatch(/STARWAVE_ENDPOINTS must be a JSON object/);
  });

  it.each([
    ['{"cn-hangzhou":"ftp://x"}', 'cn-hangzhou', /scheme ftp/],
    ['{"cn-hangzhou":"http://x:1/path"}', 'cn-hangzhou', /path/],
    ['{"cn-hangzhou":"127.0.0.1:18080"}', 'cn-hangzhou', /./],
    ['{"cn-hangzhou":18080}', 'cn-hangzhou', /string URL/],
    ['{"Not A Region":"http://x"}', 'Not A Region', /not a region id/],
  ])('%s → names key %s', (json, key, why) => {
    const err = failure(json);
    expect(err.message).toContain('STARWAVE_ENDPOINTS');
    expect(err.message).toContain(`key "${key}"`);
    expect(err.message).toMatch(why);
    expect(err.message).toMatch(/Fix each entry/);
  });

  it('uses the given source name', () => {
    expect(failure('nope', 'MY_VAR').message).toMatch(/^MY_VAR /);
  });
});
