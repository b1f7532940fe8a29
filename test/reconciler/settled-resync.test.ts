// Steady state costs nothing: an interval resync of a settled source, with no new commit and no
// drift a watch left in place, reads and applies nothing, and a new commit applies only what it
// changes; drift left in place, new policies, a failure or a sync asked for make the next one
// full, and a full one still runs every FULL_RESYNC_MS. Fake Git, verifier and cluster (every call counted);
// the steady CPU it saves on the real apiserver is measured by npm run bench:sync-peers.
import { pino } from 'pino';
import { stringify } from 'yaml';
import t from 'tap';
import { ReconcilerMetrics } from '../../reconciler/metrics.js';
import { refOf } from '../../reconciler/model/objects.js';
import { SourceReconciler } from '../../reconciler/source-reconciler.js';
import { FULL_RESYNC_MS } from '../../reconciler/sync/settled.js';
import type { Verdict } from '../../reconciler/verify/verifier.js';
import { configMap, FakeCluster, sourceConfig } from '../support/fake-cluster.js';
import { FakeGit } from '../support/fake-git.js';
import { metricValue } from '../support/webhook.js';

function setup(o: { selfHeal?: boolean } = {}) {
  const git = new FakeGit();
  const cluster = new FakeCluster();
  const metrics = new ReconcilerMetrics({ defaultMetrics: false });
  const clock = { now: Date.parse('2026-12-07T12:00:00Z') };
  const verifier = {
    verify: async (): Promise<Verdict> =>
      ({ ok: true, kind: 'ssh', signer: 'sam@example.com' }) as unknown as Verdict,
  };
  const cfg = sourceConfig({ path: 'app', selfHeal: o.selfHeal ?? true });
  const rec = new SourceReconciler(cfg, git as never, verifier as never, {
    cluster,
    metrics,
    logger: pino({ level: 'silent' }),
    tools: { kustomizePath: 'kustomize', helmPath: 'helm' },
    namespace: 'driftgate-system',
    now: () => clock.now,
  });
  git.commit({ 'app/a.yaml': stringify(configMap('a', { v: '1' })) });
  /** The cluster calls one interval resync makes (reads, dry-runs, applies, lists). */
  const resync = async (): Promise<string[]> => {
    const before = cluster.calls.length;
    await rec.reconcile({ resync: true });
    return cluster.calls
      .slice(before)
      .map((c) => c.op)
      .filter((op) => op !== 'event');
  };
  const skipped = async () =>
    metricValue(await metrics.registry.metrics(), 'driftgate_resync_skipped_total', {
      source: cfg.name,
    });
  return { git, cluster, rec, clock, resync, skipped };
}

t.test('a settled source: the interval resync reads and applies nothing', async (t) => {
  const { rec, resync, skipped } = setup();
  await rec.reconcile();
  t.equal(rec.state.syncStatus, 'Synced');
  const calls = await resync();
  t.notOk(
    calls.some((op) => ['get', 'list', 'apply', 'dry-run'].includes(op)),
    calls.join(','),
  );
  t.equal(await skipped(), 1);
  t.equal(rec.state.syncStatus, 'Synced', 'status still says Synced');
  // A sync asked for (reconcile without resync) is always full.
  await rec.reconcile();
  t.equal(await skipped(), 1);
});

/** A manual change under an unexpired break-glass: a heal reports it and leaves it. */
function breakGlass(cluster: FakeCluster, nowMs: number): void {
  const live = cluster.objects.get('/ConfigMap/shop/a') as {
    data: { v: string };
    metadata: { annotations?: Record<string, string> };
  };
  live.data.v = 'manual';
  live.metadata.annotations = {
    'driftgate.io/break-glass': 'INC-7',
    'driftgate.io/break-glass-expires': new Date(nowMs + 3_600_000).toISOString(),
  };
}

t.test('drift a watch left in place makes the next resync full; a revert does not', async (t) => {
  const { cluster, rec, clock, resync, skipped } = setup();
  await rec.reconcile();
  // Reverted at once: the object is as Git declares it again, the source still settled.
  (cluster.objects.get('/ConfigMap/shop/a') as { data: { v: string } }).data.v = 'manual';
  t.equal(await rec.heal(refOf(configMap('a', {}))), 'reverted');
  await resync();
  t.equal(await skipped(), 1);
  // Left in place (break-glass): reported, and the next resync reads everything.
  breakGlass(cluster, clock.now);
  t.equal(await rec.heal(refOf(configMap('a', {}))), 'reported');
  const calls = await resync();
  t.ok(calls.includes('list') || calls.includes('get'), 'read the live objects again');
  t.equal(await skipped(), 1);
  // An event that found the object in sync changes nothing.
  const fresh = setup();
  await fresh.rec.reconcile();
  t.equal(await fresh.rec.heal(refOf(configMap('a', {}))), 'in-sync');
  await fresh.resync();
  t.equal(await fresh.skipped(), 1);
});

