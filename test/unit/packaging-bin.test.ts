/**
 * bin/starwave.js picks the code to run: the compiled dist/ (with its prebuilt workflow bundle) in an installed
 * package, and in a checkout dist/ only while no file in src/ is newer than the build, else src/ through tsx. Checked
 * on throw-away package roots holding a copy of the real bin/starwave.js and stand-in entry points that say which
 * one ran.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'starwave-bin-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const REPORT = "process.stdout.write(JSON.stringify({ ran: RAN, bundle: process.env.STARWAVE_WORKFLOW_BUNDLE ?? null }));\n";

function packageRoot(name: string, parts: { dist?: boolean; bundle?: boolean; src?: boolean; tsx?: boolean }): string {
  const root = join(scratch, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(join(REPO, 'bin', 'starwave.js'), join(root, 'bin', 'starwave.js'));
  if (parts.dist) {
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(root, 'dist', 'cli', 'main.js'), `const RAN = 'dist';\n${REPORT}`);
    writeFileSync(join(root, 'dist', 'build-info.json'), '{}\n');
    if (parts.bundle) writeFileSync(join(root, 'dist', 'workflow-bundle.js'), '// bundle\n');
  }
  if (parts.src) {
    mkdirSync(join(root, 'src', 'cli'), { recursive: true });
    writeFileSync(join(root, 'src', 'cli', 'main.ts'), `const RAN: string = 'tsx';\n${REPORT}`);
  }
  if (parts.tsx) symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  return root;
}

function run(root: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const baseEnv = { ...process.env };
  delete baseEnv['STARWAVE_WORKFLOW_BUNDLE'];
  const out = spawnSync(process.execPath, [join(root, 'bin', 'starwave.js'), '--help'], { encoding: 'utf8', env: { ...baseEnv, ...env } });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** Sets a file's times `secondsFromNow` away from now. */
function touch(path: string, secondsFromNow: number): void {
  const when = new Date(Date.now() + secondsFromNow * 1000);
  utimesSync(path, when, when);
}

describe('bin/starwave.js', () => {
  it('runs dist/ in an installed package and points the worker at the prebuilt workflow bundle', () => {
    const root = packageRoot('installed', { dist: true, bundle: true });
    const out = run(root);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ ran: 'dist', bundle: join(root, 'dist', 'workflow-bundle.js') });
  });

  it('leaves an explicit STARWAVE_WORKFLOW_BUNDLE alone', () => {
    const root = packageRoot('explicit-bundle', { dist: true, bundle: true });
    expect(JSON.parse(run(root, { STARWAVE_WORKFLOW_BUNDLE: '/elsewhere/bundle.js' }).stdout)).toEqual({ ran: 'dist', bundle: '/elsewhere/bundle.js' });
  });

  it('says in one sentence that the package is not built when there is neither dist/ nor a checkout', () => {
    const root = packageRoot('unbuilt', {});
    const out = run(root);
    expect(out.status).toBe(1);
    expect(out.stderr.trim()).toBe(
      `starwave is not built: ${join(root, 'dist', 'cli', 'main.js')} is missing. In a checkout run 'npm ci && npm run build'; otherwise reinstall the package.`,
    );
  });

  it('runs src/ through tsx in a checkout without a build', () => {
    const root = packageRoot('checkout-unbuilt', { src: true, tsx: true });
    expect(JSON.parse(run(root).stdout)).toEqual({ ran: 'tsx', bundle: null });
  });

  it('runs dist/ in a checkout while the build is newer than every source file, and src/ once one is edited', () => {
    const root = packageRoot('checkout-built', { dist: true, bundle: true, src: true, tsx: true });
    touch(join(root, 'src', 'cli', 'main.ts'), -60);
    touch(join(root, 'dist', 'build-info.json'), -30);
    expect(JSON.parse(run(root).stdout).ran).toBe('dist');

    touch(join(root, 'src', 'cli', 'main.ts'), -10); // edited after the build
    expect(JSON.parse(run(root).stdout)).toEqual({ ran: 'tsx', bundle: null });
  });
});
