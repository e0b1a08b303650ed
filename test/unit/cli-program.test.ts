/**
 * The command line as a whole: one composition root (no library room imports src/cli), examples in
 * every --help, shell completion generated from the program, and the one error → exit code mapping.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { noWorker } from '../../src/client';
import { TemporalUnreachableError } from '../../src/client/connection';
import { bashCompletion, zshCompletion } from '../../src/cli/commands/completion';
import { describeFailure } from '../../src/cli/failure';
import { buildProgram } from '../../src/cli/main';
import { resetEnvCache } from '../../src/config/env';
import { StarwaveError } from '../../src/contracts/errors';
import { SpecValidationError } from '../../src/contracts/spec';

const root = join(__dirname, '..', '..');

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
