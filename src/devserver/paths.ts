/**
 * Where starwave keeps the tools it builds or downloads (the Temporal CLI, the time-skipping test server):
 *
 * - a development checkout (the package root has `src/`): `<root>/.temporal/` (git-ignored), as always;
 * - an installed package (`npm install starwave`, the Docker image): a per-user cache folder,
 *   `$XDG_CACHE_HOME/starwave`, else `~/.cache/starwave`, so that nothing is written into node_modules and a
 *   reinstall or upgrade of the package keeps the 3-minute Go build.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadEnv } from '../config/env';

/** The package root: the repository in a checkout, `node_modules/starwave` when installed (this file is `<root>/{src,dist}/devserver/`). */
export function projectRoot(): string {
  return resolve(__dirname, '..', '..');
}

/** A checkout with sources (not an installed package, whose tarball holds only dist/ and bin/). */
export function isDevelopmentCheckout(root: string = projectRoot()): boolean {
  return existsSync(join(root, 'src', 'devserver'));
}

/** The folder for built and downloaded tools (see the module comment). */
export function toolCacheDir(root: string = projectRoot()): string {
  if (isDevelopmentCheckout(root)) return join(root, '.temporal');
  // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const { xdgCacheHome } = loadEnv();
  const base = xdgCacheHome && xdgCacheHome.startsWith('/') ? xdgCacheHome : join(homedir(), '.cache');
  return join(base, 'starwave');
}
