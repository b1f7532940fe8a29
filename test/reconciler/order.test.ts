import t from 'tap';
import { refText } from '../../reconciler/objects.js';
import { applyOrder } from '../../reconciler/order.js';

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
