import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** A child process whose output goes to a log file, killed with its process group. */
export interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited (immediately if it already has). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave an etcd or apiserver behind when a test process dies.
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Start `command` detached in its own process group, output appended to `logFile`. */
export function supervise(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Supervised {
  installExitHook();
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
    child.once('error', () => {
      live.delete(child);
      resolve();
    });
  });
  return {
    name,
    child,
    logFile,
    async stop(signal = 'SIGTERM') {
      killGroup(child, signal);
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** Poll `probe` until it returns true, or throw `what` with the last error after `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const reason = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
}

/**
 * The environment for a child that runs driftgate's TypeScript through tsx: tap instruments every
 * child (its processinfo hook), but tsx transpiles differently from tap, and merging the child's
 * ranges for the same files corrupted the coverage report. Coverage off in that child only.
 */
export function withoutCoverage(): NodeJS.ProcessEnv {
  return { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
}

/** Wait until `url` answers 200 (a server just started); on a timeout, stop it and throw. */
export async function answering(
  what: string,
  url: string,
  stop: () => Promise<void>,
  timeoutMs = 120_000,
): Promise<void> {
  try {
    await waitFor(
      `${what} answering`,
      async () => (await fetch(url).catch(() => undefined))?.status === 200,
      timeoutMs,
      250,
    );
  } catch (err) {
    await stop();
    throw err;
  }
}
