/**
 * The cluster's own PostgreSQL: a data folder under .data/cluster/postgres on its own port, listening on 127.0.0.1
 * only (no Unix socket), password authentication (scram-sha-256) for the superuser `temporal`. initdb and pg_ctl
 * refuse to run as root, so as root they run as the `postgres` user (runuser), who owns the data folder; as any other
 * user they run as that user.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findOnPath, isExecutable, tcpAccepts, type LogLine } from '../../src/devserver/process-utils';
import { ClusterError, logFile, pidFile, POSTGRES_USER, type ClusterLayout } from './layout';
import { logTail, portIsFree, removeFile, waitUntil, writePid } from './processes';

export interface PostgresBinaries {
  binDir: string;
  initdb: string;
  pgCtl: string;
  version: string;
}

/** initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/<version>/bin (Debian, Ubuntu). */
export function findPostgres(debian = '/usr/lib/postgresql'): PostgresBinaries {
  const candidates: string[] = [];
  const onPath = findOnPath('pg_ctl')[0];
  if (onPath) candidates.push(join(onPath, '..'));
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  for (const binDir of candidates) {
    const initdb = join(binDir, 'initdb');
    const pgCtl = join(binDir, 'pg_ctl');
    if (isExecutable(initdb) && isExecutable(pgCtl)) {
      const out = spawnSync(pgCtl, ['--version'], { encoding: 'utf8' });
      return { binDir, initdb, pgCtl, version: (out.stdout ?? '').trim() };
    }
  }
  throw new ClusterError(
    "The PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/<version>/bin: install PostgreSQL 12 or newer (Debian: apt-get install postgresql) or put its bin folder on PATH.",
  );
}

interface RunAs {
  /** The command and arguments that run `command` as the database owner. */
  wrap(command: string, args: string[]): [string, string[]];
  /** uid/gid to give folders PostgreSQL writes, when we are root. */
  owner?: { uid: number; gid: number };
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => [command, args] };
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new ClusterError(
      "initdb and pg_ctl refuse to run as root and there is no 'postgres' user to run them as: install PostgreSQL from your distribution's packages (which creates it) or run npm run cluster as a normal user.",
    );
  }
  const runuser = findOnPath('runuser')[0] ?? '/usr/sbin/runuser';
  return {
    wrap: (command, args) => [runuser, ['-u', 'postgres', '--', command, ...args]],
    owner: { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) },
  };
}

