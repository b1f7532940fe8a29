// Shards on the real control plane: BENCH_SOURCES GitSources of BENCH_OBJECTS_PER_SOURCE
// ConfigMaps each, split across BENCH_REPLICAS reconciler processes (the compiled CLI, the chart's
// heap bounds) by rendezvous hashing over membership Leases. Measures the first sync, steady CPU
// and memory per replica, and, after SIGKILL of a replica that does not lead, the time until the
// survivors run its GitSources and until they have synced them. The reference is the same
// GitSources on one replica (BENCH_BASELINE=1, same run). The issue's size is BENCH_SOURCES=1000
// BENCH_OBJECTS_PER_SOURCE=100 (100,000 objects).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../test/support/gitsources.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/processes.js';
import { createSshSigner } from '../test/support/signing.js';
import { toolPath } from '../test/support/tools.js';
import { cpuSeconds, memoryMiB } from './peers/proc.js';
import {
  BENCH_CONTROL_TOKEN,
  benchControlTokenFile,
  benchWork,
  spawnReconciler,
} from './support.js';

const SOURCES = Number(process.env.BENCH_SOURCES ?? 100);
const PER = Number(process.env.BENCH_OBJECTS_PER_SOURCE ?? 100);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 3);
const REPOS = Math.min(SOURCES, Number(process.env.BENCH_REPOS ?? 20));
const NAMESPACES = Math.min(SOURCES, 10);
const STEADY_S = Number(process.env.BENCH_STEADY_SECONDS ?? 60);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_SECONDS ?? 60);
const WAIT_MS = Number(process.env.BENCH_WAIT_SECONDS ?? 1800) * 1000;
const BASELINE = process.env.BENCH_BASELINE === '1';
// The chart's heap bound (128 MiB old space) holds about 10,000 objects; a replica with a third
// of 100,000 needs more: BENCH_HEAP_MIB sets --max-old-space-size (unset: the chart's).
const HEAP = process.env.BENCH_HEAP_MIB;

const { work, stops } = benchWork('dg-bench-shards-');
const cp = await startControlPlane();
const git = await startGitServer();
const kubectl = mustKubectl(cp);
const signer = await createSshSigner(join(work, 'ssh'), 'Bench', 'bench@example.com');
await installGitSourceApi(cp);
const ns = (i: number, prefix = 'tenant') => `${prefix}-${i % NAMESPACES}`;
for (let j = 0; j < NAMESPACES; j++) await trustingNamespace(cp, ns(j), signer);
if (process.env.BENCH_BASELINE === '1')
  for (let j = 0; j < NAMESPACES; j++) await trustingNamespace(cp, ns(j, 'base'), signer);

// Sources spread over REPOS repositories, one path each.
const started = Date.now();
const repos = await Promise.all(Array.from({ length: REPOS }, (_, r) => git.createRepo(`r${r}`)));
for (let i = 0; i < SOURCES; i++) {
  const repo = repos[i % REPOS];
  if (!repo) throw new Error('no repository');
  mkdirSync(join(repo.work, `s${i}`));
  for (let k = 0; k < PER; k++)
    writeFileSync(
      join(repo.work, `s${i}`, `cm-${k}.yaml`),
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `s${i}-${k}` },
        data: { v: String(k) },
      }),
    );
}
const revisions = new Map<number, string>();
for (const [r, repo] of repos.entries())
  revisions.set(r, await repo.commit({}, { signer, message: 'bench objects' }));
console.log(
  `${SOURCES * PER} objects in ${REPOS} repositories written in ${(Date.now() - started) / 1000} s`,
);
const manifests = (prefix: string) =>
  Array.from({ length: SOURCES }, (_, i) =>
    gitSourceManifest(ns(i, prefix), `s${i}`, {
      repoURL: repos[i % REPOS]?.url,
      path: `s${i}`,
      interval: `${INTERVAL_S}s`,
    }),
  ).join('\n---\n');

