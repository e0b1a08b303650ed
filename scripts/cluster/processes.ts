/**
 * The cluster's processes as pid files: is it alive (and really ours), stop it by its pid, is a port free.
 * Only processes whose command line carries our marker are ever signalled: a reused pid is never killed.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The command line of a live (not zombie) process, or undefined. */
export function commandLine(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state === 'Z' || state === 'X') return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePid(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

/** The pid in `file` when that process is alive and its command line contains `marker`. */
export function livePid(file: string, marker: string): number | undefined {
  const pid = readPid(file);
  if (pid === undefined) return undefined;
  const argv = commandLine(pid);
  return argv && argv.some((arg) => arg.includes(marker)) ? pid : undefined;
}

export async function waitUntil(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Returns how it ended.
 */
export async function stopPid(pid: number, marker: string, graceMs: number): Promise<'not-running' | 'terminated' | 'killed'> {
  const alive = (): boolean => (commandLine(pid) ?? []).some((arg) => arg.includes(marker));
  if (!alive()) return 'not-running';
  process.kill(pid, 'SIGTERM');
  try {
    await waitUntil(`pid ${pid} to exit`, graceMs, () => !alive(), 100);
    return 'terminated';
  } catch {
    if (alive()) process.kill(pid, 'SIGKILL');
    await waitUntil(`pid ${pid} to die after SIGKILL`, 10_000, () => !alive(), 100);
    return 'killed';
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

/** Whether nothing listens on 127.0.0.1:port (we can bind it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise(true)));
  });
}

/** The last `lines` lines of a log file (for error messages). */
export function logTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}
