import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execOk } from '../../core/exec.js';
import { IMAGE_MALLOC_ENV, WEBHOOK_NODE_OPTIONS } from '../../core/node-options.js';
import { freePort } from '../support/ports.js';
import { supervise, waitFor, withoutCoverage, type Supervised } from '../support/processes.js';
import { toolPath } from '../support/tools.js';
import { LIBRARY_DIR } from '../support/webhook.js';
import { writeServingCert } from '../../bench/support.js';

const root = join(import.meta.dirname, '..', '..');

let compiled: Promise<string> | undefined;

/** Compile the product once per process (tsc, ~5 s) into .tap/dg-build; the CLI's path. */
function compiledCli(): Promise<string> {
  const out = join(root, '.tap', 'dg-build');
  compiled ??= execOk(join(root, 'node_modules/.bin/tsc'), [
    '-p',
    join(root, 'tsconfig.build.json'),
    '--outDir',
    out,
  ]).then(() => join(out, 'cli', 'main.js'));
  return compiled;
}

export interface ServedWebhook {
  readonly url: string;
  readonly metricsUrl: string;
  readonly ca: string;
  readonly proc: Supervised;
  /** True while the process is running. */
  alive(): boolean;
  /** Peak resident set size of the process so far (VmHWM), MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/**
 * `driftgate serve` as its own process with the chart's heap bounds, the image's malloc settings,
 * the built-in library and a certificate for 127.0.0.1: what the fuzzer and memory checks hit, so a
 * crash or an out-of-memory abort shows as a dead process, not a failed test runner.
 */
export async function serveWebhook(
  extra: Record<string, unknown> = {},
  policies = LIBRARY_DIR,
  /** Run the compiled binary (as in the image) instead of the sources through tsx. */
  built = false,
): Promise<ServedWebhook> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-served-'));
  const policyDir = join(dir, 'policies');
  cpSync(policies, policyDir, {
    recursive: true,
    filter: (p) => !p.includes(join('policies', 'engine')),
  });
  const { certFile, keyFile, caPem } = writeServingCert(dir);
  const port = await freePort();
  const metricsPort = await freePort();
  const config = join(dir, 'webhook.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      host: '127.0.0.1',
      port,
      metricsHost: '127.0.0.1',
      metricsPort,
      policyDir,
      watchPolicies: false,
      opaPath: toolPath('opa'),
      logLevel: 'warn',
      tls: { certFile, keyFile },
      ...extra,
    }),
  );
  const proc = supervise(
    'webhook',
    process.execPath,
    [
      ...(built ? [await compiledCli()] : ['--import', 'tsx', join(root, 'cli/main.ts')]),
      ...['serve', '--config', config],
    ],
    join(dir, 'webhook.log'),
    { ...withoutCoverage(), ...IMAGE_MALLOC_ENV, NODE_OPTIONS: WEBHOOK_NODE_OPTIONS },
  );
  const url = `https://127.0.0.1:${port}`;
  const ca = caPem;
  const served: ServedWebhook = {
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    ca,
    proc,
    alive: () => proc.child.exitCode === null && proc.child.signalCode === null,
    peakRssMiB: () => {
      const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitFor(
    'the webhook to be ready',
    async () => {
      if (!served.alive())
        throw new Error(`webhook exited: ${readFileSync(proc.logFile, 'utf8').slice(-2000)}`);
      const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined);
      return r?.ok === true && /driftgate_policy_bundle_info\{/.test(await r.text());
    },
    60_000,
    200,
  );
  return served;
}
