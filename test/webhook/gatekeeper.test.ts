import t from 'tap';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { buildBundle } from '../../policies/engine/build.js';
import { loadBundle, type PolicyBundle } from '../../policies/engine/bundle.js';
import { parseWebhookConfig } from '../../webhook/config.js';
import { DesiredState } from '../../webhook/desired-state.js';
import { makeExemptions } from '../../webhook/exemptions.js';
import { handleRequest } from '../../webhook/handler.js';
import { inventoryFeed, syncSet } from '../../webhook/inventory-feed.js';
import { slim } from '../../policies/engine/gatekeeper/inventory.js';
import { AdmissionMetrics } from '../../webhook/metrics.js';
import type { AdmissionRequest } from '../../webhook/types.js';
import { policyDir } from '../support/policy-dirs.js';
import { toolPath } from '../support/tools.js';

// The webhook's side of Gatekeeper constraints, with a real bundle (opa build): the
// namespaceSelector by the namespace's labels, and data.inventory from Git-declared objects.
// The cluster side (LiveInventory's watches) runs against a real apiserver in
// test/e2e/gatekeeper.e2e.test.ts.
const template = (kind: string, rego: string, sync?: string) =>
  stringify({
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: {
      name: kind.toLowerCase(),
      ...(sync ? { annotations: { 'metadata.gatekeeper.sh/requires-sync-data': sync } } : {}),
    },
    spec: {
      crd: { spec: { names: { kind } } },
      targets: [{ target: 'admission.k8s.gatekeeper.sh', rego }],
    },
  });
const constraint = (kind: string, name: string, match: Record<string, unknown>) =>
  stringify({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind,
    metadata: { name },
    spec: { match },
  });
const p = policyDir({
  'no-debug.yaml': template(
    'K8sNoDebug',
    'package k8snodebug\n\nviolation[{"msg": "no debug"}] { input.review.object.data.debug }\n',
  ),
  'prod-only.yaml': constraint('K8sNoDebug', 'no-debug-in-prod', {
    namespaceSelector: { matchLabels: { env: 'prod' } },
  }),
  'unique-name.yaml': template(
    'K8sUniqueName',
    `package k8suniquename

violation[{"msg": msg}] {
  other := data.inventory.namespace[ns][_]["ConfigMap"][input.review.object.metadata.name]
  ns != input.review.namespace
  msg := sprintf("name taken in %v", [ns])
}
`,
    '"[[{"groups": [""], "versions": ["v1"], "kinds": ["ConfigMap"]}]]"',
  ),
  'unique.yaml': constraint('K8sUniqueName', 'unique-names', {}),
});
t.teardown(p.cleanup);
const bundle: PolicyBundle = await loadBundle(
  await buildBundle(p.dir, { opaPath: toolPath('opa') }),
);

const cm = (namespace: string, data: Record<string, string> = {}): AdmissionRequest => ({
  uid: `u-${namespace}`,
  kind: { group: '', version: 'v1', kind: 'ConfigMap' },
  resource: { group: '', version: 'v1', resource: 'configmaps' },
  name: 'settings',
  namespace,
  operation: 'CREATE',
  userInfo: { username: 'alice', groups: [] },
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data },
  oldObject: null,
});
const LABELS: Record<string, Record<string, string>> = {
  live: { env: 'prod' },
  lab: { env: 'dev' },
};
const answer = (r: AdmissionRequest) =>
  handleRequest(r, 'validate', {
    bundle: () => bundle,
    exemptions: makeExemptions('driftgate-system'),
    metrics: new AdmissionMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    namespaceLabels: (ns) => LABELS[ns],
  });

t.test("namespaceSelector: judged by the namespace's labels", async (t) => {
  const prod = await answer(cm('live', { debug: 'true' }));
  t.equal(prod.allowed, false);
  t.equal(prod.status?.message, 'driftgate policy: [no-debug-in-prod] no debug');
  t.equal((await answer(cm('lab', { debug: 'true' }))).allowed, true, 'env=dev: not selected');
  t.equal(
    (await answer(cm('unknown', { debug: 'true' }))).allowed,
    false,
    'labels unknown: the constraint applies (fail closed)',
  );
});

