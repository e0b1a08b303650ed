/**
 * The command line as a whole: one composition root (no library room imports src/cli), examples in
 * every --help, shell completion generated from the program, and the one error → exit code mapping.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { noWorker } from '../../src/client';
import { TemporalUnreachableError } from '../../src/client/connection';
import { bashCompletion, zshCompletion } from '../../src/cli/commands/completion';
import { describeFailure } from '../../src/cli/failure';
import * as completionCommand from '../../src/cli/commands/completion';
import * as controlCommands from '../../src/cli/commands/control';
import * as demoCommand from '../../src/cli/commands/demo';
import * as listCommand from '../../src/cli/commands/list';
import * as planCommand from '../../src/cli/commands/plan';
import * as processCommands from '../../src/cli/commands/processes';
import * as scheduleCommand from '../../src/cli/commands/schedule';
import * as startCommand from '../../src/cli/commands/start';
import * as statusCommands from '../../src/cli/commands/status';
import { COMMAND_MODULES, buildProgram as buildWith, type CommandLoader } from '../../src/cli/main';
import { resetEnvCache } from '../../src/config/env';
import { StarwaveError } from '../../src/contracts/errors';
import { SpecValidationError } from '../../src/contracts/spec';

const root = join(__dirname, '..', '..');

// The CLI loads its command modules with require (fine compiled or under tsx); vitest's loader cannot require .ts
// files, so here they come from the imports above. The last test of "loading only the command that runs" checks the
// real require path in a child process.
const COMMAND_FILES: Record<string, Record<string, unknown>> = {
  './commands/plan': planCommand,
  './commands/start': startCommand,
  './commands/status': statusCommands,
  './commands/list': listCommand,
  './commands/control': controlCommands,
  './commands/schedule': scheduleCommand,
  './commands/processes': processCommands,
  './commands/demo': demoCommand,
  './commands/completion': completionCommand,
};
const loadImported: CommandLoader = (path) => {
  const module = COMMAND_FILES[path];
  if (!module) throw new Error(`no command module ${path} imported in this test`);
  return module;
};
const buildProgram = (userArgs?: readonly string[]): Command => buildWith(userArgs, loadImported);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(name) ? [p] : [];
  });
}

function commands(c: Command): Command[] {
  return [c, ...c.commands.filter((s) => s.name() !== 'help').flatMap(commands)];
}

function helpOf(c: Command): string {
  let text = '';
  c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  c.outputHelp();
  return text;
}

describe('composition root', () => {
  it('no library room imports src/cli', () => {
    const offenders = files(join(root, 'src'))
      .filter((f) => !relative(root, f).startsWith(join('src', 'cli')))
      .flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/(?:from |import |require\()'(\.[^']*)'/g)]
          .map((m) => ({ file: relative(root, f), spec: m[1]! }))
          .filter((x) => relative(join(root, 'src', 'cli'), resolve(dirname(f), x.spec)).split(sep)[0] !== '..'),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps every file of the CLI under ~400 lines', () => {
    const long = files(join(root, 'src', 'cli'))
      .map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((x) => x.lines > 400);
    expect(long).toEqual([]);
  });

  it('registers every command, and every one has examples in its --help', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    for (const n of ['plan', 'start', 'status', 'report', 'list', 'pause', 'resume', 'cancel', 'approve', 'set', 'skip', 'schedule', 'worker', 'serve', 'emulator', 'demo', 'completion']) {
      expect(names).toContain(n);
    }
    const withoutExamples = commands(program)
      .filter((c) => !/\nExamples:\n {2}\$ starwave|\nExamples:\n {2}\$ .*starwave /.test(helpOf(c)))
      .map((c) => c.name());
    expect(withoutExamples).toEqual([]);
  });
});

describe('loading only the command that runs', () => {
  it('the table of command modules names every command of the program, in --help order, and each file exports its registrar', () => {
    for (const m of COMMAND_MODULES) expect(typeof loadImported(m.path)[m.register], m.path).toBe('function');
    expect(Object.keys(COMMAND_FILES).sort()).toEqual(COMMAND_MODULES.map((m) => m.path).sort());
    const names = buildProgram().commands.map((c) => c.name()).filter((n) => n !== 'help');
    expect(COMMAND_MODULES.flatMap((m) => m.names)).toEqual(names);
  });

  it('registers only the named command’s module, after global options with values too', () => {
    for (const m of COMMAND_MODULES.filter((x) => x.path !== './commands/completion')) {
      for (const name of m.names) {
        expect(buildProgram([name, 'x']).commands.map((c) => c.name())).toEqual(m.names);
        expect(buildProgram(['--address', 'h:1', name]).commands.map((c) => c.name())).toEqual(m.names);
      }
    }
  });

  it('registers every command for help, a misspelt command, completion and no command', () => {
    const all = buildProgram().commands.length;
    for (const args of [[], ['--help'], ['help', 'plan'], ['pln'], ['completion', 'bash']]) {
      expect(buildProgram(args).commands.length, args.join(' ')).toBe(all);
    }
    expect(buildProgram(['--version']).commands).toHaveLength(0);
    expect(buildProgram(['--version', '--help']).commands.length).toBe(all);
  });

  it('`starwave plan` loads neither the emulator, the demo, the schedules nor the worker', () => {
    const script = "require('./src/cli/main.ts').buildProgram(['plan', 'x.yaml']).commands.length === 1 || process.exit(9); process.stdout.write(JSON.stringify(Object.keys(require.cache)))";
    const loaded = JSON.parse(execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: root, encoding: 'utf8' })) as string[];
    const ours = loaded.filter((f) => f.startsWith(join(root, 'src'))).map((f) => relative(root, f));
    expect(ours).toContain(join('src', 'cli', 'commands', 'plan.ts'));
    expect(ours.filter((f) => /^src\/(emulator|worker|activities|workflows)\/|commands\/(demo|schedule|processes)\.ts$/.test(f))).toEqual([]);
  });
});

describe('a reader that goes away', () => {
  it('`starwave --help | head`: the command ends with 0 and no stack trace when its output pipe is closed', async () => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(root, 'src', 'cli', 'main.ts'), '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the child writes anything (it needs far longer to load than this takes), so its write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolvePromise) => child.on('close', (c) => resolvePromise(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('shell completion', () => {
  const program = buildProgram();

  function complete(words: string[]): string[] {
    const script = `${bashCompletion(program)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_starwave; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  it('is valid bash that completes commands, subcommands, flags and their choices', () => {
    expect(complete(['starwave', 'sch'])).toEqual(['schedule']);
    expect(complete(['starwave', 'schedule', 'de'])).toEqual(['describe', 'delete']);
    expect(complete(['starwave', 'list', '--st'])).toEqual(['--status']);
    expect(complete(['starwave', 'list', '--status', 'stopped_b'])).toEqual(['stopped_budget']);
    expect(complete(['starwave', '--address', 'h:1', 'report', 'x', '--format', ''])).toEqual(['table', 'markdown', 'json']);
    expect(complete(['starwave', 'completion', ''])).toEqual(['bash', 'zsh']);
    // A spec file argument falls back to file names (complete -o default): nothing of ours is offered.
    expect(complete(['starwave', 'plan', ''])).toEqual([]);
  });

  /**
   * Runs the zsh script in zsh with stand-ins for its completion builtins (compadd, _describe, _files print
   * what they are given), so what it offers is asserted like the bash script's. CI installs zsh (bash .ci/run).
   */
  function completeZsh(words: string[]): string[] {
    const driver = `
compdef() { :; }
compadd() { local a past=0; for a in "$@"; do if (( past )); then print -r -- "$a"; elif [[ $a == -- ]]; then past=1; fi; done; }
_describe() { local name=$4; print -rl -- "\${(@P)name%%:*}"; }
_files() { print -r -- '<files>'; }
${zshCompletion(program)}
words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=\${#words}
_starwave`;
    const zsh = spawnSync('zsh', ['-f'], { input: driver, encoding: 'utf8' });
    if (zsh.error) throw new Error('zsh is not installed: install it with "apt-get install -y zsh" (bash .ci/run does it when it is missing); the zsh completion test needs it.');
    expect(zsh.status, zsh.stderr).toBe(0);
    return zsh.stdout.split('\n').filter(Boolean);
  }

  it('is valid zsh that offers commands, subcommands, flags and their choices', () => {
    const script = zshCompletion(program);
    expect(script).toMatch(/^#compdef starwave/);
    expect(spawnSync('zsh', ['-n'], { input: script, encoding: 'utf8' }).status).toBe(0);
    expect(completeZsh(['starwave', ''])).toEqual(expect.arrayContaining(['plan', 'start', 'schedule', 'skip', 'completion']));
    expect(completeZsh(['starwave', 'schedule', ''])).toEqual(['create', 'list', 'describe', 'pause', 'unpause', 'delete', 'trigger']);
    expect(completeZsh(['starwave', 'list', '--status', ''])).toContain('stopped_budget');
    expect(completeZsh(['starwave', 'status', 'x', '--detail', ''])).toEqual(['summary', 'problems', 'all']);
    // Global options before the command are skipped with their values.
    expect(completeZsh(['starwave', '--address', 'h:1', 'pause', '--'])).toEqual(expect.arrayContaining(['--timeout', '--json']));
    expect(completeZsh(['starwave', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(completeZsh(['starwave', 'start', ''])).toEqual(['<files>']);
  });
});

describe('errors to exit codes', () => {
  afterEach(() => {
    delete process.env['STARWAVE_API_TOKEN'];
    resetEnvCache();
  });

  it('derives the exit code from the registry code and adds what to do', () => {
    const spec = describeFailure(new SpecValidationError([{ path: 'waves.sizes.0', message: 'must be at least 1' }]));
    expect(spec.exitCode).toBe(2);
    expect(spec.message).toMatch(/waves\.sizes\.0: must be at least 1\nNothing was started\.$/);
    expect(describeFailure(noWorker('q')).exitCode).toBe(3);
    expect(describeFailure(new TemporalUnreachableError('127.0.0.1:1', new Error('refused'))).exitCode).toBe(3);
    const timeout = describeFailure(new StarwaveError('ERR_TIMEOUT', 'Temporal did not answer the pause of x in time.'));
    expect(timeout.exitCode).toBe(3);
    expect(timeout.message).toContain('give a longer --timeout');
    expect(describeFailure(new StarwaveError('ERR_ROLLOUT_FINISHED', 'finished')).exitCode).toBe(2);
    expect(describeFailure(new Error('boom')).exitCode).toBe(1);
  });

  it('never prints a secret', () => {
    process.env['STARWAVE_API_TOKEN'] = 'tok-0123456789abcdef';
    resetEnvCache();
    expect(describeFailure(new Error('request with tok-0123456789abcdef failed')).message).toBe('request with [REDACTED] failed');
  });
});
