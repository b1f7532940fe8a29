// npm run bench:reconcile — first sync of 1,000 and 10,000 objects (ConfigMaps and Deployments)
// against the real apiserver, with time and the reconciler's peak RSS; drift-revert latency over
// 100 manual changes; isomorphic-git against the native git CLI on a 10,000-file repo.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { execOk } from '../core/exec.js';
import { RECONCILER_NODE_OPTIONS } from '../core/node-options.js';
import { benchControlTokenFile, benchStatus, spawnReconciler } from './support.js';
import { GitSource } from '../reconciler/source/git-source.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/processes.js';
import { createSshSigner } from '../test/support/signing.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const work = mkdtempSync(join(tmpdir(), 'dg-bench-rec-'));
const cp = await startControlPlane();
const git = await startGitServer();
const cleanup = async () => {
  await git.stop();
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
};
const signer = await createSshSigner(join(work, 'ssh'), 'Bench', 'bench@example.com');
const repo = await git.createRepo('bench');

const cm = (i: number) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: `cm-${i}` },
  data: { index: String(i), payload: 'x'.repeat(200) },
});
const deploy = (i: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: `web-${i}`, labels: { app: `web-${i}` } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: `web-${i}` } },
    template: {
      metadata: { labels: { app: `web-${i}` } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'registry.example/web:1.0',
            resources: { requests: { cpu: '10m', memory: '16Mi' } },
          },
        ],
      },
    },
  },
});
console.log(
  `writing ${SIZES.join(' + ')} manifests (half ConfigMaps, half Deployments), one file each`,
);
for (const n of SIZES) {
  const dir = join(repo.work, `n${n}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++)
    writeFileSync(
      join(dir, `obj-${String(i).padStart(5, '0')}.yaml`),
      stringify(i % 2 ? deploy(i) : cm(i)),
    );
}
await repo.commit({}, { signer, message: 'bench objects' });

const row = (label: string, value: string, ref = '') =>
  console.log(`${label.padEnd(44)} ${value.padStart(12)}   ${ref}`);
console.log('');

// isomorphic-git vs native git on the largest tree.
{
  const files = Number(
    await execOk('git', ['-C', repo.work, 'ls-files']).then((o) => o.trim().split('\n').length),
  );
  const nativeDir = join(work, 'native.git');
  let t0 = performance.now();
  await execOk('git', ['clone', '-q', '--bare', repo.url, nativeDir]);
  const nativeClone = performance.now() - t0;
  const src = new GitSource({ url: repo.url, ref: 'main', cacheDir: join(work, 'iso') });
  t0 = performance.now();
  const { commit } = await src.fetch();
  const isoFetch = performance.now() - t0;
  t0 = performance.now();
  const tree = await src.readTree(commit, '');
  const isoRead = performance.now() - t0;
  await repo.commit(
    { 'n1000/obj-00000.yaml': stringify({ ...cm(0), data: { index: '0', payload: 'changed' } }) },
    { signer },
  );
  t0 = performance.now();
  await execOk('git', [
    '-C',
    nativeDir,
    'fetch',
    '-q',
    'origin',
    '+refs/heads/main:refs/heads/main',
  ]);
  const nativeInc = performance.now() - t0;
  t0 = performance.now();
  const next = await src.fetch(commit);
  await src.readTree(next.commit, '');
  const isoInc = performance.now() - t0;
  console.log(
    `Git (${files} files, ${tree.size} read from the object store)          driftgate (isomorphic-git)   native git CLI`,
  );
  row(
    '  first fetch (no worktree)',
    `${isoFetch.toFixed(0)} ms`,
    `git clone --bare: ${nativeClone.toFixed(0)} ms`,
  );
  row('  read every file from the object store', `${isoRead.toFixed(0)} ms`);
  row(
    '  one new commit: fetch + re-read changed',
    `${isoInc.toFixed(0)} ms`,
    `git fetch: ${nativeInc.toFixed(0)} ms`,
  );
  console.log('');
}

async function runReconciler(
  n: number,
): Promise<{ ms: number; rssMiB: number; port: number; stop: () => void; ns: string }> {
  const ns = `bench-${n}`;
  const port = await freePort();
  const cfgFile = join(work, `rec-${n}.yaml`);
  writeFileSync(
    cfgFile,
    stringify({
      namespace: 'driftgate-system',
      cacheDir: join(work, `cache-${n}`),
      host: '127.0.0.1',
      statusPort: port,
      metricsPort: await freePort(),
      controlTokenFile: benchControlTokenFile(work),
      logLevel: 'warn',
      sources: [
        {
          name: ns,
          repoURL: repo.url,
          ref: 'main',
          path: `n${n}`,
          destinationNamespace: ns,
          createNamespace: true,
          interval: '1h',
          verification: {
            sshAllowedSigners: `bench@example.com namespaces="git" ${signer.publicKey}\n`,
          },
        },
      ],
    }),
  );
  const t0 = performance.now();
  // The deployed heap bounds and malloc setting, so the RSS is what production sees.
  const child = spawnReconciler(cfgFile, cp.kubeconfigs.reconciler);

  await waitFor(
    `${n} objects synced`,
    async () => {
      const st = await benchStatus<{ syncStatus: string; objects: number }>(port, ns);
      return st.syncStatus === 'Synced' && st.objects === n;
    },
    600_000,
    100,
  );
  const ms = performance.now() - t0;
  const rssMiB = Math.round(
    Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) /
      1024,
  );
  return { ms, rssMiB, port, ns, stop: () => child.kill('SIGTERM') };
}

console.log(
  `First sync (process start to Synced; verify, render, diff, server-side apply, inventory; NODE_OPTIONS=${RECONCILER_NODE_OPTIONS})`,
);
let small: Awaited<ReturnType<typeof runReconciler>> | undefined;
for (const n of SIZES) {
  const r = await runReconciler(n);
  row(
    `  ${n} objects`,
    `${(r.ms / 1000).toFixed(1)} s`,
    `peak RSS ${r.rssMiB} MiB   (targets for 10k: ≤ 60 s, ≤ 300 MiB)`,
  );
  if (!small) small = r;
  else r.stop();
}

// Drift reverts: change a declared field, time until the live value is Git's again.
if (small) {
  const core = cp.kubeConfig().makeApiClient(CoreV1Api);
  const lat: number[] = [];
  for (let i = 0; i < 100; i++) {
    const name = `cm-${(i * 2) % 1000}`;
    await core.patchNamespacedConfigMap({
      name,
      namespace: small.ns,
      body: [{ op: 'replace', path: '/data/index', value: 'manual' }],
    });
    const t0 = performance.now();
    await waitFor(
      'revert',
      async () =>
        (await core.readNamespacedConfigMap({ name, namespace: small?.ns ?? '' })).data?.index !==
        'manual',
      10_000,
      2,
    );
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) =>
    lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
  console.log('');
  row(
    'Drift revert latency, 100 manual changes',
    `p50 ${pct(50).toFixed(0)} ms`,
    `p99 ${pct(99).toFixed(0)} ms   (target p99 ≤ 1000 ms)`,
  );
  small.stop();
}
await cleanup();
process.exit(0);
