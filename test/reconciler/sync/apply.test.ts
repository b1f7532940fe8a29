import { ApiException } from '@kubernetes/client-node';
import { ExternalDataSession } from '../../../policies/engine/external-data-session.js';
import t from 'tap';
import { SOURCE_LABEL } from '../../../core/labels.js';
import type { PolicyHub } from '../../../reconciler/policy/hub.js';
import { refKey, refOf, type K8sObject } from '../../../reconciler/model/objects.js';
import { applyDeclared } from '../../../reconciler/sync/apply.js';
import { configMap, FakeCluster, stageContext } from '../../support/fake-cluster.js';

const ours = { [SOURCE_LABEL]: 'shop' };
const rendered = (...objs: K8sObject[]) =>
  objs.map((object) => ({ object, path: `${object.metadata.name}.yaml` }));
const key = (o: K8sObject) => refKey(refOf(o));

/** A policy hub whose bundle denies ConfigMaps with data.mode=debug. */
const hub = {
  current: {
    built: { expansions: [] },
    externalData: new ExternalDataSession(),
    evaluate: (input: { request: { object: { data?: { mode?: string } } } }) =>
      input.request.object.data?.mode === 'debug'
        ? [
            {
              ok: true,
              policy: { id: 'config/no_debug', enforcement: 'enforce' },
              result: { deny: ['no debug mode'], warn: [], patch: [] },
            },
          ]
        : [],
  },
} as unknown as PolicyHub;

const cases: {
  name: string;
  given: {
    desired: K8sObject[];
    live?: K8sObject[];
    applied?: K8sObject[];
    suspended?: boolean;
    gate?: 'enforce' | 'warn' | 'off';
    failApply?: { object: K8sObject; code: number };
  };
  want: { applies: string[]; errors: string[]; foreign: string[]; drifted: string[] };
}[] = [
  {
    name: 'a first sync creates everything',
    given: { desired: [configMap('a', { x: '1' }), configMap('b', { x: '2' })] },
    want: {
      applies: ['/ConfigMap/shop/a', '/ConfigMap/shop/b'],
      errors: [],
      foreign: [],
      drifted: [],
    },
  },
  {
    name: 'in sync: no writes at all',
    given: {
      desired: [configMap('a', { x: '1' })],
      live: [configMap('a', { x: '1' }, { labels: ours })],
      applied: [configMap('a', {})],
    },
    want: { applies: [], errors: [], foreign: [], drifted: [] },
  },
  {
    name: 'drift is reverted',
    given: {
      desired: [configMap('a', { x: '1' })],
      live: [configMap('a', { x: 'manual' }, { labels: ours })],
      applied: [configMap('a', {})],
    },
    want: { applies: ['/ConfigMap/shop/a'], errors: [], foreign: [], drifted: [] },
  },
  {
    name: 'someone else’s object is never written',
    given: {
      desired: [configMap('a', { x: '1' }), configMap('b', { x: '2' })],
      live: [configMap('a', { x: 'theirs' })],
    },
    want: {
      applies: ['/ConfigMap/shop/b'],
      errors: [],
      foreign: ['/ConfigMap/shop/a'],
      drifted: [],
    },
  },
  {
    name: 'suspended: drift reported, nothing written',
    given: {
      desired: [configMap('a', { x: '1' })],
      live: [configMap('a', { x: 'manual' }, { labels: ours })],
      applied: [configMap('a', {})],
      suspended: true,
    },
    want: { applies: [], errors: [], foreign: [], drifted: ['/ConfigMap/shop/a'] },
  },
  {
    name: 'the gate holds back a violating object; the rest applies',
    given: {
      desired: [configMap('a', { mode: 'debug' }), configMap('b', { mode: 'strict' })],
      gate: 'enforce',
    },
    want: {
      applies: ['/ConfigMap/shop/b'],
      errors: ['RECONCILE_POLICY_HELD'],
      foreign: [],
      drifted: ['/ConfigMap/shop/a'],
    },
  },
  {
    name: 'gate warn: the violating object applies',
    given: { desired: [configMap('a', { mode: 'debug' })], gate: 'warn' },
    want: { applies: ['/ConfigMap/shop/a'], errors: [], foreign: [], drifted: [] },
  },
  {
    name: 'an invalid object is a stalled error, the others still apply',
    given: {
      desired: [configMap('a', { x: '1' }), configMap('b', { x: '2' })],
      failApply: { object: configMap('a', {}), code: 422 },
    },
    want: {
      applies: ['/ConfigMap/shop/a', '/ConfigMap/shop/b'],
      errors: ['RECONCILE_OBJECT_INVALID'],
      foreign: [],
      drifted: ['/ConfigMap/shop/a'],
    },
  },
  {
    name: 'an apiserver outage is a transient error',
    given: {
      desired: [configMap('a', { x: '1' })],
      failApply: { object: configMap('a', {}), code: 503 },
    },
    want: {
      applies: ['/ConfigMap/shop/a'],
      errors: ['RECONCILE_API_UNAVAILABLE'],
      foreign: [],
      drifted: ['/ConfigMap/shop/a'],
    },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const cluster = new FakeCluster(c.given.live ?? []);
    if (c.given.failApply)
      cluster.applyErrors.set(
        key(c.given.failApply.object),
        new ApiException(c.given.failApply.code, 'no', {}, {}),
      );
    const ctx = stageContext(cluster, { deps: { gate: c.given.gate ?? 'off', policies: hub } });
    ctx.state.suspended = c.given.suspended ?? false;
    const applied = new Set((c.given.applied ?? []).map(key));
    const r = await applyDeclared(ctx, rendered(...c.given.desired), applied);
    t.strictSame(cluster.did('apply').sort(), c.want.applies, 'objects written');
    t.strictSame(
      r.errors.map((e) => e.code),
      c.want.errors,
      'errors',
    );
    t.strictSame([...r.foreign].sort(), c.want.foreign, 'foreign');
    t.strictSame(
      [...r.objects.values()]
        .filter((o) => o.drift.length > 0)
        .map((o) => refKey(o.ref))
        .sort(),
      c.want.drifted,
      'drift left in status',
    );
    t.equal(r.objects.size + r.foreign.size, c.given.desired.length, 'every object accounted for');
  });
}

