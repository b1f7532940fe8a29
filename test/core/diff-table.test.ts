import t from 'tap';
import {
  declaredDiff,
  formatDiff,
  quantity,
  withoutPaths,
  type FieldDiff,
} from '../../core/diff.js';

type Obj = Record<string, unknown>;
const cm = (extra: Obj, meta: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'x', ...meta },
  ...extra,
});

const cases: { name: string; given: [Obj, Obj | undefined, string[]?]; want: FieldDiff[] }[] = [
  {
    // bitnami/nginx declares hostNetwork: false; the apiserver stores nothing (omitempty).
    name: 'a declared false, 0 or "" the apiserver did not store is not drift',
    given: [
      cm({ spec: { hostNetwork: false, priority: 0, subdomain: '', hostIPC: true } }),
      cm({ spec: {} }),
    ],
    want: [{ path: '/spec/hostIPC', declared: true, live: undefined }],
  },
  {
    name: 'a declared false that the live object holds as true is drift',
    given: [cm({ spec: { hostNetwork: false } }), cm({ spec: { hostNetwork: true } })],
    want: [{ path: '/spec/hostNetwork', declared: false, live: true }],
  },
  {
    // bitnami/nginx mounts one emptyDir volume at five paths (same name, different subPath).
    name: 'volumeMounts merge by mountPath, not by name',
    given: [
      cm({
        volumeMounts: [
          { name: 'empty-dir', mountPath: '/tmp', subPath: 'tmp-dir' },
          { name: 'empty-dir', mountPath: '/conf', subPath: 'app-conf-dir' },
        ],
      }),
      cm({
        volumeMounts: [
          { name: 'empty-dir', mountPath: '/conf', subPath: 'app-conf-dir' },
          { name: 'empty-dir', mountPath: '/tmp', subPath: 'tmp' },
        ],
      }),
    ],
    want: [{ path: '/volumeMounts/~1tmp/subPath', declared: 'tmp-dir', live: 'tmp' }],
  },
  {
    name: 'items with repeated names compare by position',
    given: [
      cm({
        items: [
          { name: 'a', v: 1 },
          { name: 'a', v: 2 },
        ],
      }),
      cm({
        items: [
          { name: 'a', v: 1 },
          { name: 'a', v: 3 },
        ],
      }),
    ],
    want: [{ path: '/items/1/v', declared: 2, live: 3 }],
  },
  {
    name: 'absent live: the whole object',
    given: [cm({ data: { a: '1' } }), undefined],
    want: [{ path: '', declared: 'present', live: 'missing' }],
  },
  {
    name: 'apiVersion, kind and status are never compared',
    given: [
      { apiVersion: 'v1', kind: 'ConfigMap', status: { x: 1 }, metadata: { name: 'x' } },
      { apiVersion: 'v2', kind: 'Other', status: { x: 2 }, metadata: { name: 'x' } },
    ],
    want: [],
  },
  {
    name: 'metadata: only labels and annotations count',
    given: [
      cm({}, { labels: { a: '1' }, annotations: { b: '2' }, finalizers: ['f'] }),
      cm({}, { labels: { a: '1' }, annotations: { b: '3' }, uid: 'u' }),
    ],
    want: [{ path: '/metadata/annotations/b', declared: '2', live: '3' }],
  },
  {
    name: 'labels declared, none live',
    given: [cm({}, { labels: { a: '1' } }), { metadata: 'broken' }],
    want: [{ path: '/metadata/labels', declared: { a: '1' }, live: undefined }],
  },
  {
    name: 'keys are escaped in paths (~0 and ~1)',
    given: [cm({ data: { 'a/b~c': '1' } }), cm({ data: { 'a/b~c': '2' } })],
    want: [{ path: '/data/a~1b~0c', declared: '1', live: '2' }],
  },
  {
    name: 'quantities compare by value',
    given: [
      { spec: { cpu: '1', mem: '1Gi', n: '500m' } },
      { spec: { cpu: '1000m', mem: '1073741824', n: 0.5 } },
    ],
    want: [],
  },
  {
    name: 'different quantities differ',
    given: [{ spec: { cpu: '1' } }, { spec: { cpu: '2' } }],
    want: [{ path: '/spec/cpu', declared: '1', live: '2' }],
  },
  {
    name: 'an object where live has a scalar',
    given: [{ spec: { a: { b: 1 } } }, { spec: { a: 'x' } }],
    want: [{ path: '/spec/a', declared: { b: 1 }, live: 'x' }],
  },
  {
    name: 'named items merge by name; extra live items are fine',
    given: [
      { spec: { c: [{ name: 'app', image: 'a:2' }] } },
      {
        spec: {
          c: [
            { name: 'side', image: 's' },
            { name: 'app', image: 'a:1' },
          ],
        },
      },
    ],
    want: [{ path: '/spec/c/app/image', declared: 'a:2', live: 'a:1' }],
  },
  {
    name: 'a named item missing live',
    given: [{ spec: { c: [{ name: 'a/b' }] } }, { spec: { c: [] } }],
    want: [{ path: '/spec/c/a~1b', declared: { name: 'a/b' }, live: undefined }],
  },
  {
    name: 'a list where live has none',
    given: [{ spec: { args: ['a'] } }, { spec: {} }],
    want: [{ path: '/spec/args', declared: ['a'], live: undefined }],
  },
  {
    name: 'plain lists of another length differ as a whole',
    given: [{ spec: { args: ['a', 'b'] } }, { spec: { args: ['a'] } }],
    want: [{ path: '/spec/args', declared: ['a', 'b'], live: ['a'] }],
  },
  {
    name: 'plain lists of the same length compare by index',
    given: [{ spec: { args: ['a', 'b'] } }, { spec: { args: ['a', 'c'] } }],
    want: [{ path: '/spec/args/1', declared: 'b', live: 'c' }],
  },
  {
    name: 'an empty declared list is a plain list',
    given: [{ spec: { args: [] } }, { spec: { args: ['x'] } }],
    want: [{ path: '/spec/args', declared: [], live: ['x'] }],
  },
  {
    name: 'ignored pointers are skipped, with everything under them',
    given: [
      { spec: { replicas: 3, t: { a: 1 } }, metadata: { labels: { x: '1' } } },
      { spec: { replicas: 5, t: { a: 2 } }, metadata: { labels: { x: '2' } } },
      ['/spec/replicas', '/spec/t', '/metadata/labels/x'],
    ],
    want: [],
  },
];

