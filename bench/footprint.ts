// npm run bench:footprint — the reconciler as deployed (the chart's NODE_OPTIONS, the image's
// malloc setting) against the real apiserver:
//  1. memory on real content: one source of 300+ objects from the vendored public fixtures, with
//     26 CRDs of 6–833 KB (prometheus-operator, Argo Rollouts, CloudNativePG), process start to
//     Synced; peak RSS against 75 % of the chart's 384Mi limit;
//  2. idle CPU: 7 sources, 1,000 objects, 2-minute intervals, nothing changing, for 3 minutes;
//     CPU-seconds per minute against 1.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { execOk } from '../core/exec.js';
import { RECONCILER_NODE_OPTIONS } from '../core/node-options.js';
import { benchControlTokenFile, benchStatus, benchWork, spawnReconciler } from './support.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/processes.js';
import { createSshSigner } from '../test/support/signing.js';
import { toolPath } from '../test/support/tools.js';

const FIX = 'test/fixtures/public';
const CHART_LIMIT_MIB = 384;
const { work, stops } = benchWork('dg-bench-footprint-');
const cp = await startControlPlane();
stops.push(() => void cp.stop());
const git = await startGitServer();
stops.push(() => void git.stop());
const signer = await createSshSigner(join(work, 'ssh'), 'Bench', 'bench@example.com');
const repo = await git.createRepo('footprint');
const trust = { sshAllowedSigners: `bench@example.com namespaces="git" ${signer.publicKey}\n` };
const row = (label: string, value: string, ref = '') =>
  console.log(`${label.padEnd(46)} ${value.padStart(12)}   ${ref}`);
const ns = (name: string) => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

// 1. One source of real content, as a platform team would lay out an operator stack.
const mem = join(repo.work, 'stack');
mkdirSync(mem, { recursive: true });
cpSync(join(FIX, 'prometheus-operator/example'), join(mem, 'prometheus-operator'), {
  recursive: true,
});
cpSync(join(FIX, 'argo-rollouts/manifests/install.yaml'), join(mem, 'argo-rollouts.yaml'));
writeFileSync(
  join(mem, 'cloudnative-pg.yaml'),
  await execOk(toolPath('helm'), [
    'template',
    'cnpg',
    join(FIX, 'cloudnative-pg-charts/charts/cloudnative-pg'),
    '--namespace',
    'stack',
    '--kube-version',
    '1.35.4',
  ]),
);
const BOUTIQUES = 5;
const boutique = await execOk(toolPath('kustomize'), [
  'build',
  join(FIX, 'microservices-demo/kustomize/tests/memorystore-with-all-components'),
]);
writeFileSync(join(mem, 'namespaces.yaml'), ['argo-rollouts'].map(ns).join('---\n'));
for (let i = 1; i <= BOUTIQUES; i++) {
  writeFileSync(join(mem, `boutique-${i}-ns.yaml`), ns(`boutique-${i}`));
  writeFileSync(
    join(mem, `boutique-${i}.yaml`),
    boutique.replace(/^metadata:\n/gm, `metadata:\n  namespace: boutique-${i}\n`),
  );
}
const objects = Number(
  await execOk('bash', ['-c', `cat $(find ${mem} -name '*.yaml') | grep -c '^kind:'`]),
);
const crds = (
  await execOk('bash', [
    '-c',
    `for f in $(find ${mem} -name '*.yaml'); do awk '/^---/{if(k=="CustomResourceDefinition")print s; s=0; k=""} {s+=length($0)+1} /^kind:/{k=$2} END{if(k=="CustomResourceDefinition")print s}' $f; done`,
  ])
)
  .trim()
  .split('\n')
  .map(Number);
await repo.commit({}, { signer, message: 'stack' });

// 2. Seven sources of about 143 ConfigMaps each: 1,000 objects.
const IDLE_SOURCES = 7;
for (let s = 0; s < IDLE_SOURCES; s++)
  for (let i = 0; i < Math.ceil(1000 / IDLE_SOURCES); i++) {
    const dir = join(repo.work, `idle-${s}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `cm-${i}.yaml`),
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${i}` },
        data: { i: String(i) },
      }),
    );
  }
await repo.commit({}, { signer, message: 'idle sources' });

