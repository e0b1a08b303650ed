import Credential from '@alicloud/credentials';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resetEnvCache } from '../../src/config/env';
import { StarRocksCredentialsError, defaultCredentialSource, staticCredentials } from '../../src/starrocks/credentials';

const SECRET = 'FAKEAccessKeySecretDoNotUse00';

function isolateChain(): void {
  // Keep the chain away from the developer's real config and the ECS metadata service.
  vi.stubEnv('ALIBABA_CLOUD_CLI_PROFILE_DISABLED', 'true');
  vi.stubEnv('ALIBABA_CLOUD_CREDENTIALS_FILE', '/nonexistent/starwave-test-credentials');
  vi.stubEnv('ALIBABA_CLOUD_ECS_METADATA_DISABLED', 'true');
  vi.stubEnv('ALIBABA_CLOUD_CREDENTIALS_URI', '');
  vi.stubEnv('ALIBABA_CLOUD_ROLE_ARN', '');
  vi.stubEnv('ALIBABA_CLOUD_OIDC_PROVIDER_ARN', '');
  vi.stubEnv('ALIBABA_CLOUD_OIDC_TOKEN_FILE', '');
}

afterEach(() => {
  vi.unstubAllEnvs();
  resetEnvCache();
});

/** What the default chain throws with only this key pair in the environment (the rest of the chain isolated). */
async function chainRefusal(accessKeyId: string, accessKeySecret: string): Promise<unknown> {
  isolateChain();
  vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', accessKeyId);
  vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', accessKeySecret);
  return defaultCredentialSource()
    .getCredentials()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
}

/** The chain's error names the credentials file path, so a secret planted in it shows what redaction catches. */
async function chainErrorWithPlantedSecret(planted: string, source = () => defaultCredentialSource()): Promise<string> {
  isolateChain();
  vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', '');
  vi.stubEnv('ALIBABA_CLOUD_CREDENTIALS_FILE', `/nonexistent/${planted}/credentials`);
  const err = await source()
    .getCredentials()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(StarRocksCredentialsError);
  return (err as Error).message;
}

describe('credentials', () => {
  it('staticCredentials returns the pair and rejects an empty one', async () => {
    await expect(staticCredentials({ accessKeyId: 'id', accessKeySecret: SECRET }).getCredentials()).resolves.toEqual({
      accessKeyId: 'id',
      accessKeySecret: SECRET,
    });
    expect(() => staticCredentials({ accessKeyId: '', accessKeySecret: '' })).toThrow(StarRocksCredentialsError);
  });

  it('default chain reads the environment, including an STS token, as the process settings hold it', async () => {
    isolateChain();
    vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', 'LTAI5tFAKE');
    vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', SECRET);
    vi.stubEnv('ALIBABA_CLOUD_SECURITY_TOKEN', 'FAKE.STS');
    const source = defaultCredentialSource();
    await expect(source.getCredentials()).resolves.toEqual({ accessKeyId: 'LTAI5tFAKE', accessKeySecret: SECRET, securityToken: 'FAKE.STS' });
    vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', `${SECRET}-rotated`);
    resetEnvCache();
    await expect(source.getCredentials()).resolves.toMatchObject({ accessKeySecret: `${SECRET}-rotated` });
  });

  it('returns from the environment exactly what the library’s own default chain returns', async () => {
    isolateChain();
    for (const token of ['FAKE.STS.token', '']) {
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', 'LTAI5tFAKEchain');
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', SECRET);
      vi.stubEnv('ALIBABA_CLOUD_SECURITY_TOKEN', token);
      resetEnvCache();
      const library = await new Credential().getCredential();
      const expected = { accessKeyId: library.accessKeyId, accessKeySecret: library.accessKeySecret, ...(library.securityToken ? { securityToken: library.securityToken } : {}) };
      await expect(defaultCredentialSource().getCredentials()).resolves.toEqual(expected);
    }
  });

  it('an ID without a secret is not a pair: the rest of the chain is asked, and says what to set', async () => {
    const err = await chainRefusal('LTAI5tFAKEalone', '');
    expect(err).toBeInstanceOf(StarRocksCredentialsError);
    expect((err as Error).message).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  });

  it('nothing configured → a sentence listing what to set, no secrets', async () => {
    const err = await chainRefusal('', '');
    expect(err).toBeInstanceOf(StarRocksCredentialsError);
    const message = (err as Error).message;
    expect(message).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(message).toContain('ALIBABA_CLOUD_ACCESS_KEY_SECRET');
    expect(message).toContain('ALIBABA_CLOUD_PROFILE');
    expect(message).not.toContain(SECRET);
  });

  it("redacts the given secrets from the chain's error text", async () => {
    const planted = 'planted-secret-7f3a9c';
    const message = await chainErrorWithPlantedSecret(planted, () => defaultCredentialSource({ secrets: [planted] }));
    expect(message).toContain('[REDACTED]');
    expect(message).not.toContain(planted);
  });

  it('by default redacts the secrets of the process settings (loadEnv), e.g. ALIBABA_CLOUD_ACCESS_KEY_SECRET', async () => {
    const planted = 'env-secret-1b2c3d4e';
    vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', planted);
    resetEnvCache();
    const message = await chainErrorWithPlantedSecret(planted);
    expect(message).toContain('[REDACTED]');
    expect(message).not.toContain(planted);
  });
});