t.test('held objects are reported as violations, applied ones as applied', async (t) => {
  const cluster = new FakeCluster();
  const ctx = stageContext(cluster, { deps: { gate: 'enforce', policies: hub } });
  const r = await applyDeclared(ctx, rendered(configMap('a', { mode: 'debug' })), new Set());
  t.strictSame(r.violations, [
    {
      object: 'ConfigMap shop/a',
      policy: 'config/no_debug',
      action: 'enforce',
      message: 'no debug mode',
      applied: false,
    },
  ]);
  t.match(
    r.errors[0]?.message,
    'policy gate held back ConfigMap shop/a: [config/no_debug] no debug mode',
  );
});

t.test('a resync still reports what the gate let through, without evaluating again', async (t) => {
  let evaluations = 0;
  const warnHub = {
    current: {
      revision: 'b1',
      built: { expansions: [] },
      externalData: new ExternalDataSession(),
      evaluate: () => {
        evaluations++;
        return [
          {
            ok: true,
            policy: { id: 'images/disallow_latest', enforcement: 'warn' },
            result: { deny: ['pin a tag'], warn: [], patch: [] },
          },
        ];
      },
    },
  } as unknown as PolicyHub;
  const cluster = new FakeCluster();
  const ctx = stageContext(cluster, { deps: { gate: 'enforce', policies: warnHub } });
  const desired = rendered(configMap('a', { v: '1' }));
  const first = await applyDeclared(ctx, desired, new Set());
  const again = await applyDeclared(ctx, desired, new Set([key(configMap('a', {}))]));
  const shown = [
    {
      object: 'ConfigMap shop/a',
      policy: 'images/disallow_latest',
      action: 'warn',
      message: 'pin a tag',
      applied: true,
    },
  ];
  t.strictSame(first.violations, shown);
  t.strictSame(again.violations, shown, 'in sync, and still reported');
  t.equal(evaluations, 1, 'one evaluation per object, revision and bundle');
  t.strictSame(cluster.did('apply'), ['/ConfigMap/shop/a'], 'the resync wrote nothing');
});

t.test('many new objects of a kind are read with one LIST, not a GET each', async (t) => {
  const cluster = new FakeCluster();
  const ctx = stageContext(cluster);
  const many = Array.from({ length: 25 }, (_, i) => configMap(`cm-${i}`, { i: String(i) }));
  await applyDeclared(ctx, rendered(...many), new Set());
  t.strictSame(cluster.did('list'), ['v1/ConfigMap/shop']);
  t.strictSame(cluster.did('get'), []);
  t.equal(cluster.did('apply').length, 25);
});

t.test('namespaces go in an earlier wave than what lives in them', async (t) => {
  const cluster = new FakeCluster();
  const ctx = stageContext(cluster);
  const ns: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
  await applyDeclared(ctx, rendered(configMap('a', { x: '1' }), ns), new Set());
  t.strictSame(cluster.did('apply'), ['/Namespace//shop', '/ConfigMap/shop/a']);
});

t.test(
  'a field the apiserver did not keep is reported as drift right after the apply',
  async (t) => {
    const cluster = new FakeCluster();
    cluster.onApply = (o) => {
      const data = { ...(o.data as Record<string, string>) };
      delete data.dropped;
      return { ...o, data };
    };
    const ctx = stageContext(cluster);
    const r = await applyDeclared(
      ctx,
      rendered(configMap('a', { kept: '1', dropped: '2' })),
      new Set(),
    );
    t.strictSame(cluster.did('apply'), ['/ConfigMap/shop/a']);
    t.strictSame(
      [...r.objects.values()].map((o) => o.drift.map((d) => d.path)),
      [['/data/dropped']],
    );
  },
);

t.test('a CRD is waited for until Established before the next wave', async (t) => {
  const cluster = new FakeCluster();
  let polls = 0;
  cluster.onApply = (o) =>
    o.kind === 'CustomResourceDefinition' ? { ...o, status: { conditions: [] } } : o;
  const slept: number[] = [];
  const ctx = stageContext(cluster, {
    deps: {
      sleep: async (ms) => {
        slept.push(ms);
        if (++polls === 3) {
          const crd = cluster.objects.get(
            'apiextensions.k8s.io/CustomResourceDefinition//widgets.example.com',
          ) as Record<string, unknown>;
          crd.status = { conditions: [{ type: 'Established', status: 'True' }] };
        }
      },
    },
  });
  const crd: K8sObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {},
  };
  const w: K8sObject = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'shop' },
  };
  const r = await applyDeclared(ctx, rendered(w, crd), new Set());
  t.strictSame(slept, [200, 200, 200], 'polled until Established');
  t.strictSame(cluster.did('apply'), [
    'apiextensions.k8s.io/CustomResourceDefinition//widgets.example.com',
    'example.com/Widget/shop/w',
  ]);
  t.strictSame(r.errors, []);
  t.equal(
    r.objects.get('apiextensions.k8s.io/CustomResourceDefinition//widgets.example.com')?.health,
    'Healthy',
    'its health as it is once Established',
  );
});
