/**
 * Standalone entry: `npx tsx src/emulator/main.ts --regions cn-hangzhou,cn-shanghai --instances 50`.
 * Same flags as `starwave emulator`.
 */
import { Command } from 'commander';
import { registerEmulatorCommand } from './cli';

const program = new Command('starwave-emulator');
registerEmulatorCommand(program);
program.parseAsync(['emulator', ...process.argv.slice(2)], { from: 'user' }).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
