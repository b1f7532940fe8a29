// `driftgate diff` and the real sync agree on every prune-safety case: the diff's plan is what
// the sync then deletes (or refuses), over the same fake cluster.
import t from 'tap';
import { SOURCE_LABEL } from '../../../core/labels.js';
import { refKey, refOf, type K8sObject } from '../../../reconciler/model/objects.js';
import { applyDeclared } from '../../../reconciler/sync/apply.js';
import { planSync } from '../../../reconciler/sync/diff.js';
import {
  configMap,
  FakeCluster,
  pruneAsSync,
  sourceConfig,
  stageContext,
} from '../../support/fake-cluster.js';

const ours = { [SOURCE_LABEL]: 'shop' };
const mine = (name: string, annotations?: Record<string, string>) =>
  configMap(name, { n: name }, { labels: ours, ...(annotations ? { annotations } : {}) });
const keyOf = (o: K8sObject) => refKey(refOf(o));
const rendered = (objs: K8sObject[]) => objs.map((object) => ({ object, path: 'x.yaml' }));

const cases: {
  name: string;
  given: {
    inventory: K8sObject[];
    live: K8sObject[];
    desired: K8sObject[];
    cfg?: Record<string, unknown>;
  };
  want: { deleted: string[]; refused: RegExp | undefined };
}[] = [
  {
    name: 'a removed manifest is pruned',
    given: {
      inventory: [mine('a'), mine('b'), mine('c')],
      live: [mine('a'), mine('b'), mine('c')],
      desired: [mine('a'), mine('b')],
    },
    want: { deleted: ['/ConfigMap/shop/c'], refused: undefined },
  },
  {
    name: 'an opted-out object stays',
    given: {
      inventory: [mine('a'), mine('b'), mine('c')],
      live: [mine('a'), mine('b'), mine('c', { 'driftgate.io/prune': 'disabled' })],
      desired: [mine('a'), mine('b')],
    },
    want: { deleted: [], refused: undefined },
  },
  {
    name: 'an emptied path prunes nothing',
    given: { inventory: [mine('a'), mine('b')], live: [mine('a'), mine('b')], desired: [] },
    want: { deleted: [], refused: /renders no objects/ },
  },
  {
    name: 'a shrink past maxPruneFraction prunes nothing',
    given: {
      inventory: [mine('a'), mine('b'), mine('c'), mine('d')],
      live: [mine('a'), mine('b'), mine('c'), mine('d')],
      desired: [mine('a')],
    },
    want: { deleted: [], refused: /3 of 4 objects \(75%\) is over the 50% limit/ },
  },
  {
    name: 'an object relabelled for another source is kept',
    given: {
      inventory: [mine('a'), mine('b'), mine('c')],
      live: [mine('a'), mine('b'), configMap('c', {}, { labels: { [SOURCE_LABEL]: 'other' } })],
      desired: [mine('a'), mine('b')],
    },
    want: { deleted: [], refused: undefined },
  },
  {
    name: 'an object already gone is skipped',
    given: {
      inventory: [mine('a'), mine('b'), mine('c')],
      live: [mine('a'), mine('b')],
      desired: [mine('a'), mine('b')],
    },
    want: { deleted: [], refused: undefined },
  },
  {
    name: 'prune off: nothing',
    given: {
      inventory: [mine('a'), mine('b'), mine('c')],
      live: [mine('a'), mine('b'), mine('c')],
      desired: [mine('a'), mine('b')],
      cfg: { prune: false },
    },
    want: { deleted: [], refused: undefined },
  },
  {
    name: 'a declared object someone else owns is neither written nor pruned',
    given: {
      inventory: [mine('a'), mine('b')],
      live: [mine('a'), mine('b'), configMap('c', { n: 'theirs' })],
      desired: [mine('a'), mine('b'), mine('c')],
    },
    want: { deleted: [], refused: undefined },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const cluster = new FakeCluster(c.given.live);
    cluster.inventories.set(
      'shop',
      c.given.inventory.map((o) => refOf(o)),
    );
    const ctx = stageContext(cluster, { cfg: sourceConfig(c.given.cfg) });
    const desired = rendered(c.given.desired);

    const diff = await planSync(ctx, desired, []);
    t.strictSame(cluster.did('delete'), [], 'the diff changes nothing');
    t.strictSame(cluster.did('apply'), [], 'the diff applies nothing');

    const applied = new Set(c.given.inventory.map(keyOf));
    const r = await applyDeclared(ctx, desired, applied);
    const ours = desired.map((d) => refOf(d.object)).filter((x) => !r.foreign.has(refKey(x)));
    await pruneAsSync(ctx, ours);

    t.strictSame(cluster.did('delete'), c.want.deleted, 'the sync deletes what it should');
    t.strictSame(
      diff.prune.delete.map(refKey),
      cluster.did('delete'),
      'the diff planned exactly that',
    );
    t.equal(diff.prune.refused, ctx.state.pruneRefused, 'both refuse alike');
    if (c.want.refused) t.match(ctx.state.pruneRefused, c.want.refused);
    else t.equal(ctx.state.pruneRefused, undefined);
    const foreignInDiff = diff.refused;
    t.strictSame(
      foreignInDiff.map((x) => x.object),
      [...r.foreign].map(() => 'ConfigMap shop/c'),
      'the diff reports the foreign objects the sync skips',
    );
  });
}
