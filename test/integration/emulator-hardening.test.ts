/**
 * The emulator's HTTP layer must never throw on input: every malformed path, query, header or
 * body gets the gateway's error shape (cloud paths, spec §5.1) or the control API's
 * `{error, problems}`. Each case here was a reproduced crash or a non-JSON answer before the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index';
import { parseResponses, rawExchange, type ParsedResponse } from '../../src/emulator/raw-request';
import { signedCall } from '../../src/emulator/signed-request';

let emu: Emulator;
let port: number;
let instanceId: string;

beforeAll(async () => {
  emu = await startEmulator({ fleet: { generate: { regions: ['cn-hangzhou'], perRegion: 2 } }, restartDuration: { kind: 'fixed', ms: 30 } });
  port = Number(new URL(emu.controlUrl).port);
  instanceId = emu.instances()[0]!.instanceId;
});
afterAll(() => emu.close());

/** Sends raw bytes and returns the complete responses; fails on any truncated or garbled answer. */
async function exchange(bytes: string | Buffer, bodyless: (index: number) => boolean = () => false): Promise<ParsedResponse[]> {
  const { received } = await rawExchange({ host: '127.0.0.1', port, bytes });
  const parsed = parseResponses(received, bodyless);
  expect(parsed.problem, `unparsable answer ${JSON.stringify(received.toString('latin1').slice(0, 200))}`).toBeUndefined();
  return parsed.responses;
}

function json(response: ParsedResponse): Record<string, unknown> {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
}

function expectGatewayShape(body: Record<string, unknown>, code: string): void {
  expect(body).toEqual({
    RequestId: expect.any(String),
    HostId: 'starrocks.cn-hangzhou.aliyuncs.com',
    Code: code,
    Message: expect.any(String),
    Recommend: expect.stringContaining(encodeURIComponent(code)),
  });
}

