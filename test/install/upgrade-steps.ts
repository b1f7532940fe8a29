// The last release to this one and back on the real node: v0.1.0 installed from its own chart
// (it had no OCI release), `helm upgrade` to this release from oci:// after verifying it, then
// `helm rollback` to v0.1.0, with admission writes and Git commits flowing throughout.
import type { Test } from 'tap';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ControlPlane } from '../support/control-plane.js';
import type { GitRepo } from '../support/git-server.js';
import { waitFor } from '../support/processes.js';
import type { Registry } from '../support/registry.js';
import { gitSourceManifest } from '../support/gitsources.js';
import { configMap } from '../support/reconciler.js';
import type { Signer } from '../support/signing.js';
import { cosignVerify, type Release } from './release-install.js';
import { syncLag, type SyncLag } from './sync-lag.js';
import type { TaggedRelease } from './tagged-release.js';
import { admissionWriter, type WriterResult } from './writer.js';

/**
 * Beyond one interval, what a commit may wait while the reconciler's leader changes: the old
 * leader releases its Lease when it stops, a follower asks again within renewEvery (5 s), then
 * syncs; plus 5 s for the sync itself and this test's 200 ms polling on a loaded machine.
 */
const HANDOVER_MS = 10_000;

type Run = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export interface UpgradeContext {
  readonly cp: ControlPlane;
  readonly helm: Run;
  readonly kubectl: (args: string[], input?: string) => Promise<string>;
  readonly registry: Registry;
  readonly release: Release;
  readonly releaseName: string;
  readonly namespace: string;
  /** The GitSource kept from earlier steps: namespace, name, its repository and signer. */
  readonly source: { namespace: string; name: string; repo: GitRepo; signer: Signer };
  /** Its spec.interval in milliseconds. */
  readonly intervalMs: number;
}

const podImages = async (c: UpgradeContext, component: string): Promise<string[]> =>
  (
    await c.kubectl([
      'get',
      'pods',
      '-n',
      c.namespace,
      '-l',
      `app.kubernetes.io/component=${component}`,
      '-o',
      'jsonpath={.items[*].spec.containers[0].image}',
    ])
  )
    .split(' ')
    .filter(Boolean);

/** Every webhook and reconciler pod runs `image` (the old ones drained and gone). */
async function allOn(c: UpgradeContext, image: string): Promise<void> {
  await waitFor(
    `every driftgate pod on ${image}`,
    async () => {
      const all = [...(await podImages(c, 'webhook')), ...(await podImages(c, 'reconciler'))];
      return all.length === 4 && all.every((i) => i === image);
    },
    180_000,
    500,
  );
}

/** The kept GitSource's status.lastAppliedRevision. */
const appliedRevision = async (c: UpgradeContext): Promise<string> =>
  (
    await c.kubectl([
      'get',
      'gitsource',
      c.source.name,
      '-n',
      c.source.namespace,
      '-o',
      'jsonpath={.status.lastAppliedRevision}',
    ])
  ).trim();

const gitSources = async (c: UpgradeContext): Promise<string> =>
  (await c.kubectl(['get', 'gitsources', '-A', '-o', 'name'])).trim();

/**
 * Run `change` (a helm upgrade or rollback) while admission writes go on and commits are pushed
 * every second; resolves the writes, the sync lag and the GitSources before and after.
 */
async function during(
  c: UpgradeContext,
  what: string,
  change: () => Promise<void>,
): Promise<{ writes: WriterResult; lag: SyncLag; before: string; after: string }> {
  const before = await gitSources(c);
  const writer = admissionWriter(c.cp.kubeConfig().makeApiClient(CoreV1Api), 'apps', what);
  await writer.until(5);
  const { repo, signer } = c.source;
  const lag = syncLag({
    commit: (i) =>
      repo.commit({ 'app/tick.yaml': configMap('tick', { n: String(i) }) }, { signer }),
    applied: () => appliedRevision(c),
    everyMs: 1000,
  });
  await change();
  const writes = await writer.stop();
  return { writes, lag: await lag.stop(3 * c.intervalMs), before, after: await gitSources(c) };
}

