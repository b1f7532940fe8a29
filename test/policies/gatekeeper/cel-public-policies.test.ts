// Public CEL policies nobody on this project wrote, run by driftgate's CEL engine (the one Gatekeeper's
// K8sNativeValidation templates get): Kyverno's ValidatingPolicy library (test/fixtures/public/
// kyverno-policies), whose validations, variables and match conditions are a ValidatingAdmissionPolicy's,
// many with CEL optionals. Each policy's own Kyverno CLI test names the resources that pass, fail or
// are skipped; driftgate must give every one the same verdict. Policies calling Kyverno's own
// libraries (image., resource., http.) are refused when read, and are listed here by name.
import t from 'tap';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { celDecision, readCel } from '../../../policies/engine/gatekeeper/cel.js';
import { publicFixture, yamlDocs, type Doc } from '../../support/public-fixtures.js';

const root = publicFixture('kyverno-policies');
const obj = (v: unknown): Doc => (typeof v === 'object' && v !== null ? (v as Doc) : {});
const arr = (v: unknown): Doc[] => (Array.isArray(v) ? v.map(obj) : []);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** A kind's resource name, as a resourceRule lists it (`NetworkPolicy` → `networkpolicies`). */
function plural(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return /(s|x|ch)$/.test(k) ? `${k}es` : `${k}s`;
}

const anyOf = (list: string[], v: string) => list.includes('*') || list.includes(v);
/** Whether a resourceRule of a VAP's matchConstraints takes `resource` at CREATE. */
function ruleTakes(rule: Doc, resource: Doc): boolean {
  const apiVersion = String(resource.apiVersion ?? '');
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  const names = strs(rule.resourceNames);
  const name = String(obj(resource.metadata).name ?? '');
  return (
    anyOf(strs(rule.apiGroups), group) &&
    anyOf(strs(rule.resources), plural(String(resource.kind))) &&
    anyOf(strs(rule.operations), 'CREATE') &&
    (names.length === 0 || names.includes(name))
  );
}

/** The policy's matchConstraints take the resource itself (not a pod controller Kyverno autogenerates for). */
function takes(policy: Doc, resource: Doc): boolean {
  const c = obj(obj(policy.spec).matchConstraints);
  return (
    arr(c.resourceRules).some((r) => ruleTakes(r, resource)) &&
    !arr(c.excludeResourceRules).some((r) => ruleTakes(r, resource))
  );
}

/** The policies that call Kyverno's own CEL libraries, with what they call. */
const KYVERNO_ONLY = [
  ['advanced-restrict-image-registries', 'resource.Get'],
  ['allowed-base-images', 'resource.Get, image.GetMetadata'],
  ['allowed-podpriorities', 'resource.Get'],
  ['block-images-with-volumes', 'image.GetMetadata'],
  ['block-stale-images', 'time.now, image.GetMetadata'],
  ['check-hpa-exists', 'resource.List'],
  ['check-nvidia-gpus', 'image.GetMetadata'],
  ['limit-configmap-for-sa', 'parseServiceAccount'],
];

const CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'PersistentVolume',
  'StorageClass',
  'FlowSchema',
]);

interface Compared {
  readonly policy: string;
  readonly resource: string;
  readonly want: string;
  readonly got: string;
}
const compared: Compared[] = [];
const refused = new Map<string, string[]>();
let autogen = 0;

for (const group of ['best-practices-vpol', 'other-vpol'])
  for (const folder of readdirSync(join(root, group)).sort()) {
    const testFile = join(root, group, folder, '.kyverno-test', 'kyverno-test.yaml');
    if (!existsSync(testFile)) continue;
    const spec = yamlDocs(readFileSync(testFile, 'utf8'))[0] ?? {};
    const read = (p: string) => yamlDocs(readFileSync(join(dirname(testFile), p), 'utf8'));
    const policies = strs(spec.policies)
      .flatMap(read)
      .filter((d) => d.kind === 'ValidatingPolicy');
    const resources = strs(spec.resources).flatMap(read);
    for (const result of arr(spec.results)) {
      const policy = policies.find((p) => obj(p.metadata).name === result.policy);
      if (!policy) continue;
      const name = String(obj(policy.metadata).name);
      const problems: string[] = [];
      const s = obj(policy.spec);
      const cel = readCel(
        {
          code: [
            {
              engine: 'K8sNativeValidation',
              source: {
                variables: s.variables,
                validations: s.validations,
                matchCondition: s.matchConditions,
              },
            },
          ],
        },
        name,
        problems,
      );
      if (!cel || problems.length > 0) {
        refused.set(name, problems);
        continue;
      }
      for (const resourceName of strs(result.resources)) {
        const resource = resources.find(
          (r) => r.kind === result.kind && obj(r.metadata).name === resourceName.split('/').pop(),
        );
        if (!resource || !takes(policy, resource)) {
          autogen++;
          continue;
        }
        // As the Kyverno CLI reviews a file: a namespaced object's Namespace is one of that name.
        const namespace = CLUSTER_SCOPED.has(String(resource.kind))
          ? undefined
          : String(obj(resource.metadata).namespace ?? 'default');
        const review = {
          operation: 'CREATE',
          object: resource,
          oldObject: null,
          name: obj(resource.metadata).name,
          ...(namespace
            ? {
                namespace,
                namespaceObject: {
                  apiVersion: 'v1',
                  kind: 'Namespace',
                  metadata: { name: namespace },
                },
              }
            : {}),
        };
        const d = celDecision(cel, review, undefined);
        const got = !d.matched ? 'skip' : d.violations.length > 0 ? 'fail' : 'pass';
        compared.push({ policy: name, resource: resourceName, want: String(result.result), got });
      }
    }
  }

t.test(
  'every resource of every policy driftgate runs gets Kyverno’s expected verdict',
  async (t) => {
    t.same(
      compared.filter((c) => c.got !== c.want),
      [],
    );
    const policies = new Set(compared.map((c) => c.policy));
    t.ok(policies.size >= 60, `${policies.size} policies, ${compared.length} verdicts compared`);
    for (const want of ['pass', 'fail', 'skip'])
      t.ok(
        compared.some((c) => c.want === want),
        `some resources are expected to ${want}`,
      );
  },
);

t.test('what is refused calls a Kyverno library, which Gatekeeper does not have', async (t) => {
  const missing = [...refused].map(([name, problems]) => [
    name,
    [...new Set(problems.map((p) => /not provided here: ([^ ]+)/.exec(p)?.[1] ?? p))].join(', '),
  ]);
  t.same(missing, KYVERNO_ONLY);
  t.comment(`pod-controller verdicts Kyverno autogenerates, not compared: ${autogen}`);
});
