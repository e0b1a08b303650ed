/**
 * Input checks of the StarRocks client. Every argument is checked before any request is built, so
 * a bad id or page size is a StarRocksInputError naming the field, never a request the service
 * rejects (or worse, one whose query string carries something the caller did not mean).
 */
import { validateRegion } from './endpoints';
import { StarRocksInputError } from './errors';

/**
 * Instance ids are `c-` + 16 characters. Every vendor example uses lowercase hex; we accept
 * lowercase letters and digits so an id format change to base36 does not lock us out, while
 * still rejecting typos, upper case and anything that could smuggle other parameters.
 */
export const INSTANCE_ID_PATTERN = /^c-[0-9a-z]{16}$/;
/** Node group ids are `ng-` + 16 characters (hex in examples; same leniency as instance ids). */
export const NODE_GROUP_ID_PATTERN = /^ng-[0-9a-z]{16}$/;

/**
 * Operation ids are `op-` + lowercase letters and digits (16 in every vendor example). They come
 * from the service's own ListOperationHistory answers, not from people, so the length is left
 * open; the character set still keeps anything but an id out of the query.
 */
export const OPERATION_ID_PATTERN = /^op-[0-9a-z]{1,64}$/;

/** A query parameter value before it is turned into text; undefined members are not sent. */
export type QueryValue = string | number | boolean | undefined;

export interface DescribeInstancesQuery {
  instanceId?: string;
  /** Name filter (exact vs. fuzzy match is not documented by the vendor). */
  instanceName?: string;
  /** Joined with commas into `InstanceStatus`; see FILTERABLE_STATUSES. */
  statuses?: string[];
  regionId?: string;
  resourceGroupId?: string;
  tags?: Array<{ key: string; value: string }>;
  /** 1-based, 1..10000. */
  pageNumber?: number;
  /** 1..100000; the server may return fewer. */
  pageSize?: number;
}

/** The DescribeInstances query parameters for `q` (spec §3.2), every member checked. */
export function describeInstancesQuery(q: DescribeInstancesQuery): Record<string, QueryValue> {
  if (!isObject(q)) throw new StarRocksInputError('query', 'The DescribeInstances query must be an object.');
  const instanceId = q.instanceId === undefined ? undefined : checkId('instanceId', q.instanceId, INSTANCE_ID_PATTERN, 'c-');
  let status: string | undefined;
  if (q.statuses !== undefined) {
    if (!Array.isArray(q.statuses) || q.statuses.length === 0) {
      throw new StarRocksInputError('statuses', 'statuses must be a non-empty array of instance status values such as "running"; omit it to match every status.');
    }
    q.statuses.forEach((s, i) => {
      if (typeof s !== 'string' || s.trim() === '' || s.includes(',')) {
        throw new StarRocksInputError(`statuses[${i}]`, `statuses[${i}] must be a non-empty status value without commas, such as "running".`);
      }
    });
    status = q.statuses.join(',');
  }
  let tag: string | undefined;
  if (q.tags !== undefined) {
    if (!Array.isArray(q.tags)) throw new StarRocksInputError('tags', 'tags must be an array of { key, value }.');
    // Serialised as ONE query parameter holding JSON text, PascalCase keys (spec §2, §3.2).
    tag = JSON.stringify(
      q.tags.map((t, i) => {
        if (!isObject(t) || typeof t.key !== 'string' || t.key === '' || typeof t.value !== 'string') {
          throw new StarRocksInputError(`tags[${i}]`, `tags[${i}] must be { key: non-empty string, value: string }.`);
        }
        return { Key: t.key, Value: t.value };
      }),
    );
  }
  return {
    InstanceId: instanceId,
    InstanceName: checkOptionalString('instanceName', q.instanceName),
    InstanceStatus: status,
    PageNumber: checkOptionalPositiveInt('pageNumber', q.pageNumber, 10_000),
    PageSize: checkOptionalPositiveInt('pageSize', q.pageSize, 100_000),
    RegionId: q.regionId === undefined ? undefined : validateRegion(q.regionId, 'regionId'),
    ResourceGroupId: checkOptionalString('resourceGroupId', q.resourceGroupId),
    Tag: tag,
  };
}

/** `value` if it is a string matching `pattern`, else a StarRocksInputError naming `field` with an example id. */
export function checkId(field: string, value: unknown, pattern: RegExp, prefix: string, length = '16'): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 64)}"` : String(value);
    throw new StarRocksInputError(field, `${field} ${shown} is not a valid id: expected "${prefix}" followed by ${length} lowercase letters or digits, e.g. "${prefix}b25e21e24388abcd".`);
  }
  return value;
}

/** undefined, or a non-blank string. */
export function checkOptionalString(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StarRocksInputError(field, `${field} must be a non-empty string when given.`);
  }
  return value;
}

/** undefined, or a boolean (no "true" strings). */
export function checkOptionalBoolean(field: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new StarRocksInputError(field, `${field} must be true or false.`);
  return value;
}

/** An integer from 1 to `max`. */
export function checkPositiveInt(field: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new StarRocksInputError(field, `${field} must be an integer from 1 to ${max}; got ${String(value)}.`);
  }
  return value;
}

/** undefined, or an integer from 1 to `max`. */
export function checkOptionalPositiveInt(field: string, value: unknown, max: number): number | undefined {
  return value === undefined ? undefined : checkPositiveInt(field, value, max);
}

/** undefined, or a safe non-negative integer (epoch milliseconds). */
export function checkOptionalNonNegativeInt(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StarRocksInputError(field, `${field} must be a non-negative integer (epoch milliseconds); got ${String(value)}.`);
  }
  return value;
}

/** A positive integer option with a default (timeouts, pool sizes). */
export function positiveIntOption(field: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkPositiveInt(field, value, Number.MAX_SAFE_INTEGER);
}

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
