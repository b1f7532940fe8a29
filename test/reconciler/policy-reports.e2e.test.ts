// The audit's and the pre-apply gate's results as PolicyReports on the real apiserver, with the
// wgpolicyk8s.io CRDs the chart ships (vendored from kubernetes-sigs/wg-policy-prototypes): one
// report per namespace with a finding, read with kubectl, updated in place, removed when the
// namespace is clean, bounded; a partial audit deletes none.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gitOpsFixture } from '../support/e2e.js';
import { mustKubectl, openCrd } from '../support/gitsources.js';
import { GOOD_POLICY, policyDir } from '../support/policy-dirs.js';
import { configMap, signedSource, startTestReconciler } from '../support/reconciler.js';
import { toolPath } from '../support/tools.js';
import { exec } from '../../core/exec.js';
import { parseAllDocuments } from 'yaml';
import { MAX_RESULTS } from '../../reconciler/policy/policy-reports.js';

const { cp, git, signer } = await gitOpsFixture(t);
const must = mustKubectl(cp);
const crds = join(
  import.meta.dirname,
  '..',
  '..',
  'charts',
  'driftgate',
  'files',
  'policy-reports',
);
for (const f of readdirSync(crds).filter((f) => f.endsWith('.yaml')))
  await must(['apply', '--server-side', '-f', join(crds, f)]);
await must(['wait', '--for=condition=Established', 'crd/policyreports.wgpolicyk8s.io']);
await must(['wait', '--for=condition=Established', 'crd/clusterpolicyreports.wgpolicyk8s.io']);

const cm = (ns: string, name: string, data: Record<string, string>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });
for (const ns of ['alpha', 'beta', 'clean', 'bulk']) await must(['create', 'namespace', ns]);
await must(
  ['apply', '-f', '-'],
  [
    cm('alpha', 'bad', { forbidden: 'x' }),
    cm('alpha', 'fine', { ok: 'x' }),
    cm('beta', 'bad', { forbidden: 'y' }),
    cm('clean', 'fine', { ok: 'x' }),
    ...Array.from({ length: MAX_RESULTS + 5 }, (_, i) =>
      cm('bulk', `bad-${i}`, { forbidden: 'z' }),
    ),
  ].join('\n'),
);

// A kind the audit lists, served by a CRD the last test removes (the audit then sees part).
await must(['apply', '-f', '-'], JSON.stringify(openCrd('example.com', 'Widget')));
await must(['wait', '--for=condition=Established', 'crd/widgets.example.com']);

// A GitSource whose commit declares one ConfigMap the gate holds and one it lets through.
const repo = await git.createRepo('shop');
await repo.commit(
  {
    'apps/bad.yaml': configMap('bad-cm', { forbidden: 'x' }),
    'apps/good.yaml': configMap('good-cm', { ok: 'x' }),
  },
  { signer },
);
const policies = policyDir(GOOD_POLICY);
t.teardown(policies.cleanup);
const rec = await startTestReconciler(cp, [signedSource('shop', repo.url, signer)], {
  policies: {
    opaPath: toolPath('opa'),
    dir: policies.dir,
    gate: 'enforce',
    audit: { interval: '0', kinds: ['v1/ConfigMap', 'example.com/v1/Widget'] },
  },
});
t.teardown(() => rec.stop());

interface Report {
  metadata: { namespace: string; name: string; uid: string; labels: Record<string, string> };
  summary: Record<string, number>;
  results: {
    policy: string;
    result: string;
    message: string;
    source: string;
    properties: Record<string, string>;
    resources: Record<string, string>[];
  }[];
}
const reports = async (name = 'driftgate-audit'): Promise<Report[]> =>
  (
    JSON.parse(await must(['get', 'policyreports', '-A', '-o', 'json'])) as { items: Report[] }
  ).items.filter((r) => r.metadata.name === name);

t.test('one PolicyReport per namespace with a finding, as kubectl shows it', async (t) => {
  const audit = await rec.control('/audit');
  t.equal(audit.status, 200);
  const got = await reports();
  t.same(got.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort(), [
    'alpha/driftgate-audit',
    'beta/driftgate-audit',
    'bulk/driftgate-audit',
  ]);
  const alpha = got.find((r) => r.metadata.namespace === 'alpha') as Report;
  t.same(alpha.metadata.labels, { 'app.kubernetes.io/managed-by': 'driftgate' });
  t.match(alpha.summary, { fail: 1, warn: 0, error: 0, skip: 0 });
  t.ok((alpha.summary.pass ?? 0) >= 1, 'the clean ConfigMap passed');
  t.equal(alpha.results.length, 1);
  const [r] = alpha.results;
  t.match(r, {
    policy: 'demo/no_forbidden',
    result: 'fail',
    message: 'key forbidden is not allowed',
    source: 'driftgate',
    properties: { action: 'enforce' },
  });
  t.match(r?.resources, [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'alpha', name: 'bad' }]);
  t.match(r?.resources[0]?.uid, /^[0-9a-f-]{36}$/);
  const table = await must(['get', 'polr', '-A']);
  t.match(
    table,
    /alpha\s+driftgate-audit\s+\d+\s+1\s+0\s+0\s+0/,
    'PASS FAIL WARN ERROR SKIP columns',
  );
  const bulk = got.find((r) => r.metadata.namespace === 'bulk') as Report;
  t.equal(bulk.results.length, MAX_RESULTS, 'results are bounded');
  t.equal(bulk.summary.fail, MAX_RESULTS + 5, 'the summary counts them all');
});