export async function installTagged(t: Test, c: UpgradeContext, old: TaggedRelease) {
  const r = await c.helm([
    'install',
    c.releaseName,
    old.chartDir,
    '-n',
    c.namespace,
    '--create-namespace',
    '--wait',
    '--timeout',
    '240s',
    '--set',
    `image.repository=${c.registry.host}/driftgate`,
    '--set',
    `image.tag=${old.version}`,
  ]);
  t.equal(r.code, 0, `helm install ${old.version}: ${r.stderr}`);
  await allOn(c, `${c.registry.host}/driftgate:${old.version}`);
  // --wait returns once the pods are Ready; kube-proxy routes the Service a moment later.
  await waitFor(
    'the webhook answering through its Service',
    async () =>
      (await c.cp.kubectl(['create', 'configmap', 'probe', '-n', 'default', '--dry-run=server']))
        .code === 0,
    60_000,
    250,
  );
  const { repo, signer } = c.source;
  // A GitSource created under the last release, beside the one kept from before.
  await repo.commit(
    { 'extra/cm.yaml': configMap('extra', { made: 'under the last release' }) },
    {
      signer,
    },
  );
  await c.kubectl(
    ['apply', '-f', '-'],
    gitSourceManifest(c.source.namespace, 'extra', {
      repoURL: repo.url,
      path: 'extra',
      interval: '10s',
      serviceAccountName: 'deployer',
    }),
  );
  const extra = () =>
    c.kubectl(['get', 'configmap', 'extra', '-n', c.source.namespace, '-o', 'name']);
  await waitFor(
    `${old.version} applying a GitSource created under it`,
    async () => (await extra()).trim() === 'configmap/extra',
    120_000,
    500,
  );
  const head = await repo.commit({ 'app/tick.yaml': configMap('tick', { n: 'old' }) }, { signer });
  await waitFor(
    `${old.version} applies the kept GitSource's new commit`,
    async () => (await appliedRevision(c)) === head,
    120_000,
    500,
  );
}

export async function upgradeFromTagged(t: Test, c: UpgradeContext, old: TaggedRelease) {
  const chart = await cosignVerify(
    `${c.registry.host}/charts/driftgate:${c.release.version}`,
    c.release.pub,
    c.registry.caFile,
  );
  if (!chart.ok) return void t.fail(`the release's chart does not verify: ${chart.reason}`);
  const seen = await during(c, 'upgrade', async () => {
    const r = await c.helm([
      'upgrade',
      c.releaseName,
      `oci://${c.registry.host}/charts/driftgate@${chart.digest}`,
      '--ca-file',
      c.registry.caFile,
      '-n',
      c.namespace,
      // This release's defaults under the values the user set for the last one.
      '--reset-then-reuse-values',
      '--set',
      `image.repository=${c.registry.host}/driftgate`,
      '--set',
      'image.tag=',
      '--wait',
      '--timeout',
      '240s',
    ]);
    t.equal(r.code, 0, `helm upgrade ${old.version} → ${c.release.version}: ${r.stderr}`);
    await allOn(c, c.release.image);
  });
  t.equal(seen.after, seen.before, 'no GitSource lost');
  t.ok(seen.lag.commits >= 5, `${seen.lag.commits} commits pushed during the upgrade`);
  t.equal(seen.lag.applied, seen.lag.commits, 'every one applied');
  t.ok(
    seen.lag.maxLagMs <= c.intervalMs + HANDOVER_MS,
    `longest commit-to-applied during the upgrade: ${seen.lag.maxLagMs} ms (interval ${c.intervalMs} ms)`,
  );
  t.ok(seen.writes.ok >= 20, `${seen.writes.ok} writes admitted during the upgrade`);
  // The pods that drain here run the last release's code: its rollout race (a review sent on a
  // keep-alive connection the draining pod closes: EOF or a reset, fixed in this release) is the
  // one failure it may still cause. Nothing else may fail (no endpoints, refused, denied).
  t.comment(
    `failed admission writes while ${old.version}'s pods drained: ${seen.writes.failures.length}`,
  );
  t.same(
    seen.writes.failures.filter(
      (f) => !/failed calling webhook.*(EOF|connection reset by peer)/.test(f),
    ),
    [],
    `no failed write but ${old.version}'s known drain race`,
  );
  const served = await c.kubectl(['get', 'crd', 'gitsources.driftgate.io', '-o', 'json']);
  t.match(served, '"meta.helm.sh/release-name"', 'the release owns the CRD now');
  t.match(served, '"name": "Signer"', "and it is this release's schema (the Signer column)");
}

export async function rollBackToTagged(t: Test, c: UpgradeContext, old: TaggedRelease) {
  const seen = await during(c, 'rollback', async () => {
    const r = await c.helm([
      'rollback',
      c.releaseName,
      '-n',
      c.namespace,
      '--wait',
      '--timeout',
      '240s',
    ]);
    t.equal(r.code, 0, `helm rollback: ${r.stderr}`);
    await allOn(c, `${c.registry.host}/driftgate:${old.version}`);
  });
  t.equal(seen.after, seen.before, 'no GitSource lost: the CRD is kept');
  t.equal(seen.lag.applied, seen.lag.commits, `all ${seen.lag.commits} commits applied`);
  t.ok(
    seen.lag.maxLagMs <= c.intervalMs + HANDOVER_MS,
    `longest commit-to-applied during the rollback: ${seen.lag.maxLagMs} ms (interval ${c.intervalMs} ms)`,
  );
  t.ok(seen.writes.ok >= 20, `${seen.writes.ok} writes admitted during the rollback`);
  t.same(seen.writes.failures, [], "no write failed while this release's pods drained");
}
