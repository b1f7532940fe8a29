// npm run bench:sync-peers — one Git repository (BENCH_OBJECTS objects, half ConfigMaps, half
// Deployments, one file each) synced on one real control plane by Flux (its real
// source-controller and kustomize-controller: GitRepository + Kustomization, prune on) and by
// driftgate (the reconciler CLI, signed commit verified), one after the other, each into its own
// namespace, both with the same interval: first sync, steady-state CPU and RSS, and how long a
// manual change (no admission webhook installed: it bypasses nothing) stays before it is reverted.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { IMAGE_MALLOC_ENV, RECONCILER_NODE_OPTIONS } from '../core/node-options.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { mustKubectl } from '../test/support/gitsources.js';
import { startGitServer } from '../test/support/git-server.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/processes.js';
import { createSshSigner } from '../test/support/signing.js';
import { startFlux } from './peers/flux.js';
import { cpuSeconds, memoryMiB } from './peers/proc.js';
import { benchWork } from './support.js';

const root = join(import.meta.dirname, '..');
const N = Number(process.env.BENCH_OBJECTS ?? 1000);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_SECONDS ?? 30);
const STEADY_S = Number(process.env.BENCH_STEADY_SECONDS ?? 60);
// How long a manual change may stay before the bench calls it not reverted.
const DRIFT_WAIT_S = Number(process.env.BENCH_DRIFT_WAIT_SECONDS ?? 900);
const { work, stops } = benchWork('dg-bench-sync-');
const cp = await startControlPlane();
const git = await startGitServer();
const kubectl = mustKubectl(cp);

const signer = await createSshSigner(join(work, 'ssh'), 'Bench', 'bench@example.com');
const repo = await git.createRepo('bench');
mkdirSync(join(repo.work, 'apps'));
for (let i = 0; i < N; i++) {
  const obj =
    i % 2
      ? {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: `web-${i}` },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: `web-${i}` } },
            template: {
              metadata: { labels: { app: `web-${i}` } },
              spec: { containers: [{ name: 'web', image: 'registry.example/web:1.0' }] },
            },
          },
        }
      : {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}` },
          data: { v: String(i) },
        };
  writeFileSync(join(repo.work, 'apps', `obj-${String(i).padStart(5, '0')}.yaml`), stringify(obj));
}
await repo.commit({}, { signer, message: 'bench objects' });

const count = async (ns: string) =>
  (await kubectl(['get', 'configmaps,deployments', '-n', ns, '-o', 'name']))
    .split('\n')
    .filter((l) => l.startsWith('configmap/cm-') || l.startsWith('deployment.apps/')).length;

interface Row {
  peer: string;
  firstSync: number;
  cpu: number;
  rss: number;
  drift: number;
}

/** Steady state over STEADY_S, then one manual change: seconds until it is back. */
async function measure(peer: string, ns: string, pids: () => number[], t0: number): Promise<Row> {
  await waitFor(
    `${peer}: ${N} objects in ${ns}`,
    async () => (await count(ns)) === N,
    600_000,
    500,
  );
  const firstSync = (performance.now() - t0) / 1000;
  console.log(`${peer}: first sync of ${N} objects in ${firstSync.toFixed(1)} s`);
  const cpu0 = pids().reduce((s, p) => s + cpuSeconds(p), 0);
  await new Promise((r) => setTimeout(r, STEADY_S * 1000));
  const cpu = pids().reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
  const rss = pids().reduce((s, p) => s + memoryMiB(p).rss, 0);
  await kubectl(['patch', 'configmap', 'cm-0', '-n', ns, '-p', '{"data":{"v":"manual"}}']);
  const d0 = performance.now();
  const reverted = await waitFor(
    `${peer}: the manual change reverted`,
    async () =>
      (await kubectl(['get', 'configmap', 'cm-0', '-n', ns, '-o', 'jsonpath={.data.v}'])) === '0',
    DRIFT_WAIT_S * 1000,
    250,
  ).then(
    () => true,
    () => false,
  );
  if (!reverted) return { peer, firstSync, cpu, rss, drift: Infinity };
  return { peer, firstSync, cpu, rss, drift: (performance.now() - d0) / 1000 };
}

const rows: Row[] = [];
{
  const flux = await startFlux(cp, join(work, 'flux'));
  stops.push(() => flux.stop());
  await kubectl(['create', 'namespace', 'flux-apps']);
  const interval = `${INTERVAL_S}s`;
  const t0 = performance.now();
  await kubectl(
    ['apply', '-f', '-'],
    [
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'bench', namespace: 'flux-system' },
        spec: { url: repo.url, ref: { branch: 'main' }, interval },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'bench', namespace: 'flux-system' },
        spec: {
          sourceRef: { kind: 'GitRepository', name: 'bench' },
          path: './apps',
          prune: true,
          interval,
          targetNamespace: 'flux-apps',
          wait: false,
          // Its timeout defaults to the interval: at 10,000 objects one apply takes longer, and
          // every reconcile timed out (the objects landed, the Kustomization never got Ready).
          timeout: '10m',
        },
      },
    ]
      .map((d) => stringify(d))
      .join('---\n'),
  );
  const pids = () => [flux.source.pid ?? 0, flux.kustomize.pid ?? 0];
  rows.push(await measure('Flux v1.9.6 (source + kustomize controllers)', 'flux-apps', pids, t0));
  flux.stop();
}
{
  const cfg = join(work, 'driftgate.yaml');
  writeFileSync(
    cfg,
    stringify({
      namespace: 'driftgate-system',
      cacheDir: join(work, 'dg-cache'),
      host: '127.0.0.1',
      statusPort: await freePort(),
      metricsPort: await freePort(),
      logLevel: 'warn',
      sources: [
        {
          name: 'bench',
          repoURL: repo.url,
          ref: 'main',
          path: 'apps',
          destinationNamespace: 'dg-apps',
          createNamespace: true,
          interval: `${INTERVAL_S}s`,
          verification: {
            sshAllowedSigners: `bench@example.com namespaces="git" ${signer.publicKey}\n`,
          },
        },
      ],
    }),
  );
  const t0 = performance.now();
  const dg = spawn(
    process.execPath,
    [join(root, 'dist/cli/main.js'), 'reconcile', '--config', cfg],
    {
      env: {
        ...process.env,
        ...IMAGE_MALLOC_ENV,
        KUBECONFIG: cp.kubeconfigs.reconciler,
        NODE_OPTIONS: RECONCILER_NODE_OPTIONS,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  stops.push(() => dg.kill('SIGKILL'));
  rows.push(
    await measure(`driftgate (Node.js ${process.version})`, 'dg-apps', () => [dg.pid ?? 0], t0),
  );
  dg.kill('SIGKILL');
}

console.log(
  `\nsync of one Git repository, ${N} objects (half ConfigMaps, half Deployments), interval ${INTERVAL_S} s for both, one control plane`,
);
console.log(
  `${'peer'.padEnd(46)} first sync   CPU over ${STEADY_S} s idle   RSS MiB   manual change reverted after`,
);
for (const r of rows)
  console.log(
    `${r.peer.padEnd(46)} ${`${r.firstSync.toFixed(1)} s`.padStart(10)}   ${`${r.cpu.toFixed(1)} s`.padStart(17)}   ${String(r.rss).padStart(7)}   ${Number.isFinite(r.drift) ? `${r.drift.toFixed(1)} s` : `not within ${DRIFT_WAIT_S} s`}`,
  );
console.log(
  '(Flux corrects drift at its next Kustomization reconcile; driftgate watches what it applied)',
);
await git.stop();
await cp.stop();
process.exit(0);
