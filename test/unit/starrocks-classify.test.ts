import { describe, expect, it } from 'vitest';
import {
  StarRocksApiError,
  StarRocksInputError,
  classifyFailure,
  errorCodeFor,
  matchRule,
  type ErrorClass,
  type FailureFacts,
} from '../../src/starrocks/errors';

// Spec §5.1 gateway table: [code, http status, expected class].
const gatewayRows: Array<[string, number | undefined, ErrorClass]> = [
  ['Throttling', 400, 'throttled'],
  ['Throttling', 429, 'throttled'],
  ['Throttling.User', 400, 'throttled'],
  ['Throttling.Api', 400, 'throttled'],
  ['Rejected.Throttling', undefined, 'throttled'],
  ['ServiceUnavailable', 503, 'transient'],
  ['InternalError', 500, 'transient'],
  ['UnknownError', undefined, 'transient'],
  ['UnknownError', 400, 'transient'],
  ['SignatureDoesNotMatch', 400, 'auth'],
  ['SignatureDoesNotMatch', 403, 'auth'],
  ['IncompleteSignature', 400, 'auth'],
  ['InvalidSignatureMethod', 400, 'bad_request'],
  ['InvalidTimeStamp.Format', 400, 'bad_request'],
  ['InvalidTimeStamp.Expired', 400, 'auth'],
  ['SignatureNonceUsed', 400, 'transient'],
  ['InvalidAccessKeyId.NotFound', 404, 'auth'],
  ['InvalidAccessKeyId.NotFound', 400, 'auth'],
  ['InvalidAccessKeyId.Inactive', 400, 'auth'],
  ['Forbidden.AccessKeyDisabled', 403, 'auth'],
  ['InvalidSecurityToken.Expired', 400, 'auth'],
  ['InvalidSecurityToken.Malformed', 400, 'auth'],
  ['InvalidSecurityToken.MismatchWithAccessKey', 400, 'auth'],
  ['MissingSecurityToken', 400, 'auth'],
  ['Forbidden.RAM', 403, 'permission'],
  ['NoPermission', 403, 'permission'],
  ['Forbidden', 403, 'permission'],
  ['Forbidden.RiskControl', 403, 'permission'],
  ['InvalidAction.NotFound', 404, 'bad_request'],
  ['InvalidApi.NotFound', 404, 'bad_request'],
  ['InvalidProduct.NotFound', 404, 'bad_request'],
  ['InvalidRegion.NotFound', 400, 'bad_request'],
  ['MissingParameter', 400, 'bad_request'],
  ['MissingInstanceId', 400, 'bad_request'],
  ['InvalidParameter', 400, 'bad_request'],
  ['InvalidPageSize', 400, 'bad_request'],
  ['InvalidParameter.Format', 400, 'bad_request'],
  ['UnsupportedHTTPMethod', 403, 'bad_request'],
  ['InvalidProtocol.NeedSsl', 400, 'bad_request'],
  ['InvalidProtocol.NeedSsl', 404, 'bad_request'],
  ['ContentLengthDoesNotMatch', 400, 'bad_request'],
];

describe('classifyFailure: gateway codes (spec §5.1)', () => {
  it.each(gatewayRows)('%s with HTTP %s → %s', (code, httpStatus, expected) => {
    expect(classifyFailure({ code, httpStatus, message: 'some text' })).toBe(expected);
  });
});

// Spec §5.2 service errors, usually inside an HTTP 200 envelope.
const serviceRows: Array<[string, string, ErrorClass]> = [
  ['InvalidParams', 'Invalid params: [instance not exists].', 'not_found'],
  ['InvalidParams', 'Unsupported.Non.Whitelist.Operation', 'unsupported'],
  ['InvalidParams', 'Invalid instance status: [cannot upgrade when instance is not running].', 'busy'],
  ['InvalidParams', 'Invalid params: [Region id should be select from set [cn-beijing, cn-hangzhou]]', 'bad_request'],
  ['InvalidParams', 'anything else', 'bad_request'],
  ['OperationDenied.InstanceStatus', 'instance state forbids the operation', 'busy'],
  ['Instance.NotFound', 'instance missing or deleted', 'not_found'],
];

describe('classifyFailure: service errors (spec §5.2)', () => {
  it.each(serviceRows)('%s "%s" → %s', (code, message, expected) => {
    expect(classifyFailure({ httpStatus: 200, code, message })).toBe(expected);
  });

  it('InvalidParams overloads are decided by the message even without a status', () => {
    expect(classifyFailure({ code: 'InvalidParams', message: 'Invalid instance status: [x]' })).toBe('busy');
    expect(classifyFailure({ code: 'InvalidParams', message: 'Invalid params: [instance not exists].' })).toBe('not_found');
  });

  it('"Invalid instance status" must start the message to mean busy', () => {
    expect(classifyFailure({ code: 'InvalidParams', message: 'foo: Invalid instance status' })).toBe('bad_request');
  });

  it('Success:false with no code at all is a bad request', () => {
    expect(classifyFailure({ httpStatus: 200 })).toBe('bad_request');
  });
});

