// The SourceReconciler shell over a fake Git history, a fake verifier and a fake cluster: what
// one reconcile records (status, errors, inventory) from its stages' results. Real Git, real
// signatures and a real apiserver run in sync.e2e and verification.e2e.
import { ApiException } from '@kubernetes/client-node';
import { pino } from 'pino';
import { stringify } from 'yaml';
import t from 'tap';
import { ReconcilerMetrics } from '../../reconciler/metrics.js';
import { refOf, type K8sObject } from '../../reconciler/model/objects.js';
import { SourceReconciler } from '../../reconciler/source-reconciler.js';
import type { Verdict } from '../../reconciler/verify/verifier.js';
import { configMap, FakeCluster, sourceConfig } from '../support/fake-cluster.js';
import { FakeGit } from '../support/fake-git.js';

const yamlOf = (o: K8sObject) => stringify(o);

function setup() {
  const git = new FakeGit();
  const cluster = new FakeCluster();
  const verifier = {
    verify: async (raw: Buffer): Promise<Verdict> =>
      git.signed(raw)
        ? ({ ok: true, kind: 'ssh', signer: 'sam@example.com' } as unknown as Verdict)
        : { ok: false, reason: 'unsigned', detail: 'no signature' },
  };
  const rec = new SourceReconciler(sourceConfig({ path: 'app' }), git as never, verifier as never, {
    cluster,
    metrics: new ReconcilerMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    tools: { kustomizePath: 'kustomize', helmPath: 'helm' },
    namespace: 'driftgate-system',
  });
  return { git, cluster, rec };
}

t.test('a signed commit is applied, recorded in the inventory, Synced', async (t) => {
  const { git, cluster, rec } = setup();
  const head = git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '1' })) });
  await rec.reconcile();
  t.equal(rec.state.revision, head);
  t.equal(rec.state.syncStatus, 'Synced');
  t.strictSame(rec.state.errors, []);
  t.equal(rec.state.lastError, undefined);
  t.strictSame(cluster.did('apply'), ['/ConfigMap/shop/a']);
  t.strictSame(cluster.inventories.get('shop'), [refOf(configMap('a', {}))]);
});

t.test('an unsigned head applies nothing and is not re-verified until it moves', async (t) => {
  const { git, cluster, rec } = setup();
  const good = git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '1' })) });
  await rec.reconcile();
  git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: 'evil' })) }, false);
  await rec.reconcile();
  t.equal(rec.state.revision, good, 'the last verified revision stays');
  t.equal(rec.state.syncStatus, 'Unverified');
  t.strictSame(
    rec.state.errors.map((e) => [e.code, e.next]),
    [['RECONCILE_COMMIT_REFUSED', 'stalled']],
  );
  t.equal((cluster.objects.get('/ConfigMap/shop/a') as { data: { v: string } }).data.v, '1');
  await rec.reconcile();
  t.strictSame(
    cluster.events.map((e) => e.reason),
    ['RevisionApplied', 'CommitRefused', 'SyncFailed'],
    'the good revision applied; one refusal, said once: the stalled head is not verified again',
  );
});

t.test('Git down: a transient error is thrown, state kept, no credentials in it', async (t) => {
  const { git, rec } = setup();
  const head = git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '1' })) });
  await rec.reconcile();
  git.down = true;
  const err = await rec.reconcile().then(
    () => undefined,
    (e: unknown) => e as { code: string; next: string; message: string },
  );
  t.equal(err?.code, 'RECONCILE_GIT_UNAVAILABLE');
  t.equal(err?.next, 'transient');
  t.notMatch(err?.message ?? '', /hunter2/);
  t.equal(rec.state.revision, head);
  t.equal(rec.state.syncStatus, 'Failed');
  t.notMatch(rec.state.lastError ?? '', /hunter2/);
  git.down = false;
  await rec.reconcile();
  t.equal(rec.state.syncStatus, 'Synced', 'recovered');
  t.strictSame(rec.state.errors, []);
});

t.test('a self-heal that fails is reported at once', async (t) => {
  const { git, cluster, rec } = setup();
  git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '1' })) });
  await rec.reconcile();
  const live = cluster.objects.get('/ConfigMap/shop/a') as { data: { v: string } };
  live.data.v = 'manual';
  cluster.applyErrors.set('/ConfigMap/shop/a', new ApiException(403, 'no', '{}', {}));
  const ref = refOf(configMap('a', {}));
  await t.rejects(rec.heal(ref), { code: 'RECONCILE_FORBIDDEN' });
  t.equal(rec.state.syncStatus, 'Failed');
  t.match(rec.state.lastError, /^self-heal of ConfigMap shop\/a: HTTP 403/);
  cluster.applyErrors.clear();
  t.equal(await rec.heal(ref), 'reverted');
});

