// `driftgate completion bash|zsh|fish`: completion scripts made from the command table
// (cli/options.ts), so a new flag completes in every shell without a second list to keep.
import type { CliArgs } from './args.js';
import { COMMANDS, type CommandSpec, type OptionSpec } from './options.js';

export const COMPLETION_USAGE = `driftgate completion bash|zsh|fish

Prints a completion script for the shell: commands, their flags, the values a flag takes
(-o text|json|yaml, --gate, kubeconfig contexts for --context), files and directories.
  bash:  source <(driftgate completion bash)      (or save it in /etc/bash_completion.d/driftgate)
  zsh:   source <(driftgate completion zsh)       (or save it as _driftgate in your $fpath)
  fish:  driftgate completion fish | source       (or save it in ~/.config/fish/completions/)`;

const names = Object.keys(COMMANDS);
const entries = (c: CommandSpec): [string, OptionSpec][] => Object.entries(c.options);
/** The shell word list of a command's flags. */
const flagWords = (c: CommandSpec): string =>
  entries(c)
    .flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])])
    .join(' ');
const contexts = 'kubectl config get-contexts -o name 2>/dev/null';

function bashValue(n: string, o: OptionSpec): string | undefined {
  const pat = [`--${n}`, ...(o.short ? [`-${o.short}`] : [])].join('|');
  if (o.values)
    return `${pat}) COMPREPLY=($(compgen -W "${o.values.join(' ')}" -- "$cur")); return ;;`;
  if (o.complete)
    return `${pat}) COMPREPLY=($(compgen -${o.complete === 'dir' ? 'd' : 'f'} -- "$cur")); return ;;`;
  if (n === 'context')
    return `${pat}) COMPREPLY=($(compgen -W "$(${contexts})" -- "$cur")); return ;;`;
  return o.type === 'string' ? `${pat}) return ;;` : undefined;
}

function bashCommand(name: string, c: CommandSpec): string {
  const values = entries(c)
    .map(([n, o]) => bashValue(n, o))
    .filter((l): l is string => l !== undefined);
  const positional = c.positionalValues
    ? `compgen -W "${c.positionalValues.join(' ')}" -- "$cur"`
    : c.positionals.includes('dir')
      ? 'compgen -d -- "$cur"'
      : '';
  return [
    `    ${name})`,
    ...(values.length
      ? ['      case "$prev" in', ...values.map((v) => `        ${v}`), '      esac']
      : []),
    positional
      ? `      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${flagWords(c)}" -- "$cur")); else COMPREPLY=($(${positional})); fi ;;`
      : `      COMPREPLY=($(compgen -W "${flagWords(c)}" -- "$cur")) ;;`,
  ].join('\n');
}

export function bashScript(): string {
  return `# driftgate completion for bash: source <(driftgate completion bash)
_driftgate() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${names.join(' ')}" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${Object.entries(COMMANDS)
  .map(([n, c]) => bashCommand(n, c))
  .join('\n')}
  esac
}
complete -o filenames -F _driftgate driftgate
`;
}

/** Text safe inside a zsh _arguments description ([...] and ':' are syntax there). */
const zshText = (s: string): string => s.replace(/[[\]:']/g, ' ');

function zshOption(n: string, o: OptionSpec): string {
  const d = zshText(o.describe);
  const action =
    o.type === 'boolean'
      ? ''
      : o.values
        ? `:${n}:(${o.values.join(' ')})`
        : o.complete === 'dir'
          ? `:${n}:_files -/`
          : o.complete === 'file'
            ? `:${n}:_files`
            : n === 'context'
              ? `:${n}:($(${contexts}))`
              : `:${n}: `;
  if (!o.short) return `'--${n}[${d}]${action}'`;
  return `'(-${o.short} --${n})'{-${o.short},--${n}}'[${d}]${action}'`;
}

function zshCommand(name: string, c: CommandSpec): string {
  const pos = c.positionals.map((p, i) =>
    i === 0 && c.positionalValues
      ? `'1:${p}:(${c.positionalValues.join(' ')})'`
      : `'${i + 1}:${p}:${p === 'dir' ? '_files -/' : ' '}'`,
  );
  const args = [...entries(c).map(([n, o]) => zshOption(n, o)), ...pos];
  return `    ${name}) _arguments -s ${args.join(' ')} ;;`;
}

export function zshScript(): string {
  const described = Object.entries(COMMANDS).map(([n, c]) => `'${n}:${zshText(c.describe)}'`);
  return `#compdef driftgate
# driftgate completion for zsh: source <(driftgate completion zsh), or save as _driftgate in $fpath
_driftgate() {
  local -a commands
  commands=(${described.join(' ')})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
${Object.entries(COMMANDS)
  .map(([n, c]) => zshCommand(n, c))
  .join('\n')}
  esac
}
if [ "$funcstack[1]" = "_driftgate" ]; then _driftgate "$@"; else compdef _driftgate driftgate; fi
`;
}

const fishText = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishCommand(name: string, c: CommandSpec): string[] {
  const when = `-n '__fish_seen_subcommand_from ${name}'`;
  const lines = [
    `complete -c driftgate -n __fish_use_subcommand -a ${name} -d ${fishText(c.describe)}`,
  ];
  for (const [n, o] of entries(c)) {
    const flags = `-l ${n}${o.short ? ` -s ${o.short}` : ''}`;
    const value =
      o.type === 'boolean'
        ? ''
        : o.values
          ? ` -x -a ${fishText(o.values.join(' '))}`
          : o.complete === 'dir'
            ? " -x -a '(__fish_complete_directories)'"
            : o.complete === 'file'
              ? ' -r -F'
              : n === 'context'
                ? ` -x -a '(${contexts})'`
                : ' -x';
    lines.push(`complete -c driftgate ${when} ${flags}${value} -d ${fishText(o.describe)}`);
  }
  if (c.positionalValues)
    lines.push(`complete -c driftgate ${when} -a ${fishText(c.positionalValues.join(' '))}`);
  else if (c.positionals.includes('dir'))
    lines.push(`complete -c driftgate ${when} -a '(__fish_complete_directories)'`);
  return lines;
}

export function fishScript(): string {
  return [
    '# driftgate completion for fish: driftgate completion fish | source',
    'complete -c driftgate -f',
    ...Object.entries(COMMANDS).flatMap(([n, c]) => fishCommand(n, c)),
    '',
  ].join('\n');
}

const SCRIPTS: Record<string, () => string> = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
};

export function completion(a: CliArgs): number {
  const shell = a.positionals[0];
  const script = shell !== undefined ? SCRIPTS[shell] : undefined;
  if (!script) {
    console.error(`driftgate completion: name the shell: bash, zsh or fish\n\n${COMPLETION_USAGE}`);
    return 2;
  }
  process.stdout.write(script());
  return 0;
}
