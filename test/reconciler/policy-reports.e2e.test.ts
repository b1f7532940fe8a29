// The audit's results as PolicyReports on the real apiserver, with the wgpolicyk8s.io CRDs the
// chart ships (vendored from kubernetes-sigs/wg-policy-prototypes): one report per namespace with
// a finding, read with kubectl, updated in place, removed when the namespace is clean, bounded.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gitOpsFixture } from '../support/e2e.js';
import { mustKubectl } from '../support/gitsources.js';
import { GOOD_POLICY, policyDir } from '../support/policy-dirs.js';
import { startTestReconciler } from '../support/reconciler.js';
import { toolPath } from '../support/tools.js';
import { MAX_RESULTS } from '../../reconciler/policy/policy-reports.js';

const { cp } = await gitOpsFixture(t);
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

const policies = policyDir(GOOD_POLICY);
t.teardown(policies.cleanup);
const rec = await startTestReconciler(cp, [], {
  policies: {
    opaPath: toolPath('opa'),
    dir: policies.dir,
    audit: { interval: '0', kinds: ['v1/ConfigMap'] },
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
const reports = async (): Promise<Report[]> =>
  (JSON.parse(await must(['get', 'policyreports', '-A', '-o', 'json'])) as { items: Report[] })
    .items;

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
