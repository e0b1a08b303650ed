/**
 * Minimal `starwave` entry point (bin/starwave.js loads it through tsx). Subcommands are added by their owners.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { version } from '../../package.json';

export function buildProgram(): Command {
  return new Command('starwave')
    .description('Durable rolling restarts of Alibaba Cloud StarRocks instances on Temporal')
    .version(version);
}

// Parse only when run as the program (directly or through bin/starwave.js), not when a test imports buildProgram.
const entry = require.main?.filename ?? '';
if (require.main === module || entry.endsWith(join('bin', 'starwave.js'))) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    });
}
