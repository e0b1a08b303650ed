/**
 * `starwave`: the operator's command line and its composition root. It builds the commander program
 * from the subcommands in ./commands, runs it, and ends with the exit code the error registry gives
 * (src/contracts/errors.ts through ./failure.ts). Nothing outside src/cli imports this room.
 *
 * Temporal is reached the way Temporal's own tools do (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS/API
 * key, profiles); the task queue comes from --task-queue or STARWAVE_TASK_QUEUE (default "starwave").
 */
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { EXIT, EXIT_CODES_HELP } from '../contracts/errors';
import { examples } from './context';
import { reportFailure } from './failure';

type Registrar = (program: Command) => void;

/**
 * The commands, in the order --help lists them, by the module that registers them. A module is loaded only when
 * the command line needs it: `starwave plan …` loads the plan command and what it uses, not the emulator, the demo
 * or the schedule commands (each start pays for every module it loads; see docs/benchmarks.md, CLI start).
 */
export const COMMAND_MODULES = [
  { names: ['plan'], path: './commands/plan', register: 'registerPlan' },
  { names: ['start'], path: './commands/start', register: 'registerStart' },
  { names: ['status', 'report'], path: './commands/status', register: 'registerStatus' },
  { names: ['list'], path: './commands/list', register: 'registerList' },
  { names: ['pause', 'resume', 'cancel', 'approve', 'set', 'skip'], path: './commands/control', register: 'registerControl' },
  { names: ['schedule'], path: './commands/schedule', register: 'registerSchedule' },
  { names: ['worker', 'serve', 'emulator'], path: './commands/processes', register: 'registerProcesses' },
  { names: ['demo'], path: './commands/demo', register: 'registerDemo' },
  { names: ['completion'], path: './commands/completion', register: 'registerCompletion' },
] as const satisfies ReadonlyArray<{ names: readonly string[]; path: string; register: string }>;

/** Loads a command module by its path in {@link COMMAND_MODULES} (relative to this file). */
export type CommandLoader = (path: string) => Record<string, unknown>;

// require, not import(): under tsx's CommonJS hook (a development checkout) import() would not find the .ts files,
// and buildProgram stays synchronous. Unit tests, which run under vitest's own module loader, pass their own loader.
const requireCommand: CommandLoader = (path) => require(path) as Record<string, unknown>;

/** Global options that take a value: in `starwave --address h:p plan x` the command is `plan`. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--address', '--namespace', '--profile']);

/** The command an argv names (its first word that is not an option), if any. */
function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The program. Given the user's arguments (argv without node and the script), only the module of the command they
 * name is registered; without arguments, or when they name no known command (help, a typo to suggest a fix for,
 * completion, which describes every command), all of them are.
 */
export function buildProgram(userArgs?: readonly string[], load: CommandLoader = requireCommand): Command {
  const program = new Command('starwave')
    .description('Durable rolling restarts of Alibaba Cloud EMR Serverless StarRocks instances on Temporal')
    .version(version)
    .option('--address <host:port>', 'Temporal frontend (default: TEMPORAL_ADDRESS, the profile, or localhost:7233)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE, the profile, or "default")')
    .option('--profile <name>', 'profile in the Temporal config file (TEMPORAL_CONFIG_FILE)')
    .showSuggestionAfterError(true)
    // Settings below are inherited by every subcommand created afterwards.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => {
        const sentence = text.trim().replace(/^error: /, 'Error: ');
        write(`${sentence}${/[.)]$/.test(sentence) ? '' : '.'} Run the command with --help to see its options.\n`);
      },
    });
  examples(program, ['starwave plan examples/rollout.yaml', 'starwave start examples/rollout.yaml --wait', 'starwave list --name nightly-hangzhou', 'starwave status starwave-rollout-nightly-hangzhou --watch']);
  program.addHelpText('after', EXIT_CODES_HELP);

  const named = userArgs && commandOf(userArgs);
  // `starwave --version` alone needs no command at all (with other flags, e.g. --help, every command is listed).
  if (userArgs?.length === 1 && (userArgs[0] === '-V' || userArgs[0] === '--version')) return program;
  const only = COMMAND_MODULES.find((m) => named !== undefined && named !== 'completion' && (m.names as readonly string[]).includes(named));
  for (const m of only ? [only] : COMMAND_MODULES) (load(m.path)[m.register] as Registrar)(program);
  return program;
}

/** Parses argv and runs the command; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv.slice(2));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Help and version exit 0; every parse error (unknown/missing/invalid flag) is invalid input and
    // commander has printed its sentence already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    return reportFailure(err);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}

// Parse only when run as the program (directly or through bin/starwave.js), not when a test imports buildProgram.
const entry = require.main?.filename ?? '';
if (require.main === module || entry.endsWith(join('bin', 'starwave.js'))) {
  // `starwave list | head`: the reader went away; end quietly as other command-line tools do, not with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT.ok);
      throw err;
    });
  }
  void main(process.argv).then((code) => {
    // Exit explicitly: gRPC channels and undici pools would otherwise keep a finished command alive.
    process.exit(code);
  });
}