describe('control API: malformed paths', () => {
  it('GET and PATCH /_emulator/instances/%E0 → 400 {error, problems} naming instanceId', async () => {
    for (const method of ['GET', 'PATCH']) {
      const body = method === 'PATCH' ? '{}' : '';
      const [res] = await exchange(`${method} /_emulator/instances/%E0 HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      expect(res!.status).toBe(400);
      expect(json(res!)).toEqual({ error: expect.stringContaining('percent-encoding'), problems: [{ path: 'instanceId', message: expect.any(String) }] });
    }
  });

  it('an unknown control route → 404 {error, problems}', async () => {
    const [res] = await exchange('DELETE /_emulator/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(res!.status).toBe(404);
    expect(json(res!)).toEqual({ error: expect.any(String), problems: [] });
  });

  it('a control body over 1 MiB → 400 {error, problems}', async () => {
    const big = `{"x":"${'a'.repeat(1024 * 1024 + 10)}"}`;
    const [res] = await exchange(`POST /_emulator/fleet HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${big.length}\r\n\r\n${big}`);
    expect(res!.status).toBe(400);
    expect(json(res!)).toMatchObject({ problems: [{ path: '', message: expect.stringContaining('1 MiB') }] });
  });
});

describe('cloud API: malformed request targets, headers and bodies', () => {
  it("request target '//[' (WHATWG URL cannot parse it) → 404 InvalidApi.NotFound", async () => {
    const [res] = await exchange('POST //[ HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(res!.status).toBe(404);
    expectGatewayShape(json(res!), 'InvalidApi.NotFound');
  });

  it("absolute-form targets that are not URLs ('http://[', 'http://a:99999/') → 400 InvalidParameter", async () => {
    for (const target of ['http://[', 'http://a:99999/']) {
      const [res] = await exchange(`POST ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(res!.status).toBe(400);
      expectGatewayShape(json(res!), 'InvalidParameter');
    }
  });

  it('a request target the HTTP parser rejects (%E0, control characters) → 400 InvalidParameter', async () => {
    for (const target of ['%E0', '/a\u0001b']) {
      const [res] = await exchange(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(res!.status).toBe(400);
      expectGatewayShape(json(res!), 'InvalidParameter');
    }
  });

  it('HTTP/1.1 without a Host header reaches the gateway (not a bare 400 from the HTTP server)', async () => {
    const [res] = await exchange('POST /webapi/region/list HTTP/1.1\r\nx-acs-action: DescribeRegions\r\nx-acs-version: 2022-10-19\r\n\r\n');
    expect(res!.status).toBe(400);
    expectGatewayShape(json(res!), 'IncompleteSignature');
  });

  it('a body shorter than its content-length → 400 ContentLengthDoesNotMatch; an invalid content-length → 400 InvalidParameter', async () => {
    const [short] = await exchange('POST /webapi/region/list HTTP/1.1\r\nHost: x\r\ncontent-length: 10\r\n\r\nabc');
    expect(short!.status).toBe(400);
    expectGatewayShape(json(short!), 'ContentLengthDoesNotMatch');
    const [invalid] = await exchange('POST /webapi/region/list HTTP/1.1\r\nHost: x\r\ncontent-length: ten\r\n\r\nabc');
    expect(invalid!.status).toBe(400);
    expectGatewayShape(json(invalid!), 'InvalidParameter');
  });

  it('a complete request followed by garbage on the same connection: both answered, in order', async () => {
    const responses = await exchange('POST /nope HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\n\r\n{}GARBAGE\r\n\r\n');
    expect(responses.map((r) => r.status)).toEqual([404, 400]);
    expectGatewayShape(json(responses[0]!), 'InvalidApi.NotFound');
    expectGatewayShape(json(responses[1]!), 'InvalidParameter');
  });

  it('CONNECT → 400 UnsupportedHTTPMethod in the gateway shape', async () => {
    const [res] = await exchange('CONNECT starrocks.cn-hangzhou.aliyuncs.com:443 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(res!.status).toBe(400);
    expectGatewayShape(json(res!), 'UnsupportedHTTPMethod');
  });

  it('a header block over the server limit → 431 InvalidParameter', async () => {
    const [res] = await exchange(`POST /webapi/region/list HTTP/1.1\r\nHost: x\r\nx-acs-action: ${'A'.repeat(20_000)}\r\n\r\n`);
    expect(res!.status).toBe(431);
    expectGatewayShape(json(res!), 'InvalidParameter');
  });

  it('a cloud body over 1 MiB → 400 InvalidParameter', async () => {
    const big = 'a'.repeat(1024 * 1024 + 10);
    const [res] = await exchange(`POST /webapi/nodegroup/describeNodeGroups HTTP/1.1\r\nHost: x\r\ncontent-length: ${big.length}\r\n\r\n${big}`);
    expect(res!.status).toBe(400);
    expectGatewayShape(json(res!), 'InvalidParameter');
  });

  it('HEAD gets the status and headers of the gateway error, no body', async () => {
    const [res] = await exchange('HEAD /webapi/region/list HTTP/1.1\r\nHost: x\r\n\r\n', () => true);
    expect(res!.status).toBe(400);
    expect(res!.headers['content-type']).toMatch(/^application\/json/);
  });
});

describe('signed requests with malformed parameters', () => {
  it('Tag=[null] and other non-{Key,Value} members → 400 InvalidParameter, not an emulator bug', async () => {
    for (const tag of ['[null]', '[1]', '[{"Key":1}]', '[{"Key":"env","Value":{}}]']) {
      const res = await signedCall({ baseUrl: emu.controlUrl, action: 'DescribeInstances', query: { Tag: tag } });
      expect([res.status, res.json?.['Code']]).toEqual([400, 'InvalidParameter']);
    }
  });

  it('after all of the above a normal signed request still works', async () => {
    const res = await signedCall({ baseUrl: emu.controlUrl, action: 'DescribeInstances', query: { InstanceId: instanceId } });
    expect(res.status).toBe(200);
    expect(res.json?.['Total']).toBe(1);
  });
});
