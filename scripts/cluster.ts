/**
 * `npm run cluster` — a Temporal cluster shaped like production on this machine: PostgreSQL and the frontend,
 * history, matching and worker services as separate processes (Temporal server v1.29.1, built once with Go into
 * .temporal/server/; data, configs, logs and pid files under .data/cluster/). See scripts/cluster/layout.ts for ports.
 *
 *   npm run cluster                                  start (what is not running), print the address, Ctrl-C stops all
 *   npm run cluster -- --detach                      start and return, leaving it running
 *   npm run cluster -- --status                      one line per piece; exit 0 when every piece runs and answers
 *   npm run cluster -- --stop                        stop every piece
 *   npm run cluster -- --restart history             restart one piece: frontend, history, matching, worker or postgres
 *   npm run cluster -- --port 18233 --pg-port 18432  other ports (a new or stopped cluster)
 *   npm run cluster -- --search-attributes StarwaveRollout=Keyword,StarwaveWave=Int
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/devserver/paths';
import { formatSeconds } from '../src/devserver/process-utils';
import { ClusterError, clusterStatus, isPiece, isRunning, parseSearchAttributes, PIECES, restartPiece, startCluster, stopCluster, TEMPORAL_SERVER_VERSION } from './cluster/index';
import { layoutFor, logFile, readyPort } from './cluster/layout';

const root = projectRoot();
const say = (line: string): void => {
  process.stdout.write(`[cluster] ${line}\n`);
};

function portFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1024 || port > 65_000) throw new ClusterError(`${flag} must be a port number from 1024 to 65000, got '${text}'.`);
  return port;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      detach: { type: 'boolean', default: false },
      status: { type: 'boolean', default: false },
      stop: { type: 'boolean', default: false },
      restart: { type: 'string' },
      port: { type: 'string' },
      'pg-port': { type: 'string' },
      'search-attributes': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run cluster -- [--detach] [--port BASE] [--pg-port PORT] [--search-attributes name=Type,…]\n' +
        '       npm run cluster -- --status | --stop | --restart frontend|history|matching|worker|postgres\n',
    );
    return 0;
  }

  if (values.status) {
    const { pieces, address } = await clusterStatus(root);
    if (pieces.length === 0) {
      say('No cluster here yet: npm run cluster starts one.');
      return 1;
    }
    for (const p of pieces) {
      say(`${p.piece.padEnd(9)} ${p.running ? `running  pid ${String(p.pid).padEnd(8)}` : 'stopped              '} 127.0.0.1:${p.port} ${p.answers ? 'answers' : 'does not answer'}`);
    }
    say(`frontend address: ${address}`);
    return pieces.every((p) => p.running && p.answers) ? 0 : 1;
  }

  if (values.stop) {
    const began = Date.now();
    await stopCluster(root, { log: say });
    say(`Stopped in ${formatSeconds(Date.now() - began)}.`);
    return 0;
  }

  if (values.restart !== undefined) {
    const piece = values.restart;
    if (!isPiece(piece)) throw new ClusterError(`--restart takes one of ${PIECES.join(', ')}, got '${piece}'.`);
    await restartPiece(root, piece, { log: say });
    return 0;
  }

  const searchAttributes = values['search-attributes'] ? parseSearchAttributes(values['search-attributes']) : undefined;
  const basePort = portFlag('--port', values.port);
  const postgresPort = portFlag('--pg-port', values['pg-port']);
  const cluster = await startCluster({
    root,
    ...(basePort !== undefined ? { basePort } : {}),
    ...(postgresPort !== undefined ? { postgresPort } : {}),
    ...(searchAttributes ? { searchAttributes } : {}),
    log: say,
  });
  const { layout, ports } = cluster;
  const rel = (path: string): string => relative(root, path);
  say('');
  say(`Temporal cluster ${TEMPORAL_SERVER_VERSION} is ${cluster.started.length ? `up (${formatSeconds(cluster.startMs)})` : 'already running'}:`);
  say(`  frontend   ${cluster.address}   TEMPORAL_ADDRESS=${cluster.address}`);
  for (const service of ['history', 'matching', 'worker'] as const) {
    say(`  ${service.padEnd(10)} 127.0.0.1:${readyPort(service, ports)}${service === 'worker' ? ' (membership; the worker service serves no gRPC)' : ''}`);
  }
  say(`  postgres   127.0.0.1:${ports.postgres}   data ${rel(layout.postgresData)}`);
  say(`  namespace  ${cluster.namespace}`);
  say(`  logs       ${rel(layout.logsDir)}/   (e.g. ${rel(logFile(layout, 'history'))})`);
  if (values.detach) {
    say('Left running: npm run cluster -- --status | --stop | --restart <piece>.');
    return 0;
  }
  say('Press Ctrl-C to stop everything (or npm run cluster -- --stop from another terminal).');
  await superviseUntilSignal(layoutFor(root));
  return 0;
}

/** Reports pieces that stop on their own (once each) and stops everything on SIGINT/SIGTERM. */
async function superviseUntilSignal(layout: ReturnType<typeof layoutFor>): Promise<void> {
  const reported = new Set<string>();
  const watch = setInterval(() => {
    for (const piece of PIECES) {
      const up = isRunning(layout, piece);
      if (!up && !reported.has(piece)) {
        reported.add(piece);
        say(`${piece} is not running (restarting, or exited: see ${relative(root, logFile(layout, piece))}).`);
      } else if (up && reported.delete(piece)) {
        say(`${piece} is running again.`);
      }
    }
  }, 2_000);
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      say(`${signal}: stopping the cluster...`);
      const began = Date.now();
      void stopCluster(root, { log: say })
        .then(() => say(`Stopped in ${formatSeconds(Date.now() - began)}.`))
        .catch((err: unknown) => say(`Stopping failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(resolveStop);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof ClusterError || (err instanceof Error && err.name === 'DevServerError');
    process.stderr.write(`[cluster] ${known ? '' : 'error: '}${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
