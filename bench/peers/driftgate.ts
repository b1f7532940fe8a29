// driftgate's webhook as the peer benchmarks run it: the compiled CLI with the chart's heap
// bounds, a policy directory of the benchmark's choosing, and optionally a desired-state index of
// N objects served in the reconciler's wire format (core/desired-index.ts) by this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DesiredIndexDoc, IndexEntry } from '../../core/desired-index.js';
import { WEBHOOK_NODE_OPTIONS } from '../../core/node-options.js';
import { freePort } from '../../test/support/ports.js';
import { toolPath } from '../../test/support/tools.js';
import { waitReady, writeServingCert } from '../support.js';

const root = join(import.meta.dirname, '..', '..');

export interface DriftgatePeer {
  readonly child: ChildProcess;
  readonly url: string;
  readonly caPem: string;
  stop(): void;
}

const configMap = (i: number): IndexEntry => ({
  group: '',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespace: 'apps',
  name: `obj-${i}`,
  path: `apps/obj-${i}.yaml`,
  declared: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `obj-${i}`, namespace: 'apps' },
    data: { index: String(i), payload: 'x'.repeat(200) },
  },
  ignore: [],
});

/** Serve an index of `n` ConfigMaps at /v1/desired; resolves its base URL and a closer. */
async function indexFeed(n: number): Promise<{ url: string; close(): void }> {
  const doc: DesiredIndexDoc = {
    version: 1,
    generation: 'bench',
    sources: [
      {
        name: 'bench',
        repoURL: 'https://git.example/platform',
        revision: '0123456789abcdef0123456789abcdef01234567',
        entries: Array.from({ length: n }, (_, i) => configMap(i)),
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
    close: () => server.close(),
  };
}

export async function startDriftgate(
  dir: string,
  policyDir: string,
  enforcementOverrides: Record<string, string>,
  indexObjects = 0,
): Promise<DriftgatePeer> {
  mkdirSync(dir, { recursive: true });
  const tls = writeServingCert(dir);
  const port = await freePort();
  const feed = indexObjects > 0 ? await indexFeed(indexObjects) : undefined;
  if (feed) writeFileSync(join(dir, 'token'), 'bench\n');
  writeFileSync(
    join(dir, 'webhook.yaml'),
    stringify({
      host: '127.0.0.1',
      port,
      metricsHost: '127.0.0.1',
      metricsPort: await freePort(),
      policyDir,
      watchPolicies: false,
      opaPath: toolPath('opa'),
      logLevel: 'warn',
      tls: { certFile: tls.certFile, keyFile: tls.keyFile },
      enforcementOverrides,
      ...(feed
        ? {
            gitState: {
              reconcilerURL: feed.url,
              tokenFile: join(dir, 'token'),
              reconciler: {
                username: 'system:serviceaccount:dg:rec',
                group: 'system:serviceaccounts:dg',
              },
            },
          }
        : {}),
    }),
  );
  const child = spawn(
    process.execPath,
    [join(root, 'dist/cli/main.js'), 'serve', '--config', join(dir, 'webhook.yaml')],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: WEBHOOK_NODE_OPTIONS },
    },
  );
  await waitReady(`https://127.0.0.1:${port}/readyz`);
  return {
    child,
    url: `https://127.0.0.1:${port}/validate`,
    caPem: tls.caPem,
    stop() {
      child.kill('SIGKILL');
      feed?.close();
    },
  };
}
