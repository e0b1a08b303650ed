/**
 * `starwave completion bash|zsh`: a shell completion script generated from the program itself
 * (commands, subcommands, options and the fixed choices of some flags), so it cannot drift from
 * the CLI. Pure generation; the command only prints it.
 */
import type { Command, Option } from 'commander';
import { RUN_FILTERS } from '../../client/list';
import { EXIT, StarwaveError } from '../../contracts/errors';
import { act, examples, print, stdio } from '../context';

export function registerCompletion(program: Command): void {
  const command = program
    .command('completion')
    .description('Print a shell completion script for bash or zsh')
    .argument('<shell>', 'bash or zsh')
    .action(
      act(async (shell: string) => {
        if (shell !== 'bash' && shell !== 'zsh') throw new StarwaveError('ERR_FLAG_INVALID', `<shell> must be bash or zsh, got "${shell}".`);
        print(stdio, shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
        return EXIT.ok;
      }),
    );
  examples(command, ['source <(starwave completion bash)            # bash, this shell', 'starwave completion bash > /etc/bash_completion.d/starwave', 'starwave completion zsh > "${fpath[1]}/_starwave"   # zsh, then restart it']);
}

/** Fixed choices of flags that take one. */
const CHOICES: Record<string, readonly string[]> = {
  '--format': ['table', 'markdown', 'json'],
  '--detail': ['summary', 'problems', 'all'],
  '--status': RUN_FILTERS,
};
/** Flags whose value is a file. */
const FILES = new Set(['--spec', '--out', '--token-file']);

interface Node {
  path: string;
  command: Command;
}

function nodes(program: Command): Node[] {
  const out: Node[] = [];
  const walk = (c: Command, path: string): void => {
    out.push({ path, command: c });
    for (const sub of c.commands) if (sub.name() !== 'help') walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, '');
  return out;
}

const optionsOf = (c: Command, program: Command): readonly Option[] => (c === program ? c.options : [...c.options, ...program.options.filter((o) => o.long !== '--version')]);
const takesValue = (o: Option): boolean => o.required || o.optional;
const shortText = (text: string): string => text.split(/[;:(]/)[0]!.trim().slice(0, 70);

function valueOptions(program: Command): string[] {
  const set = new Set<string>();
  for (const n of nodes(program)) for (const o of n.command.options) if (takesValue(o) && o.long) set.add(o.long);
  return [...set].sort();
}

/** The bash function's loop that finds the command path in the words typed so far. */
function pathLoop(program: Command, shell: 'bash' | 'zsh'): string {
  const words = shell === 'bash' ? '"${COMP_WORDS[@]:1:COMP_CWORD-1}"' : '"${(@)words[2,CURRENT-1]}"';
  const known = nodes(program).filter((n) => n.path).map((n) => `"${n.path}"`).join('|');
  return [
    `  local cmd="" w skip=0`,
    `  for w in ${words}; do`,
    `    if (( skip )); then skip=0; continue; fi`,
    `    case "$w" in`,
    `      ${valueOptions(program).join('|')}) skip=1 ;;`,
    `      -*) ;;`,
    `      *) case "\${cmd:+$cmd }$w" in ${known}) cmd="\${cmd:+$cmd }$w" ;; esac ;;`,
    `    esac`,
    `  done`,
  ].join('\n');
}

export function bashCompletion(program: Command): string {
  const cases = nodes(program).map((n) => {
    const words = [...n.command.commands.filter((s) => s.name() !== 'help').map((s) => s.name()), ...optionsOf(n.command, program).flatMap((o) => (o.long ? [o.long] : [])), '--help'];
    return `    "${n.path}") words="${words.join(' ')}" ;;`;
  });
  const choiceCases = Object.entries(CHOICES).map(([flag, values]) => `    ${flag}) COMPREPLY=( $(compgen -W "${values.join(' ')}" -- "$cur") ); return ;;`);
  return `# starwave completion for bash. Load it with: source <(starwave completion bash)
_starwave() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" words=""
  case "$prev" in
${choiceCases.join('\n')}
    ${[...FILES].join('|')}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    ${valueOptions(program).filter((f) => !(f in CHOICES) && !FILES.has(f)).join('|')}) return ;;
  esac
${pathLoop(program, 'bash')}
  if [[ "$cmd" == "completion" && "$cur" != -* ]]; then COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ); return; fi
  case "$cmd" in
${cases.join('\n')}
  esac
  # Arguments that are not flags (spec files, ids) fall back to file names (complete -o default).
  if [[ "$cur" == -* || -n "$(compgen -W "$words" -- "$cur" | grep -v '^-')" ]]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
}
complete -o default -F _starwave starwave
`;
}

/** A `name:description` entry of _describe, quoted for zsh (a colon inside the description is escaped). */
const zshEntry = (name: string, description: string): string => `'${name}:${description.replace(/:/g, '\\:').replace(/'/g, `'\\''`)}'`;

export function zshCompletion(program: Command): string {
  const cases = nodes(program).map((n) => {
    const subs = n.command.commands.filter((s) => s.name() !== 'help').map((s) => zshEntry(s.name(), shortText(s.description())));
    const opts = optionsOf(n.command, program).flatMap((o) => (o.long ? [zshEntry(o.long, shortText(o.description))] : []));
    return `    "${n.path}") subs=(${subs.join(' ')}); opts=(${opts.join(' ')}) ;;`;
  });
  const choiceCases = Object.entries(CHOICES).map(([flag, values]) => `    ${flag}) compadd -- ${values.join(' ')}; return ;;`);
  return `#compdef starwave
# starwave completion for zsh. Install: starwave completion zsh > "\${fpath[1]}/_starwave", then restart zsh.
_starwave() {
  local -a subs opts
  case "\${words[CURRENT-1]}" in
${choiceCases.join('\n')}
    ${[...FILES].join('|')}) _files; return ;;
    ${valueOptions(program).filter((f) => !(f in CHOICES) && !FILES.has(f)).join('|')}) return ;;
  esac
${pathLoop(program, 'zsh')}
  if [[ "$cmd" == "completion" ]]; then compadd -- bash zsh; return; fi
  case "$cmd" in
${cases.join('\n')}
  esac
  if [[ "\${words[CURRENT]}" == -* ]]; then _describe -t options 'option' opts
  elif (( \${#subs} )); then _describe -t commands 'command' subs
  else _files
  fi
}
compdef _starwave starwave
`;
}
