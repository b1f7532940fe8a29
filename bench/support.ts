// Shared by the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DesiredIndexDoc, IndexEntry } from '../core/desired-index.js';
import { execOk } from '../core/exec.js';
import { IMAGE_MALLOC_ENV, RECONCILER_NODE_OPTIONS } from '../core/node-options.js';
import { readVersions } from '../test/support/tools.js';
import { waitFor } from '../test/support/processes.js';
import { createCertificate } from '../webhook/tls/pki.js';

const benchRoot = join(import.meta.dirname, '..');

/** A serving certificate for 127.0.0.1 (from a throwaway CA) written to `dir`; the file paths. */
export function writeServingCert(dir: string): {
  certFile: string;
  keyFile: string;
  caPem: string;
} {
  const ca = createCertificate({ commonName: 'bench ca', usage: 'ca' });
  const leaf = createCertificate({
    commonName: 'localhost',
    usage: 'server',
    issuer: ca,
    ipAddresses: ['127.0.0.1'],
  });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, leaf.certPem);
  writeFileSync(keyFile, leaf.keyPem);
  return { certFile, keyFile, caPem: ca.certPem };
}

/** Wait until `url` (HTTPS, certificate not checked) answers 200, then `extra()` holds. */
export function waitReady(
  url: string,
  extra: () => Promise<boolean> = async () => true,
  timeoutMs = 60_000,
): Promise<void> {
  return waitFor(
    url,
    async () => {
      const code = await execOk('curl', [
        '-sk',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        url,
      ]).catch(() => '0');
      return code === '200' && (await extra());
    },
    timeoutMs,
    200,
  );
}

/**
 * Serve a desired-state index of `entries` (one source) at /v1/desired in the reconciler's wire
 * format (core/desired-index.ts), with its ETag, so a webhook loads it without a reconciler.
 */
export async function serveIndex(
  entries: readonly IndexEntry[],
): Promise<{ url: string; doc: DesiredIndexDoc; close(): void }> {
  const doc: DesiredIndexDoc = {
    version: 1,
    generation: 'bench',
    sources: [
      {
        name: 'bench',
        repoURL: 'https://git.example/platform',
        revision: '0123456789abcdef0123456789abcdef01234567',
        entries: [...entries],
      },
    ],
  };
  const body = JSON.stringify(doc);
  const server = createServer((req, res) => {
    if (req.url !== '/v1/desired') return void res.writeHead(404).end('{}');
    res.setHeader('etag', '"bench"');
    if (req.headers['if-none-match'] === '"bench"') return void res.writeHead(304).end();
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    doc,
    close: () => server.close(),
  };
}

/**
 * A benchmark's temp directory and its stoppers (peer processes), both cleaned up when the
 * process exits, however it exits.
 */
export function benchWork(prefix: string): { work: string; stops: (() => void)[] } {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const stops: (() => void)[] = [];
  process.on('exit', () => {
    for (const stop of stops) stop();
    rmSync(work, { recursive: true, force: true });
  });
  return { work, stops };
}

/**
 * Start the compiled reconciler as it runs deployed: the chart's heap bounds and the image's
 * malloc setting, so its CPU and RSS are what production sees. `nodeArgs` go before the script.
 */
export function spawnReconciler(
  config: string,
  kubeconfig: string,
  nodeArgs: readonly string[] = [],
): ChildProcess {
  return spawn(
    process.execPath,
    [...nodeArgs, join(benchRoot, 'dist/cli/main.js'), 'reconcile', '--config', config],
    {
      env: {
        ...process.env,
        ...IMAGE_MALLOC_ENV,
        KUBECONFIG: kubeconfig,
        NODE_OPTIONS: RECONCILER_NODE_OPTIONS,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

/** The bin directory of a peer built by `npm run tools -- peers`; throws when `probe` is missing. */
export function peerBin(tool: string, versionKey: string, probe: string, label: string): string {
  const version = readVersions()[versionKey] ?? '';
  const dir = join(
    process.env.DRIFTGATE_TOOLS_DIR ?? join(homedir(), '.cache', 'driftgate', 'tools'),
    `${tool}-${version}`,
    'bin',
  );
  if (!existsSync(join(dir, probe)))
    throw new Error(`${label} ${version} is not built: run \`npm run tools -- peers\``);
  return dir;
}

/** The control token a bench reconciler is started with (its config's controlTokenFile). */
export const BENCH_CONTROL_TOKEN = 'bench-control-t0ken';

/** Write the bench control token under `dir`; returns the file for `controlTokenFile`. */
export function benchControlTokenFile(dir: string): string {
  const file = `${dir}/control-token`;
  writeFileSync(file, `${BENCH_CONTROL_TOKEN}\n`);
  return file;
}

/** GET /status/<source> of a bench reconciler (status is authenticated). */
export async function benchStatus<T>(port: number, source: string): Promise<T> {
  const r = await fetch(`http://127.0.0.1:${port}/status/${source}`, {
    headers: { authorization: `Bearer ${BENCH_CONTROL_TOKEN}` },
  });
  return (await r.json()) as T;
}
