import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNamespace, startControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/processes.js';
import { deployment, metricValue, registerWebhooks, startTestWebhook } from '../support/webhook.js';

// One real kube-apiserver calling the real webhook (in this process) over HTTPS on 127.0.0.1,
// with the generated CA as caBundle; kubectl runs as the non-admin developer.
const cp = await startControlPlane();
t.teardown(() => cp.stop());
// The platform raises the best-practice image policy from its default (warn) to enforce.
const wh = await startTestWebhook(undefined, {
  enforcementOverrides: { 'images/disallow_latest': 'enforce' },
});
t.teardown(() => wh.stop());
await registerWebhooks(cp, wh.url, wh.handle.caBundle());
const ns = await createNamespace(cp, 'shop');

const apply = (manifest: string, extra: string[] = [], as: 'developer' | 'admin' = 'developer') =>
  cp.kubectl(['apply', '-f', '-', ...extra], { as, input: manifest });

// The apiserver picks up new webhook configurations within a moment.
await waitFor(
  'the webhook to be called',
  async () => {
    const r = await apply(deployment('probe', ns, { image: 'registry.example/x:latest' }), [
      '--dry-run=server',
    ]);
    return r.code !== 0 && r.stderr.includes('driftgate');
  },
  30_000,
  250,
);

t.test('an :latest image is denied and kubectl prints the policy message', async (t) => {
  const r = await apply(deployment('latest', ns, { image: 'registry.example/shop/web:latest' }));
  t.not(r.code, 0, 'kubectl fails');
  t.match(
    r.stderr,
    'admission webhook "validate.driftgate.io" denied the request: driftgate policy: [images/disallow_latest]',
  );
  t.match(r.stderr, 'uses image "registry.example/shop/web:latest": pin a version tag or digest');
  const get = await cp.kubectl(['get', 'deploy', 'latest', '-n', ns]);
  t.not(get.code, 0, 'nothing was stored');
});

t.test('a compliant Deployment is admitted and carries the mutating policy label', async (t) => {
  // Compliant with every policy, Pod Security restricted included.
  const web = JSON.parse(deployment('web', ns));
  const pod = web.spec.template.spec;
  pod.securityContext.seccompProfile = { type: 'RuntimeDefault' };
  pod.containers[0].securityContext.capabilities = { drop: ['ALL'] };
  const r = await apply(JSON.stringify(web));
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stderr, /Warning/, 'no warnings for a compliant object');
  const label = await cp.kubectl([
    'get',
    'deploy',
    'web',
    '-n',
    ns,
    '-o',
    'jsonpath={.metadata.labels.team}',
  ]);
  t.equal(label.stdout, 'unassigned', 'default label added by labels/default_labels');
  const kept = await cp.kubectl([
    'get',
    'deploy',
    'web',
    '-n',
    ns,
    '-o',
    'jsonpath={.metadata.labels.app\\.kubernetes\\.io/name}',
  ]);
  t.equal(kept.stdout, 'web', 'declared labels untouched');
});

t.test('a warn-mode policy lets the change through with a kubectl Warning', async (t) => {
  const r = await apply(deployment('elsewhere', ns, { image: 'quay.io/other/web:2.0' }));
  t.equal(r.code, 0, r.stderr);
  t.match(
    r.stderr,
    /Warning: \[images\/allowed_registries\] containers "app" uses image "quay\.io\/other\/web:2\.0"/,
  );
});

t.test('server-side dry run is evaluated and stores nothing', async (t) => {
  const bad = await apply(deployment('dry-bad', ns, { image: 'registry.example/a' }), [
    '--dry-run=server',
  ]);
  t.match(
    bad.stderr,
    /denied the request: driftgate policy: \[images\/disallow_latest\]/,
    'dry run evaluated',
  );
  const good = await apply(deployment('dry-good', ns), ['--dry-run=server']);
  t.equal(good.code, 0, good.stderr);
  t.match(good.stdout, /created \(server dry run\)/);
  const get = await cp.kubectl(['get', 'deploy', 'dry-good', '-n', ns]);
  t.not(get.code, 0, 'not persisted');
});

t.test('nothing in kube-system is ever blocked', async (t) => {
  const before =
    metricValue(await wh.metrics(), 'driftgate_admission_requests_total', {
      endpoint: 'validate',
      operation: 'CREATE',
      decision: 'exempt',
    }) ?? 0;
  const r = await apply(
    deployment('sys', 'kube-system', { image: 'registry.example/sys:latest', labels: {} }),
    [],
    'admin',
  );
  t.equal(r.code, 0, `violating object in kube-system admitted: ${r.stderr}`);
  const after =
    metricValue(await wh.metrics(), 'driftgate_admission_requests_total', {
      endpoint: 'validate',
      operation: 'CREATE',
      decision: 'exempt',
    }) ?? 0;
  t.ok(after > before, 'the webhook was called and exempted it');
});

t.test('a broken policy in the watched directory keeps the last good bundle', async (t) => {
  const revision = wh.handle.store.current?.revision;
  const errorsBefore =
    metricValue(await wh.metrics(), 'driftgate_policy_bundle_load_errors_total', {
      stage: 'test',
    }) ?? 0;
  writeFileSync(
    join(wh.policyDir, 'images', 'disallow_latest', 'policy.rego'),
    'package driftgate.images.disallow_latest\n\ndeny contains msg if {\n',
  );
  await waitFor(
    'the load error metric',
    async () => {
      const now =
        metricValue(await wh.metrics(), 'driftgate_policy_bundle_load_errors_total', {
          stage: 'test',
        }) ?? 0;
      return now > errorsBefore;
    },
    20_000,
    100,
  );
  t.equal(wh.handle.store.current?.revision, revision, 'same bundle revision in force');
  t.match(wh.handle.store.lastError?.message, /rego_parse_error/, 'the error says why');
  t.equal(
    metricValue(await wh.metrics(), 'driftgate_policy_bundle_info', { revision: revision ?? '' }),
    1,
    'bundle info still names the old revision',
  );
  const r = await apply(
    deployment('still-denied', ns, { image: 'registry.example/shop/web:latest' }),
  );
  t.match(r.stderr, /\[images\/disallow_latest\]/, 'the old policy still holds');
});
