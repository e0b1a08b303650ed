/**
 * src/devserver is split along its seam (resolve-cli.ts: find or build the CLI; dev-server.ts: run it); the old
 * import path keeps every name, and the tool cache is .temporal/ in a checkout and a per-user folder when installed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as facade from '../../src/devserver/temporal-cli';
import * as devServer from '../../src/devserver/dev-server';
import * as resolveCli from '../../src/devserver/resolve-cli';
import { DevServerErrorCode } from '../../src/devserver/errors';
import { findOnPath } from '../../src/devserver/process-utils';
import { resolveTimeSkippingServer } from '../../src/devserver/test-server';

const scratch = mkdtempSync(join(tmpdir(), 'starwave-paths-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('src/devserver/temporal-cli.ts (facade)', () => {
  it('still exports every name its importers use', () => {
    for (const name of [
      'DevServerError',
      'DevServerErrorCode',
      'MIN_GO_VERSION',
      'TEMPORAL_CLI_GO_PACKAGE',
      'TEMPORAL_CLI_VERSION',
      'TemporalCliSource',
      'cachedTemporalCliPath',
      'formatSeconds',
      'freePort',
      'projectRoot',
      'resolveTemporalCli',
      'startDevServer',
    ]) {
      expect(facade, name).toHaveProperty(name);
    }
    expect(facade.startDevServer).toBe(devServer.startDevServer);
    expect(facade.resolveTemporalCli).toBe(resolveCli.resolveTemporalCli);
    expect(facade.TEMPORAL_CLI_VERSION).toBe('v1.5.1');
  });
});

describe('tool cache folder', () => {
  it('is <root>/.temporal in a development checkout', () => {
    const root = join(scratch, 'checkout');
    mkdirSync(join(root, 'src', 'devserver'), { recursive: true });
    expect(facade.isDevelopmentCheckout(root)).toBe(true);
    expect(facade.toolCacheDir(root)).toBe(join(root, '.temporal'));
    expect(facade.cachedTemporalCliPath(root)).toBe(join(root, '.temporal', 'bin', 'temporal'));
  });

  it('is a per-user cache folder for an installed package, never inside node_modules', () => {
    const root = join(scratch, 'node_modules', 'starwave');
    mkdirSync(join(root, 'dist', 'devserver'), { recursive: true });
    expect(facade.isDevelopmentCheckout(root)).toBe(false);
    expect(facade.toolCacheDir(root)).toBe(join(homedir(), '.cache', 'starwave'));
    expect(facade.cachedTemporalCliPath(root)).toBe(join(homedir(), '.cache', 'starwave', 'bin', 'temporal'));
  });

  it('is .temporal/ for this repository', () => {
    expect(facade.toolCacheDir()).toBe(join(facade.projectRoot(), '.temporal'));
  });
});

describe('time-skipping test server provisioning', () => {
  async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const saved = process.env['PATH'];
    process.env['PATH'] = path;
    try {
      return await fn();
    } finally {
      process.env['PATH'] = saved;
    }
  }

  it('says in one sentence to install Java when there is none', async () => {
    const cacheDir = join(scratch, 'no-java');
    const error = await withPath(join(scratch, 'empty-bin'), () => resolveTimeSkippingServer({ cacheDir })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: DevServerErrorCode.testServerUnavailable });
    expect((error as Error).message).toMatch(/^The time-skipping test server is Temporal's Java test server and there is no 'java' on PATH: install a Java runtime 11 or newer/);
  });

  it('says in one sentence to install Maven when Java is there but Maven is not', async () => {
    const java = findOnPath('java')[0];
    expect(java, 'this machine has java (the CI provisions the test server with it)').toBeDefined();
    const bin = join(scratch, 'java-only-bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(java!, join(bin, 'java'));
    const error = await withPath(bin, () => resolveTimeSkippingServer({ cacheDir: join(scratch, 'no-mvn') })).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: DevServerErrorCode.testServerUnavailable });
    expect((error as Error).message).toMatch(/there is no 'mvn' on PATH: install Maven .* and run npm run temporal:test-server\.$/);
  });
});
