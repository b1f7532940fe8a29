// A tenant's policies speak only inside its namespaces: the bound compiled into the bundle's
// policy list (tenancy.yaml, written by the policy hub only) and the scope every reader applies.
// The hub test builds with the real opa.
import t from 'tap';
import { pino } from 'pino';
import { stringify } from 'yaml';
import type { PolicyMeta } from '../../policies/engine/discover.js';
import { enforcedPolicies } from '../../policies/engine/build.js';
import { inScope, requestTarget, targetOf } from '../../policies/engine/scope.js';
import { parseTenancy, tenancyText } from '../../policies/engine/tenancy.js';
import { PolicyHub } from '../../reconciler/policy/hub.js';
import { toolPath } from '../support/tools.js';
import { inventoryOf, tenantView } from '../../policies/engine/gatekeeper/inventory.js';

const meta = (extra: Partial<PolicyMeta> = {}): PolicyMeta => ({
  id: 'team/no_debug',
  path: ['team', 'no_debug'],
  description: '',
  enforcement: 'enforce',
  parameters: {},
  ...extra,
});
const cm = (namespace?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'x', ...(namespace ? { namespace } : {}) },
});

t.test('a tenant policy speaks about namespaced objects in its namespaces only', async (t) => {
  const p = meta({ tenant: { source: 'team-a.web', namespaces: ['team-a', 'team-a-dev'] } });
  t.equal(inScope(p, targetOf(cm('team-a'))), true);
  t.equal(inScope(p, targetOf(cm('team-a-dev'))), true);
  t.equal(inScope(p, targetOf(cm('team-b'))), false, "another team's namespace");
  t.equal(inScope(p, targetOf(cm())), false, 'no namespace: cluster-scoped');
  const clusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'x' },
  };
  t.equal(inScope(p, targetOf(clusterRole)), false);
  // The apiserver names a Namespace as its own request namespace.
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
  t.equal(inScope(p, requestTarget({ object: ns, namespace: 'team-a' })), false, 'a Namespace');
  t.equal(
    inScope(
      p,
      requestTarget({ object: cm('team-a'), oldObject: cm('team-b'), namespace: 'team-a' }),
    ),
    false,
    'an update whose old object is outside',
  );
  t.equal(inScope(meta(), targetOf(cm('team-b'))), true, "the platform's: everywhere");
  const widened = meta({
    tenant: { source: 's', namespaces: ['team-a'] },
    scope: { namespaces: ['team-b'] },
    gatekeeper: { kind: 'K', template: 'k', match: { namespaces: ['team-b'] } },
  });
  t.equal(
    inScope(widened, targetOf(cm('team-b'))),
    false,
    'its own scope and match cannot widen it',
  );
});

t.test(
  'the tenancy file binds native policies, constraints and constraints on a tenant template',
  async (t) => {
    const template = (kind: string) =>
      stringify({
        apiVersion: 'templates.gatekeeper.sh/v1',
        kind: 'ConstraintTemplate',
        metadata: { name: kind.toLowerCase() },
        spec: {
          crd: { spec: { names: { kind } } },
          targets: [
            {
              target: 'admission.k8s.gatekeeper.sh',
              rego: 'package x\nviolation[{"msg": "no"}] { false }\n',
            },
          ],
        },
      });
    const constraint = (kind: string, name: string) =>
      stringify({ apiVersion: 'constraints.gatekeeper.sh/v1beta1', kind, metadata: { name } });
    const dir = t.testdir({
      team: { no_debug: { 'policy.rego': 'package driftgate.team.no_debug\n' } },
      platform: { labels: { 'policy.rego': 'package driftgate.platform.labels\n' } },
      'tenant-template.yaml': template('TenantRule'),
      'platform-template.yaml': template('PlatformRule'),
      'tenant-constraint.yaml': constraint('PlatformRule', 'tenant-uses-platform'),
      'platform-constraint.yaml': constraint('TenantRule', 'platform-uses-tenant'),
      'platform-own.yaml': constraint('PlatformRule', 'platform-own'),
      'tenancy.yaml': tenancyText([
        {
          source: 'team-a.web',
          namespaces: ['team-a'],
          files: ['team/no_debug/policy.rego', 'tenant-template.yaml', 'tenant-constraint.yaml'],
        },
      ]),
    });
    const bound = Object.fromEntries(enforcedPolicies(dir).map((p) => [p.id, p.tenant]));
    const a = { source: 'team-a.web', namespaces: ['team-a'] };
    t.strictSame(bound, {
      'team/no_debug': a,
      'platform/labels': undefined,
      'tenant-uses-platform': a,
      'platform-uses-tenant': a,
      'platform-own': undefined,
    });
    const problems: string[] = [];
    t.strictSame(parseTenancy('tenants: [{ source: x }]', problems), []);
    t.strictSame(problems, ['tenancy.yaml: must be tenants: [{ source, namespaces, files }]']);
  },
);

