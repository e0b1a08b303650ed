import { describe, expect, it } from 'vitest';
import {
  EMPTY_BODY_SHA256,
  authorization,
  canonicalQueryString,
  canonicalRequest,
  parseAuthorization,
  sha256Hex,
  signature,
  type SignableRequest,
} from '../../src/starrocks/signer';

// Test vectors from ../shared/spec/starrocks-openapi.md §6.1 (fake keys).
const key = { accessKeyId: 'LTAI5tFAKEAccessKeyId000', accessKeySecret: 'FAKEAccessKeySecretDoNotUse00' };
const common = {
  host: 'starrocks.cn-hangzhou.aliyuncs.com',
  'x-acs-version': '2022-10-19',
  'x-acs-date': '2025-01-15T08:30:00Z',
  'x-acs-signature-nonce': '3f1c2a9e8b7d4c6fa0e1d2c3b4a59687',
};

function request(over: Partial<SignableRequest> & { action: string }): SignableRequest {
  return {
    method: 'POST',
    pathname: over.pathname ?? '/',
    query: over.query ?? {},
    headers: { ...common, 'x-acs-action': over.action, 'x-acs-content-sha256': over.payloadHash ?? EMPTY_BODY_SHA256, ...over.headers },
    payloadHash: over.payloadHash ?? EMPTY_BODY_SHA256,
  };
}

const v1 = request({
  action: 'RestartInstance',
  pathname: '/webapi/starrocks/restartCluster',
  query: { InstanceId: 'c-b25e21e24388abcd', FastMode: 'false' },
});

const v2 = request({
  action: 'DescribeInstances',
  pathname: '/webapi/starrocks/describeInstances',
  query: {
    InstanceName: 'sr prod*01',
    InstanceStatus: 'running,restarting',
    PageNumber: '1',
    PageSize: '50',
    RegionId: 'cn-hangzhou',
    Tag: '[{"Key":"env","Value":"prod"}]',
  },
});

const v3 = request({
  action: 'RestartInstance',
  pathname: '/webapi/starrocks/restartCluster',
  query: { FastMode: 'true', InstanceId: 'c-b25e21e24388abcd' },
  headers: { 'x-acs-security-token': 'FAKE.STS.TOKEN/abc+def==', 'x-acs-accesskey-id': key.accessKeyId },
});

const v4Body = '{"componentType":"CN","status":"RUNNING"}';
const v4 = request({
  action: 'DescribeNodeGroups',
  pathname: '/webapi/nodegroup/describeNodeGroups',
  query: { ClusterId: 'c-b25e21e24388abcd', PageNumber: '1', PageSize: '20' },
  payloadHash: sha256Hex(v4Body),
  headers: { 'content-type': 'application/json; charset=utf-8' },
});

const withProvider = (r: SignableRequest, provider: string): SignableRequest => ({
  ...r,
  headers: { ...r.headers, 'x-acs-credentials-provider': provider },
});

