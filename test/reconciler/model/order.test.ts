import t from 'tap';
import { refText } from '../../../reconciler/model/objects.js';
import { applyOrder, waves } from '../../../reconciler/model/order.js';

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

t.test('waves: one group per kind rank and sync-wave, in order', async (t) => {
  const o = (kind: string, name: string, wave?: string) => ({
    object: {
      apiVersion: 'v1',
      kind,
      metadata: { name, ...(wave ? { annotations: { 'driftgate.io/sync-wave': wave } } : {}) },
    },
  });
  const groups = waves(
    applyOrder([
      o('ConfigMap', 'c', '2'),
      o('Namespace', 'n1'),
      o('ConfigMap', 'a'),
      o('Namespace', 'n2'),
      o('CustomResourceDefinition', 'crd'),
      o('ConfigMap', 'b', 'not-a-number'),
      o('Secret', 'd', '2'),
      o('ConfigMap', 'e', '-3'),
    ]),
  );
  t.strictSame(
    groups.map((g) => g.map((x) => x.object.metadata.name)),
    [['n1', 'n2'], ['crd'], ['e'], ['a', 'b'], ['c', 'd']],
    'a bad wave counts as 0; equal waves of any kind go together',
  );
  t.strictSame(waves([]), [], 'nothing: no waves');
});

t.test(
  'Argo CD sync-wave annotations order objects too; driftgate’s wins when both are set',
  async (t) => {
    const o = (name: string, annotations: Record<string, string>) => ({
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations } },
    });
    const sorted = applyOrder([
      o('argo-late', { 'argocd.argoproj.io/sync-wave': '3' }),
      o('both', { 'argocd.argoproj.io/sync-wave': '9', 'driftgate.io/sync-wave': '-1' }),
      o('plain', {}),
    ]);
    t.strictSame(
      sorted.map((x) => x.object.metadata.name),
      ['both', 'plain', 'argo-late'],
    );
  },
);
