import t from 'tap';
import { confirmedDiff, declaredDiff, projected, type FieldDiff } from '../../core/diff.js';

type Obj = Record<string, unknown>;
const dep = (containers: Obj[], extra: Obj = {}): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { replicas: 2, template: { spec: { containers } }, ...extra },
});

// given: [declared, predicted (the dry-run's answer), live]
const cases: { name: string; given: [Obj, Obj, Obj]; want: FieldDiff[] }[] = [
  {
    name: 'a mutating webhook sets a declared field: applying changes nothing, no drift',
    given: [
      dep([{ name: 'app', image: 'nginx:1.27' }]),
      dep([{ name: 'app', image: 'registry.local/nginx:1.27' }]),
      dep([{ name: 'app', image: 'registry.local/nginx:1.27' }]),
    ],
    want: [],
  },
  {
    name: 'a manual change the apply would undo is drift, shown with the value Git declares',
    given: [
      dep([{ name: 'app', image: 'nginx:1.27' }]),
      dep([{ name: 'app', image: 'nginx:1.27' }]),
      dep([{ name: 'app', image: 'nginx:1.27' }], { replicas: 5 }),
    ],
    want: [{ path: '/spec/replicas', declared: 2, live: 5 }],
  },
  {
    name: 'a mutated field and a manual change: only the manual change is drift',
    given: [
      dep([{ name: 'app', image: 'nginx:1.27' }]),
      dep([{ name: 'app', image: 'registry.local/nginx:1.27' }]),
      dep([{ name: 'app', image: 'registry.local/nginx:1.27' }], { replicas: 1 }),
    ],
    want: [{ path: '/spec/replicas', declared: 2, live: 1 }],
  },
  {
    name: 'a keyed list item the apiserver drops is not drift; a changed one is',
    given: [
      dep([
        { name: 'app', image: 'a:1' },
        { name: 'side', image: 'b:1' },
      ]),
      dep([{ name: 'app', image: 'a:1' }]),
      dep([{ name: 'app', image: 'a:2' }]),
    ],
    want: [{ path: '/spec/template/spec/containers/app/image', declared: 'a:1', live: 'a:2' }],
  },
  {
    name: 'a defaulted label value the apiserver rewrites is not drift',
    given: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { tier: 'x' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { tier: 'X' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { tier: 'X' } } },
    ],
    want: [],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const [declared, predicted, live] = c.given;
    t.strictSame(confirmedDiff(declared, predicted, live), c.want);
  });
}

t.test('the client-side guess of the same cases sees phantom drift', async (t) => {
  const [declared, , live] = (cases[0] as (typeof cases)[0]).given;
  t.equal(declaredDiff(declared, live).length, 1);
});

t.test('projected keeps the declared shape, lists by position', async (t) => {
  t.strictSame(projected({ a: [1, 2], b: { c: 1 } }, { a: [3, 4], b: { c: 2, d: 9 }, e: 1 }), {
    a: [3, 4],
    b: { c: 2 },
  });
  t.strictSame(projected({ a: [1, 2] }, { a: [1] }), { a: [1] });
  t.strictSame(projected({ a: { b: 1 } }, { a: 'x' }), { a: 'x' });
  t.strictSame(projected({ a: [1] }, {}), { a: undefined });
});
