import t from 'tap';
import { refKey } from '../../../reconciler/model/objects.js';
import { CRD_KEPT, planPrune } from '../../../reconciler/model/prune-plan.js';

const cm = (name: string, ns = 'a') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name,
});

t.test('planPrune', async (t) => {
  const inv = [cm('a'), cm('b'), cm('c'), cm('d')];
  const live = (annotations: Record<string, Record<string, string> | undefined>) =>
    new Map(Object.entries(annotations));
  const plan = planPrune({
    inventory: inv,
    desired: [cm('a'), cm('b')],
    liveAnnotations: live({
      [refKey(cm('c'))]: {},
      [refKey(cm('d'))]: { 'driftgate.io/prune': 'disabled' },
    }),
  });
  t.same(plan.delete, [cm('c')]);
  t.match(plan.kept, [{ ref: cm('d'), reason: /disabled/ }]);
  t.same(
    planPrune({ inventory: inv, desired: inv, liveAnnotations: new Map() }),
    { delete: [], kept: [] },
    'nothing gone, nothing planned',
  );
  const emptied = planPrune({ inventory: inv, desired: [], liveAnnotations: new Map() });
  t.match(emptied, { refused: /renders no objects/ });
  t.same(emptied.delete, [], 'a refused prune deletes nothing');
  const shrunk = planPrune({
    inventory: inv,
    desired: [cm('a')],
    liveAnnotations: new Map(),
    maxFraction: 0.5,
  });
  t.match(shrunk, { refused: /3 of 4 objects \(75%\) is over the 50% limit/ });
  t.same(shrunk.delete, [], 'a refused prune deletes nothing');
  const ns = { apiVersion: 'v1', kind: 'Namespace', name: 'x' };
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    name: 'w',
  };
  const order = planPrune({
    inventory: [ns, crd, cm('z'), cm('keep')],
    desired: [cm('keep')],
    maxFraction: 1,
    pruneCRDs: true,
    liveAnnotations: live({ [refKey(ns)]: {}, [refKey(crd)]: {}, [refKey(cm('z'))]: {} }),
  });
  t.same(
    order.delete.map((r) => r.kind),
    ['ConfigMap', 'CustomResourceDefinition', 'Namespace'],
    'namespaces go last',
  );
  const gone = planPrune({
    inventory: [cm('a'), cm('b')],
    desired: [cm('a')],
    maxFraction: 1,
    liveAnnotations: live({ [refKey(cm('b'))]: undefined }),
  });
  t.same(gone.delete, [], 'already deleted objects are skipped');
});

t.test(
  'refused prunes keep and delete nothing; an empty source with no inventory is fine',
  async (t) => {
    const inv = [cm('a'), cm('b'), cm('c'), cm('d')];
    const all = 'the commit renders no objects; refusing to prune all 4';
    t.strictSame(planPrune({ inventory: inv, desired: [], liveAnnotations: new Map() }), {
      delete: [],
      kept: inv.map((ref) => ({ ref, reason: `prune refused: ${all}` })),
      refused: all,
    });
    const most = 'pruning 3 of 4 objects (75%) is over the 50% limit';
    t.strictSame(planPrune({ inventory: inv, desired: [cm('a')], liveAnnotations: new Map() }), {
      delete: [],
      kept: inv.slice(1).map((ref) => ({ ref, reason: `prune refused: ${most}` })),
      refused: most,
    });
    t.strictSame(
      planPrune({ inventory: [], desired: [], liveAnnotations: new Map() }),
      { delete: [], kept: [] },
      'nothing applied, nothing declared: no refusal',
    );
  },
);

t.test('a CRD gone from Git is kept unless the source opts in, and does not count', async (t) => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    name: 'w',
  };
  const live = new Map([
    [refKey(crd), {}],
    [refKey(cm('z')), {}],
  ]);
  const base = { inventory: [crd, cm('z'), cm('a')], desired: [cm('a')], liveAnnotations: live };
  const kept = planPrune({ ...base, maxFraction: 0.5 });
  t.strictSame(kept.delete, [cm('z')], 'the CRD is not in the 50% share: 1 of 2 may go');
  t.strictSame(kept.kept, [{ ref: crd, reason: CRD_KEPT }]);
  t.equal(kept.refused, undefined);
  const opted = planPrune({ ...base, maxFraction: 1, pruneCRDs: true });
  t.strictSame(opted.delete, [cm('z'), crd]);
  t.strictSame(opted.kept, []);
  const refused = planPrune({ ...base, desired: [], maxFraction: 1 });
  t.match(refused.refused, /renders no objects/);
  t.strictSame(refused.delete, []);
  const gone = planPrune({ ...base, liveAnnotations: new Map([[refKey(crd), undefined]]) });
  t.strictSame(gone.kept, [], 'a CRD already gone is not reported as kept');
});