const tokenFile = benchControlTokenFile(work);
writeFileSync(join(work, 'state-token'), 'bench-state-t0ken\n');
interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
}
const startReplica = async (name: string, sharded: boolean): Promise<Replica> => {
  const port = await freePort();
  const config = join(work, `${name}.yaml`);
  writeFileSync(
    config,
    stringify({
      namespace: 'driftgate-system',
      cacheDir: join(work, `cache-${name}`),
      host: '127.0.0.1',
      statusPort: port,
      metricsPort: await freePort(),
      controlTokenFile: tokenFile,
      stateTokenFile: join(work, 'state-token'),
      kustomizePath: toolPath('kustomize'),
      helmPath: toolPath('helm'),
      policies: { opaPath: toolPath('opa') },
      logLevel: 'warn',
      gitSources: { enabled: true },
      leaderElection: {
        enabled: true,
        identity: name,
        leaseName: sharded ? 'bench-shards' : `bench-single-${name}`,
        ...(sharded ? { shards: { enabled: true, address: `http://127.0.0.1:${port}` } } : {}),
      },
    }),
  );
  const child = spawnReconciler(config, cp.kubeconfigs.reconciler, [
    ...(HEAP ? [`--max-old-space-size=${HEAP}`] : []),
    // Diagnostics, e.g. --heapsnapshot-near-heap-limit=1 --diagnostic-dir=/tmp/heap
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ]);
  stops.push(() => child.kill('SIGKILL'));
  return { name, child, port };
};
const runs = async (r: Replica): Promise<Map<string, string | null>> => {
  try {
    const res = await fetch(`http://127.0.0.1:${r.port}/status`, {
      headers: { authorization: `Bearer ${BENCH_CONTROL_TOKEN}` },
      signal: AbortSignal.timeout(30_000),
    });
    const list = (await res.json()) as { name: string; revision: string | null }[];
    return new Map(list.map((s) => [s.name, s.revision]));
  } catch {
    return new Map();
  }
};
const revisionOf = (name: string): string | undefined => {
  const i = Number(/\.s(\d+)$/.exec(name)?.[1]);
  return revisions.get(i % REPOS);
};
/** Seconds until every GitSource is synced at its commit on one of `rs`. */
const allSynced = async (rs: readonly Replica[], since: number): Promise<number> => {
  await waitFor(
    'every GitSource synced',
    async () => {
      const maps = await Promise.all(rs.map(runs));
      let n = 0;
      for (const m of maps) for (const [s, rev] of m) if (rev === revisionOf(s)) n++;
      return n === SOURCES;
    },
    WAIT_MS,
    2000,
  );
  return (Date.now() - since) / 1000;
};
const steady = async (rs: readonly Replica[]) => {
  await new Promise((r) => setTimeout(r, INTERVAL_S * 1000));
  const before = rs.map((r) => cpuSeconds(r.child.pid ?? 0));
  await new Promise((r) => setTimeout(r, STEADY_S * 1000));
  return rs.map((r, i) => ({
    cpu: cpuSeconds(r.child.pid ?? 0) - (before[i] ?? 0),
    ...memoryMiB(r.child.pid ?? 0),
  }));
};

const lines: string[] = [];
if (BASELINE) {
  const one = await startReplica('single', false);
  const t0 = Date.now();
  await kubectl(['apply', '-f', '-'], manifests('base'));
  const first = await allSynced([one], t0);
  const [m] = await steady([one]);
  lines.push(
    `| one replica (reference) | ${SOURCES} | ${first.toFixed(1)} s | ${m?.cpu.toFixed(1)} s | ${m?.rss} MiB (peak ${m?.peak}) | — |`,
  );
  one.child.kill('SIGKILL');
  // Its GitSources go (their objects stay, in their own namespaces): the shards take only theirs.
  for (let j = 0; j < NAMESPACES; j++)
    await kubectl(['delete', 'gitsources', '--all', '-n', ns(j, 'base')]);
}

const replicas: Replica[] = [];
for (let r = 0; r < REPLICAS; r++) replicas.push(await startReplica(`replica-${r}`, true));
const t0 = Date.now();
await kubectl(['apply', '-f', '-'], manifests('tenant'));
const first = await allSynced(replicas, t0);
console.log(`every GitSource synced after ${first.toFixed(1)} s`);
const per = await steady(replicas);
const counts = await Promise.all(replicas.map(async (r) => (await runs(r)).size));
const leader = await Promise.all(
  replicas.map(async (r) => (await fetch(`http://127.0.0.1:${r.port}/readyz`)).status === 200),
);
const victimAt = replicas.findIndex((_, i) => !leader[i] && (counts[i] ?? 0) > 0);
const victim = replicas[victimAt];
if (!victim) throw new Error('no replica that does not lead owns a GitSource');
const moved = [...(await runs(victim)).keys()];
const rest = replicas.filter((r) => r !== victim);
const killed = Date.now();
victim.child.kill('SIGKILL');
await waitFor(
  'the survivors run every GitSource',
  async () => (await Promise.all(rest.map(runs))).reduce((n, m) => n + m.size, 0) === SOURCES,
  WAIT_MS,
  250,
);
const takenOver = (Date.now() - killed) / 1000;
const resynced = await allSynced(rest, killed);
for (const [i, r] of replicas.entries())
  lines.push(
    `| ${r.name}${leader[i] ? ' (leader)' : ''}${r === victim ? ' (killed)' : ''} | ${counts[i]} | ${first.toFixed(1)} s | ${per[i]?.cpu.toFixed(1)} s | ${per[i]?.rss} MiB (peak ${per[i]?.peak}) | ${r === victim ? `${moved.length} GitSources run elsewhere after ${takenOver.toFixed(1)} s, synced after ${resynced.toFixed(1)} s` : ''} |`,
  );

console.log(
  `\n## Shards: ${SOURCES} GitSources, ${SOURCES * PER} objects, ${REPLICAS} replicas (lease 15 s, renew 5 s; interval ${INTERVAL_S} s; steady window ${STEADY_S} s; heap ${HEAP ? `${HEAP} MiB` : "the chart's"}; 4 reconciles at once per replica)\n`,
);
console.log('| replica | GitSources | first sync (all) | steady CPU | RSS | after SIGKILL |');
console.log('|---|---|---|---|---|---|');
for (const l of lines) console.log(l);
process.exit(0);