t.test(
  'an emptied path: prune refused, OutOfSync with the reason, objects still guarded',
  async (t) => {
    const { git, cluster, rec } = setup();
    git.commit({
      'app/a.yaml': yamlOf(configMap('a', { v: '1' })),
      'app/b.yaml': yamlOf(configMap('b', { v: '1' })),
    });
    await rec.reconcile();
    const keyBefore = rec.indexKey;
    git.commit({ 'README.md': 'moved elsewhere\n' });
    await rec.reconcile();
    t.equal(rec.state.syncStatus, 'OutOfSync');
    t.strictSame(
      rec.state.errors.map((e) => [e.code, e.next]),
      [['RECONCILE_PRUNE_REFUSED', 'stalled']],
    );
    t.match(rec.state.lastError, /renders no objects/);
    t.strictSame(cluster.did('delete'), [], 'nothing pruned');
    t.strictSame(rec.state.pruneHeld, ['ConfigMap shop/a', 'ConfigMap shop/b']);
    t.not(rec.indexKey, keyBefore, 'the index is rebuilt');
    t.strictSame(
      rec.indexSource()?.entries.map((e) => e.name),
      ['a', 'b'],
      'the webhook still guards them',
    );
    (cluster.objects.get('/ConfigMap/shop/a') as { data: { v: string } }).data.v = 'manual';
    t.equal(await rec.heal(refOf(configMap('a', {}))), 'reverted', 'self-heal still reverts them');
    await rec.reconcile();
    t.strictSame(
      rec.state.pruneHeld,
      ['ConfigMap shop/a', 'ConfigMap shop/b'],
      'held across resyncs',
    );

    git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '2' })) });
    await rec.reconcile();
    t.equal(rec.state.syncStatus, 'Synced', 'a later commit applies and prunes');
    t.strictSame(cluster.did('delete'), ['/ConfigMap/shop/b']);
    t.strictSame(rec.state.pruneHeld, []);
    t.strictSame(
      rec.indexSource()?.entries.map((e) => e.name),
      ['a'],
    );
  },
);

t.test('commit-to-applied is observed once per commit, across a restart', async (t) => {
  const { git, cluster, rec } = setup();
  git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '1' })) });
  const observed = async (r: SourceReconciler) =>
    (
      await (r as unknown as { d: { metrics: ReconcilerMetrics } }).d.metrics.commitToApplied.get()
    ).values.find((v) => v.metricName === 'driftgate_commit_to_applied_seconds_count')?.value ?? 0;
  await rec.reconcile();
  await rec.reconcile();
  t.equal(await observed(rec), 1, 'once, not per resync');
  // A new process (same cluster, same Git): the commit is not new to it.
  const restarted = new SourceReconciler(
    rec.cfg,
    git as never,
    { verify: async () => ({ ok: true, kind: 'ssh', signer: 's' }) } as never,
    {
      cluster,
      metrics: new ReconcilerMetrics({ defaultMetrics: false }),
      logger: pino({ level: 'silent' }),
      tools: { kustomizePath: 'kustomize', helmPath: 'helm' },
      namespace: 'driftgate-system',
    },
  );
  await restarted.reconcile();
  t.equal(restarted.state.syncStatus, 'Synced');
  t.equal(await observed(restarted), 0, 'not observed again after a restart');
  git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '2' })) });
  await restarted.reconcile();
  t.equal(await observed(restarted), 1, 'a new commit is');
});

t.test(
  'a suspension recorded through the control route is read back at the first reconcile',
  async (t) => {
    const { git, cluster, rec } = setup();
    git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '1' })) });
    cluster.suspensions.set('shop', true);
    await rec.reconcile();
    t.equal(rec.state.suspended, true);
    t.strictSame(cluster.did('apply'), [], 'nothing applied while suspended');
    rec.resume();
    await rec.recordSuspension();
    t.equal(cluster.suspensions.get('shop'), false, 'resumed, and recorded');
    await rec.reconcile();
    t.strictSame(cluster.did('apply'), ['/ConfigMap/shop/a'], 'not read again: the resume holds');
  },
);

t.test(
  'suspend and resume show in status and gauges at once, not at the next reconcile',
  async (t) => {
    const { git, rec } = setup();
    git.commit({ 'app/a.yaml': yamlOf(configMap('a', { v: '1' })) });
    await rec.reconcile();
    const metrics = (rec as unknown as { d: { metrics: ReconcilerMetrics } }).d.metrics;
    const info = async () =>
      (await metrics.registry.getSingleMetric('driftgate_source_info')?.get())?.values
        .filter((v) => v.value === 1)
        .map((v) => v.labels.sync_status);
    t.same(await info(), ['Synced']);
    rec.suspend();
    t.equal(rec.state.syncStatus, 'Suspended');
    t.same(await info(), ['Suspended'], 'no reconcile ran');
    rec.resume();
    t.equal(rec.state.syncStatus, 'Synced');
    t.same(await info(), ['Synced']);
  },
);
