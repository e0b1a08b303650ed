/**
 * The OpenAPI gateway part of the emulator: routing (path ↔ action ↔ version), ACS3-HMAC-SHA256
 * verification with the project's own canonicalisation, timestamps, nonces, STS tokens, RAM deny
 * lists. Everything here answers with the gateway error shape `{RequestId, HostId, Code, Message, Recommend}`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  SIGNATURE_ALGORITHM,
  canonicalRequest,
  parseAuthorization,
  sha256Hex,
  signature,
  signaturesEqual,
  stringToSign,
  type SignableRequest,
} from '../starrocks/signer';
import type { EmulatorAction } from './schemas';
import type { EmulatorKey } from './types';

export const API_VERSION = '2022-10-19';

export const ROUTES: Readonly<Record<string, EmulatorAction>> = {
  '/webapi/starrocks/restartCluster': 'RestartInstance',
  '/webapi/starrocks/describeInstances': 'DescribeInstances',
  '/webapi/nodegroup/restart': 'RestartNodeGroup',
  '/webapi/nodegroup/describeNodeGroups': 'DescribeNodeGroups',
  '/webapi/operation/listOperationHistory': 'ListOperationHistory',
  '/webapi/operation/listOperationActivity': 'ListOperationActivity',
  '/webapi/region/list': 'DescribeRegions',
};

/**
 * RAM (spec §8, service prefix `sr`): the RAM action and resource of each action. Published for
 * RestartInstance, DescribeInstances (instance ARN) and DescribeNodeGroups (`*`); the others are
 * "not published; presumably sr:<OperationName>", scoped like their instance parameter.
 */
export const RAM_ACTIONS: Readonly<Record<EmulatorAction, { ramAction: string; resource: 'instance' | 'all'; published: boolean }>> = {
  RestartInstance: { ramAction: 'sr:RestartInstance', resource: 'instance', published: true },
  DescribeInstances: { ramAction: 'sr:DescribeInstances', resource: 'instance', published: true },
  DescribeNodeGroups: { ramAction: 'sr:DescribeNodeGroups', resource: 'all', published: true },
  RestartNodeGroup: { ramAction: 'sr:RestartNodeGroup', resource: 'instance', published: false },
  ListOperationHistory: { ramAction: 'sr:ListOperationHistory', resource: 'instance', published: false },
  ListOperationActivity: { ramAction: 'sr:ListOperationActivity', resource: 'instance', published: false },
  DescribeRegions: { ramAction: 'sr:DescribeRegions', resource: 'all', published: false },
};

/** The ARN a RAM denial names: the instance's for instance-scoped actions, `*` otherwise. */
export function ramResource(action: EmulatorAction, region: string, instanceId: string | undefined): string {
  return RAM_ACTIONS[action].resource === 'instance' ? `acs:sr:${region}:${ACCOUNT_ID}:instance/${instanceId ?? '*'}` : '*';
}

/** The (fake) account that owns the emulator's fleet. */
export const ACCOUNT_ID = '1234567890123456';

export interface GatewayError {
  /** Discriminates gateway errors from service answers (both carry httpStatus/code). */
  gateway: true;
  httpStatus: number;
  code: string;
  message: string;
  /** Extra members of the error body (e.g. AccessDeniedDetail object). */
  extra?: Record<string, unknown>;
  /** Extra response headers (e.g. x-acs-retry-after). */
  headers?: Record<string, string>;
}

export function gatewayError(httpStatus: number, code: string, message: string, more?: Pick<GatewayError, 'extra' | 'headers'>): GatewayError {
  return { gateway: true, httpStatus, code, message, ...more };
}