async function reconciler(
  name: string,
  sources: Record<string, unknown>[],
): Promise<{ port: number; pid: number; stop: () => void }> {
  const port = await freePort();
  const cfgFile = join(work, `${name}.yaml`);
  writeFileSync(
    cfgFile,
    stringify({
      namespace: 'driftgate-system',
      cacheDir: join(work, `cache-${name}`),
      host: '127.0.0.1',
      statusPort: port,
      metricsPort: await freePort(),
      controlTokenFile: benchControlTokenFile(work),
      logLevel: 'warn',
      sources,
    }),
  );
  const child = spawnReconciler(cfgFile, cp.kubeconfigs.reconciler);
  const stop = () => child.kill('SIGTERM');
  stops.push(stop);
  return { port, pid: child.pid ?? 0, stop };
}
const status = async (port: number, source: string) =>
  benchStatus<{
    syncStatus: string;
    objects: number;
    lastError: string | null;
  }>(port, source);
const procStatus = (pid: number, key: string): number =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const cpuSeconds = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};

console.log(
  `\nReconciler footprint (NODE_OPTIONS=${RECONCILER_NODE_OPTIONS}, the chart's default)`,
);
{
  const r = await reconciler('stack', [
    {
      name: 'stack',
      repoURL: repo.url,
      path: 'stack',
      destinationNamespace: 'stack',
      createNamespace: true,
      interval: '1h',
      allowedNamespaces: ['*'],
      clusterScopedKinds: ['*'],
      verification: trust,
    },
  ]);
  const t0 = performance.now();
  let last = { syncStatus: '', objects: 0, lastError: null as string | null };
  await waitFor(
    'stack synced',
    async () => {
      last = await status(r.port, 'stack').catch(() => last);
      return last.syncStatus === 'Synced';
    },
    600_000,
    250,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${JSON.stringify(last)}`);
  });
  const s = (performance.now() - t0) / 1000;
  const peak = Math.round(procStatus(r.pid, 'VmHWM') / 1024);
  const inRange = crds.filter((b) => b >= 100_000 && b <= 800_000).length;
  console.log(
    `one source, real content: ${objects} objects (${last.objects} in status), ${crds.length} CRDs of ${Math.round(Math.min(...crds) / 1000)}–${Math.round(Math.max(...crds) / 1000)} KB (${inRange} of 100–800 KB)`,
  );
  row('  first sync, process start to Synced', `${s.toFixed(1)} s`);
  row(
    '  peak RSS (VmHWM)',
    `${peak} MiB`,
    `target ≤ ${Math.round(CHART_LIMIT_MIB * 0.75)} MiB (75 % of the chart's ${CHART_LIMIT_MIB}Mi limit)`,
  );
  r.stop();
}

{
  const sources = Array.from({ length: IDLE_SOURCES }, (_, i) => ({
    name: `idle-${i}`,
    repoURL: repo.url,
    path: `idle-${i}`,
    destinationNamespace: `idle-${i}`,
    createNamespace: true,
    interval: '2m',
    verification: trust,
  }));
  const r = await reconciler('idle', sources);
  await waitFor(
    'idle sources synced',
    async () => {
      const all = await Promise.all(
        sources.map((s) => status(r.port, s.name).catch(() => ({ syncStatus: '' }))),
      );
      return all.every((x) => x.syncStatus === 'Synced');
    },
    600_000,
    500,
  );
  const MINUTES = Number(process.env.BENCH_IDLE_MINUTES ?? 3);
  const c0 = cpuSeconds(r.pid);
  await new Promise((res) => setTimeout(res, MINUTES * 60_000));
  const perMinute = (cpuSeconds(r.pid) - c0) / MINUTES;
  console.log(
    `idle: ${IDLE_SOURCES} sources, ${IDLE_SOURCES * Math.ceil(1000 / IDLE_SOURCES)} objects, 2-minute intervals, nothing changing, ${MINUTES} minutes`,
  );
  row('  CPU per minute', `${perMinute.toFixed(2)} s`, 'target ≤ 1 CPU-second per minute');
  row('  RSS after', `${Math.round(procStatus(r.pid, 'VmRSS') / 1024)} MiB`);
  r.stop();
}
process.exit(0);
