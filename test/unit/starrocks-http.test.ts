/**
 * src/starrocks/http.ts takes undici's Pool and request API from their own files instead of undici's index (which
 * loads all of undici on every CLI start). Those paths are not undici's public entry, so this checks they still are the
 * very objects the index exports, and that a request through it reaches a server with the path and query intact.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Pool, requestApi, requestVia } from '../../src/starrocks/http';

describe('the StarRocks client’s undici', () => {
  it('is the Pool class and the request API undici’s index exports', () => {
    expect(Pool).toBe(undici.Pool);
    expect(requestApi).toBe(undici.Dispatcher.prototype.request);
  });

  it('sends the method, path, query, headers and body of a URL through a Pool', async () => {
    const seen: Array<{ method?: string; url?: string; header?: string; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, header: req.headers['x-probe'] as string, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const pool = new Pool(`http://127.0.0.1:${port}`);
    try {
      const res = await requestVia(pool, `http://127.0.0.1:${port}/webapi/x?a=1&b=%2F`, { method: 'POST', headers: { 'x-probe': 'yes' }, body: '{"k":1}' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('ok');
      expect(seen).toEqual([{ method: 'POST', url: '/webapi/x?a=1&b=%2F', header: 'yes', body: '{"k":1}' }]);
    } finally {
      await pool.close();
      await new Promise((r) => server.close(r));
    }
  });
});
