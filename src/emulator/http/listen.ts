/**
 * One HTTP listener per region: frames and collects the request, then hands it to the control API
 * (`/_emulator/*`) or to the cloud API front door. Nothing a client sends may throw here: requests
 * the HTTP parser rejects, CONNECT, oversized bodies and handler bugs all get a JSON answer in the
 * gateway's shape (or the control API's shape when the path is a control path).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { gatewayError, gatewayErrorBody } from '../gateway';
import type { CloudHandler } from './cloud';
import type { ControlHandler } from './control';
import { CONTROL_PREFIX, controlErrorBody, newRequestId, parseErrorAnswer, parseRequestTarget, rawGatewayResponse, sendJson } from './wire';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this much body the connection is dropped without an answer (no one legitimately streams that much). */
const MAX_DRAINED_BYTES = 16 * MAX_BODY_BYTES;

export interface RegionListener {
  region: string;
  server: Server;
  port: number;
}

/** Called for requests answered before any handler saw them (bad target, oversized body, parse errors). */
export type RejectedRequestSink = (entry: { region: string; path: string; method: string; httpStatus: number; code: string; requestId: string }) => void;

/**
 * Per connection: the requests whose response is still owed. A parse error on a pipelined
 * connection is answered only after every COMPLETE earlier request got its answer, so answers stay
 * in request order; an incomplete request (its body never arrived) is the broken one itself.
 */
interface ConnectionState {
  owed: Set<IncomingMessage>;
  answerParseError?: () => void;
}

const connections = new WeakMap<Duplex, ConnectionState>();

function connectionOf(socket: Duplex): ConnectionState {
  let state = connections.get(socket);
  if (!state) {
    state = { owed: new Set() };
    connections.set(socket, state);
  }
  return state;
}

function settle(socket: Duplex): void {
  const state = connections.get(socket);
  if (!state?.answerParseError) return;
  for (const req of state.owed) if (req.complete) return;
  const answer = state.answerParseError;
  delete state.answerParseError;
  answer();
}

function requestHandler(region: string, cloud: CloudHandler, control: ControlHandler, rejected: RejectedRequestSink) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const connection = connectionOf(req.socket);
    connection.owed.add(req);
    const release = (): void => {
      connection.owed.delete(req);
      settle(req.socket);
    };
    res.once('finish', release);
    res.once('close', release);
    // An aborted request (client reset, broken framing) is answered by the parse-error path or not at all.
    req.on('error', () => undefined);

    const target = parseRequestTarget(req.url);
    const isControl = !('error' in target) && target.pathname.startsWith(CONTROL_PREFIX);
    const method = req.method ?? 'GET';
    const reject = (status: number, code: string, message: string): void => {
      const requestId = newRequestId();
      if (!isControl) rejected({ region, path: 'error' in target ? '' : target.pathname, method, httpStatus: status, code, requestId });
      if (isControl) {
        sendJson(res, status, controlErrorBody(message, [{ path: '', message }]), { connection: 'close' });
      } else {
        sendJson(res, status, gatewayErrorBody(gatewayError(status, code, message), requestId, region), { 'x-acs-request-id': requestId, connection: 'close' });
      }
    };

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAINED_BYTES) {
        req.socket.destroy();
        return;
      }
      if (tooLarge) return;
      if (size > MAX_BODY_BYTES) {
        // Keep reading (and discarding) to the end: answering while the client still sends would
        // make the kernel reset the connection, and the client could lose the answer.
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return reject(400, 'InvalidParameter', 'The request body exceeds 1 MiB.');
      if ('error' in target) return reject(400, 'InvalidParameter', target.error);
      const body = Buffer.concat(chunks);
      const fail = (error: unknown): void => {
        // A handler bug must not take the process down; it is answered as the gateway's InternalError.
        const message = `emulator bug: ${error instanceof Error ? error.message : String(error)}`;
        if (isControl) sendJson(res, 500, controlErrorBody(message, []));
        else {
          const requestId = newRequestId();
          sendJson(res, 500, gatewayErrorBody(gatewayError(500, 'InternalError', message), requestId, region), { 'x-acs-request-id': requestId });
        }
      };
      try {
        if (isControl) control(req, res, target, body);
        else cloud(region, req, res, target, body).catch(fail);
      } catch (error) {
        fail(error);
      }
    });
  };
}

function answerClientError(region: string, rejected: RejectedRequestSink) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const connection = connectionOf(socket);
    const bodyInProgress = [...connection.owed].some((req) => !req.complete);
    const answer = parseErrorAnswer(error.code, bodyInProgress);
    const requestId = newRequestId();
    connection.answerParseError = () => {
      rejected({ region, path: '', method: '', httpStatus: answer.httpStatus, code: answer.code, requestId });
      if (socket.writable) socket.end(rawGatewayResponse(answer, region, requestId));
      else socket.destroy();
    };
    settle(socket);
  };
}

/** CONNECT is not an API method; Node hands the raw socket over, which would otherwise be closed without an answer. */
function answerConnect(region: string, rejected: RejectedRequestSink) {
  return (req: IncomingMessage, socket: Duplex): void => {
    const requestId = newRequestId();
    const error = gatewayError(400, 'UnsupportedHTTPMethod', 'This http method CONNECT is not supported.');
    rejected({ region, path: req.url ?? '', method: 'CONNECT', httpStatus: 400, code: error.code, requestId });
    socket.on('error', () => socket.destroy());
    socket.end(rawGatewayResponse(error, region, requestId));
  };
}

/** Starts one listener per region (region i on basePort+i, or random ports); closes the started ones on failure. */
export async function listenRegions(
  regions: readonly string[],
  host: string,
  basePort: number | undefined,
  cloud: CloudHandler,
  control: ControlHandler,
  rejected: RejectedRequestSink = () => undefined,
): Promise<RegionListener[]> {
  const listeners: RegionListener[] = [];
  try {
    for (const [i, region] of regions.entries()) {
      // requireHostHeader: a missing host is the gateway's business (it must be signed), not a bare 400.
      const server = createServer({ keepAlive: true, requireHostHeader: false }, requestHandler(region, cloud, control, rejected));
      server.on('clientError', answerClientError(region, rejected));
      server.on('connect', answerConnect(region, rejected));
      // Without this listener Node answers an unknown Expect with a bare 417 (no body).
      server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
        const target = parseRequestTarget(req.url);
        const message = `The Expect header "${String(req.headers['expect']).slice(0, 100)}" is not supported.`;
        req.resume();
        if (!('error' in target) && target.pathname.startsWith(CONTROL_PREFIX)) {
          sendJson(res, 417, controlErrorBody(message, [{ path: 'expect', message }]), { connection: 'close' });
          return;
        }
        const requestId = newRequestId();
        rejected({ region, path: 'error' in target ? '' : target.pathname, method: req.method ?? '', httpStatus: 417, code: 'InvalidParameter', requestId });
        sendJson(res, 417, gatewayErrorBody(gatewayError(417, 'InvalidParameter', message), requestId, region), { 'x-acs-request-id': requestId, connection: 'close' });
      });
      server.on('connection', (socket: Socket) => socket.on('error', () => undefined));
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
