/**
 * scripts/cluster (npm run cluster): the pure parts (ports, flags) and the one-sentence errors for a missing piece.
 * The cluster itself runs in CI's `npm run cluster:check` step (build, start, restarts, stop), not in npm test.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layoutFor, PIECES, portsFor, portsOf, readyPort, SERVICES } from '../../scripts/cluster/layout';
import { findPostgres } from '../../scripts/cluster/postgres';
import { ensureServerBinaries, parseSearchAttributes, startService } from '../../scripts/cluster/temporal';

const scratch = mkdtempSync(join(tmpdir(), 'starwave-cluster-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function withPath<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  const saved = process.env['PATH'];
  process.env['PATH'] = path;
  try {
    return await fn();
  } finally {
    process.env['PATH'] = saved;
  }
}

describe('cluster ports', () => {
  it('gives every piece its own ports, all distinct, beside the dev server', () => {
    const ports = portsFor(17233, 17432);
    const all = PIECES.flatMap((piece) => portsOf(piece, ports).map((p) => p.port));
    expect(new Set(all).size).toBe(all.length);
    expect(all).not.toContain(7233);
    expect(ports.services.frontend.grpc).toBe(17233);
    expect(readyPort('worker', ports)).toBe(ports.services.worker.membership);
    for (const service of ['frontend', 'history', 'matching'] as const) expect(readyPort(service, ports)).toBe(ports.services[service].grpc);
    expect(SERVICES).toEqual(['frontend', 'history', 'matching', 'worker']);
  });
});

describe('--search-attributes', () => {
  it('parses name=Type lists, types case-insensitively', () => {
    expect(parseSearchAttributes('StarwaveRollout=Keyword, StarwaveWave=int,Tags=KeywordList')).toEqual({
      StarwaveRollout: 'Keyword',
      StarwaveWave: 'Int',
      Tags: 'KeywordList',
    });
  });

  it('names the bad entry in one sentence', () => {
    expect(() => parseSearchAttributes('Good=Bool,bad')).toThrow("--search-attributes entry 'bad' must be name=Type with Type one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList.");
    expect(() => parseSearchAttributes('X=Float')).toThrow(/entry 'X=Float' must be name=Type/);
  });
});

describe('missing pieces', () => {
  it('says to install Go when the server is not built and there is no go', async () => {
    const layout = layoutFor(join(scratch, 'no-go'));
    const error = await withPath(join(scratch, 'empty'), () => ensureServerBinaries(layout, () => {})).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Go is needed once to build the Temporal server v1\.29\.1 \(no 'go' on PATH\): install Go 1\.22 or newer/);
  });

  it('says to install PostgreSQL when initdb and pg_ctl are nowhere', async () => {
    const error = await withPath(join(scratch, 'empty'), () => findPostgres(join(scratch, 'no-postgresql'))).catch((err: unknown) => err);
    expect((error as Error).message).toMatch(/^The PostgreSQL server programs \(initdb, pg_ctl\) were not found .*: install PostgreSQL 12 or newer/);
  });

  it('says which port is in use and how to choose others', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const root = join(scratch, 'busy');
      mkdirSync(root, { recursive: true });
      const error = await startService(layoutFor(root), 'frontend', portsFor(port, port + 1)).catch((err: unknown) => err);
      expect((error as Error).message).toBe(`Port ${port} (frontend gRPC) on 127.0.0.1 is already in use: stop what listens there, or choose other ports with --port <base>.`);
    } finally {
      blocker.close();
    }
  });
});