function run(as: RunAs, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const [exe, argv] = as.wrap(command, args);
  // lint-allow env-in-config: PostgreSQL's programs inherit the user's environment (PATH, locale) as a shell would
  return spawnSync(exe, argv, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
}

function ownFolder(as: RunAs, dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  if (as.owner) chownSync(dir, as.owner.uid, as.owner.gid);
}

interface PostgresPaths {
  /** The data folder PostgreSQL's programs are given (the real path, which the postgres user can reach). */
  data: string;
  log: string;
  /** Working folder for PostgreSQL's programs (reachable by the postgres user). */
  cwd: string;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Normally `.data/cluster/postgres` itself. When the postgres user cannot reach the checkout (a clone under a
 * 0700 home folder), initPostgres put the data folder under the system's temporary folder and left a symlink at
 * `.data/cluster/postgres` (and at logs/postgres.log): PostgreSQL's programs get the real paths.
 */
function postgresPaths(layout: ClusterLayout): PostgresPaths {
  if (isSymlink(layout.postgresData)) {
    const data = realpathSync(layout.postgresData);
    return { data, log: join(dirname(data), 'postgres.log'), cwd: dirname(data) };
  }
  return { data: layout.postgresData, log: logFile(layout, 'postgres'), cwd: layout.dataDir };
}

function reachableByPostgres(as: RunAs, dir: string): boolean {
  if (!as.owner) return true;
  const [exe, argv] = as.wrap('test', ['-x', dir]);
  return spawnSync(exe, argv, { cwd: '/' }).status === 0;
}

/** Creates the data folder with initdb unless it exists. Returns whether it was created now. */
export function initPostgres(layout: ClusterLayout, password: string, log: LogLine): boolean {
  const bins = findPostgres();
  if (existsSync(join(postgresPaths(layout).data, 'PG_VERSION'))) return false;
  const as = runAs();
  // The folders above the data folder must let the postgres user through.
  mkdirSync(layout.dataDir, { recursive: true, mode: 0o755 });
  mkdirSync(layout.logsDir, { recursive: true, mode: 0o755 });
  rmSync(layout.postgresData, { recursive: true, force: true });
  if (reachableByPostgres(as, layout.dataDir)) {
    ownFolder(as, layout.postgresData, 0o700);
  } else {
    const base = join(tmpdir(), `starwave-cluster-${createHash('sha256').update(layout.root).digest('hex').slice(0, 12)}`);
    log(`the postgres user cannot reach ${layout.dataDir} (a folder above it is closed to others): the data folder goes to ${base}/postgres, linked from ${layout.postgresData}`);
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true, mode: 0o755 });
    ownFolder(as, join(base, 'postgres'), 0o700);
    symlinkSync(join(base, 'postgres'), layout.postgresData);
    rmSync(logFile(layout, 'postgres'), { force: true });
    symlinkSync(join(base, 'postgres.log'), logFile(layout, 'postgres'));
  }
  const paths = postgresPaths(layout);
  // initdb reads the superuser password from a file the postgres user can read; it is removed right after.
  const pwDir = mkdtempSync(join(paths.cwd, '.initdb-'));
  if (as.owner) chownSync(pwDir, as.owner.uid, as.owner.gid);
  const pwFile = join(pwDir, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (as.owner) chownSync(pwFile, as.owner.uid, as.owner.gid);
  try {
    log(`initdb ${paths.data} (${bins.version}, superuser ${POSTGRES_USER}, scram-sha-256 over 127.0.0.1 only)...`);
    const out = run(as, bins.initdb, ['-D', paths.data, '-U', POSTGRES_USER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale'], paths.cwd);
    if (out.status !== 0) {
      throw new ClusterError(`initdb failed (exit ${out.status}): ${(out.stderr || out.stdout).trim().split('\n').slice(-5).join(' | ')}`);
    }
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
  // Local-only: TCP on 127.0.0.1, no Unix socket (its path would depend on the checkout's location). Temporal's four
  // services hold at most 4 × (10 + 2) connections.
  appendFileSync(
    join(paths.data, 'postgresql.conf'),
    "\n# starwave npm run cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\n",
  );
  return true;
}

export function postgresRunning(layout: ClusterLayout): boolean {
  const paths = postgresPaths(layout);
  if (!existsSync(join(paths.data, 'PG_VERSION'))) return false;
  const bins = findPostgres();
  return run(runAs(), bins.pgCtl, ['-D', paths.data, 'status'], paths.cwd).status === 0;
}

/** The postmaster's pid (first line of postmaster.pid), when it runs. */
export function postgresPid(layout: ClusterLayout): number | undefined {
  try {
    const pid = Number(readFileSync(join(postgresPaths(layout).data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function startPostgres(layout: ClusterLayout, port: number, log: LogLine): Promise<void> {
  const bins = findPostgres();
  if (postgresRunning(layout)) return;
  if (!(await portIsFree(port))) {
    throw new ClusterError(`Port ${port} (PostgreSQL) on 127.0.0.1 is already in use: stop what listens there, or pass --pg-port <port>.`);
  }
  const as = runAs();
  const paths = postgresPaths(layout);
  const logPath = paths.log;
  mkdirSync(dirname(logPath), { recursive: true, mode: 0o755 });
  if (!existsSync(logPath)) writeFileSync(logPath, '');
  if (as.owner) chownSync(logPath, as.owner.uid, as.owner.gid);
  const started = Date.now();
  const out = run(as, bins.pgCtl, ['-D', paths.data, '-l', logPath, '-w', '-t', '60', '-o', `-p ${port}`, 'start'], paths.cwd);
  if (out.status !== 0) {
    throw new ClusterError(`PostgreSQL did not start (pg_ctl exit ${out.status}); the end of ${logPath}:\n${logTail(logPath)}`);
  }
  await waitUntil(`PostgreSQL on 127.0.0.1:${port}`, 30_000, () => tcpAccepts('127.0.0.1', port));
  const pid = postgresPid(layout);
  mkdirSync(layout.pidsDir, { recursive: true });
  if (pid) writePid(pidFile(layout, 'postgres'), pid);
  log(`PostgreSQL is up on 127.0.0.1:${port} (pid ${pid ?? '?'}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export function stopPostgres(layout: ClusterLayout, log: LogLine): void {
  if (!postgresRunning(layout)) {
    removeFile(pidFile(layout, 'postgres'));
    return;
  }
  const bins = findPostgres();
  const paths = postgresPaths(layout);
  // -m fast: roll back open transactions and stop now (Temporal's services reconnect when it is back).
  const out = run(runAs(), bins.pgCtl, ['-D', paths.data, '-m', 'fast', '-w', '-t', '60', 'stop'], paths.cwd);
  if (out.status !== 0) throw new ClusterError(`pg_ctl stop failed (exit ${out.status}): ${(out.stderr || out.stdout).trim()}`);
  removeFile(pidFile(layout, 'postgres'));
  log('PostgreSQL stopped');
}