t.test('a new commit is applied by the resync that sees it', async (t) => {
  const { git, cluster, rec, resync, skipped } = setup();
  await rec.reconcile();
  git.commit({ 'app/a.yaml': stringify(configMap('a', { v: '2' })) });
  await resync();
  t.equal(await skipped(), 0);
  t.equal((cluster.objects.get('/ConfigMap/shop/a') as { data: { v: string } }).data.v, '2');
});

t.test('the backstop: a full resync every FULL_RESYNC_MS', async (t) => {
  const { rec, clock, resync, skipped } = setup();
  await rec.reconcile();
  clock.now += FULL_RESYNC_MS - 1;
  await resync();
  t.equal(await skipped(), 1);
  clock.now += 1;
  const calls = await resync();
  t.equal(await skipped(), 1, 'not skipped');
  t.ok(calls.includes('list') || calls.includes('get'));
});

t.test('not settled: selfHeal off, suspended, or failed', async (t) => {
  const off = setup({ selfHeal: false });
  await off.rec.reconcile();
  await off.resync();
  t.equal(await off.skipped(), 0, 'selfHeal off: drift is found by the resync, not the watches');

  const paused = setup();
  await paused.rec.reconcile();
  paused.rec.suspend();
  await paused.resync();
  t.equal(await paused.skipped(), 0, 'suspended');

  const failing = setup();
  failing.cluster.applyErrors.set('/ConfigMap/shop/a', new Error('HTTP 500'));
  await failing.rec.reconcile().catch(() => undefined);
  failing.cluster.applyErrors.clear();
  await failing.resync();
  t.equal(await failing.skipped(), 0, 'after a failed converge');
  t.equal(failing.rec.state.syncStatus, 'Synced', 'and that full resync recovered');
});

t.test("a settled source's new commit: only what it changes is read and applied", async (t) => {
  const { git, cluster, rec } = setup();
  // Each fake commit is a whole tree.
  const a = stringify(configMap('a', { v: '1' }));
  git.commit({
    'app/a.yaml': a,
    'app/b.yaml': stringify(configMap('b', { v: '1' })),
    'app/c.yaml': stringify(configMap('c', { v: '1' })),
  });
  await rec.reconcile();
  t.equal(rec.state.objects.size, 3);
  // b changes, c goes, d comes; a is untouched.
  git.commit({
    'app/a.yaml': a,
    'app/b.yaml': stringify(configMap('b', { v: '2' })),
    'app/d.yaml': stringify(configMap('d', { v: '1' })),
  });
  const before = cluster.calls.length;
  await rec.reconcile({ resync: true });
  const touched = cluster.calls
    .slice(before)
    .filter((c) => ['get', 'apply', 'dry-run', 'list'].includes(c.op))
    .map((c) => c.what);
  t.notOk(
    touched.some((w) => w.endsWith('/a')),
    `the unchanged object is not read or applied: ${touched.join(', ')}`,
  );
  t.ok(touched.includes('/ConfigMap/shop/b') && touched.includes('/ConfigMap/shop/d'));
  t.strictSame(cluster.did('delete'), ['/ConfigMap/shop/c'], 'the dropped one is pruned');
  t.equal((cluster.objects.get('/ConfigMap/shop/b') as { data: { v: string } }).data.v, '2');
  t.strictSame([...rec.state.objects.keys()].sort(), [
    '/ConfigMap/shop/a',
    '/ConfigMap/shop/b',
    '/ConfigMap/shop/d',
  ]);
  t.equal(rec.state.syncStatus, 'Synced');
  t.strictSame(
    rec
      .indexSource()
      ?.entries.map((e) => e.name)
      .sort(),
    ['a', 'b', 'd'],
    "the webhooks' index still guards every object",
  );
  // The same commit after a watch left drift in place is applied in full.
  const other = setup();
  other.git.commit({ 'app/a.yaml': a, 'app/b.yaml': stringify(configMap('b', { v: '1' })) });
  await other.rec.reconcile();
  breakGlass(other.cluster, other.clock.now);
  t.equal(await other.rec.heal(refOf(configMap('a', {}))), 'reported');
  other.git.commit({ 'app/a.yaml': a, 'app/b.yaml': stringify(configMap('b', { v: '2' })) });
  const from = other.cluster.calls.length;
  await other.rec.reconcile({ resync: true });
  const read = other.cluster.calls.slice(from).map((c) => c.what);
  t.ok(read.includes('/ConfigMap/shop/a'), 'every object read again');
});
