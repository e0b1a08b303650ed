/**
 * Building Go programs into the tool cache with `go install` (the Temporal CLI; the Temporal server and its SQL
 * tool for scripts/cluster.ts). Builds go to a private folder first and are renamed into place, so an interrupted
 * build or two builds racing never leave a half-written binary where a cache check would trust it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DevServerError, DevServerErrorCode } from './errors';
import { findOnPath, formatSeconds, forwardLines, type LogLine } from './process-utils';

/** Oldest Go that can build the CLI: it fetches the Go 1.25 toolchain the CLI's go.mod asks for on its own. */
export const MIN_GO_VERSION = { major: 1, minor: 22 } as const;

export type GoLookup = { ok: true; path: string; version: string } | { ok: false; reason: string };

/** The `go` on PATH when it is at least {@link MIN_GO_VERSION}, else why not (a sentence fragment). */
export function findGo(): GoLookup {
  const go = findOnPath('go')[0];
  if (!go) return { ok: false, reason: "no 'go' on PATH" };
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8', timeout: 30_000 });
  const match = /go(\d+)\.(\d+)/.exec(out.stdout ?? '');
  if (out.status !== 0 || !match) return { ok: false, reason: `'${go} env GOVERSION' failed` };
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MIN_GO_VERSION.major || (major === MIN_GO_VERSION.major && minor < MIN_GO_VERSION.minor)) {
    return { ok: false, reason: `Go ${major}.${minor} is older than ${MIN_GO_VERSION.major}.${MIN_GO_VERSION.minor}` };
  }
  return { ok: true, path: go, version: out.stdout.trim() };
}

/** `go env <name>` (e.g. GOMODCACHE), or undefined when Go cannot say. */
export function goEnv(go: string, name: string): string | undefined {
  const out = spawnSync(go, ['env', name], { encoding: 'utf8', timeout: 30_000 });
  const value = out.status === 0 ? out.stdout.trim() : '';
  return value || undefined;
}

export interface GoInstallTarget {
  /** `module/path/cmd/x@version`. */
  packageAtVersion: string;
  /** The binary `go install` writes (the last path element of the package, e.g. `temporal`, `server`, `sql`). */
  builtName: string;
  /** Where the binary ends up. */
  destination: string;
}

/**
 * `go install -v` of every target in ONE go invocation (shared dependencies compile once), with CGO off (no C
 * toolchain needed), then renames each binary to its destination. Streams Go's output as `  [go] …` lines.
 */
export async function goInstall(go: string, targets: GoInstallTarget[], log: LogLine, what: string): Promise<void> {
  const started = Date.now();
  const first = targets[0];
  if (!first) return;
  const stagingParent = dirname(dirname(first.destination));
  mkdirSync(stagingParent, { recursive: true });
  const gobin = mkdtempSync(join(stagingParent, 'build-'));
  log(`Building ${what} with Go (${targets.map((t) => t.packageAtVersion).join(', ')}); the first build takes a few minutes, later runs reuse it...`);
  try {
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      const child = spawn(go, ['install', '-v', ...targets.map((t) => t.packageAtVersion)], {
        // lint-allow env-in-config: go inherits the user's environment (GOPATH, GOPROXY, GOFLAGS, proxies) as a shell would
        env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      forwardLines(child.stdout, (line) => log(`  [go] ${line}`));
      forwardLines(child.stderr, (line) => log(`  [go] ${line}`));
      child.on('error', reject);
      child.on('close', resolvePromise);
    });
    const exe = process.platform === 'win32' ? '.exe' : '';
    const missing = targets.filter((t) => !existsSync(join(gobin, t.builtName + exe)));
    if (code !== 0 || missing.length > 0) {
      throw new DevServerError(
        DevServerErrorCode.buildFailed,
        `'go install ${targets.map((t) => t.packageAtVersion).join(' ')}' failed (exit ${code}); see the [go] lines above.`,
      );
    }
    for (const target of targets) {
      mkdirSync(dirname(target.destination), { recursive: true });
      renameSync(join(gobin, target.builtName + exe), target.destination);
    }
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  log(`Built ${what} in ${formatSeconds(Date.now() - started)} (${targets.map((t) => basename(t.destination)).join(', ')}).`);
}
