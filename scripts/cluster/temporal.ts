/**
 * The Temporal server of `npm run cluster`: built from the server module with `go install` (no replace directive in
 * v1.29.1's go.mod, so the module builds as published), schemas set up with its temporal-sql-tool from the module's
 * schema/postgresql/v12, and frontend, history, matching and worker as four processes, each with a config generated
 * from the module's config/development-postgres12.yaml.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import { parse, stringify } from 'yaml';
import { findGo, goEnv, goInstall } from '../../src/devserver/go';
import { formatSeconds, tcpAccepts, type LogLine } from '../../src/devserver/process-utils';
import {
  ClusterError,
  DEFAULT_NAMESPACE,
  logFile,
  pidFile,
  portsOf,
  POSTGRES_USER,
  readyPort,
  SCHEMA_DATABASES,
  schemaSteps,
  SERVER_GO_MODULE,
  SERVER_GO_PACKAGE,
  SQL_TOOL_GO_PACKAGE,
  TEMPORAL_SERVER_VERSION,
  VISIBILITY_DB,
  type ClusterLayout,
  type ClusterPorts,
  type ServiceName,
} from './layout';
import { livePid, logTail, portIsFree, removeFile, stopPid, waitUntil, writePid } from './processes';

/**
 * The files of the server module the cluster needs besides the binaries: config/development-postgres12.yaml,
 * config/dynamicconfig/development-sql.yaml and schema/postgresql/v12/. They are copied from Go's module cache next
 * to the binaries when those are built, so that later starts need no Go at all.
 */
export function serverModuleFiles(layout: ClusterLayout): string {
  const copy = join(layout.binDir, 'module');
  if (existsSync(join(copy, 'schema', 'postgresql', 'v12')) && existsSync(join(copy, 'config', 'development-postgres12.yaml'))) return copy;
  const go = findGo();
  if (!go.ok) {
    throw new ClusterError(
      `Go is needed once to build the Temporal server ${TEMPORAL_SERVER_VERSION} and fetch its schema files (${go.reason}): install Go 1.22 or newer (https://go.dev/dl/).`,
    );
  }
  const modCache = goEnv(go.path, 'GOMODCACHE');
  const dir = modCache ? join(modCache, `${SERVER_GO_MODULE}@${TEMPORAL_SERVER_VERSION}`) : '';
  if (!dir || !existsSync(join(dir, 'schema', 'postgresql', 'v12'))) {
    const fetched = spawnSync(go.path, ['mod', 'download', `${SERVER_GO_MODULE}@${TEMPORAL_SERVER_VERSION}`], { encoding: 'utf8' });
    if (fetched.status !== 0 || !existsSync(join(dir, 'schema', 'postgresql', 'v12'))) {
      throw new ClusterError(`The Temporal server module ${SERVER_GO_MODULE}@${TEMPORAL_SERVER_VERSION} is not in Go's module cache (${dir || 'GOMODCACHE unknown'}) and 'go mod download' could not fetch it.`);
    }
  }
  const staging = `${copy}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  for (const part of ['schema/postgresql/v12', 'config/development-postgres12.yaml', 'config/dynamicconfig/development-sql.yaml']) {
    // The module cache is read-only; the copies are made writable so that the folder can be removed again.
    cpSync(join(dir, part), join(staging, part), { recursive: true });
  }
  spawnSync('chmod', ['-R', 'u+w', staging]);
  rmSync(copy, { recursive: true, force: true });
  renameSync(staging, copy);
  return copy;
}

function runsVersion(bin: string): boolean {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 && out.stdout.includes(TEMPORAL_SERVER_VERSION.slice(1));
}

/** Builds temporal-server and temporal-sql-tool into .temporal/server/<version>/ unless they are there. */
export async function ensureServerBinaries(layout: ClusterLayout, log: LogLine): Promise<void> {
  if (runsVersion(layout.serverBin) && runsVersion(layout.sqlToolBin)) {
    serverModuleFiles(layout);
    return;
  }
  const go = findGo();
  if (!go.ok) {
    throw new ClusterError(
      `Go is needed once to build the Temporal server ${TEMPORAL_SERVER_VERSION} (${go.reason}): install Go 1.22 or newer (https://go.dev/dl/); the build is cached in ${layout.binDir}.`,
    );
  }
  await goInstall(
    go.path,
    [
      { packageAtVersion: `${SERVER_GO_PACKAGE}@${TEMPORAL_SERVER_VERSION}`, builtName: 'server', destination: layout.serverBin },
      { packageAtVersion: `${SQL_TOOL_GO_PACKAGE}@${TEMPORAL_SERVER_VERSION}`, builtName: 'sql', destination: layout.sqlToolBin },
    ],
    log,
    `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool into ${layout.binDir}`,
  );
  serverModuleFiles(layout);
}

