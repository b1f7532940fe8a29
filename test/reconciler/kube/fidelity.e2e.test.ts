// What is applied is exactly what Git says: every field whose JSON name @kubernetes/client-node's
// typed models rename (kubernetes-client/javascript#2825: NetworkPolicy `from`, LimitRange
// `default`, the CRD schema's `$ref`, `enum`, `default` and every `x-kubernetes-*`, ResourceSlice
// `int` and `requestPolicy.default`, ListMeta `continue`) is enumerated from the models
// themselves, and each kind carrying one is synced from signed Git by the real reconciler into a
// real apiserver, read back raw with kubectl, and checked. A model field added upstream that
// this table does not cover fails the first test.
import * as models from '@kubernetes/client-node';
import t from 'tap';
import { kubeHttp } from '../../../reconciler/kube/http.js';
import { KubeObjects } from '../../../reconciler/kube/objects.js';
import { gitOpsFixture } from '../../support/e2e.js';
import { startTestReconciler, trustOf } from '../../support/reconciler.js';
import { CRD, REFUSED, RESOURCE_SLICES, WIDGETS, objectsFor } from './fidelity-objects.js';

/** Every (model, JSON name) whose TypeScript property name differs. */
function renamedFields(): string[] {
  const out: string[] = [];
  for (const [name, m] of Object.entries(models)) {
    const map = (m as { attributeTypeMap?: { name: string; baseName: string }[] }).attributeTypeMap;
    if (typeof m !== 'function' || !Array.isArray(map)) continue;
    for (const a of map) if (a.name !== a.baseName) out.push(`${name}.${a.baseName}`);
  }
  return out.sort();
}

// Where each renamed field is proven below (a kind set through the reconciler and read back raw).
const COVERED: Record<string, string> = {
  'V1NetworkPolicyIngressRule.from': 'NetworkPolicy spec.ingress[].from',
  'V1LimitRangeItem.default': 'LimitRange spec.limits[].default',
  'V1JSONSchemaProps.default': 'CRD schema default (and the CR defaulted by it)',
  'V1JSONSchemaProps.enum': 'CRD schema enum',
  'V1JSONSchemaProps.x-kubernetes-embedded-resource': 'CRD schema',
  'V1JSONSchemaProps.x-kubernetes-int-or-string': 'CRD schema',
  'V1JSONSchemaProps.x-kubernetes-list-map-keys': 'CRD schema',
  'V1JSONSchemaProps.x-kubernetes-list-type': 'CRD schema',
  'V1JSONSchemaProps.x-kubernetes-map-type': 'CRD schema',
  'V1JSONSchemaProps.x-kubernetes-preserve-unknown-fields': 'CRD schema',
  'V1JSONSchemaProps.x-kubernetes-validations': 'CRD schema CEL rule (a violating CR refused)',
  'V1JSONSchemaProps.$ref': 'a CRD using it, refused by the apiserver for it',
  'V1JSONSchemaProps.$schema': 'a CRD using it, refused by the apiserver for it',
  'V1DeviceAttribute.int': 'ResourceSlice resource.k8s.io/v1',
  'V1beta1DeviceAttribute.int': 'ResourceSlice resource.k8s.io/v1beta1',
  'V1beta2DeviceAttribute.int': 'ResourceSlice resource.k8s.io/v1beta2',
  'V1CapacityRequestPolicy.default': 'ResourceSlice resource.k8s.io/v1',
  'V1beta1CapacityRequestPolicy.default': 'ResourceSlice resource.k8s.io/v1beta1',
  'V1beta2CapacityRequestPolicy.default': 'ResourceSlice resource.k8s.io/v1beta2',
  'V1ListMeta.continue': 'a LIST in pages of 2',
};

const { cp, git, signer } = await gitOpsFixture(t, {
  controlPlane: {
    // The beta DRA versions and consumable capacity are off by default: their fields must
    // reach the apiserver too.
    apiServerArgs: [
      '--runtime-config=resource.k8s.io/v1beta1=true,resource.k8s.io/v1beta2=true',
      '--feature-gates=DRAConsumableCapacity=true',
    ],
  },
});
const repo = await git.createRepo('fidelity');
await repo.commit(objectsFor(), { signer });
const trust = { mode: 'head', ...trustOf(signer) };
const rec = await startTestReconciler(cp, [
  {
    name: 'fidelity',
    repoURL: repo.url,
    path: 'apply',
    destinationNamespace: 'fidelity',
    createNamespace: true,
    clusterScopedKinds: ['*'],
    verification: trust,
  },
  {
    name: 'refused',
    repoURL: repo.url,
    path: 'refused',
    destinationNamespace: 'fidelity',
    clusterScopedKinds: ['*'],
    verification: trust,
  },
]);
t.teardown(() => rec.stop());

