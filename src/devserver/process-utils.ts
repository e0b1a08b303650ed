/**
 * Small process and file helpers shared by the Temporal CLI resolver, the dev server, the test server and
 * scripts/cluster.ts. No Temporal SDK imports here: resolving a cached binary must stay instant.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export type LogLine = (line: string) => void;

export const noLog: LogLine = () => {};

export function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every executable called `name` on PATH, in PATH order (what a shell would run first comes first). */
export function findOnPath(name: string): string[] {
  // lint-allow env-in-config: PATH is the operating system's program search path, looked up the way a shell does
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  return dirs.flatMap((dir) => exts.map((ext) => join(dir, name + ext))).filter(isExecutable);
}

/** Calls `onLine` for every non-empty line of `stream` (and the unterminated rest at its end). */
export function forwardLines(stream: NodeJS.ReadableStream | null, onLine: LogLine): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split(/\r?\n/);
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
  stream.on('end', () => {
    if (buffered.trim()) onLine(buffered);
    buffered = '';
  });
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** Whether something accepts TCP connections on host:port (within `timeoutMs`). */
export function tcpAccepts(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(timeoutMs);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`;
}