/**
 * Creates both databases and brings their schemas to the server's version with temporal-sql-tool (SCHEMA_STEPS in
 * layout.ts; idempotent, run at every start). The password goes through SQL_PASSWORD, never the command line.
 */
export function setupSchemas(layout: ClusterLayout, ports: ClusterPorts, password: string, log: LogLine): void {
  const schemaRoot = join(serverModuleFiles(layout), 'schema', 'postgresql', 'v12');
  for (const { db, folder } of SCHEMA_DATABASES) {
    const started = Date.now();
    for (const step of schemaSteps(join(schemaRoot, folder, 'versioned'))) {
      const args = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(ports.postgres), '-u', POSTGRES_USER, '--db', db, ...step];
      // lint-allow env-in-config: the SQL tool inherits the environment; SQL_PASSWORD keeps the password off the command line
      const out = spawnSync(layout.sqlToolBin, args, { encoding: 'utf8', env: { ...process.env, SQL_PASSWORD: password }, timeout: 120_000 });
      if (out.status !== 0) {
        throw new ClusterError(`temporal-sql-tool ${args.join(' ')} failed (exit ${out.status}): ${(out.stderr || out.stdout).trim().split('\n').slice(-5).join(' | ')}`);
      }
    }
    log(`schema ${db}: up to date with ${relative(layout.root, join(schemaRoot, folder, 'versioned'))} (${formatSeconds(Date.now() - started)})`);
  }
}

/**
 * One config per service process, derived from the module's config/development-postgres12.yaml: our PostgreSQL
 * (port, password), our ports, no pprof, its own Prometheus port (four processes cannot share one), logs at warn,
 * and a dynamic config derived from the module's development-sql.yaml.
 */
