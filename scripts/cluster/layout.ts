/**
 * Where `npm run cluster` keeps things and which ports it uses. Everything lives in git-ignored folders:
 *
 *   .temporal/server/v1.29.1/temporal-server      go install go.temporal.io/server/cmd/server@v1.29.1   (built once)
 *   .temporal/server/v1.29.1/temporal-sql-tool    go install go.temporal.io/server/cmd/tools/sql@v1.29.1
 *   .data/cluster/cluster.json                    ports and progress (schema set up, ...)
 *   .data/cluster/secret/                         the PostgreSQL password (0600; never printed)
 *   .data/cluster/postgres/                       the PostgreSQL data folder (owned by postgres, 0700)
 *   .data/cluster/config/cluster-<service>.yaml   one Temporal config per service process (0600: holds the password)
 *   .data/cluster/logs/<piece>.log                stdout/stderr of each process
 *   .data/cluster/pids/<piece>.pid                pid of each process (what --status, --stop and --restart use)
 *
 * Ports, from a base B (default 17233, beside the dev server's 7233): frontend gRPC B, history B+1, matching B+2,
 * worker B+6, frontend HTTP B+10, membership B+100.., Prometheus metrics B+200.. (one per process), PostgreSQL its
 * own port (default 17432).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** An error of the cluster script: its message is one sentence saying what is missing and what to do. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const SERVER_GO_MODULE = 'go.temporal.io/server';
export const SERVER_GO_PACKAGE = `${SERVER_GO_MODULE}/cmd/server`;
export const SQL_TOOL_GO_PACKAGE = `${SERVER_GO_MODULE}/cmd/tools/sql`;

/** The Temporal services, each its own process. Start order matters (see temporal.ts). */
export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];
export type Piece = ServiceName | 'postgres';
export const PIECES: readonly Piece[] = ['postgres', ...SERVICES];

export function isPiece(text: string): text is Piece {
  return (PIECES as readonly string[]).includes(text);
}

export const DEFAULT_BASE_PORT = 17233;
export const DEFAULT_POSTGRES_PORT = 17432;
/** Namespace created at start; the one starwave uses by default. */
export const DEFAULT_NAMESPACE = 'default';
/** PostgreSQL superuser and Temporal's database user (as in docker-compose.yml: POSTGRES_USER=temporal). */
export const POSTGRES_USER = 'temporal';
export const TEMPORAL_DB = 'temporal';
export const VISIBILITY_DB = 'temporal_visibility';

/**
 * The schema steps, for each database with its schema folder (`<module>/schema/postgresql/v12/<folder>/versioned`).
 * All three are idempotent (create leaves an existing database alone, setup-schema skips a schema already past 0.0,
 * update-schema applies only what is missing), so they run at every start and bring an existing database up to the
 * server's version. docker-compose.yml's temporal-schema service runs the same steps (test/unit/docker-compose.test.ts).
 */
export const SCHEMA_DATABASES = [
  { db: TEMPORAL_DB, folder: 'temporal' },
  { db: VISIBILITY_DB, folder: 'visibility' },
] as const;
export function schemaSteps(versionedDir: string): string[][] {
  return [['create'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', versionedDir]];
}

export interface ServicePorts {
  grpc: number;
  membership: number;
  metrics: number;
}

export interface ClusterPorts {
  services: Record<ServiceName, ServicePorts>;
  frontendHttp: number;
  postgres: number;
}

const GRPC_OFFSET: Record<ServiceName, number> = { frontend: 0, history: 1, matching: 2, worker: 6 };
const INDEX: Record<ServiceName, number> = { frontend: 0, history: 1, matching: 2, worker: 3 };

export function portsFor(basePort: number, postgresPort: number): ClusterPorts {
  const services = Object.fromEntries(
    SERVICES.map((name) => [name, { grpc: basePort + GRPC_OFFSET[name], membership: basePort + 100 + INDEX[name], metrics: basePort + 200 + INDEX[name] }]),
  ) as Record<ServiceName, ServicePorts>;
  return { services, frontendHttp: basePort + 10, postgres: postgresPort };
}

/**
 * The port that says a piece is up: gRPC for frontend, history and matching; the membership port for the worker
 * service, which serves no gRPC (it only runs Temporal's system workflows and joins the membership ring).
 */
export function readyPort(piece: Piece, ports: ClusterPorts): number {
  if (piece === 'postgres') return ports.postgres;
  return piece === 'worker' ? ports.services.worker.membership : ports.services[piece].grpc;
}

/** Every port of one piece with what it is for (for "port in use" sentences). */
export function portsOf(piece: Piece, ports: ClusterPorts): Array<{ port: number; what: string }> {
  if (piece === 'postgres') return [{ port: ports.postgres, what: 'PostgreSQL' }];
  const p = ports.services[piece];
  return [
    { port: p.grpc, what: `${piece} gRPC` },
    { port: p.membership, what: `${piece} membership` },
    { port: p.metrics, what: `${piece} metrics` },
    ...(piece === 'frontend' ? [{ port: ports.frontendHttp, what: 'frontend HTTP' }] : []),
  ];
}

export interface ClusterLayout {
  root: string;
  dataDir: string;
  stateFile: string;
  secretDir: string;
  passwordFile: string;
  postgresData: string;
  configDir: string;
  dynamicConfigFile: string;
  logsDir: string;
  pidsDir: string;
  binDir: string;
  serverBin: string;
  sqlToolBin: string;
}

export function layoutFor(root: string): ClusterLayout {
  const dataDir = join(root, '.data', 'cluster');
  const binDir = join(root, '.temporal', 'server', TEMPORAL_SERVER_VERSION);
  const configDir = join(dataDir, 'config');
  return {
    root,
    dataDir,
    stateFile: join(dataDir, 'cluster.json'),
    secretDir: join(dataDir, 'secret'),
    passwordFile: join(dataDir, 'secret', 'postgres-password'),
    postgresData: join(dataDir, 'postgres'),
    configDir,
    dynamicConfigFile: join(configDir, 'dynamicconfig', 'cluster.yaml'),
    logsDir: join(dataDir, 'logs'),
    pidsDir: join(dataDir, 'pids'),
    binDir,
    serverBin: join(binDir, 'temporal-server'),
    sqlToolBin: join(binDir, 'temporal-sql-tool'),
  };
}

export function pidFile(layout: ClusterLayout, piece: Piece): string {
  return join(layout.pidsDir, `${piece}.pid`);
}

export function logFile(layout: ClusterLayout, piece: Piece): string {
  return join(layout.logsDir, `${piece}.log`);
}

/** What survives between runs of the script. */
export interface ClusterState {
  serverVersion: string;
  basePort: number;
  postgresPort: number;
  /** Both schemas created and updated to the server's version. */
  schemaReady: boolean;
  /** Custom search attributes registered so far, name → type. */
  searchAttributes: Record<string, string>;
}

export function readState(layout: ClusterLayout): ClusterState | undefined {
  if (!existsSync(layout.stateFile)) return undefined;
  return JSON.parse(readFileSync(layout.stateFile, 'utf8')) as ClusterState;
}

export function writeState(layout: ClusterLayout, state: ClusterState): void {
  writeFileSync(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}
