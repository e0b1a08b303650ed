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
import { registerCompletion } from './commands/completion';
import { registerControl } from './commands/control';
import { registerDemo } from './commands/demo';
import { registerList } from './commands/list';
import { registerPlan } from './commands/plan';
import { registerProcesses } from './commands/processes';
import { registerSchedule } from './commands/schedule';
import { registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { examples } from './context';
import { reportFailure } from './failure';

export function buildProgram(): Command {
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

  registerPlan(program);
  registerStart(program);
  registerStatus(program);
  registerList(program);
  registerControl(program);
  registerSchedule(program);
  registerProcesses(program);
  registerDemo(program);
  registerCompletion(program);
  return program;
}

/** Parses argv and runs the command; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
  void main(process.argv).then((code) => {
    // Exit explicitly: gRPC channels and undici pools would otherwise keep a finished command alive.
    process.exit(code);
  });
}
