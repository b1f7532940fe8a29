import t from 'tap';
import { pino } from 'pino';
import type { PolicyBundle } from '../../../policies/engine/bundle.js';
import type { Cluster } from '../../../reconciler/kube/port.js';
import { GateInventory } from '../../../reconciler/policy/gate-inventory.js';

// The gate's inventory with a stand-in cluster (only `list` is used; the real apiserver runs in
// test/e2e/gatekeeper.e2e.test.ts) and a bundle that records what it is given.
const svc = (name: string) => ({
  metadata: { name, namespace: 'shop', managedFields: [{ manager: 'x' }] },
  spec: { selector: { app: name } },
});
let services = [svc('a'), svc('b')];
let namespacesFail = true;
const cluster = {
  list: async (apiVersion: string, kind: string) => {
    if (kind === 'Namespace' && namespacesFail) throw new Error('forbidden');
    if (kind === 'Namespace') return [{ metadata: { name: 'shop' } }];
    return kind === 'Service' && apiVersion === 'v1' ? services : [];
  },
} as unknown as Cluster;
const given: unknown[] = [];
const bundle = {
  built: {
    templates: [
      {
        name: 't',
        kind: 'T',
        file: 't.yaml',
        sync: [{ group: '', version: 'v1', kind: 'Service' }],
      },
    ],
  },
  setInventory: (inv: unknown) => void given.push(inv),
} as unknown as PolicyBundle;
const declared = {
  version: 1 as const,
  generation: 'g',
  sources: [
    {
      name: 'shop',
      repoURL: 'r',
      revision: 'c',
      entries: [
        {
          group: '',
          resource: 'services',
          kind: 'Service',
          namespace: 'shop',
          name: 'declared',
          path: 'svc.yaml',
          declared: {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'declared', namespace: 'shop' },
          },
          ignore: [],
        },
      ],
    },
  ],
};

t.test(
  'live objects of the synced kinds and the declared ones; a new version only on change',
  async (t) => {
    const inv = new GateInventory(cluster, () => declared, pino({ level: 'silent' }), 2);
    await inv.refresh(bundle);
    t.equal(inv.version, 1);
    t.same(
      given.at(-1),
      {
        cluster: {},
        namespace: {
          shop: {
            v1: {
              Service: {
                declared: declared.sources[0]?.entries[0]?.declared,
                a: {
                  metadata: { name: 'a', namespace: 'shop' },
                  spec: { selector: { app: 'a' } },
                  apiVersion: 'v1',
                  kind: 'Service',
                },
                b: {
                  metadata: { name: 'b', namespace: 'shop' },
                  spec: { selector: { app: 'b' } },
                  apiVersion: 'v1',
                  kind: 'Service',
                },
              },
            },
          },
        },
      },
      'Namespaces could not be listed: skipped; managedFields dropped',
    );
    await inv.refresh(bundle);
    t.equal(inv.version, 1, 'nothing changed: the bundle is not touched');
    t.equal(given.length, 1);
    services = [svc('a'), svc('b'), svc('c')];
    namespacesFail = false;
    await inv.refresh(bundle);
    t.equal(inv.version, 2);
    t.same(
      Object.keys(
        (given.at(-1) as { namespace: { shop: { v1: { Service: object } } } }).namespace.shop.v1
          .Service,
      ),
      ['declared', 'a'],
      'at most maxObjects live objects: the Namespace, then one Service',
    );
    t.same(
      Object.keys(
        (given.at(-1) as { cluster: { v1: { Namespace: object } } }).cluster.v1.Namespace,
      ),
      ['shop'],
    );
    const none = {
      built: {},
      setInventory: () => t.fail('no templates: no inventory'),
    } as unknown as PolicyBundle;
    await inv.refresh(none);
  },
);

t.test('an inventory the bundle refuses is not counted as laid in', async (t) => {
  const refusing = {
    built: bundle.built,
    setInventory: () => {
      throw new Error('inventory refused: opa_malloc: failed');
    },
  } as unknown as PolicyBundle;
  const inv = new GateInventory(cluster, () => declared, pino({ level: 'silent' }));
  await inv.refresh(refusing);
  t.equal(inv.version, 0, 'the gate keeps judging with what it had');
  const big = Array.from({ length: 3000 }, (_, i) => ({
    ...svc(`s${i}`),
    spec: { selector: { app: 'x'.repeat(1200) } },
  }));
  services = big;
  const sized = new GateInventory(cluster, () => declared, pino({ level: 'silent' }));
  await sized.refresh(bundle);
  t.equal(sized.version, 0, 'over 3 MiB: not laid in');
});

t.test('a template asking for Secrets gets none: no Secret is ever listed', async (t) => {
  const listed: string[] = [];
  const recording = {
    list: async (_apiVersion: string, kind: string) => {
      listed.push(kind);
      return [];
    },
  } as unknown as Cluster;
  const secretive = {
    built: {
      templates: [
        {
          name: 'leaky',
          kind: 'Leaky',
          file: 'l.yaml',
          sync: [
            { group: '', version: 'v1', kind: 'Secret' },
            { group: '', version: 'v1', kind: 'ConfigMap' },
          ],
        },
      ],
    },
    setInventory: () => undefined,
  } as unknown as PolicyBundle;
  const withSecret = {
    ...declared,
    sources: [
      {
        ...declared.sources[0],
        entries: [
          {
            group: '',
            resource: 'secrets',
            kind: 'Secret',
            namespace: 'shop',
            name: 'db',
            path: 's.yaml',
            declared: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' } },
            ignore: [],
          },
        ],
      },
    ],
  };
  const inv = new GateInventory(recording, () => withSecret as never, pino({ level: 'silent' }));
  await inv.refresh(secretive);
  t.strictSame(listed, ['Namespace', 'ConfigMap']);
});

t.test(
  "the synced source's own declared objects see each other before they are applied",
  async (t) => {
    const laid: unknown[] = [];
    const recording = {
      ...bundle,
      setInventory: (inv: unknown) => void laid.push(inv),
    } as PolicyBundle;
    const none = { list: async () => [] } as unknown as Cluster;
    const inv = new GateInventory(none, () => undefined, pino({ level: 'silent' }));
    const mine = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'new', namespace: 'shop' },
    };
    const other = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop' },
    };
    await inv.refresh(recording, [mine, other]);
    t.strictSame(laid, [{ cluster: {}, namespace: { shop: { v1: { Service: { new: mine } } } } }]);
  },
);
