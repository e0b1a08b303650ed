/**
 * One HTTP listener per region: collects the body, then hands the request to the control API
 * (`/_emulator/*`) or to the cloud API front door.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudHandler } from './cloud';
import type { ControlHandler } from './control';

const MAX_BODY_BYTES = 1024 * 1024;

export interface RegionListener {
  region: string;
  server: Server;
  port: number;
}

function requestHandler(region: string, cloud: CloudHandler, control: ControlHandler) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      const work = url.pathname.startsWith('/_emulator/') ? Promise.resolve(control(req, res, url, body)) : cloud(region, req, res, url, body);
      work.catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json;charset=utf-8' });
          res.end(JSON.stringify({ Code: 'InternalError', Message: `emulator bug: ${error instanceof Error ? error.message : String(error)}` }));
        }
      });
    });
  };
}

/** Starts one listener per region (region i on basePort+i, or random ports); closes the started ones on failure. */
export async function listenRegions(
  regions: readonly string[],
  host: string,
  basePort: number | undefined,
  cloud: CloudHandler,
  control: ControlHandler,
): Promise<RegionListener[]> {
  const listeners: RegionListener[] = [];
  try {
    for (const [i, region] of regions.entries()) {
      const server = createServer({ keepAlive: true }, requestHandler(region, cloud, control));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(basePort ? basePort + i : 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listeners.push({ region, server, port: (server.address() as AddressInfo).port });
    }
  } catch (error) {
    await closeServers(listeners.map((l) => l.server));
    throw error;
  }
  return listeners;
}

export async function closeServers(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
}
