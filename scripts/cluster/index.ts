/**
 * A production-shaped Temporal cluster on this machine for starwave's fault suite and manual checks: PostgreSQL plus
 * the four Temporal services as separate processes (see layout.ts for folders and ports). Used by scripts/cluster.ts
 * (`npm run cluster`) and importable by the fault suite:
 *
 *   const cluster = await startCluster({ root, log });        // builds once, initialises once, starts what is down
 *   await restartPiece(root, 'history', { log });               // one piece down and up again
 *   await stopCluster(root, { log });
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/contracts/search-attributes';
import { formatSeconds, noLog, tcpAccepts, type LogLine } from '../../src/devserver/process-utils';
import {
  ClusterError,
  DEFAULT_BASE_PORT,
  DEFAULT_NAMESPACE,
  DEFAULT_POSTGRES_PORT,
  layoutFor,
  PIECES,
  portsFor,
  readState,
  readyPort,
  SERVICES,
  TEMPORAL_SERVER_VERSION,
  writeState,
  type ClusterLayout,
  type ClusterPorts,
  type ClusterState,
  type Piece,
  type ServiceName,
} from './layout';
import { initPostgres, postgresPid, postgresRunning, startPostgres, stopPostgres } from './postgres';
import {
  addSearchAttributes,
  ensureNamespace,
  ensureServerBinaries,
  servicePid,
  setupSchemas,
  startService,
  stopService,
  waitForService,
  writeConfigs,
} from './temporal';

export { ClusterError, isPiece, PIECES, SERVICES, TEMPORAL_SERVER_VERSION, type Piece } from './layout';
export { parseSearchAttributes } from './temporal';

export interface StartClusterOptions {
  root: string;
  /** Base port (frontend gRPC); the others derive from it. Default: the cluster's saved one, else 17233. */
  basePort?: number;
  /** PostgreSQL port. Default: the saved one, else 17432. */
  postgresPort?: number;
  /** More custom search attributes to register in the namespace, name → Type (starwave's own are always registered). */
  searchAttributes?: Record<string, string>;
  log?: LogLine;
}

export interface RunningCluster {
  /** host:port of the frontend (TEMPORAL_ADDRESS). */
  address: string;
  namespace: string;
  ports: ClusterPorts;
  layout: ClusterLayout;
  /** Pieces this call started (the rest were running already). */
  started: Piece[];
  startMs: number;
}

function password(layout: ClusterLayout): string {
  if (existsSync(layout.passwordFile)) return readFileSync(layout.passwordFile, 'utf8').trim();
  mkdirSync(layout.secretDir, { recursive: true, mode: 0o700 });
  const value = randomBytes(24).toString('base64url');
  writeFileSync(layout.passwordFile, `${value}\n`, { mode: 0o600 });
  return value;
}

function settings(layout: ClusterLayout, opts: { basePort?: number; postgresPort?: number }): ClusterState {
  const saved = readState(layout);
  return {
    serverVersion: TEMPORAL_SERVER_VERSION,
    basePort: opts.basePort ?? saved?.basePort ?? DEFAULT_BASE_PORT,
    postgresPort: opts.postgresPort ?? saved?.postgresPort ?? DEFAULT_POSTGRES_PORT,
    schemaReady: saved?.schemaReady ?? false,
    searchAttributes: saved?.searchAttributes ?? {},
  };
}

export function isRunning(layout: ClusterLayout, piece: Piece): boolean {
  return piece === 'postgres' ? postgresRunning(layout) : servicePid(layout, piece) !== undefined;
}

/**
 * Starts whatever is not running, in the order that works: PostgreSQL; the frontend alone, until it answers (it
 * writes the cluster metadata of a new database); history; then matching and worker. Services started together on
 * a new database race to write that metadata and the loser exits ("duplicate key value violates unique constraint
 * cluster_metadata…"): seen for frontend and history started together, once in a CI run after many clean ones.
 * Then the namespace and the search attributes (starwave's own and any asked for).
 */
