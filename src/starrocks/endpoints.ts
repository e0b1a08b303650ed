/**
 * Endpoint resolution (spec §1): explicit override > the SDK's 13-region map > the regional rule
 * `starrocks.<regionId>.aliyuncs.com`. Cloud hosts are always HTTPS; plain http is allowed only for
 * explicit overrides (the local emulator).
 */
import { z } from 'zod';
import { StarRocksInputError } from './errors';

/** The region → host map compiled into the official SDK (starrocks20221019 1.6.2). */
export const REGION_HOSTS: Readonly<Record<string, string>> = Object.freeze({
  'cn-hangzhou': 'starrocks.cn-hangzhou.aliyuncs.com',
  'cn-shanghai': 'starrocks.cn-shanghai.aliyuncs.com',
  'cn-beijing': 'starrocks.cn-beijing.aliyuncs.com',
  'cn-shenzhen': 'starrocks.cn-shenzhen.aliyuncs.com',
  'cn-qingdao': 'starrocks.cn-qingdao.aliyuncs.com',
  'cn-zhangjiakou': 'starrocks.cn-zhangjiakou.aliyuncs.com',
  'cn-wulanchabu': 'starrocks.cn-wulanchabu.aliyuncs.com',
  'cn-hongkong': 'starrocks.cn-hongkong.aliyuncs.com',
  'ap-southeast-1': 'starrocks.ap-southeast-1.aliyuncs.com',
  'ap-southeast-5': 'starrocks.ap-southeast-5.aliyuncs.com',
  'us-west-1': 'starrocks.us-west-1.aliyuncs.com',
  'us-east-1': 'starrocks.us-east-1.aliyuncs.com',
  'eu-central-1': 'starrocks.eu-central-1.aliyuncs.com',
});

/** Region ids look like `cn-hangzhou`, `ap-southeast-1`: lowercase letters, digits and dashes. */
const REGION_ID = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

export interface ResolvedEndpoint {
  /** Origin without trailing slash, e.g. `https://starrocks.cn-hangzhou.aliyuncs.com`. */
  baseUrl: string;
  /** Value of the signed `host` header: the URL host including a non-default port. */
  host: string;
  /** True when the endpoint came from an explicit override. */
  overridden: boolean;
}

export function validateRegion(region: unknown, field = 'region'): string {
  if (typeof region !== 'string' || region.trim() === '') {
    throw new StarRocksInputError(field, `The ${field} is empty: pass an Alibaba Cloud region id such as "cn-hangzhou".`);
  }
  if (!REGION_ID.test(region)) {
    throw new StarRocksInputError(
      field,
      `The ${field} "${region}" is not a valid region id: expected lowercase words joined by dashes, such as "cn-hangzhou" or "ap-southeast-1".`,
    );
  }
  return region;
}

/**
 * Endpoint for `region`. An override (a base URL such as `http://127.0.0.1:18080`) wins
 * unconditionally; otherwise the map, otherwise the regional rule, always over HTTPS.
 */
export function resolveEndpoint(region: string, overrides?: Readonly<Record<string, string>>): ResolvedEndpoint {
  validateRegion(region);
  const override = overrides?.[region];
  if (override !== undefined) {
    const url = parseBaseUrl(override);
    if (typeof url === 'string') {
      throw new StarRocksInputError('endpointOverrides', `The endpoint override for region ${region} is invalid: ${url}`);
    }
    return { baseUrl: url.origin, host: url.host, overridden: true };
  }
  const host = REGION_HOSTS[region] ?? `starrocks.${region}.aliyuncs.com`;
  return { baseUrl: `https://${host}`, host, overridden: false };
}

/** Parsed URL, or a sentence explaining what is wrong with it. */
function parseBaseUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL; use a base URL such as "http://127.0.0.1:18080" or "https://starrocks.cn-hangzhou.aliyuncs.com".`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `"${value}" uses scheme ${url.protocol.replace(/:$/, '')}; only http and https are supported.`;
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return `"${value}" has a path, query or fragment; give only scheme, host and optional port, e.g. "${url.origin}".`;
  }
  if (url.username !== '' || url.password !== '') {
    return `"${value}" contains user info; give only scheme, host and optional port.`;
  }
  return url;
}

const overrideUrl = z.string().superRefine((value, ctx) => {
  const parsed = parseBaseUrl(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

/** Schema of the endpoint override map: region id → base URL (http/https, no path). */
export const EndpointOverridesSchema = z
  .record(
    z.string().regex(REGION_ID, 'keys must be region ids such as "cn-hangzhou"'),
    overrideUrl,
  )
  .describe('Region id → base URL of the StarRocks OpenAPI endpoint, e.g. {"cn-hangzhou":"http://127.0.0.1:18080"}');

/**
 * Parses and validates an endpoint override map given as JSON text (typically the
 * STARWAVE_ENDPOINTS environment variable). Undefined or blank → no overrides. Throws a
 * StarRocksInputError (field = `source`) naming the variable, every bad key and the fix.
 */
export function parseEndpointOverrides(json: string | undefined, source = 'STARWAVE_ENDPOINTS'): Record<string, string> {
  if (json === undefined || json.trim() === '') return {};
  const example = `${source}='{"cn-hangzhou":"http://127.0.0.1:18080"}'`;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new StarRocksInputError(
      source,
      `${source} is not valid JSON (${(err as Error).message}); set it to an object mapping region ids to base URLs, e.g. ${example}.`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new StarRocksInputError(
      source,
      `${source} must be a JSON object mapping region ids to base URLs, e.g. ${example}.`,
    );
  }
  const result = EndpointOverridesSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? String(issue.path[0]) : '(root)';
      const message =
        issue.code === 'invalid_type'
          ? 'the value must be a string URL'
          : issue.code === 'invalid_key'
            ? 'the key is not a region id such as "cn-hangzhou"'
            : issue.message.replace(/\.$/, '');
      return `key "${key}": ${message}`;
    });
    throw new StarRocksInputError(
      source,
      `${source} has invalid entries: ${problems.join('; ')}. Fix each entry to map a region id to a base URL with http or https and no path, e.g. ${example}.`,
    );
  }
  // Normalise to origins so "http://h:1/" and "http://h:1" behave the same.
  return Object.fromEntries(Object.entries(result.data).map(([region, url]) => [region, new URL(url).origin]));
}