t.test(
  'data.inventory: Git-declared objects of synced kinds count; publish follows changes',
  async (t) => {
    t.same(
      syncSet(bundle, [])
        .map((k) => `${k.group}/${k.version}/${k.kind}`)
        .sort(),
      ['/v1/ConfigMap', '/v1/Namespace'],
    );
    t.same(
      syncSet(undefined, [{ group: '', version: 'v1', kind: 'Service' }]),
      [],
      'no templates: nothing',
    );
    const desired = new DesiredState();
    const published: unknown[] = [];
    let next: () => void = () => {};
    const feed = inventoryFeed({
      access: undefined,
      config: parseWebhookConfig({}).inventory,
      desired,
      logger: pino({ level: 'silent' }),
      publish: (json, inv) => {
        t.same(JSON.parse(new TextDecoder().decode(json)), inv, 'the JSON text is the inventory');
        published.push(inv);
        bundle.setInventory(inv);
        next();
      },
    });
    t.teardown(() => feed.stop());
    const settled = () => new Promise<void>((resolve) => (next = resolve));
    let wait = settled();
    feed.bundleChanged(bundle);
    await wait;
    t.same(published.at(-1), { cluster: {}, namespace: {} });
    t.equal((await answer(cm('live'))).allowed, true, 'nothing declared yet');
    wait = settled();
    desired.load({
      version: 1,
      generation: 'g1',
      sources: [
        {
          name: 'shop',
          repoURL: 'https://git.example/shop',
          revision: 'abc',
          entries: [
            {
              group: '',
              resource: 'configmaps',
              kind: 'ConfigMap',
              namespace: 'shop',
              name: 'settings',
              path: 'apps/settings.yaml',
              declared: {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { name: 'settings', namespace: 'shop' },
              },
              ignore: [],
            },
          ],
        },
      ],
    });
    feed.indexChanged();
    await wait;
    const denied = await answer(cm('live'));
    t.equal(denied.status?.message, 'driftgate policy: [unique-names] name taken in shop');
    t.same(feed.namespaceLabels('shop'), undefined, 'no Namespace declared or followed');
  },
);

t.test('what the inventory keeps of an object', async (t) => {
  t.same(
    slim(
      {
        metadata: {
          name: 'a',
          managedFields: [{ manager: 'kubectl' }],
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
        },
        spec: { x: 1 },
      },
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ),
    {
      metadata: { name: 'a', annotations: { keep: 'me' } },
      spec: { x: 1 },
      apiVersion: 'apps/v1',
      kind: 'Deployment',
    },
  );
});

t.test('an inventory too large for the engine is refused; the last one stays', async (t) => {
  const small = { cluster: {}, namespace: { shop: { v1: { ConfigMap: { settings: {} } } } } };
  bundle.setInventory(small);
  const huge = {
    cluster: {},
    namespace: {
      big: {
        v1: {
          ConfigMap: Object.fromEntries(
            Array.from({ length: 40_000 }, (_, i) => [`c${i}`, { data: { v: 'x'.repeat(200) } }]),
          ),
        },
      },
    },
  };
  t.throws(() => bundle.setInventory(huge), /^inventory refused: /);
  t.same(bundle.inventory, small, 'the last inventory stays');
  t.equal(
    (await answer(cm('live'))).status?.message,
    'driftgate policy: [unique-names] name taken in shop',
    'and evaluation goes on with it',
  );
  // The webhook's feed does not even send one over its bound.
  let refused: () => void = () => {};
  const said = new Promise<void>((resolve) => (refused = resolve));
  const feed = inventoryFeed({
    access: undefined,
    config: parseWebhookConfig({}).inventory,
    desired: new DesiredState(),
    logger: pino({ level: 'silent' }),
    publish: () => t.fail('not published'),
    onError: () => refused(),
    maxBytes: 10,
  });
  t.teardown(() => feed.stop());
  feed.bundleChanged(bundle);
  await said;
  t.pass('over maxBytes: counted as an error, not published');
});
