// The prune stage over the in-memory cluster: what it says of objects a finalizer holds, and of
// CRDs gone from Git. The real apiserver's finalizers: test/reconciler/apiserver-truth.e2e.test.ts.
import t from 'tap';
import { SOURCE_LABEL } from '../../../core/labels.js';
import { refKey, refOf } from '../../../reconciler/model/objects.js';
import { configMap, FakeCluster, pruneAsSync, stageContext } from '../../support/fake-cluster.js';

const ours = { [SOURCE_LABEL]: 'shop' };

t.test('a prune a finalizer holds is Terminating, named, and looked at again', async (t) => {
  const a = configMap('a', {}, { labels: ours });
  const held = configMap('b', {}, { labels: ours, finalizers: ['example.com/cleanup'] });
  const c = configMap('c', {}, { labels: ours });
  const d = configMap('d', {}, { labels: ours });
  const cluster = new FakeCluster([a, held, c, d]);
  cluster.inventories.set('shop', [refOf(a), refOf(held), refOf(c), refOf(d)]);
  const ctx = stageContext(cluster);
  const desired = [refOf(a), refOf(d)];
  await pruneAsSync(ctx, desired);
  t.strictSame(ctx.state.terminating, [
    'ConfigMap shop/b: Terminating, held by example.com/cleanup',
  ]);
  t.strictSame(
    (cluster.inventories.get('shop') ?? []).map(refKey).sort(),
    [refOf(a), refOf(d), refOf(held)].map(refKey).sort(),
    'still in the inventory',
  );
  t.match(
    await ctx.d.metrics.registry.metrics(),
    /driftgate_prune_total\{source="shop"\} 1/,
    'only c counted as pruned',
  );
  // The finalizer's controller lets go: the next prune finds it gone.
  cluster.objects.delete(refKey(refOf(held)));
  await pruneAsSync(ctx, desired);
  t.strictSame(ctx.state.terminating, []);
  t.strictSame((cluster.inventories.get('shop') ?? []).map(refKey), desired.map(refKey));
});

t.test('a CRD gone from Git is kept, stays in the inventory, and one event says so', async (t) => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', labels: ours },
  };
  const a = configMap('a', {}, { labels: ours });
  const cluster = new FakeCluster([crd, a]);
  cluster.inventories.set('shop', [refOf(crd), refOf(a)]);
  const ctx = stageContext(cluster);
  await pruneAsSync(ctx, [refOf(a)]);
  await pruneAsSync(ctx, [refOf(a)]);
  t.strictSame(ctx.state.crdsKept, [
    'apiextensions.k8s.io/CustomResourceDefinition widgets.example.com',
  ]);
  t.strictSame(cluster.did('delete'), []);
  t.strictSame(
    cluster.events.map((e) => e.reason),
    ['CRDKept'],
  );
  t.equal(cluster.inventories.get('shop')?.length, 2);
});