describe('classifyFailure: status fallbacks and order (spec §5.3)', () => {
  const rows: Array<[string, FailureFacts, ErrorClass]> = [
    ['no response', { noResponse: true }, 'transient'],
    ['no response wins over anything else', { noResponse: true, code: 'Forbidden', httpStatus: 403 }, 'transient'],
    ['throttling beats 5xx', { code: 'Throttling', httpStatus: 503 }, 'throttled'],
    ['bare 500', { httpStatus: 500 }, 'transient'],
    ['bare 502', { httpStatus: 502 }, 'transient'],
    ['5xx beats a bad-request code', { httpStatus: 503, code: 'InvalidParameter' }, 'transient'],
    ['5xx beats AccessDeniedDetail', { httpStatus: 500, accessDeniedDetail: { AuthAction: 'sr:X' } }, 'transient'],
    ['bare 403', { httpStatus: 403 }, 'permission'],
    ['403 with unknown code', { httpStatus: 403, code: 'Whatever' }, 'permission'],
    ['bare 429', { httpStatus: 429 }, 'throttled'],
    ['bare 401', { httpStatus: 401 }, 'auth'],
    ['bare 400', { httpStatus: 400 }, 'bad_request'],
    ['bare 404', { httpStatus: 404 }, 'bad_request'],
    ['unknown 4xx code', { httpStatus: 409, code: 'Conflict.Something' }, 'bad_request'],
    [
      'AccessDeniedDetail object on 400',
      { httpStatus: 400, code: 'Something', accessDeniedDetail: { NoPermissionType: 'ImplicitDeny' } },
      'permission',
    ],
    [
      'AccessDeniedDetail JSON string in a 200 envelope',
      { httpStatus: 200, code: 'InvalidParams', message: 'x', accessDeniedDetail: '{"AuthAction":"sr:RestartInstance"}' },
      'permission',
    ],
    ['empty AccessDeniedDetail string is absent', { httpStatus: 200, code: 'InvalidParams', message: 'x', accessDeniedDetail: '' }, 'bad_request'],
    ['"null" AccessDeniedDetail is absent', { httpStatus: 200, code: 'X', accessDeniedDetail: 'null' }, 'bad_request'],
    ['empty AccessDeniedDetail object is absent', { httpStatus: 200, code: 'X', accessDeniedDetail: {} }, 'bad_request'],
    ['permission beats busy', { httpStatus: 200, code: 'InvalidParams', message: 'Invalid instance status: x', accessDeniedDetail: '{"a":1}' }, 'permission'],
  ];
  it.each(rows)('%s', (_name, facts, expected) => {
    expect(classifyFailure(facts)).toBe(expected);
  });

  it('reports which rule matched', () => {
    expect(matchRule({ code: 'Throttling.User' }).name).toBe('throttling-code');
    expect(matchRule({ httpStatus: 418 }).name).toBe('other-failure');
  });
});

describe('error objects', () => {
  it('stable codes per class', () => {
    expect(errorCodeFor('throttled')).toBe('ERR_STARROCKS_THROTTLED');
    expect(errorCodeFor('bad_request')).toBe('ERR_STARROCKS_BAD_REQUEST');
    expect(errorCodeFor('not_found')).toBe('ERR_STARROCKS_NOT_FOUND');
  });

  it('StarRocksApiError carries fields, retryable and a sentence naming everything', () => {
    const err = new StarRocksApiError({
      errorClass: 'throttled',
      action: 'RestartInstance',
      region: 'cn-hangzhou',
      apiCode: 'Throttling.User',
      apiMessage: 'Request was denied due to user flow control.',
      requestId: 'REQ-1',
      httpStatus: 400,
      retryAfterMs: 2000,
      outcomeUnknown: false,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_STARROCKS_THROTTLED');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('RestartInstance');
    expect(err.message).toContain('cn-hangzhou');
    expect(err.message).toContain('Throttling.User');
    expect(err.message).toContain('Request was denied due to user flow control.');
    expect(err.message).toContain('REQ-1');
    expect(err.message).toContain('2000 ms');
  });

  it.each<[ErrorClass, boolean]>([
    ['throttled', true],
    ['transient', true],
    ['busy', true],
    ['auth', false],
    ['permission', false],
    ['bad_request', false],
    ['not_found', false],
    ['unsupported', false],
  ])('%s retryable=%s', (errorClass, retryable) => {
    const err = new StarRocksApiError({ errorClass, action: 'A', region: 'cn-hangzhou', outcomeUnknown: false });
    expect(err.retryable).toBe(retryable);
  });

  it('StarRocksInputError has a stable code and the field', () => {
    const err = new StarRocksInputError('instanceId', 'bad');
    expect(err.code).toBe('ERR_STARROCKS_INVALID_INPUT');
    expect(err.field).toBe('instanceId');
  });
});
