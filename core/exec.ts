import { execFile } from 'node:child_process';

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string | Buffer;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** Bytes of stdout or stderr past which the command is killed. @default 64 MiB */
  readonly maxOutputBytes?: number;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Why the command was killed: it ran past timeoutMs, or printed past maxOutputBytes. */
  readonly killed?: 'timeout' | 'output';
}

/** Run a command; resolves with its exit code and output, never rejects on a non-zero exit. */
export function exec(
  command: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {
        cwd: opts.cwd,
        env: opts.env,
        maxBuffer: opts.maxOutputBytes ?? 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const killed =
          err?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
            ? ('output' as const)
            : err?.killed
              ? ('timeout' as const)
              : undefined;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr),
          ...(killed ? { killed } : {}),
        });
      },
    );
    child.stdin?.end(opts.input);
  });
}

/** Run a command and return its stdout; throws with the command line and stderr when it fails. */
export async function execOk(
  command: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<string> {
  const r = await exec(command, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return r.stdout;
}
