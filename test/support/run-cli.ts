import { cli } from '../../cli/run.js';

/** What a `driftgate` subcommand printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `driftgate <argv>` in this process (the same parser and commands as the executable),
 * capturing what it prints.
 */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk).replace(/\n$/, ''));
    return true;
  }) as typeof process.stdout.write;
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await cli(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    process.stdout.write = write;
    console.error = error;
  }
}