t.test('the next audit updates reports in place and removes a clean namespace’s', async (t) => {
  const before = new Map((await reports()).map((r) => [r.metadata.namespace, r.metadata.uid]));
  await must(['apply', '-f', '-'], cm('alpha', 'bad', { now: 'fine' }));
  await must(['apply', '-f', '-'], cm('beta', 'second', { forbidden: 'again' }));
  t.equal((await rec.control('/audit')).status, 200);
  const got = await reports();
  t.same(got.map((r) => r.metadata.namespace).sort(), ['beta', 'bulk'], "alpha's report is gone");
  const beta = got.find((r) => r.metadata.namespace === 'beta') as Report;
  t.equal(beta.metadata.uid, before.get('beta'), 'the same object, updated');
  t.equal(beta.summary.fail, 2);
  t.same(beta.results.map((r) => r.resources[0]?.name).sort(), ['bad', 'second']);
});

t.test("the gate: a GitSource's findings in its namespace, gone once Git is fixed", async (t) => {
  await rec.sync('shop');
  const [gate, ...more] = await reports('driftgate-gate-shop');
  t.same(more, [], 'one report: the source declares one namespace');
  t.equal(gate?.metadata.namespace, 'shop');
  t.same(gate?.metadata.labels, {
    'app.kubernetes.io/managed-by': 'driftgate',
    'driftgate.io/gitsource': 'shop',
  });
  t.same(gate?.summary, { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
  t.match(gate?.results, [
    {
      policy: 'demo/no_forbidden',
      result: 'fail',
      message: 'key forbidden is not allowed',
      properties: { action: 'enforce', gitSource: 'shop' },
      resources: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'bad-cm' }],
    },
  ]);
  t.equal((await rec.control('/audit')).status, 200);
  t.equal((await reports('driftgate-gate-shop')).length, 1, "the audit leaves the gate's report");
  await repo.commit({ 'apps/bad.yaml': configMap('bad-cm', { now: 'fine' }) }, { signer });
  await rec.sync('shop');
  t.same(await reports('driftgate-gate-shop'), [], 'no finding left: the report is deleted');
});

t.test('an audit that could not list a kind deletes no report', async (t) => {
  await must(['apply', '-f', '-'], cm('beta', 'bad', { now: 'fine' }));
  await must(['apply', '-f', '-'], cm('beta', 'second', { now: 'fine' }));
  await must(['delete', 'crd', 'widgets.example.com', '--wait']);
  const audit = (await (await rec.control('/audit')).json()) as { errors: string[] };
  t.match(audit.errors, [/^example\.com\/v1\/Widget: /], 'the kind it could not list');
  t.same(
    (await reports()).map((r) => r.metadata.namespace).sort(),
    ['beta', 'bulk'],
    "beta's report kept: the audit saw only part of the cluster",
  );
});

t.test("a namespace's viewers read its reports through the chart's aggregated role", async (t) => {
  const chart = join(import.meta.dirname, '..', '..', 'charts', 'driftgate');
  const r = await exec(
    toolPath('helm'),
    ['template', 'driftgate', chart, '-n', 'driftgate-system', '--kube-version', '1.35.4'],
    {
      timeoutMs: 60_000,
    },
  );
  t.equal(r.code, 0, r.stderr);
  const viewer = parseAllDocuments(r.stdout)
    .map((d) => d.toJSON() as { kind?: string; metadata?: { name?: string } } | null)
    .find((d) => d?.kind === 'ClusterRole' && d.metadata?.name === 'driftgate-gitsource-viewer');
  t.ok(viewer, 'the chart renders the viewer role');
  await must(['apply', '-f', '-'], JSON.stringify(viewer));
  // This control plane runs no controller-manager to fold the role into `view` (its
  // aggregate-to-view label does that in a cluster; the chart test checks the label): a
  // namespace's RoleBinding to the role itself grants what `view` would.
  await must([
    'create',
    'rolebinding',
    'dev-view',
    '-n',
    'beta',
    '--clusterrole=driftgate-gitsource-viewer',
    '--user=dev',
  ]);
  const asDev = (args: string[]) => cp.kubectl([...args, '--as=dev']);
  t.match((await asDev(['get', 'polr', '-n', 'beta', '-o', 'name'])).stdout, 'driftgate-audit');
  const other = await asDev(['get', 'polr', '-n', 'bulk']);
  t.not(other.code, 0, 'another namespace is not readable');
  t.match(other.stderr, /forbidden/i);
  t.not((await asDev(['get', 'cpolr'])).code, 0, 'nor the cluster-scoped report');
});