for (const c of cases)
  t.test(`declaredDiff: ${c.name}`, async (t) =>
    t.strictSame(declaredDiff(c.given[0], c.given[1], c.given[2]), c.want),
  );

t.test('withoutPaths: escaped pointers, missing parents, the original untouched', async (t) => {
  const o = { data: { 'a/b': '1', 'c~d': '2', keep: '3' }, spec: { x: 1 } };
  t.strictSame(withoutPaths(o, ['/data/a~1b', '/data/c~0d', '/spec/x/deeper', '/none/at/all']), {
    data: { keep: '3' },
    spec: { x: 1 },
  });
  t.strictSame(o.data, { 'a/b': '1', 'c~d': '2', keep: '3' });
});

t.test('formatDiff: unset, long values cut, the limit named', async (t) => {
  const long = 'x'.repeat(100);
  t.equal(
    formatDiff([{ path: '/a', declared: long, live: undefined }]),
    `/a: git ${JSON.stringify(long).slice(0, 60)}, live unset`,
  );
  const three = ['a', 'b', 'c'].map((k) => ({ path: `/${k}`, declared: 1, live: 2 }));
  t.equal(formatDiff(three, 2), '/a: git 1, live 2; /b: git 1, live 2; … and 1 more');
  t.equal(formatDiff(three, 3), '/a: git 1, live 2; /b: git 1, live 2; /c: git 1, live 2');
  t.equal(formatDiff([]), '');
});

t.test('quantity: whole strings only, signs and exponents, numbers as they are', async (t) => {
  const cases: [unknown, number | undefined][] = [
    ['1', 1],
    ['-1', -1],
    ['+2', 2],
    ['1e3', 1000],
    ['1e-3', 0.001],
    ['1e+3k', 1e6],
    ['x1', undefined],
    ['1x', undefined],
    ['1 Gi', undefined],
    ['', undefined],
    [7, 7],
    [true, undefined],
    [undefined, undefined],
  ];
  for (const [given, want] of cases) t.equal(quantity(given), want, JSON.stringify(given));
});

t.test('a number and a string that is no quantity differ', async (t) => {
  t.strictSame(
    declaredDiff({ spec: { a: 1 } }, { spec: { a: 'one' } }).map((d) => d.path),
    ['/spec/a'],
  );
  t.strictSame(declaredDiff({ spec: { a: 'one' } }, { spec: { a: 'one' } }), []);
});

t.test('a list mixing named and unnamed items compares by index', async (t) => {
  t.strictSame(
    declaredDiff(
      { spec: { l: [{ name: 'a', v: 1 }, { v: 2 }] } },
      { spec: { l: [{ v: 2 }, { name: 'a', v: 1 }] } },
    ).map((d) => d.path),
    ['/spec/l/0/name', '/spec/l/0/v', '/spec/l/1/v'],
  );
});

t.test('nulls and empty values the apiserver does not keep are not drift', async (t) => {
  const declared = {
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'a:1', resources: { limits: null, requests: {} }, args: [] },
          ],
          nodeSelector: null,
        },
      },
    },
  };
  const live = {
    spec: { template: { spec: { containers: [{ name: 'app', image: 'a:1', resources: {} }] } } },
  };
  t.strictSame(declaredDiff(declared, live), [], 'what the apiserver stores after the apply');
  t.strictSame(
    declaredDiff({ spec: { args: [] } }, { spec: { args: ['x'] } }).map((d) => d.path),
    ['/spec/args'],
    'an empty list against live items is still drift',
  );
  t.strictSame(
    declaredDiff({ spec: { a: null } }, { spec: { a: 'set by a controller' } }),
    [],
    'null declares nothing, whatever live holds',
  );
});
