// Reconciler replicas as real processes (the CLI, node with tsx's loader, so SIGKILL kills the
// reconciler itself, not a wrapper), stopped with SIGTERM at the end of the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { withoutCoverage } from './processes.js';

const root = join(import.meta.dirname, '..', '..');

/** A spawner of `driftgate reconcile --config <file>` replicas; `stopAll` for the teardown. */
export function reconcilerProcesses(kubeconfig: string): {
  spawn(name: string, config: string): ChildProcess;
  stopAll(): Promise<unknown>;
} {
  const children: ChildProcess[] = [];
  return {
    spawn(name, config) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(root, 'cli/main.ts'), 'reconcile', '--config', config],
        {
          cwd: root,
          // No V8 coverage from the children: tsx transpiles differently from tap, and merged
          // ranges of the same file would corrupt the report.
          env: { ...withoutCoverage(), KUBECONFIG: kubeconfig },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      const log = (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`);
      child.stdout?.on('data', log);
      child.stderr?.on('data', log);
      return child;
    },
    // SIGTERM: the CLI shuts down cleanly (releasing its Leases).
    stopAll: () =>
      Promise.all(
        children
          .filter((c) => c.exitCode === null && c.signalCode === null)
          .map((c) => new Promise((r) => c.once('exit', r).kill('SIGTERM'))),
      ),
  };
}
