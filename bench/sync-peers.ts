// npm run bench:sync-peers — one Git repository (BENCH_OBJECTS objects, half ConfigMaps, half
// Deployments, one file each) synced on one real control plane by Flux (its real
// source-controller and kustomize-controller: GitRepository + Kustomization, prune on), by Argo CD
// (its real application-controller and repo-server: an Application with automated sync, prune and
// selfHeal) and by driftgate (the reconciler CLI, signed commit verified), one after the other,
// each into its own namespace, all with the same interval (BENCH_PEERS picks the peers): first
// sync, steady-state CPU and RSS, how long a manual change (no admission webhook installed)
// stays before it is reverted, and how long a pushed commit takes to be applied, polled and
// triggered. The figures are in bench/peers/sync-measure.ts.
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CoreV1Api } from '@kubernetes/client-node';
import { startControlPlane } from '../test/support/control-plane.js';
import { mustKubectl } from '../test/support/gitsources.js';
import { startGitServer } from '../test/support/git-server.js';
import { freePort } from '../test/support/ports.js';
import { createSshSigner } from '../test/support/signing.js';
import { argoApplication, argoPush, startArgoCD } from './peers/argocd.js';
import { startFlux } from './peers/flux.js';
import { summarize } from './peers/profile.js';
import { profileWindow } from './peers/cdp.js';
import {
  measureSync,
  printSyncTable,
  type SyncBench,
  type SyncPeer,
  type SyncRow,
} from './peers/sync-measure.js';
import { benchWork, spawnReconciler } from './support.js';

const root = join(import.meta.dirname, '..');
const N = Number(process.env.BENCH_OBJECTS ?? 1000);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_SECONDS ?? 30);
const STEADY_S = Number(process.env.BENCH_STEADY_SECONDS ?? 60);
// How long the first sync may take before the bench gives up on a system, and how long a revert
// or a commit may take before it counts as not done (a system stuck at 10,000 objects would
// otherwise hold the run for three more full waits).
const WAIT_S = Number(process.env.BENCH_WAIT_SECONDS ?? 900);
const CHANGE_WAIT_S = Number(process.env.BENCH_CHANGE_WAIT_SECONDS ?? WAIT_S);
const PROFILE = process.env.BENCH_PROFILE === '1';
// BENCH_PROFILE=commit: a CPU profile of the triggered commit alone (push to applied).
const PROFILE_COMMIT = process.env.BENCH_PROFILE === 'commit';
let profile = '';
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

const core = cp.kubeConfig().makeApiClient(CoreV1Api);
const bench: SyncBench = {
  kubectl: (args, input) => kubectl(args, input),
  api: {
    value: async (namespace, name) =>
      (await core.readNamespacedConfigMap({ name, namespace })).data?.v,
    setValue: async (namespace, name, v) => {
      await core.patchNamespacedConfigMap({
        name,
        namespace,
        body: [{ op: 'replace', path: '/data/v', value: v }],
      });
    },
  },
  objects: N,
  steadySeconds: STEADY_S,
  settleSeconds: Number(process.env.BENCH_SETTLE_SECONDS ?? INTERVAL_S),
  waitSeconds: WAIT_S,
  changeWaitSeconds: CHANGE_WAIT_S,
  async commitValue(value) {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm-2' },
      data: { v: value },
    };
    await repo.commit({ 'apps/obj-00002.yaml': stringify(cm) }, { signer, message: value });
  },
};
const want = (process.env.BENCH_PEERS ?? 'flux,argocd').split(',');
const annotate = (what: string[], key: string, value: string) =>
  kubectl(['annotate', ...what, `${key}=${value}`, '--overwrite']);