export function writeConfigs(layout: ClusterLayout, ports: ClusterPorts, password: string): void {
  const moduleDir = serverModuleFiles(layout);
  const base = parse(readFileSync(join(moduleDir, 'config', 'development-postgres12.yaml'), 'utf8')) as TemporalConfig;
  mkdirSync(join(layout.configDir, 'dynamicconfig'), { recursive: true, mode: 0o700 });
  chmodSync(layout.configDir, 0o700);

  const dynamic = (parse(readFileSync(join(moduleDir, 'config', 'dynamicconfig', 'development-sql.yaml'), 'utf8')) ?? {}) as Record<string, unknown>;
  // Custom search attributes are usable right after they are registered (as on the dev server).
  dynamic['system.forceSearchAttributesCacheRefreshOnRead'] = [{ value: true, constraints: {} }];
  dynamic['component.nexusoperations.callback.endpoint.template'] = [
    { value: `http://127.0.0.1:${ports.frontendHttp}/namespaces/{{.NamespaceName}}/nexus/callback` },
  ];
  writeFileSync(layout.dynamicConfigFile, stringify(dynamic));

  for (const service of Object.keys(ports.services) as ServiceName[]) {
    const config = structuredClone(base);
    config.log = { stdout: true, level: 'warn' };
    for (const store of Object.values(config.persistence.datastores)) {
      store.sql.connectAddr = `127.0.0.1:${ports.postgres}`;
      store.sql.user = POSTGRES_USER;
      store.sql.password = password;
      // 4 processes × (10 + 2) connections stay well below max_connections.
      store.sql.maxConns = store.sql.databaseName === VISIBILITY_DB ? 2 : 10;
      store.sql.maxIdleConns = store.sql.maxConns;
    }
    config.global.pprof = { port: 0 };
    config.global.metrics.prometheus.listenAddress = `127.0.0.1:${ports.services[service].metrics}`;
    for (const name of Object.keys(ports.services) as ServiceName[]) {
      const rpc = config.services[name]!.rpc;
      rpc.grpcPort = ports.services[name].grpc;
      rpc.membershipPort = ports.services[name].membership;
      rpc.bindOnLocalHost = true;
      if (name === 'frontend') rpc.httpPort = ports.frontendHttp;
    }
    config.clusterMetadata.clusterInformation.active!.rpcAddress = `127.0.0.1:${ports.services.frontend.grpc}`;
    config.dynamicConfigClient = { filepath: layout.dynamicConfigFile, pollInterval: '10s' };
    const file = join(layout.configDir, `cluster-${service}.yaml`);
    writeFileSync(file, `# Generated by scripts/cluster.ts from ${SERVER_GO_MODULE}@${TEMPORAL_SERVER_VERSION}/config/development-postgres12.yaml\n${stringify(config)}`, { mode: 0o600 });
  }
}

interface TemporalConfig {
  log: Record<string, unknown>;
  persistence: { datastores: Record<string, { sql: Record<string, unknown> & { databaseName: string; maxConns?: number } }> };
  global: { pprof: Record<string, unknown>; metrics: { prometheus: Record<string, unknown> } };
  services: Record<string, { rpc: Record<string, unknown> }>;
  clusterMetadata: { clusterInformation: Record<string, Record<string, unknown>> };
  dynamicConfigClient: Record<string, unknown>;
}

function serviceArgs(layout: ClusterLayout, service: ServiceName): string[] {
  return ['--root', layout.dataDir, '--config', 'config', '--env', `cluster-${service}`, '--allow-no-auth', 'start', '--service', service];
}

export function servicePid(layout: ClusterLayout, service: ServiceName): number | undefined {
  return livePid(pidFile(layout, service), `cluster-${service}`);
}

