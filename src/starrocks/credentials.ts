/**
 * Where the client gets its AccessKey pair (and optional STS token) for each request.
 * The default source wraps the `@alicloud/credentials` default chain (spec §7), which caches and
 * refreshes temporary credentials itself; asking it on every request picks up refreshed keys.
 */
import type Credential from '@alicloud/credentials';
import { loadEnv } from '../config/env';
import { redactSecrets } from './errors';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS SecurityToken when the key pair is temporary. */
  securityToken?: string;
}

export interface CredentialSource {
  /** Called once per request; implementations cache as they see fit. */
  getCredentials(): Promise<Credentials>;
}

/** No usable credentials were found or the source failed. The message never contains secret values. */
export class StarRocksCredentialsError extends Error {
  override readonly name = 'StarRocksCredentialsError';
  readonly code = 'ERR_STARROCKS_CREDENTIALS' as const;
}

const HOW_TO_SET =
  'Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (plus ALIBABA_CLOUD_SECURITY_TOKEN for STS keys), ' +
  'or configure a profile in ~/.aliyun/config.json or ~/.alibabacloud/credentials (select it with ALIBABA_CLOUD_PROFILE), ' +
  'or the OIDC variables ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE, ' +
  'or run on ECS with a RAM role (ALIBABA_CLOUD_ECS_METADATA), or set ALIBABA_CLOUD_CREDENTIALS_URI.';

function checked(c: Credentials, origin: string): Credentials {
  if (!c.accessKeyId || !c.accessKeySecret) {
    throw new StarRocksCredentialsError(`The ${origin} returned no AccessKeyId/AccessKeySecret. ${HOW_TO_SET}`);
  }
  const out: Credentials = { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret };
  if (c.securityToken) out.securityToken = c.securityToken;
  return out;
}

/** A fixed key pair (tests, or keys injected by the caller). */
export function staticCredentials(c: Credentials): CredentialSource {
  const value = checked(c, 'static credential source');
  return { getCredentials: async () => value };
}

export interface DefaultCredentialSourceOptions {
  /**
   * Secret values to redact from the chain's error messages. Default: every secret of the
   * process's settings (`loadEnv().secrets`, which includes ALIBABA_CLOUD_ACCESS_KEY_SECRET and
   * ALIBABA_CLOUD_SECURITY_TOKEN), read when an error happens.
   */
  secrets?: readonly string[];
}

/**
 * The `@alicloud/credentials` default chain: environment variables, OIDC role, CLI profile,
 * credentials file, ECS RAM role, credentials URI (spec §7), resolved lazily on the first request.
 */
export function defaultCredentialSource(opts: DefaultCredentialSourceOptions = {}): CredentialSource {
  let credential: Credential | undefined;
  return {
    async getCredentials(): Promise<Credentials> {
      // The chain's first provider without the library: with both variables set the chain returns exactly this pair
      // (spec §7, 1). Loading @alicloud/credentials costs ~20 ms of every
      // CLI start (`node -e "require('@alicloud/credentials')"` 0.070 s against 0.050 s for an empty script), so it is
      // loaded only when the environment holds no pair.
      const fromEnvironment = environmentPair();
      if (fromEnvironment) return fromEnvironment;
      let model;
      try {
        // Constructing the chain never throws for a missing configuration; the first call does.
        credential ??= new (require('@alicloud/credentials') as typeof import('@alicloud/credentials')).default();
        model = await credential.getCredential();
      } catch (err) {
        // Library messages name providers and variables; redact env secrets defensively anyway, and do not
        // attach the raw error as `cause` so nothing unredacted travels into logs.
        const reason = redactSecrets(err instanceof Error ? err.message : String(err), opts.secrets ?? envSecrets());
        throw new StarRocksCredentialsError(
          `No Alibaba Cloud credentials could be loaded from the default chain (${reason}). ${HOW_TO_SET}`,
        );
      }
      return checked(
        {
          accessKeyId: model.accessKeyId ?? '',
          accessKeySecret: model.accessKeySecret ?? '',
          ...(model.securityToken ? { securityToken: model.securityToken } : {}),
        },
        'default credential chain',
      );
    },
  };
}

/**
 * The chain's environment provider (@alicloud/credentials' EnvironmentVariableCredentialsProvider): both set, or
 * none. Read through the process settings (src/config/env.ts), which read the environment once; when those are
 * invalid the library's chain is asked instead, as before.
 */
function environmentPair(): Credentials | undefined {
  let vars;
  try {
    vars = loadEnv().credentials;
  } catch {
    return undefined;
  }
  const accessKeyId = vars.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = vars.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) return undefined;
  const securityToken = vars.ALIBABA_CLOUD_SECURITY_TOKEN;
  return securityToken ? { accessKeyId, accessKeySecret, securityToken } : { accessKeyId, accessKeySecret };
}

/** The process's secret values; none when the settings are invalid (the process fails at start then anyway). */
function envSecrets(): readonly string[] {
  try {
    return loadEnv().secrets;
  } catch {
    return [];
  }
}
