/**
 * `starwave`: the operator's command line (bin/starwave.js loads it through tsx). Temporal is reached the way
 * Temporal's own tools do (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS/API key, profiles); the task queue comes
 * from --task-queue or STARWAVE_TASK_QUEUE (default "starwave").
 */
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { version } from '../../package.json';
import { registerEmulatorCommand } from '../emulator/cli';
import type { TemporalTarget } from '../worker/temporal';
import * as cmd from './commands';
import { CliError, EXIT, EXIT_CODES_HELP, toCliError, type ExitCode } from './errors';
import {
  parseCalendar,
  parseCron,
  parseDetail,
  parseDurationSeconds,
  parseListStatus,
  parsePositiveInt,
  parseReportFormat,
  parseSetFlags,
  parseTimezone,
  type SetFlags,
} from './flags';

/** Adapts a pure flag parser (which throws CliError) to commander's argument parser contract. */
function arg<T>(parse: (raw: string) => T): (raw: string) => T {
  return (raw) => {
    try {
      return parse(raw);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, parseCronArg(value)];
const parseCronArg = arg(parseCron);

interface GlobalOpts {
  address?: string;
  namespace?: string;
  profile?: string;
}

function targetOf(command: Command): TemporalTarget {
  const g = command.optsWithGlobals<GlobalOpts>();
  return { ...(g.address ? { address: g.address } : {}), ...(g.namespace ? { namespace: g.namespace } : {}), ...(g.profile ? { profile: g.profile } : {}) };
}

/** Runs an action, maps thrown errors to their exit code, and records the code for main(). */
function act<A extends unknown[]>(fn: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (err) {
      const cliError = toCliError(err);
      process.stderr.write(`${cliError.message}\n`);
      process.exitCode = cliError.exitCode;
    }
  };
}

const json = (): Option => new Option('--json', 'print JSON instead of text');
const taskQueue = (): Option => new Option('--task-queue <name>', 'Temporal task queue of the starwave workers (env STARWAVE_TASK_QUEUE, default "starwave")');

export function buildProgram(): Command {
  const program = new Command('starwave')
    .description('Durable rolling restarts of Alibaba Cloud EMR Serverless StarRocks instances on Temporal')
    .version(version)
    .option('--address <host:port>', 'Temporal frontend (default: TEMPORAL_ADDRESS, the profile, or localhost:7233)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE, the profile, or "default")')
    .option('--profile <name>', 'profile in the Temporal config file (TEMPORAL_CONFIG_FILE)')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    // Settings below are inherited by every subcommand created afterwards.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => {
        const sentence = text.trim().replace(/^error: /, 'Error: ');
        write(`${sentence}${/[.)]$/.test(sentence) ? '' : '.'} Run the command with --help to see its options.\n`);
      },
    });

  program
    .command('plan')
    .description('Dry run: validate the spec, resolve its targets through the API, print the waves, expected duration and API calls')
    .argument('<spec>', 'rollout spec file (JSON or YAML)')
    .addOption(json())
    .action(act((spec: string, o: { json?: boolean }) => cmd.planCommand(spec, o)));

  program
    .command('start')
    .description('Start a rollout from a spec file (idempotent: the same name/requestId never starts twice)')
    .argument('<spec>', 'rollout spec file (JSON or YAML)')
    .option('--wait', 'follow it live, then print the report (exit code from the outcome)')
    .option('--not-after <iso>', 'window cutoff overriding spec.window.notAfter when earlier')
    .addOption(new Option('--format <format>', 'report format with --wait: table, markdown or json').argParser(arg(parseReportFormat)))
    .addOption(taskQueue())
    .addOption(json())
    .action(act((spec: string, o: cmd.StartOpts, c: Command) => cmd.startCommand(targetOf(c), spec, o)));

  program
    .command('status')
    .description('Progress of a rollout: waves, regions, in-flight and failed instances, ETA')
    .argument('<id>', 'rollout (workflow) id')
    .option('--watch', 'redraw live until the rollout ends (exit code from the outcome)')
    .addOption(new Option('--detail <level>', 'per-instance results in --json: summary, problems or all').argParser(arg(parseDetail)))
    .addOption(json())
    .action(act((id: string, o: { watch?: boolean; json?: boolean; detail?: 'summary' | 'problems' | 'all' }, c: Command) => cmd.statusCommand(targetOf(c), id, o)));

  program
    .command('list')
    .description('Rollouts known to Temporal, newest first')
    .addOption(new Option('--status <status>', 'running, completed, failed, terminated, cancelled, timed_out').argParser(arg(parseListStatus)))
    .addOption(new Option('--limit <n>', 'at most this many').argParser(arg((raw) => parsePositiveInt('--limit', raw, { max: 10_000 }))))
    .addOption(json())
    .action(act((o: { json?: boolean; status?: import("../client").ListStatus; limit?: number }, c: Command) => cmd.listCommand(targetOf(c), o)));

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    const description = {
      pause: 'Stop launching new restarts (in-flight ones finish)',
      resume: 'Resume launching restarts',
      cancel: 'Cancel gracefully: in-flight restarts finish, the rest is reported not started',
    }[action];
    const c = program.command(action).description(description).argument('<id>', 'rollout (workflow) id').addOption(json());
    if (action === 'cancel') c.option('--reason <text>', 'why (recorded in the report)');
    c.action(act((id: string, o: { json?: boolean; reason?: string }, self: Command) => cmd.controlCommand(targetOf(self), action, id, o)));
  }

  program
    .command('approve')
    .description('Open the approval gate before a wave')
    .argument('<id>', 'rollout (workflow) id')
    .addOption(new Option('--wave <n>', '1-based wave number to approve').argParser(arg((raw) => parsePositiveInt('--wave', raw))).makeOptionMandatory())
    .addOption(json())
    .action(act((id: string, o: { wave: number; json?: boolean }, c: Command) => cmd.approveCommand(targetOf(c), id, o.wave, o)));

  program
    .command('set')
    .description('Change concurrency and failure budgets of a running rollout (validated by the workflow)')
    .argument('<id>', 'rollout (workflow) id')
    .option('--concurrency <n|%>', 'max instances down at once, e.g. 4 or "10%"')
    .option('--per-region <n|%>', 'max instances down at once per region')
    .option('--budget <n|%>', 'failures tolerated in the whole rollout')
    .option('--wave-budget <n|%>', 'failures tolerated per wave')
    .addOption(json())
    .action(
      act(async (id: string, o: SetFlags & { json?: boolean }, c: Command) => cmd.setCommand(targetOf(c), id, parseSetFlags(o), o)),
    );

  program
    .command('report')
    .description('The final per-instance report of a rollout')
    .argument('<id>', 'rollout (workflow) id')
    .addOption(new Option('--format <format>', 'json, markdown or table').default('table').argParser(arg(parseReportFormat)))
    .option('--json', 'same as --format json')
    .option('--out <file>', 'write the report to a file')
    .option('--wait', 'wait for a running rollout to end')
    .action(
      act((id: string, o: { format: 'json' | 'markdown' | 'table'; json?: boolean; out?: string; wait?: boolean }, c: Command) =>
        cmd.reportCommand(targetOf(c), id, { format: o.json ? 'json' : o.format, ...(o.out ? { out: o.out } : {}), ...(o.wait ? { wait: true } : {}) }),
      ),
    );

  const schedule = program.command('schedule').description('Maintenance windows: Temporal Schedules that start rollouts');
  schedule
    .command('create')
    .description('Create a schedule: each run is an ordinary rollout that stops launching at its window cutoff')
    .argument('<id>', 'schedule id')
    .requiredOption('--spec <file>', 'rollout spec file (JSON or YAML)')
    .option('--cron <expr>', 'when the window opens, e.g. "0 2 * * SUN" (repeatable)', collect)
    .addOption(new Option('--calendar <json>', 'Temporal calendar spec(s), e.g. \'{"dayOfWeek":"SUNDAY","hour":2}\'').argParser(arg(parseCalendar)))
    .addOption(new Option('--timezone <tz>', 'IANA time zone for the cron/calendar, e.g. Asia/Shanghai (default UTC)').argParser(arg(parseTimezone)))
    .addOption(new Option('--window <duration>', 'window length, e.g. 2h: each run launches nothing that cannot finish by start + window').argParser(arg((raw) => parseDurationSeconds('--window', raw))).makeOptionMandatory())
    .addOption(new Option('--jitter <duration>', 'random delay added to each run, e.g. 5m').argParser(arg((raw) => parseDurationSeconds('--jitter', raw))))
    .option('--paused', 'create it paused')
    .option('--trigger-now', 'also start one run right away')
    .addOption(taskQueue())
    .addOption(json())
    .action(act((id: string, o: cmd.ScheduleCreateOpts, c: Command) => cmd.scheduleCreateCommand(targetOf(c), id, o)));
  schedule.command('list').description('Schedules of rollouts').addOption(json()).action(act((o: { json?: boolean }, c: Command) => cmd.scheduleListCommand(targetOf(c), o)));
  schedule
    .command('describe')
    .description('A schedule: spec, window, next and recent runs')
    .argument('<id>', 'schedule id')
    .addOption(json())
    .action(act((id: string, o: { json?: boolean }, c: Command) => cmd.scheduleDescribeCommand(targetOf(c), id, o)));
  for (const action of ['pause', 'unpause', 'delete', 'trigger'] as const) {
    const description = { pause: 'Pause a schedule (no new runs)', unpause: 'Unpause a schedule', delete: 'Delete a schedule (running rollouts continue)', trigger: 'Start one run now' }[action];
    const c = schedule.command(action).description(description).argument('<id>', 'schedule id').addOption(json());
    if (action === 'pause' || action === 'unpause') c.option('--note <text>', 'why (shown in describe)');
    c.action(act((id: string, o: { json?: boolean; note?: string }, self: Command) => cmd.scheduleActionCommand(targetOf(self), action, id, o)));
  }

  program
    .command('worker')
    .description('Run a starwave worker until SIGINT/SIGTERM (credentials from the Alibaba Cloud chain, STARWAVE_ENDPOINTS for non-cloud targets)')
    .addOption(taskQueue())
    .addOption(new Option('--max-activities <n>', 'max activities at once on this worker').argParser(arg((raw) => parsePositiveInt('--max-activities', raw, { max: 10_000 }))))
    .action(
      act(async (o: { taskQueue?: string; maxActivities?: number }, c: Command) => {
        // Loaded on demand: the worker SDK (native core) is heavy and most commands never need it.
        const { runWorkerMain } = require('../worker/main') as typeof import('../worker/main');
        await runWorkerMain({
          ...targetOf(c),
          ...(o.taskQueue ? { taskQueue: o.taskQueue } : {}),
          ...(o.maxActivities ? { maxConcurrentActivities: o.maxActivities } : {}),
          onReady: ({ taskQueue: tq, address }) => process.stderr.write(`starwave worker polling task queue "${tq}" on ${address}\n`),
        });
        return EXIT.ok;
      }),
    );

  program
    .command('serve')
    .description('Run the HTTP trigger API (bearer token from STARWAVE_API_TOKEN or --token-file)')
    .addOption(new Option('--port <port>', 'listen port').default(8080).argParser(arg((raw) => parsePositiveInt('--port', raw, { min: 0, max: 65_535 }))))
    .option('--host <host>', 'listen address', '0.0.0.0')
    .option('--token-file <file>', 'file holding the bearer token')
    .option('--insecure-no-auth', 'serve without authentication (local experiments only)')
    .addOption(taskQueue())
    .action(
      act(async (o: { port: number; host: string; tokenFile?: string; insecureNoAuth?: boolean; taskQueue?: string }, c: Command) => {
        const { runServe } = require('../api/serve') as typeof import('../api/serve');
        return runServe({ ...o, target: targetOf(c) });
      }),
    );

  program
    .command('demo')
    .description('The whole thing on this machine: embedded Temporal, the emulator, a worker and a canary rollout with live progress')
    .addOption(new Option('--regions <n>', 'number of regions').default(3).argParser(arg((raw) => parsePositiveInt('--regions', raw, { max: 8 }))))
    .addOption(new Option('--instances <n>', 'instances per region').default(20).argParser(arg((raw) => parsePositiveInt('--instances', raw, { max: 2_000 }))))
    .option('--keep-running', 'leave Temporal and its Web UI up after the report (Ctrl-C stops)')
    .action(
      act(async (o: { regions: number; instances: number; keepRunning?: boolean }) => {
        const { runDemo } = require('../demo') as typeof import('../demo');
        return runDemo(o);
      }),
    );

  registerEmulatorCommand(program);
  return program;
}

/** Parses argv and runs the command; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every parse error (unknown/missing/invalid flag) is invalid input.
      return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    }
    const cliError = err instanceof CliError ? err : toCliError(err);
    process.stderr.write(`${cliError.message}\n`);
    return cliError.exitCode;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}

// Parse only when run as the program (directly or through bin/starwave.js), not when a test imports buildProgram.
const entry = require.main?.filename ?? '';
if (require.main === module || entry.endsWith(join('bin', 'starwave.js'))) {
  void main(process.argv).then((code) => {
    // Exit explicitly: gRPC channels and undici pools would otherwise keep a finished command alive.
    process.exit(code);
  });
}