const rows: SyncRow[] = [];
if (want.includes('flux')) {
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
  const peer: SyncPeer = {
    label: `Flux ${flux.version} (source + kustomize)`,
    namespace: 'flux-apps',
    pids: () => [flux.source.pid ?? 0, flux.kustomize.pid ?? 0],
    // What its notification-controller's Receiver does on a push: the module proxy refuses
    // github.com/fluxcd/notification-controller (403), so the Receiver cannot run here.
    trigger: async () => {
      await annotate(
        ['gitrepository', 'bench', '-n', 'flux-system'],
        'reconcile.fluxcd.io/requestedAt',
        new Date().toISOString(),
      );
    },
  };
  rows.push(await measureSync(bench, peer, t0));
  flux.stop();
}
if (want.includes('argocd')) {
  const argo = await startArgoCD(cp, join(work, 'argocd'), INTERVAL_S);
  stops.push(() => argo.stop());
  const t0 = performance.now();
  await kubectl(['apply', '-f', '-'], argoApplication(repo.url, 'apps', 'argo-apps'));
  const peer: SyncPeer = {
    label: `Argo CD ${argo.version} (controller, repo-server, server, redis)`,
    namespace: 'argo-apps',
    pids: () => [
      argo.controller.pid ?? 0,
      argo.repoServer.pid ?? 0,
      argo.redis.pid ?? 0,
      argo.server.pid ?? 0,
    ],
    // Its API server's push webhook, sent what GitHub sends.
    trigger: async () =>
      argoPush(argo.webhookURL, repo.url, (await repo.git(['rev-parse', 'HEAD'])).trim(), [
        'apps/obj-00002.yaml',
      ]),
  };
  rows.push(await measureSync(bench, peer, t0));
  argo.stop();
}
{
  const cfg = join(work, 'driftgate.yaml');
  const hookSecret = 'bench-hook-secret';
  writeFileSync(join(work, 'hook-secret'), hookSecret);
  const statusPort = await freePort();
  const metricsPort = await freePort();
  writeFileSync(
    cfg,
    stringify({
      namespace: 'driftgate-system',
      cacheDir: join(work, 'dg-cache'),
      host: '127.0.0.1',
      statusPort,
      metricsPort,
      webhookSecretFile: join(work, 'hook-secret'),
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
  const inspectPort = await freePort();
  // BENCH_PROFILE=1: a V8 CPU profile of the whole run, summarized at the end.
  const dg = spawnReconciler(
    cfg,
    cp.kubeconfigs.reconciler,
    PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'profile')}`]
      : PROFILE_COMMIT
        ? [`--inspect=127.0.0.1:${inspectPort}`]
        : [],
  );
  let stopProfile: (() => Promise<void>) | undefined;

  stops.push(() => dg.kill('SIGKILL'));
  const push = JSON.stringify({ repository: { url: repo.url } });
  const peer: SyncPeer = {
    label: `driftgate (Node.js ${process.version})`,
    namespace: 'dg-apps',
    // 100 manual changes timed (BENCH_DRIFT_SAMPLES): it reverts by watch, at once.
    driftSamples: Number(process.env.BENCH_DRIFT_SAMPLES ?? 100),
    pids: () => [dg.pid ?? 0],
    // Its push webhook: POST /hooks/git, HMAC-signed.
    trigger: async () => {
      if (PROFILE_COMMIT)
        stopProfile = await profileWindow(inspectPort, join(work, 'profile'), 'commit');
      const sig = `sha256=${createHmac('sha256', hookSecret).update(push).digest('hex')}`;
      const res = await fetch(`http://127.0.0.1:${statusPort}/hooks/git`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-driftgate-signature': sig },
        body: push,
      });
      if (res.status !== 202) throw new Error(`POST /hooks/git: HTTP ${res.status}`);
    },
  };
  rows.push(await measureSync(bench, peer, t0));
  if (stopProfile) {
    await stopProfile();
    profile = summarize(join(work, 'profile'), root, 25);
  }
  // How many of its interval resyncs found nothing to read or apply.
  const m = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const count = (re: RegExp) => Number(re.exec(m)?.[1] ?? NaN);
  console.log(
    `driftgate: ${count(/^driftgate_resync_skipped_total\{source="bench"\} (\S+)/m)} resyncs skipped of ${count(/^driftgate_reconcile_total\{source="bench",result="success"\} (\S+)/m)} reconciles`,
  );
  // SIGTERM: the reconciler stops cleanly, and node writes the profile on the way out.
  const exited = new Promise((r) => dg.once('exit', r));
  dg.kill(PROFILE ? 'SIGTERM' : 'SIGKILL');
  await exited;
  if (PROFILE) profile = summarize(join(work, 'profile'), root);
}

printSyncTable(rows, bench, INTERVAL_S);
if (profile)
  console.log(
    `\ndriftgate, ${PROFILE_COMMIT ? 'the triggered commit, push to applied' : 'whole run (first sync, steady state, drift, commits)'}: ${profile}`,
  );
console.log(
  '(Flux corrects drift at its next Kustomization reconcile; Argo CD and driftgate watch what they applied. Triggered: driftgate POST /hooks/git and Argo CD /api/webhook, each sent a push; Flux the annotation its Receiver sets, since notification-controller cannot be built here)',
);
await git.stop();
await cp.stop();
process.exit(0);
