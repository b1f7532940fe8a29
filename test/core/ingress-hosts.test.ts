// Unique Ingress hosts: what is read from an Ingress (bounded), and who else claims its hosts.
import t from 'tap';
import { pino } from 'pino';
import {
  hostClaims,
  hostContext,
  ingressRef,
  MAX_CLAIMERS,
  MAX_HOSTS,
  refOfIngress,
} from '../../core/ingress-hosts.js';
import { IngressInventory } from '../../reconciler/policy/ingress-inventory.js';
import { FakeCluster } from '../support/fake-cluster.js';

const must = (obj: unknown) => {
  const r = ingressRef(obj);
  if (!r) throw new Error('not an Ingress');
  return r;
};
const ing = (
  namespace: string,
  name: string,
  hosts: string[],
  labels?: Record<string, string>,
) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  spec: { rules: hosts.map((host) => ({ host })) },
});

t.test('an Ingress: its hosts, lower-cased, deduplicated, bounded', async (t) => {
  t.strictSame(
    ingressRef(ing('shop', 'web', ['A.example.com', 'a.example.com', 'b.example.com'])),
    {
      namespace: 'shop',
      name: 'web',
      hosts: ['a.example.com', 'b.example.com'],
    },
  );
  t.equal(ingressRef({ ...ing('shop', 'web', []), kind: 'Service' }), undefined, 'not an Ingress');
  t.equal(ingressRef({ kind: 'Ingress', apiVersion: 'extensions/v1beta1' }), undefined);
  t.equal(refOfIngress({ metadata: {} }), undefined, 'no name');
  t.equal(refOfIngress('x'), undefined);
  const many = ing(
    'shop',
    'web',
    Array.from({ length: MAX_HOSTS + 50 }, (_, i) => `h${i}.example`),
  );
  t.equal(ingressRef(many)?.hosts.length, MAX_HOSTS);
  const odd = {
    ...ing('shop', 'web', []),
    spec: { rules: [{ host: 7 }, null, { host: '' }, { host: 'x'.repeat(254) }] },
  };
  t.strictSame(ingressRef(odd)?.hosts, [], 'hostile values are skipped');
  t.equal(ingressRef(ing('shop', 'web', [], { 'driftgate.io/source': 'shop' }))?.source, 'shop');
});

t.test('claims: other Ingresses from any inventory; never itself', async (t) => {
  const self = must(ing('shop', 'web', ['shop.example.com', 'free.example.com']));
  const git = [must(ing('blog', 'site', ['shop.example.com'])), self];
  const live = [
    must(ing('shop', 'web', ['shop.example.com'])),
    must(ing('blog', 'site', ['shop.example.com'])),
    must(ing('promo', 'sale', ['shop.example.com', 'other.example.com'])),
  ];
  t.strictSame(hostClaims(self, [git, live]), { 'shop.example.com': ['blog/site', 'promo/sale'] });
  t.strictSame(hostClaims({ ...self, hosts: [] }, [git, live]), {});
  t.strictSame(hostContext(ing('shop', 'web', ['free.example.com']), [live]), { ingressHosts: {} });
  t.strictSame(hostContext({ kind: 'ConfigMap' }, [live]), {}, 'only Ingresses get the context');
});

t.test(
  'the reconciler inventory: other sources, its own revision, live it did not apply',
  async (t) => {
    const cluster = new FakeCluster([
      ing('shop', 'old', ['shop.example.com'], { 'driftgate.io/source': 'shop' }),
      ing('blog', 'site', ['blog.example.com']),
    ]);
    const doc = {
      version: 1 as const,
      generation: 'g',
      sources: [
        {
          name: 'shop',
          repoURL: 'r',
          revision: 'a',
          entries: [
            {
              group: 'networking.k8s.io',
              resource: 'ingresses',
              kind: 'Ingress',
              namespace: 'shop',
              name: 'old',
              path: 'p',
              declared: ing('shop', 'old', ['shop.example.com']),
              ignore: [],
            },
          ],
        },
        {
          name: 'promo',
          repoURL: 'r',
          revision: 'b',
          entries: [
            {
              group: 'networking.k8s.io',
              resource: 'ingresses',
              kind: 'Ingress',
              namespace: 'promo',
              name: 'sale',
              path: 'p',
              declared: ing('promo', 'sale', ['sale.example.com']),
              ignore: [],
            },
          ],
        },
      ],
    };
    const inv = new IngressInventory(cluster, () => doc, pino({ level: 'silent' }));
    t.equal(inv.version, 0);
    await inv.refresh();
    t.equal(inv.version, 1, 'a new live list');
    await inv.refresh();
    t.equal(inv.version, 1, 'the same list: the memo key holds');
    // shop's new revision moves shop.example.com from "old" to "new": neither its own old
    // revision in the index nor its own live Ingress is a rival.
    const mine = must(ing('shop', 'new', ['shop.example.com']));
    t.strictSame(hostClaims(mine, inv.forSource('shop', [mine])), {});
    const steal = must(ing('shop', 'steal', ['sale.example.com', 'blog.example.com']));
    t.strictSame(hostClaims(steal, inv.forSource('shop', [steal])), {
      'sale.example.com': ['promo/sale'],
      'blog.example.com': ['blog/site'],
    });
    // The audit: live only.
    const legacy = must(ing('legacy', 'x', ['shop.example.com', 'sale.example.com']));
    t.strictSame(hostClaims(legacy, inv.forAudit()), { 'shop.example.com': ['shop/old'] });
    // A failed list keeps the last one.
    cluster.list = async () => {
      throw new Error('apiserver down');
    };
    await inv.refresh();
    t.equal(inv.version, 1);
    t.strictSame(hostClaims(legacy, inv.forAudit()), { 'shop.example.com': ['shop/old'] });
  },
);

t.test('a host routed by many: at most MAX_CLAIMERS named', async (t) => {
  const self = must(ing('shop', 'web', ['busy.example.com']));
  const many = Array.from({ length: 500 }, (_, i) =>
    must(ing('ns', `r${i}`, ['busy.example.com'])),
  );
  t.equal(hostClaims(self, [many])['busy.example.com']?.length, MAX_CLAIMERS);
});