export function gatewayErrorBody(error: GatewayError, requestId: string, region: string): Record<string, unknown> {
  return {
    RequestId: requestId,
    HostId: `starrocks.${region}.aliyuncs.com`,
    Code: error.code,
    Message: error.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=starrocks&requestId=${requestId}`,
    ...error.extra,
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Routing: unknown path → InvalidApi.NotFound; wrong method → UnsupportedHTTPMethod; action/version must match the path. */
export function route(method: string, pathname: string, headers: IncomingHttpHeaders): { action: EmulatorAction } | GatewayError {
  const action = Object.hasOwn(ROUTES, pathname) ? ROUTES[pathname] : undefined;
  if (!action) return gatewayError(404, 'InvalidApi.NotFound', `Specified api is not found, please check your url and method. (${method} ${pathname})`);
  if (method !== 'POST') return gatewayError(400, 'UnsupportedHTTPMethod', `This http method ${method} is not supported; ${action} accepts POST only.`);
  const headerAction = header(headers, 'x-acs-action');
  if (!headerAction) return gatewayError(400, 'MissingParameter', 'The input parameter "x-acs-action" that is mandatory for processing this request is not supplied.');
  const version = header(headers, 'x-acs-version');
  if (!version) return gatewayError(400, 'MissingParameter', 'The input parameter "x-acs-version" that is mandatory for processing this request is not supplied.');
  if (headerAction !== action) {
    return gatewayError(404, 'InvalidApi.NotFound', `Specified api is not found, please check your url and method. (action ${headerAction} is not served at ${pathname}, which is ${action})`);
  }
  if (version !== API_VERSION) {
    return gatewayError(404, 'InvalidApi.NotFound', `Specified api is not found, please check your url and method. (version ${version}; starrocks serves ${API_VERSION})`);
  }
  return { action };
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

export function parseAcsDate(value: string): number | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  // Reject calendar overflow such as 2025-02-31 that Date.parse silently normalises.
  return new Date(ms).toISOString().startsWith(`${m[1]}-${m[2]}-${m[3]}T`) ? ms : undefined;
}

export interface VerifyInput {
  method: string;
  pathname: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  keys: readonly EmulatorKey[];
  /** Emulator time (clock skew applied). */
  nowMs: number;
  useNonce: (accessKeyId: string, nonce: string) => boolean;
}

export interface VerifiedCaller {
  key: EmulatorKey;
}

/**
 * Authenticates a request. Order: authorization structure → required headers → date → key →
 * STS token → signed-header coverage → body hash & signature → nonce (a nonce is only burnt by a
 * correctly signed request, so a forged request cannot poison a legitimate client's nonce).
 */
export function verify(input: VerifyInput): VerifiedCaller | GatewayError | (GatewayError & { accessKeyId: string }) {
  const { headers } = input;
  const rawAuth = header(headers, 'authorization');
  if (!rawAuth) return gatewayError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards: the Authorization header is missing.');
  const algorithm = rawAuth.trim().split(' ', 1)[0];
  if (algorithm !== SIGNATURE_ALGORITHM) {
    return gatewayError(400, 'InvalidSignatureMethod', `Specified signature method ${algorithm ?? ''} is not supported; use ${SIGNATURE_ALGORITHM}.`);
  }
  const auth = parseAuthorization(rawAuth);
  if (!auth) {
    return gatewayError(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards: expected "${SIGNATURE_ALGORITHM} Credential=<id>,SignedHeaders=<names>,Signature=<hex>".`);
  }
  const withKey = <T extends GatewayError>(e: T): T & { accessKeyId: string } => ({ ...e, accessKeyId: auth.accessKeyId });
  for (const name of ['x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
    if (!header(headers, name)) {
      return withKey(gatewayError(400, 'MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`));
    }
  }
  const date = header(headers, 'x-acs-date')!;
  const dateMs = parseAcsDate(date);
  if (dateMs === undefined) {
    return withKey(gatewayError(400, 'InvalidTimeStamp.Format', `Specified time stamp or date value is not well formatted: "${date}" (expected YYYY-MM-DDTHH:mm:ssZ).`));
  }
  if (Math.abs(input.nowMs - dateMs) > 15 * 60 * 1000) {
    return withKey(
      gatewayError(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired: ${date}; server time is ${new Date(input.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z')} (allowed skew 15 minutes).`),
    );
  }
  const key = input.keys.find((k) => k.accessKeyId === auth.accessKeyId);
  if (!key) return withKey(gatewayError(404, 'InvalidAccessKeyId.NotFound', `Specified access key is not found: ${auth.accessKeyId}`));

  const token = header(headers, 'x-acs-security-token');
  if (key.securityToken !== undefined) {
    if (!token) return withKey(gatewayError(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this access key (STS credentials); send x-acs-security-token.'));
    if (token !== key.securityToken) return withKey(gatewayError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.'));
  } else if (token) {
    return withKey(gatewayError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey (this key is not an STS key).'));
  }

  // Every x-acs-* header actually sent (and host, and content-type when present) must be signed.
  const signed = new Set(auth.signedHeaders);
  const mustSign = Object.keys(headers).filter((n) => n.startsWith('x-acs-') || n === 'host' || n === 'content-type');
  const unsigned = mustSign.filter((n) => !signed.has(n));
  if (unsigned.length > 0) {
    return withKey(gatewayError(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards: header(s) ${unsigned.join(', ')} must be in SignedHeaders.`));
  }
  const missing = auth.signedHeaders.filter((n) => headers[n] === undefined);
  if (missing.length > 0) {
    return withKey(gatewayError(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards: signed header(s) ${missing.join(', ')} were not sent.`));
  }

  const signedHeaderValues: Record<string, string | string[] | undefined> = {};
  for (const name of auth.signedHeaders) signedHeaderValues[name] = headers[name];
  // The server hashes the body it actually received; a wrong x-acs-content-sha256 therefore
  // surfaces as SignatureDoesNotMatch (documented choice; a hint names the cause).
  const bodyHash = sha256Hex(input.body);
  const request: SignableRequest = {
    method: input.method,
    pathname: input.pathname,
    query: input.query,
    headers: { ...signedHeaderValues, 'x-acs-content-sha256': bodyHash },
    payloadHash: bodyHash,
  };
  const expected = signature(request, key.accessKeySecret);
  const claimedHash = header(headers, 'x-acs-content-sha256');
  if (claimedHash !== bodyHash || !signaturesEqual(expected, auth.signature)) {
    const hint = claimedHash !== bodyHash ? ` (x-acs-content-sha256 ${claimedHash} does not match the body hash ${bodyHash})` : '';
    return withKey(
      gatewayError(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(request)}${hint}`, {
        headers: { 'x-emulator-canonical-request': Buffer.from(canonicalRequest(request), 'utf8').toString('base64') },
      }),
    );
  }
  if (!input.useNonce(key.accessKeyId, header(headers, 'x-acs-signature-nonce')!)) {
    return withKey(gatewayError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'));
  }
  return { key };
}

export function isGatewayError(value: unknown): value is GatewayError {
  return typeof value === 'object' && value !== null && (value as { gateway?: unknown }).gateway === true;
}

export function accessDeniedDetail(key: EmulatorKey, action: string): Record<string, string> {
  const ramAction = Object.hasOwn(RAM_ACTIONS, action) ? RAM_ACTIONS[action as EmulatorAction].ramAction : `sr:${action}`;
  return {
    PolicyType: 'AccountLevelIdentityBasedPolicy',
    AuthPrincipalOwnerId: ACCOUNT_ID,
    AuthPrincipalType: 'SubUser',
    AuthPrincipalDisplayName: key.accessKeyId,
    NoPermissionType: 'ImplicitDeny',
    AuthAction: ramAction,
    EncodedDiagnosticMessage: Buffer.from(`deny ${key.accessKeyId} ${ramAction}`).toString('base64'),
  };
}
