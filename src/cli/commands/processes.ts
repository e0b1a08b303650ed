/**
 * Long-running processes: `starwave worker`, `starwave serve` (the HTTP API) and `starwave emulator`.
 * Their code lives in their own rooms and is loaded on demand: the worker SDK (native core) and
 * the API are heavy, and most commands never need them.
 */
import { Option, type Command } from 'commander';
import { EXIT } from '../../contracts/errors';
import { registerEmulatorCommand } from '../../emulator/cli';
import { act, arg, examples, stdio, targetOf, taskQueueOption } from '../context';
import { parsePositiveInt } from '../flags';

export function registerProcesses(program: Command): void {
  const worker = program
    .command('worker')
    .description('Run a starwave worker until SIGINT/SIGTERM (credentials from the Alibaba Cloud chain, STARWAVE_ENDPOINTS for non-cloud targets)')
    .addOption(taskQueueOption())
    .addOption(new Option('--max-activities <n>', 'max activities at once on this worker').argParser(arg((raw) => parsePositiveInt('--max-activities', raw, { max: 10_000 }))))
    .action(
      act(async (o: { taskQueue?: string; maxActivities?: number }, c: Command) => {
        const { runWorkerMain } = require('../../worker/main') as typeof import('../../worker/main');
        await runWorkerMain({
          ...targetOf(c),
          ...(o.taskQueue ? { taskQueue: o.taskQueue } : {}),
          ...(o.maxActivities ? { maxConcurrentActivities: o.maxActivities } : {}),
          onReady: ({ taskQueue, address }) => stdio.err.write(`starwave worker polling task queue "${taskQueue}" on ${address}\n`),
        });
        return EXIT.ok;
      }),
    );
  examples(worker, ['starwave worker', 'STARWAVE_TASK_QUEUE=prod starwave worker --max-activities 100', 'STARWAVE_LOG_LEVEL=DEBUG starwave worker']);

  const serve = program
    .command('serve')
    .description('Run the HTTP trigger API (bearer token from STARWAVE_API_TOKEN or --token-file)')
    .addOption(new Option('--port <port>', 'listen port').default(8080).argParser(arg((raw) => parsePositiveInt('--port', raw, { min: 0, max: 65_535 }))))
    .option('--host <host>', 'listen address (default 127.0.0.1, this machine only; 0.0.0.0 for every interface, behind a TLS proxy)')
    .option('--token-file <file>', 'file holding the bearer token')
    .option('--insecure-no-auth', 'serve without authentication (local experiments only; refused beyond loopback unless confirmed)')
    .option('--i-understand-anyone-can-restart', 'confirm --insecure-no-auth on a non-loopback --host')
    .addOption(taskQueueOption())
    .action(
      act(async (o: { port: number; host?: string; tokenFile?: string; insecureNoAuth?: boolean; iUnderstandAnyoneCanRestart?: boolean; taskQueue?: string }, c: Command) => {
        const { runServe } = require('../../api/serve') as typeof import('../../api/serve');
        return runServe({ ...o, target: targetOf(c) });
      }),
    );
  examples(serve, [
    'STARWAVE_API_TOKEN=$(openssl rand -hex 32) starwave serve --port 8080',
    'starwave serve --host 0.0.0.0 --token-file /run/secrets/starwave-token',
    'starwave serve --insecure-no-auth',
  ]);

  const emulator = registerEmulatorCommand(program);
  examples(emulator, ['starwave emulator --regions cn-hangzhou,cn-shanghai --instances 20', 'starwave emulator --duration lognormal:3000,0.3 --faults \'{"throttling":{"rate":0.05}}\'']);
}
