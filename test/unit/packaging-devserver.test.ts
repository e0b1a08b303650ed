/**
 * src/devserver is split along its seam (resolve-cli.ts: find or build the CLI; dev-server.ts: run it); the old
 * import path keeps every name, and the tool cache is .temporal/ in a checkout and a per-user folder when installed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as facade from '../../src/devserver/temporal-cli';
import * as devServer from '../../src/devserver/dev-server';
import * as resolveCli from '../../src/devserver/resolve-cli';

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