t.test('every field the typed models rename is covered here', async (t) => {
  t.strictSame(renamedFields(), Object.keys(COVERED).sort());
});

const raw = async (args: string[]): Promise<Record<string, unknown>> => {
  const r = await cp.kubectl(['get', ...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};
const at = (o: unknown, path: (string | number)[]): unknown =>
  path.reduce<unknown>((n, k) => (n as Record<string | number, unknown> | undefined)?.[k], o);

t.test(
  "the source syncs, the CR breaking the CEL rule refused in the apiserver's words",
  async (t) => {
    await rec.sync('fidelity').catch(() => undefined);
    // CRDs first, then their CRs (the kind served once Established): a second sync is not needed.
    const s = await rec.status('fidelity');
    const errors = (s.errors as { message: string }[]).map((e) => e.message);
    t.equal(errors.length, 1, JSON.stringify(errors));
    t.match(errors[0], /Widget fidelity\/too-big.*size must not exceed max/);
  },
);

t.test('NetworkPolicy ingress from and LimitRange default arrive', async (t) => {
  const np = await raw(['networkpolicy', 'only-frontend', '-n', 'fidelity']);
  t.strictSame(at(np, ['spec', 'ingress', 0, 'from']), [
    { podSelector: { matchLabels: { role: 'frontend' } } },
    { namespaceSelector: { matchLabels: { team: 'shop' } } },
  ]);
  const lr = await raw(['limitrange', 'defaults', '-n', 'fidelity']);
  t.strictSame(at(lr, ['spec', 'limits', 0, 'default']), { cpu: '500m', memory: '256Mi' });
});

t.test('the CRD schema arrives whole: every extension, enum, default, CEL', async (t) => {
  const crd = await raw(['crd', CRD.metadata.name]);
  const schema = at(crd, ['spec', 'versions', 0, 'schema', 'openAPIV3Schema']);
  const declared = CRD.spec.versions[0]?.schema.openAPIV3Schema;
  t.strictSame(schema, declared);
  const w = await raw(['widget', 'defaulted', '-n', 'fidelity']);
  t.equal(at(w, ['spec', 'size']), 3, 'the schema default reached the apiserver');
  t.equal(at(w, ['spec', 'colour']), 'blue');
  t.strictSame(at(w, ['spec', 'extra']), { anything: { goes: true } }, 'preserve-unknown-fields');
  t.equal(WIDGETS.length, 2);
});

t.test(
  'ResourceSlice int attributes and capacity request policies, in v1 and both betas',
  async (t) => {
    for (const slice of RESOURCE_SLICES) {
      const [group, version] = slice.apiVersion.split('/');
      const got = await raw([`resourceslices.${version}.${group}`, slice.metadata.name]);
      const devices = at(got, ['spec', 'devices']) as Record<string, unknown>[];
      const device = (version === 'v1beta1' ? devices[0]?.basic : devices[0]) as Record<
        string,
        unknown
      >;
      t.strictSame(at(device, ['attributes', 'cores']), { int: 8 }, `${version} int`);
      t.equal(
        at(device, ['capacity', 'memory', 'requestPolicy', 'default']),
        '1Gi',
        `${version} requestPolicy.default`,
      );
    }
  },
);

t.test('CRDs using $ref or $schema are refused by the apiserver for them', async (t) => {
  await rec.sync('refused').catch(() => undefined);
  const s = await rec.status('refused');
  const errors = (s.errors as { message: string }[]).map((e) => e.message).join('\n');
  for (const c of REFUSED) t.match(errors, c.because, c.name);
});

t.test('a LIST in pages of 2 returns every object (ListMeta continue)', async (t) => {
  const objects = new KubeObjects(kubeHttp(cp.kubeConfig('admin')));
  const cms = await objects.list('v1', 'ConfigMap', {
    namespace: 'fidelity',
    labelSelector: 'page-test',
    limit: 2,
  });
  t.strictSame(cms.map((c) => (c.metadata as { name: string }).name).sort(), [
    'page-0',
    'page-1',
    'page-2',
    'page-3',
    'page-4',
  ]);
  t.equal(cms[0]?.kind, 'ConfigMap', 'items carry their kind');
});
