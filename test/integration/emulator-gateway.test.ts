import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KEY, startEmulator, type Emulator } from '../../src/emulator/index';
import { signedCall } from '../../src/emulator/signed-request';

// The official SDK's request builder and V3 signer (dev dependency).
const requireCjs = createRequire(__filename);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Core: any = requireCjs('@alicloud/openapi-core');

const STS_KEY = { accessKeyId: 'STS.EMULATOR0TEMP', accessKeySecret: 'sts-secret', securityToken: 'FAKE.STS.TOKEN/abc+def==' };
const LIMITED_KEY = { accessKeyId: 'LIMITED0KEY', accessKeySecret: 'limited-secret', deniedActions: ['RestartInstance'] };
const SERVICE_DENY_KEY = { accessKeyId: 'SVCDENY0KEY', accessKeySecret: 'svc-secret', deniedActions: ['RestartInstance'], denyStyle: 'service' as const };

let emu: Emulator;
let base: string;
let instanceId: string;

beforeAll(async () => {
  emu = await startEmulator({
    keys: [DEFAULT_KEY, STS_KEY, LIMITED_KEY, SERVICE_DENY_KEY],
    fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 3 } },
    restartDuration: { kind: 'fixed', ms: 50 },
  });
  base = emu.endpoints['cn-hangzhou']!;
  instanceId = emu.instances()[0]!.instanceId;
});
afterAll(() => emu.close());

function sdkCall(secret: string, query: Record<string, string>): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const port = new URL(base).port;
  const client = new Core.default({ accessKeyId: DEFAULT_KEY.accessKeyId, accessKeySecret: secret, endpoint: `127.0.0.1:${port}`, protocol: 'http' });
  const params = new Core.$OpenApiUtil.Params({
    action: 'DescribeInstances',
    version: '2022-10-19',
    protocol: 'HTTP',
    pathname: '/webapi/starrocks/describeInstances',
    method: 'POST',
    authType: 'AK',
    style: 'ROA',
    reqBodyType: 'json',
    bodyType: 'json',
  });
  return client.callApi(params, new Core.$OpenApiUtil.OpenApiRequest({ query }), {});
}

describe('official SDK signatures', () => {
  it('accepts a request signed by @alicloud/openapi-core (with x-acs-credentials-provider and odd characters)', async () => {
    const res = await sdkCall(DEFAULT_KEY.accessKeySecret, {
      PageSize: '2',
      InstanceName: 'sr-cn-hangzhou',
      Tag: JSON.stringify([{ Key: 'starwave-index', Value: '1' }]),
      InstanceStatus: 'running,restarting',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body['Success']).toBe(true);
    expect(res.body['Total']).toBe(1);
    // A query with characters the SDK leaves unescaped (* ( ) ') still verifies.
    const odd = await sdkCall(DEFAULT_KEY.accessKeySecret, { InstanceName: "x*(y)'z ~!" });
    expect(odd.body['Total']).toBe(0);
  });

  it('rejects the same request signed with a wrong secret with SignatureDoesNotMatch', async () => {
    await expect(sdkCall('not-the-secret', { PageSize: '2' })).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400 });
    const last = emu.record().calls.at(-1)!;
    expect(last).toMatchObject({ httpStatus: 400, code: 'SignatureDoesNotMatch', accessKeyId: DEFAULT_KEY.accessKeyId });
  });
});

