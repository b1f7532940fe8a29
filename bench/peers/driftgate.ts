// driftgate's webhook as the peer benchmarks run it: the compiled CLI with the chart's heap
// bounds, a policy directory of the benchmark's choosing, and optionally a desired-state index of
// N ConfigMaps served by this process (bench/support.ts serveIndex).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { IndexEntry } from '../../core/desired-index.js';
import { IMAGE_MALLOC_ENV, WEBHOOK_NODE_OPTIONS } from '../../core/node-options.js';
import { freePort } from '../../test/support/ports.js';
import { toolPath } from '../../test/support/tools.js';
import { serveIndex, waitReady, writeServingCert } from '../support.js';

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

export async function startDriftgate(
  dir: string,
  policyDir: string,
  enforcementOverrides: Record<string, string>,
  indexObjects = 0,
): Promise<DriftgatePeer> {
  mkdirSync(dir, { recursive: true });
  const tls = writeServingCert(dir);
  const port = await freePort();
  const feed =
    indexObjects > 0
      ? await serveIndex(Array.from({ length: indexObjects }, (_, i) => configMap(i)))
      : undefined;
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
      env: { ...process.env, ...IMAGE_MALLOC_ENV, NODE_OPTIONS: WEBHOOK_NODE_OPTIONS },
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