describe('ACS3-HMAC-SHA256 signer reproduces the spec vectors', () => {
  it('V1 canonical request, hash and signature', () => {
    expect(canonicalRequest(v1)).toBe(
      [
        'POST',
        '/webapi/starrocks/restartCluster',
        'FastMode=false&InstanceId=c-b25e21e24388abcd',
        'host:starrocks.cn-hangzhou.aliyuncs.com',
        'x-acs-action:RestartInstance',
        `x-acs-content-sha256:${EMPTY_BODY_SHA256}`,
        'x-acs-date:2025-01-15T08:30:00Z',
        'x-acs-signature-nonce:3f1c2a9e8b7d4c6fa0e1d2c3b4a59687',
        'x-acs-version:2022-10-19',
        '',
        'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
        EMPTY_BODY_SHA256,
      ].join('\n'),
    );
    expect(sha256Hex(canonicalRequest(v1))).toBe('d52eee1ef5f4345f3d8faca40f08efdb7a139785d3c8cd4d95580e8c4bf6cb61');
    expect(authorization(v1, key)).toBe(
      'ACS3-HMAC-SHA256 Credential=LTAI5tFAKEAccessKeyId000,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=01cf7d75b157fcd514cba241326a48783bbc4184051643a631564be9aaf2e703',
    );
  });

  it('V1b with the SDK credentials-provider header', () => {
    const r = withProvider(v1, 'static_ak');
    expect(sha256Hex(canonicalRequest(r))).toBe('d7d6d2d0f9aa30f8b3d73701da8e11bad074f3d181d9ddaee62406d581bc5388');
    expect(signature(r, key.accessKeySecret)).toBe('8a8e91c191dd63dc9b791cfdca4154c7e50ca5c5cf9fc9efd239713fd4c3bcf8');
  });

  it('V2 encodes query values per RFC 3986 (space, *, comma, JSON)', () => {
    expect(canonicalQueryString(v2.query)).toBe(
      'InstanceName=sr%20prod%2A01&InstanceStatus=running%2Crestarting&PageNumber=1&PageSize=50&RegionId=cn-hangzhou&Tag=%5B%7B%22Key%22%3A%22env%22%2C%22Value%22%3A%22prod%22%7D%5D',
    );
    expect(sha256Hex(canonicalRequest(v2))).toBe('d6ed585c8ef01a944dd3020ecb7a3e6765572e47f2c00174129497b869e35ca2');
    expect(signature(v2, key.accessKeySecret)).toBe('da1804b99efe33208f530431118efe703183e0e8b95be24e046d866689a80ccc');
    expect(signature(withProvider(v2, 'static_ak'), key.accessKeySecret)).toBe(
      'a021d392fa7faaab5318b0281201079eaa995178f749df50d900fb8ef7b7ebf1',
    );
  });

  it('V3 signs the STS token and access key id headers', () => {
    expect(sha256Hex(canonicalRequest(v3))).toBe('7e34c2e8f4a4c91e0e2f90937aa4642a06595f1fd206d7d0b82ae0758e9eaf20');
    expect(authorization(v3, key)).toBe(
      'ACS3-HMAC-SHA256 Credential=LTAI5tFAKEAccessKeyId000,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=b3b114f13d6a824378193cf5f631f31c46187935affa6d67c3aa9b3faa4cc47e',
    );
    expect(signature(withProvider(v3, 'static_sts'), key.accessKeySecret)).toBe(
      '62d0acaea22eacb70937c44e5f8547c1c8cb96bef3a6fffcdeea65b5c5e289ac',
    );
  });

  it('V4 signs content-type and the JSON body hash', () => {
    expect(v4.payloadHash).toBe('b7a02c743bc00573f0ff3a97e20fd035c1985e71ade789241c3e43082cabf9cb');
    expect(sha256Hex(canonicalRequest(v4))).toBe('1c0334cb25dffadaa2c45d0248f81e99d6236d224b943116232c2d24ab55b9ca');
    expect(authorization(v4, key)).toContain(
      'SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=0bdb2ea7ccddd2f9469a13c72c61cb896827e674d4ffdb8023d54aa9b4b77ec2',
    );
    expect(signature(withProvider(v4, 'static_ak'), key.accessKeySecret)).toBe(
      '2561900351ec0b465f8581c319c77dd91e467b92cb5fe32f8df467f2513354c9',
    );
  });

  it('ignores unsigned headers and round-trips the authorization header', () => {
    const noisy = { ...v1, headers: { ...v1.headers, accept: 'application/json', 'user-agent': 'x' } };
    expect(signature(noisy, key.accessKeySecret)).toBe(signature(v1, key.accessKeySecret));
    const parsed = parseAuthorization(authorization(v1, key));
    expect(parsed?.accessKeyId).toBe(key.accessKeyId);
    expect(parsed?.signedHeaders).toContain('x-acs-date');
    expect(parseAuthorization('Bearer abc')).toBeUndefined();
  });
});