t.test('the hub: a tenant policy is bound; a source may not write the tenancy file', async (t) => {
  const hub = new PolicyHub({
    opaPath: toolPath('opa'),
    workDir: t.testdir(),
    logger: pino({ level: 'silent' }),
  });
  const policy = (pkg: string) =>
    `package driftgate.${pkg}\n\nimport rego.v1\n\ndeny contains "no" if false\n`;
  t.strictSame(
    await hub.update('platform', { files: { 'base/labels/policy.rego': policy('base.labels') } }),
    { ok: true },
  );
  t.strictSame(
    await hub.update('team-a.web', {
      files: { 'team/no_debug/policy.rego': policy('team.no_debug') },
      namespaces: ['team-a'],
    }),
    { ok: true },
  );
  t.strictSame(
    hub.current?.policies.map((p) => [p.id, p.tenant]),
    [
      ['base/labels', undefined],
      ['team/no_debug', { source: 'team-a.web', namespaces: ['team-a'] }],
    ],
  );
  t.match(hub.served?.files['tenancy.yaml'], 'team/no_debug/policy.rego', 'served to webhooks');
  const forged = await hub.update('team-b.web', {
    files: {
      'teamb/x/policy.rego': policy('teamb.x'),
      'tenancy.yaml': tenancyText([]),
    },
    namespaces: ['team-b'],
  });
  t.strictSame(forged, {
    ok: false,
    error: "layout: source team-b.web: tenancy.yaml is the platform's file, not a source's",
  });
});

t.test(
  "a tenant's view of the inventory: its namespaces and their Namespace objects",
  async (t) => {
    const inv = inventoryOf([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'team-a' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'team-b' } },
    ]);
    t.strictSame(tenantView(inv, ['team-a', 'absent']), {
      cluster: { v1: { Namespace: { 'team-a': inv.cluster.v1?.Namespace?.['team-a'] } } },
      namespace: { 'team-a': inv.namespace['team-a'] },
    });
    t.strictSame(tenantView(inv, []), { cluster: {}, namespace: {} });
  },
);

t.test("a tenant's ExpansionTemplate and mutator act only inside its namespaces", async (t) => {
  const { BundleStore } = await import('../../policies/engine/store.js');
  const { mutate } = await import('../../policies/engine/gatekeeper/mutators.js');
  const { expandAll } = await import('../../policies/engine/gatekeeper/expansion.js');
  const { constraintTemplate, expandDeployments } = await import('../support/policy-dirs.js');
  const { toolPath } = await import('../support/tools.js');
  const dir = t.testdir({
    'template.yaml': constraintTemplate(
      'K8sNever',
      'package k8snever\n\nviolation[{"msg": "no"}] { false }\n',
    ),
    'tenant-expansion.yaml': expandDeployments(),
    'tenant-mutator.yaml': stringify({
      apiVersion: 'mutations.gatekeeper.sh/v1',
      kind: 'AssignMetadata',
      metadata: { name: 'owner' },
      spec: { location: 'metadata.labels.owner', parameters: { assign: { value: 'team-a' } } },
    }),
    'tenancy.yaml': tenancyText([
      {
        source: 'team-a.web',
        namespaces: ['team-a'],
        files: ['tenant-expansion.yaml', 'tenant-mutator.yaml'],
      },
    ]),
  });
  const store = new BundleStore({ opaPath: toolPath('opa') });
  t.match(await store.reload(dir), { ok: true });
  const built = store.current?.built;
  const a = { source: 'team-a.web', namespaces: ['team-a'] };
  t.strictSame(
    built?.expansions?.map((e) => e.tenant),
    [a],
  );
  t.strictSame(
    built?.mutators?.map((m) => m.tenant),
    [a],
  );
  const deployment = (namespace: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: { template: { spec: { containers: [{ name: 'c' }] } } },
  });
  t.equal(expandAll(deployment('team-a'), built?.expansions ?? []).length, 1, 'its own namespace');
  t.same(expandAll(deployment('team-b'), built?.expansions ?? []), [], 'never another tenant’s');
  t.equal(mutate(deployment('team-a'), built?.mutators ?? []).changed, true);
  t.equal(mutate(deployment('team-b'), built?.mutators ?? []).changed, false);
  const cluster = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
  t.equal(mutate(cluster, built?.mutators ?? []).changed, false, 'nor a cluster-scoped object');
});

t.test(
  "a tenant's mutator that conflicts with the platform's is left out, not the platform's",
  async (t) => {
    const { BundleStore } = await import('../../policies/engine/store.js');
    const { mutate } = await import('../../policies/engine/gatekeeper/mutators.js');
    const { constraintTemplate } = await import('../support/policy-dirs.js');
    const { toolPath } = await import('../support/tools.js');
    const { assignOnPods: assign } = await import('../support/policy-dirs.js');
    const dir = t.testdir({
      'template.yaml': constraintTemplate(
        'K8sNever',
        'package k8snever\n\nviolation[{"msg": "no"}] { false }\n',
      ),
      'platform-mutator.yaml': assign(
        'always-pull',
        'spec.containers[name: *].imagePullPolicy',
        'Always',
      ),
      'tenant-mutator.yaml': assign('tenant-pull', 'spec.containers.imagePullPolicy', 'Never'),
      'tenancy.yaml': tenancyText([
        { source: 'team-a.web', namespaces: ['team-a'], files: ['tenant-mutator.yaml'] },
      ]),
    });
    const store = new BundleStore({ opaPath: toolPath('opa') });
    t.match(
      await store.reload(dir),
      { ok: true },
      'the bundle loads: a conflict refuses no commit',
    );
    const built = store.current?.built;
    t.same(
      built?.mutators?.map((m) => m.name),
      ['always-pull'],
    );
    t.same(built?.mutatorConflicts, [
      "Assign always-pull and Assign tenant-pull conflict on /v1/Pod at spec.containers: a list keyed by name against an object; not applied: Assign tenant-pull (the tenant's)",
    ]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'team-a' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    t.match(mutate(pod, built?.mutators ?? []).object, {
      spec: { containers: [{ imagePullPolicy: 'Always' }] },
    });
  },
);
