// Command lines read with node:util parseArgs in strict mode: an unknown or misspelt flag is
// refused with the closest known name, --flag=value and --flag value both work, and a flag that
// takes set values refuses any other.
import { parseArgs } from 'node:util';
import { COMMANDS, type CommandSpec } from './options.js';

export interface CliArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** A string flag's value, or undefined. */
export const str = (a: CliArgs, name: string): string | undefined => {
  const v = a.values[name];
  return typeof v === 'string' ? v : undefined;
};

/** Whether a boolean flag was given. */
export const has = (a: CliArgs, name: string): boolean => a.values[name] === true;

/** Levenshtein distance, for "did you mean". */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] as number;
}

/** The known name closest to `given`, when it is close enough to be a slip. */
export function closest(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.startsWith(given) && given.length >= 2 ? 0.5 : distance(given, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(given.length / 3)) ? best : undefined;
}

const flagNames = (spec: CommandSpec): string[] =>
  Object.entries(spec.options).flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])]);

/** Why a command line is refused, in one line; pure. */
export function refusal(spec: CommandSpec, err: Error): string {
  const code = (err as { code?: string }).code;
  const unknown = /Unknown option '([^']+)'/.exec(err.message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const near = closest(unknown, flagNames(spec));
    return `unknown flag ${unknown}${near ? ` (did you mean ${near}?)` : ''}`;
  }
  return err.message.split('\n')[0] ?? String(err);
}

/**
 * `argv` read as `command`'s flags. Returns the flags and positionals, or a refusal message
 * (unknown flag with the closest name, missing value, a value outside the set, extra arguments).
 */
export function parseCommand(command: string, argv: readonly string[]): CliArgs | string {
  const spec = COMMANDS[command];
  if (!spec) return `unknown command "${command}"`;
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([n, o]) => [
      n,
      { type: o.type, ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  let parsed: CliArgs;
  try {
    const r = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    parsed = { values: r.values as CliArgs['values'], positionals: r.positionals };
  } catch (err) {
    return refusal(spec, err as Error);
  }
  if (parsed.values.help) return parsed;
  if (parsed.positionals.length > spec.positionals.length)
    return spec.positionals.length === 0
      ? `takes no arguments ("${parsed.positionals[0]}" given)`
      : `too many arguments: it takes ${spec.positionals.map((p) => `<${p}>`).join(' ')}`;
  for (const [n, o] of Object.entries(spec.options)) {
    const v = parsed.values[n];
    if (typeof v === 'string' && o.values && !o.values.includes(v))
      return `--${n} takes ${o.values.join(', ')} (not "${v}")`;
  }
  return parsed;
}