export async function startCluster(opts: StartClusterOptions): Promise<RunningCluster> {
  const log = opts.log ?? noLog;
  const began = Date.now();
  const layout = layoutFor(opts.root);
  mkdirSync(layout.dataDir, { recursive: true, mode: 0o755 });
  const state = settings(layout, opts);
  const running = PIECES.filter((piece) => isRunning(layout, piece));
  if (running.length > 0 && (opts.basePort !== undefined || opts.postgresPort !== undefined)) {
    const saved = readState(layout);
    if (saved && (saved.basePort !== state.basePort || saved.postgresPort !== state.postgresPort)) {
      throw new ClusterError(`The cluster is running on other ports (base ${saved.basePort}, PostgreSQL ${saved.postgresPort}): stop it with --stop before changing --port or --pg-port.`);
    }
  }
  const ports = portsFor(state.basePort, state.postgresPort);
  await ensureServerBinaries(layout, log);
  const secret = password(layout);

  const started: Piece[] = [];
  initPostgres(layout, secret, log);
  if (!postgresRunning(layout)) {
    await startPostgres(layout, ports.postgres, log);
    started.push('postgres');
  }
  setupSchemas(layout, ports, secret, log);
  state.schemaReady = true;
  writeState(layout, state);
  writeConfigs(layout, ports, secret);

  for (const wave of [['frontend'], ['history'], ['matching', 'worker']] as ServiceName[][]) {
    const waveStarted = Date.now();
    const launched: ServiceName[] = [];
    for (const service of wave) {
      if (servicePid(layout, service)) continue;
      const pid = await startService(layout, service, ports);
      log(`${service} starting (pid ${pid}, port ${readyPort(service, ports)})`);
      launched.push(service);
    }
    for (const service of launched) await waitForService(layout, service, ports);
    if (launched.length) log(`${launched.join(' and ')} answering after ${formatSeconds(Date.now() - waveStarted)}`);
    started.push(...launched);
  }

  const address = `127.0.0.1:${ports.services.frontend.grpc}`;
  await ensureNamespace(address, DEFAULT_NAMESPACE, log);
  // starwave's typed search attributes (src/contracts/search-attributes.ts), as the dev server registers them.
  const starwave = Object.fromEntries(SEARCH_ATTRIBUTE_DEFINITIONS.map(({ name, type }) => [name, type]));
  const wanted = { ...starwave, ...state.searchAttributes, ...(opts.searchAttributes ?? {}) };
  await addSearchAttributes(address, DEFAULT_NAMESPACE, wanted, log);
  state.searchAttributes = wanted;
  writeState(layout, state);
  return { address, namespace: DEFAULT_NAMESPACE, ports, layout, started, startMs: Date.now() - began };
}

/** Stops every piece: the services first (worker, matching, history, frontend), PostgreSQL last. */
export async function stopCluster(root: string, opts: { log?: LogLine } = {}): Promise<void> {
  const log = opts.log ?? noLog;
  const layout = layoutFor(root);
  for (const service of [...SERVICES].reverse()) await stopService(layout, service, log);
  if (existsSync(layout.postgresData)) stopPostgres(layout, log);
}

export interface PieceStatus {
  piece: Piece;
  running: boolean;
  pid?: number;
  port: number;
  /** Whether the port accepts TCP connections. */
  answers: boolean;
}

export async function clusterStatus(root: string): Promise<{ pieces: PieceStatus[]; address?: string; state?: ClusterState }> {
  const layout = layoutFor(root);
  const state = readState(layout);
  if (!state) return { pieces: [] };
  const ports = portsFor(state.basePort, state.postgresPort);
  const pieces: PieceStatus[] = [];
  for (const piece of PIECES) {
    const port = readyPort(piece, ports);
    const pid = piece === 'postgres' ? (postgresRunning(layout) ? postgresPid(layout) : undefined) : servicePid(layout, piece);
    pieces.push({ piece, running: pid !== undefined, ...(pid !== undefined ? { pid } : {}), port, answers: await tcpAccepts('127.0.0.1', port, 500) });
  }
  return { pieces, address: `127.0.0.1:${ports.services.frontend.grpc}`, state };
}

/**
 * Stops one piece and starts it again, and resolves once the cluster accepts workflows again (a probe workflow is
 * started in the namespace). Returns how long it was down and how long until workflows were accepted again.
 */
export async function restartPiece(root: string, piece: Piece, opts: { log?: LogLine } = {}): Promise<{ downMs: number; recoveredMs: number }> {
  const log = opts.log ?? noLog;
  const layout = layoutFor(root);
  const state = readState(layout);
  if (!state) throw new ClusterError('There is no cluster to restart: start one with npm run cluster.');
  const ports = portsFor(state.basePort, state.postgresPort);
  const began = Date.now();
  let downAt: number;
  if (piece === 'postgres') {
    stopPostgres(layout, log);
    downAt = Date.now();
    await startPostgres(layout, ports.postgres, log);
  } else {
    await stopService(layout, piece, log);
    downAt = Date.now();
    const pid = await startService(layout, piece, ports);
    log(`${piece} starting (pid ${pid})`);
    await waitForService(layout, piece, ports);
  }
  const downMs = Date.now() - downAt;
  await ensureNamespace(`127.0.0.1:${ports.services.frontend.grpc}`, DEFAULT_NAMESPACE, noLog);
  const recoveredMs = Date.now() - began;
  log(`${piece} restarted: down ${formatSeconds(downMs)}, workflows accepted again ${formatSeconds(recoveredMs)} after the restart began`);
  return { downMs, recoveredMs };
}
