/**
 * `npm run temporal:provision` — find or build the Temporal CLI and say where it came from.
 * `npm run temporal`           — run the dev server for humans: persistent SQLite in .data/, Web UI, Ctrl-C stops it.
 *
 *   tsx scripts/provision-temporal.ts [--run] [--port 7233] [--ui-port 8233] [--db-file .data/temporal.db]
 *                                     [--namespace default]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DevServerError, formatSeconds, projectRoot, resolveTemporalCli, startDevServer } from '../src/devserver/temporal-cli';

const say = (line: string): void => {
  console.log(line);
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      run: { type: 'boolean', default: false },
      port: { type: 'string', default: '7233' },
      'ui-port': { type: 'string', default: '8233' },
      'db-file': { type: 'string', default: join(projectRoot(), '.data', 'temporal.db') },
      namespace: { type: 'string', default: 'default' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    say('usage: tsx scripts/provision-temporal.ts [--run] [--port 7233] [--ui-port 8233] [--db-file F] [--namespace N]');
    return;
  }

  let stopping = false;
  const started = Date.now();
  const cli = await resolveTemporalCli({ log: say });
  say(`Temporal CLI: ${cli.path} (source: ${cli.source}, resolved in ${formatSeconds(Date.now() - started)})`);
  if (!values.run) return;

  const server = await startDevServer({
    cliPath: cli.path,
    port: parsePort('--port', values.port),
    uiPort: parsePort('--ui-port', values['ui-port']),
    dbFile: values['db-file'],
    namespace: values.namespace,
    log: say,
    // While stopping, the server logs dial errors about its own closed listeners; they are not news.
    serverLog: (line) => {
      if (!stopping) say(`[temporal] ${line}`);
    },
  });
  say('');
  say(`Temporal dev server is running (pid ${server.pid})`);
  say(`  gRPC frontend: ${server.address}   (TEMPORAL_ADDRESS=${server.address})`);
  say(`  Web UI:        ${server.uiUrl ?? '(headless)'}`);
  say(`  Namespace:     ${server.namespace}`);
  say(`  Database:      ${values['db-file']}`);
  say('Press Ctrl-C to stop.');

  await new Promise<void>((resolveStop) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      say(`\n${signal}: stopping the Temporal dev server...`);
      void server.stop().then(resolveStop);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  say('Stopped.');
}

function parsePort(flag: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${flag} must be a port number, got '${text}'`);
  return port;
}

main().catch((err: unknown) => {
  const code = err instanceof DevServerError ? ` [${err.code}]` : '';
  console.error(`error${code}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