/** Starts one service process, detached (its own process group: a Ctrl-C in our terminal does not reach it). */
export async function startService(layout: ClusterLayout, service: ServiceName, ports: ClusterPorts): Promise<number> {
  const running = servicePid(layout, service);
  if (running) return running;
  for (const { port, what } of portsOf(service, ports)) {
    if (!(await portIsFree(port))) {
      throw new ClusterError(`Port ${port} (${what}) on 127.0.0.1 is already in use: stop what listens there, or choose other ports with --port <base>.`);
    }
  }
  mkdirSync(layout.logsDir, { recursive: true });
  mkdirSync(layout.pidsDir, { recursive: true });
  const log = openSync(logFile(layout, service), 'a');
  try {
    const child = spawn(layout.serverBin, serviceArgs(layout, service), { cwd: layout.dataDir, detached: true, stdio: ['ignore', log, log] });
    if (child.pid === undefined) throw new ClusterError(`Could not start ${layout.serverBin} for the ${service} service.`);
    child.unref();
    writePid(pidFile(layout, service), child.pid);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * Until the service answers (see readyPort; the frontend must also answer a real call, GetSystemInfo, which it does
 * only once it has loaded the cluster metadata); fails with the end of its log when the process exits first.
 */
export async function waitForService(layout: ClusterLayout, service: ServiceName, ports: ClusterPorts, timeoutMs = 90_000): Promise<void> {
  const port = readyPort(service, ports);
  const { Connection } = await import('@temporalio/client');
  await waitUntil(`the ${service} service on 127.0.0.1:${port}`, timeoutMs, async () => {
    if (!servicePid(layout, service)) {
      throw new ClusterError(`The ${service} service exited while starting; the end of ${logFile(layout, service)}:\n${logTail(logFile(layout, service))}`);
    }
    if (!(await tcpAccepts('127.0.0.1', port, 500))) return false;
    if (service !== 'frontend') return true;
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    } catch {
      return false;
    }
  });
}

export async function stopService(layout: ClusterLayout, service: ServiceName, log: LogLine): Promise<void> {
  const pid = servicePid(layout, service);
  if (pid) {
    const how = await stopPid(pid, `cluster-${service}`, 20_000);
    log(`${service} (pid ${pid}) ${how === 'killed' ? 'did not stop within 20 s of SIGTERM and was killed' : 'stopped'}`);
  }
  removeFile(pidFile(layout, service));
}

/**
 * Registers the namespace (retention 3 days) unless it exists, and waits until a workflow can really be started in
 * it (the services' namespace caches refresh every few seconds): starts a probe workflow and terminates it.
 */
export async function ensureNamespace(address: string, namespace: string, log: LogLine, timeoutMs = 120_000): Promise<void> {
  const { Connection, Client } = await import('@temporalio/client');
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    let lastError = '';
    let registered = false;
    await waitUntil(
      `namespace ${namespace} to accept workflows at ${address}`,
      timeoutMs,
      async () => {
        try {
          if (!registered) {
            try {
              await connection.workflowService.describeNamespace({ namespace });
            } catch {
              await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
              log(`namespace ${namespace} registered`);
            }
            registered = true;
          }
          const client = new Client({ connection, namespace });
          const handle = await client.workflow.start('starwaveClusterProbe', { taskQueue: 'starwave-cluster-probe', workflowId: `starwave-cluster-probe-${Date.now()}` });
          await handle.terminate('readiness probe of npm run cluster');
          return true;
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
          return false;
        }
      },
      1_000,
    ).catch((err: unknown) => {
      throw new ClusterError(`${err instanceof Error ? err.message : String(err)} (last error: ${lastError})`);
    });
  } finally {
    await connection.close();
  }
}

/** temporal.api.enums.v1.IndexedValueType, by the names `temporal operator search-attribute create` takes. */
const INDEXED_VALUE_TYPE = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 } as const;
type SearchAttributeType = keyof typeof INDEXED_VALUE_TYPE;
const SEARCH_ATTRIBUTE_TYPES = Object.keys(INDEXED_VALUE_TYPE) as SearchAttributeType[];

/** `name=Type,name2=Type2` → map; throws one sentence naming the bad entry. */
export function parseSearchAttributes(text: string): Record<string, SearchAttributeType> {
  const out: Record<string, SearchAttributeType> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([A-Za-z]+)$/.exec(entry);
    const type = SEARCH_ATTRIBUTE_TYPES.find((t) => t.toLowerCase() === match?.[2]?.toLowerCase());
    if (!match || !type) {
      throw new ClusterError(`--search-attributes entry '${entry}' must be name=Type with Type one of ${SEARCH_ATTRIBUTE_TYPES.join(', ')}.`);
    }
    out[match[1]!] = type;
  }
  return out;
}

/** Registers custom search attributes in the namespace (those that already exist are left alone). */
export async function addSearchAttributes(address: string, namespace: string, attributes: Record<string, string>, log: LogLine): Promise<void> {
  const names = Object.keys(attributes);
  if (names.length === 0) return;
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = names.filter((name) => !(name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED_VALUE_TYPE[attributes[name] as SearchAttributeType]])),
    });
    log(`search attributes added to ${namespace}: ${missing.map((name) => `${name}=${attributes[name]}`).join(', ')}`);
  } finally {
    await connection.close();
  }
}

export { DEFAULT_NAMESPACE };
