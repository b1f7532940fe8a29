import t from 'tap';
import { declaredDiff, formatDiff, quantity, withoutPaths } from '../../core/diff.js';
import { parseDuration } from '../../core/duration.js';
import { refKey, refText } from '../../reconciler/objects.js';
import { applyOrder } from '../../reconciler/order.js';
import { planPrune } from '../../reconciler/prune.js';
import { backoffMs, KeyedQueue } from '../../reconciler/runtime.js';

const cm = (name: string, ns = 'a') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: ns,
  name,
});

t.test('declaredDiff compares only what Git declares', async (t) => {
  const declared = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'w', labels: { app: 'w' } },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'a:1', resources: { limits: { cpu: '1', memory: '1Gi' } } },
          ],
        },
      },
    },
  };
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'w', labels: { app: 'w', extra: 'x' }, uid: 'u', resourceVersion: '9' },
    spec: {
      replicas: 2,
      progressDeadlineSeconds: 600,
      template: {
        spec: {
          containers: [
            { name: 'sidecar', image: 's:1' },
            {
              name: 'app',
              image: 'a:1',
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { cpu: '1000m', memory: '1073741824' } },
            },
          ],
        },
      },
    },
    status: { replicas: 2 },
  };
  t.same(
    declaredDiff(declared, live),
    [],
    'defaults, extra labels, other containers and canonical quantities do not count',
  );
  const changed = structuredClone(live);
  changed.spec.replicas = 1;
  changed.spec.template.spec.containers = [
    live.spec.template.spec.containers[0],
    { ...live.spec.template.spec.containers[1], image: 'a:2' },
  ] as typeof live.spec.template.spec.containers;
  changed.metadata.labels.app = 'other';
  t.same(
    declaredDiff(declared, changed)
      .map((d) => d.path)
      .sort(),
    ['/metadata/labels/app', '/spec/replicas', '/spec/template/spec/containers/app/image'],
  );
  t.same(
    declaredDiff(declared, changed, ['/spec/replicas', '/metadata/labels/app']).map((d) => d.path),
    ['/spec/template/spec/containers/app/image'],
    'ignored paths skipped',
  );
  t.same(declaredDiff(declared, undefined), [{ path: '', declared: 'present', live: 'missing' }]);
  t.same(
    declaredDiff({ data: { a: '1' } }, { data: 'x' }).map((d) => d.path),
    ['/data'],
  );
  t.same(
    declaredDiff({ args: ['a', 'b'] }, { args: ['a'] }).map((d) => d.path),
    ['/args'],
    'unkeyed lists compared whole',
  );
  t.same(
    declaredDiff({ args: ['a', 'b'] }, { args: ['a', 'c'] }).map((d) => d.path),
    ['/args/1'],
  );
  t.same(
    declaredDiff({ ports: [{ name: 'http', port: 80 }] }, { ports: [] }).map((d) => d.path),
    ['/ports/http'],
  );
  t.same(
    declaredDiff({ ports: [{ name: 'http' }] }, { ports: 'x' }).map((d) => d.path),
    ['/ports'],
  );
  t.same(
    declaredDiff({ metadata: { annotations: { 'a/b': 'c' } } }, { metadata: {} }).map(
      (d) => d.path,
    ),
    ['/metadata/annotations'],
  );
});

t.test('quantities, durations, backoff', async (t) => {
  t.equal(quantity('500m'), 0.5);
  t.equal(quantity('2Gi'), 2 * 2 ** 30);
  t.equal(quantity(3), 3);
  t.equal(quantity('lots'), undefined);
  t.equal(quantity(null), undefined);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('5 minutes'), undefined);
  t.same(
    [0, 1, 2, 3, 10].map((n) => backoffMs(n, 1000, 2, 5000)),
    [1000, 2000, 4000, 5000, 5000],
  );
});

t.test('withoutPaths removes ignored fields without touching the original', async (t) => {
  const o = { spec: { replicas: 3, x: 1 }, metadata: { annotations: { 'a/b': '1', c: '2' } } };
  const out = withoutPaths(o, ['/spec/replicas', '/metadata/annotations/a~1b', '/no/such/path']);
  t.same(out, { spec: { x: 1 }, metadata: { annotations: { c: '2' } } });
  t.equal(o.spec.replicas, 3);
});

t.test('formatDiff is short and readable', async (t) => {
  const diffs = Array.from({ length: 7 }, (_, i) => ({
    path: `/data/k${i}`,
    declared: 'a',
    live: undefined,
  }));
  t.equal(formatDiff(diffs.slice(0, 1)), '/data/k0: git "a", live unset');
  t.match(formatDiff(diffs), /… and 2 more$/);
  t.equal(
    formatDiff([{ path: '', declared: 'present', live: 'missing' }]),
    '(object): git "present", live "missing"',
  );
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

t.test('apply order: namespaces, CRDs, then sync waves', async (t) => {
  const o = (kind: string, name: string, wave?: string) => ({
    object: {
      apiVersion: 'v1',
      kind,
      metadata: { name, ...(wave ? { annotations: { 'driftgate.io/sync-wave': wave } } : {}) },
    },
  });
  const sorted = applyOrder([
    o('ConfigMap', 'late', '5'),
    o('Deployment', 'web'),
    o('CustomResourceDefinition', 'crd'),
    o('ConfigMap', 'early', '-1'),
    o('Namespace', 'ns'),
  ]);
  t.same(
    sorted.map((x) => x.object.metadata.name),
    ['ns', 'crd', 'early', 'web', 'late'],
  );
  t.equal(
    refText({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'a', name: 'w' }),
    'apps/Deployment a/w',
  );
  t.equal(refText({ apiVersion: 'v1', kind: 'Namespace', name: 'n' }), 'Namespace n');
});

t.test('KeyedQueue serialises per key and reports depth', async (t) => {
  const depths: number[] = [];
  const q = new KeyedQueue((n) => depths.push(n));
  const order: string[] = [];
  const slow = (label: string, ms: number) => () =>
    new Promise<void>((r) =>
      setTimeout(() => {
        order.push(label);
        r();
      }, ms),
    );
  await Promise.all([
    q.run('a', slow('a1', 30)),
    q.run('a', slow('a2', 1)),
    q.run('b', slow('b1', 5)),
  ]);
  t.same(order, ['b1', 'a1', 'a2'], 'same key in order; other keys in parallel');
  t.equal(Math.max(...depths), 3);
  t.equal(depths[depths.length - 1], 0);
  await t.rejects(
    q.run('a', () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  t.equal(await q.run('a', async () => 'next'), 'next', 'a failure does not block the key');
});