describe('gateway failure modes', () => {
  it('wrong secret → 400 SignatureDoesNotMatch echoing the string to sign', async () => {
    const res = await signedCall({ baseUrl: base, action: 'DescribeRegions', signWithSecret: 'wrong' });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ Code: 'SignatureDoesNotMatch', HostId: 'starrocks.cn-hangzhou.aliyuncs.com' });
    expect(String(res.json?.['Message'])).toMatch(/server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}/);
    expect(res.json?.['RequestId']).toEqual(expect.any(String));
    expect(res.json?.['Recommend']).toEqual(expect.stringContaining('SignatureDoesNotMatch'));
  });

  it('stale date → 400 InvalidTimeStamp.Expired; malformed date → InvalidTimeStamp.Format', async () => {
    const stale = await signedCall({ baseUrl: base, action: 'DescribeRegions', dateMs: Date.now() - 16 * 60_000 });
    expect([stale.status, stale.json?.['Code']]).toEqual([400, 'InvalidTimeStamp.Expired']);
    const bad = await signedCall({ baseUrl: base, action: 'DescribeRegions', afterSigning: { 'x-acs-date': '2025-01-15 08:30:00' } });
    expect([bad.status, bad.json?.['Code']]).toEqual([400, 'InvalidTimeStamp.Format']);
  });

  it('reused nonce → 400 SignatureNonceUsed', async () => {
    const nonce = 'reused-nonce-0123456789abcdef';
    expect((await signedCall({ baseUrl: base, action: 'DescribeRegions', nonce })).status).toBe(200);
    const again = await signedCall({ baseUrl: base, action: 'DescribeRegions', nonce });
    expect([again.status, again.json?.['Code']]).toEqual([400, 'SignatureNonceUsed']);
  });

  it('unknown key → 404 InvalidAccessKeyId.NotFound', async () => {
    const res = await signedCall({ baseUrl: base, action: 'DescribeRegions', key: { accessKeyId: 'NOPE', accessKeySecret: 'x' } });
    expect([res.status, res.json?.['Code']]).toEqual([404, 'InvalidAccessKeyId.NotFound']);
  });

  it('missing authorization → IncompleteSignature; missing nonce → MissingParameter; unsigned x-acs header → IncompleteSignature', async () => {
    const noAuth = await signedCall({ baseUrl: base, action: 'DescribeRegions', afterSigning: { authorization: null } });
    expect([noAuth.status, noAuth.json?.['Code']]).toEqual([400, 'IncompleteSignature']);
    const noNonce = await signedCall({ baseUrl: base, action: 'DescribeRegions', afterSigning: { 'x-acs-signature-nonce': null } });
    expect([noNonce.status, noNonce.json?.['Code']]).toEqual([400, 'MissingParameter']);
    const extra = await signedCall({ baseUrl: base, action: 'DescribeRegions', afterSigning: { 'x-acs-extra': '1' } });
    expect([extra.status, extra.json?.['Code']]).toEqual([400, 'IncompleteSignature']);
  });

  it('x-acs-content-sha256 that does not match the body → SignatureDoesNotMatch naming the hash', async () => {
    const res = await signedCall({
      baseUrl: base,
      action: 'DescribeNodeGroups',
      query: { ClusterId: instanceId },
      body: { componentType: 'FE' },
      afterSigning: { 'x-acs-content-sha256': '0'.repeat(64) },
    });
    expect(res.json?.['Code']).toBe('SignatureDoesNotMatch');
    expect(String(res.json?.['Message'])).toContain('does not match the body hash');
  });

  it('a signed JSON body (DescribeNodeGroups) verifies', async () => {
    const res = await signedCall({ baseUrl: base, action: 'DescribeNodeGroups', query: { ClusterId: instanceId, PageNumber: 1, PageSize: 20 }, body: { componentType: 'FE' } });
    expect(res.status).toBe(200);
    expect(res.json?.['Total']).toBe(1);
  });

  it('routing: unknown path 404 InvalidApi.NotFound, GET → UnsupportedHTTPMethod, action/version mismatch', async () => {
    const unknown = await signedCall({ baseUrl: base, action: 'DescribeInstances', pathname: '/webapi/nope' });
    expect([unknown.status, unknown.json?.['Code']]).toEqual([404, 'InvalidApi.NotFound']);
    const get = await signedCall({ baseUrl: base, action: 'DescribeInstances', method: 'GET' });
    expect([get.status, get.json?.['Code']]).toEqual([400, 'UnsupportedHTTPMethod']);
    const mismatch = await signedCall({ baseUrl: base, action: 'RestartInstance', pathname: '/webapi/starrocks/describeInstances' });
    expect([mismatch.status, mismatch.json?.['Code']]).toEqual([404, 'InvalidApi.NotFound']);
    const version = await signedCall({ baseUrl: base, action: 'DescribeInstances', version: '2019-01-01' });
    expect([version.status, version.json?.['Code']]).toEqual([404, 'InvalidApi.NotFound']);
  });

  it('STS keys need the matching x-acs-security-token', async () => {
    const ok = await signedCall({ baseUrl: base, action: 'DescribeRegions', key: STS_KEY });
    expect(ok.status).toBe(200);
    const missing = await signedCall({ baseUrl: base, action: 'DescribeRegions', key: { ...STS_KEY, securityToken: '' } });
    expect([missing.status, missing.json?.['Code']]).toEqual([400, 'MissingSecurityToken']);
    const wrong = await signedCall({ baseUrl: base, action: 'DescribeRegions', key: { ...STS_KEY, securityToken: 'other' } });
    expect([wrong.status, wrong.json?.['Code']]).toEqual([400, 'InvalidSecurityToken.MismatchWithAccessKey']);
  });

  it('RAM deny list → 403 Forbidden.RAM (gateway) or NoPermission envelope (service), and nothing restarts', async () => {
    const gw = await signedCall({ baseUrl: base, action: 'RestartInstance', key: LIMITED_KEY, query: { InstanceId: instanceId } });
    expect(gw.status).toBe(403);
    expect(gw.json).toMatchObject({ Code: 'Forbidden.RAM', AccessDeniedDetail: { AuthAction: 'sr:RestartInstance', NoPermissionType: 'ImplicitDeny' } });
    const svc = await signedCall({ baseUrl: base, action: 'RestartInstance', key: SERVICE_DENY_KEY, query: { InstanceId: instanceId } });
    expect(svc.status).toBe(403);
    expect(svc.json).toMatchObject({ Success: false, ErrCode: 'NoPermission', HttpStatusCode: 403 });
    expect(JSON.parse(String(svc.json?.['AccessDeniedDetail']))).toMatchObject({ AuthAction: 'sr:RestartInstance' });
    const allowed = await signedCall({ baseUrl: base, action: 'DescribeRegions', key: LIMITED_KEY });
    expect(allowed.status).toBe(200);
    expect(emu.record().restarts).toHaveLength(0);
  });
});
