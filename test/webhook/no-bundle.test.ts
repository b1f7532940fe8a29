// Before any bundle is live: refused when policies are configured, allowed (with a warning)
// when there are none to check. And which files a failed build blames (blamedFiles).
import t from 'tap';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { blamedFiles } from '../../policies/engine/blame.js';
import { makeExemptions } from '../../webhook/exemptions.js';
import { handleRequest } from '../../webhook/handler.js';
import { AdmissionMetrics } from '../../webhook/metrics.js';
import type { AdmissionRequest } from '../../webhook/types.js';

const request: AdmissionRequest = {
  uid: 'u',
  kind: { group: '', version: 'v1', kind: 'ConfigMap' },
  resource: { group: '', version: 'v1', resource: 'configmaps' },
  name: 'x',
  namespace: 'shop',
  operation: 'CREATE',
  userInfo: { username: 'alice' },
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
  oldObject: null,
};
const answer = (expected: boolean) =>
  handleRequest(request, 'validate', {
    bundle: () => undefined,
    policiesExpected: () => expected,
    exemptions: makeExemptions('dg'),
    metrics: new AdmissionMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
  });

t.test('no bundle live', async (t) => {
  const refused = await answer(true);
  t.equal(refused.allowed, false);
  t.equal(refused.status?.code, 500);
  t.match(refused.status?.message, /^driftgate: WEBHOOK_NO_POLICIES: no policy bundle is live yet/);
  const none = await answer(false);
  t.equal(none.allowed, true, 'no policies configured: nothing to check');
  t.match(none.warnings, ['driftgate has no policy bundle loaded yet: policies were not checked']);
});

t.test(
  'blamed files: the policy folder or the template and its constraints a message names',
  async (t) => {
    const template = stringify({
      apiVersion: 'templates.gatekeeper.sh/v1',
      kind: 'ConstraintTemplate',
      metadata: { name: 'k8sbroken' },
      spec: {
        crd: { spec: { names: { kind: 'K8sBroken' } } },
        targets: [{ target: 'admission.k8s.gatekeeper.sh', rego: 'package k8sbroken\n' }],
      },
    });
    const constraint = stringify({
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: 'K8sBroken',
      metadata: { name: 'c' },
    });
    const files = {
      'images/latest/policy.rego': 'package driftgate.images.latest\n',
      'images/latest/policy_test.rego': 'package driftgate.images.latest\n',
      'images/other/policy.rego': 'package driftgate.images.other\n',
      'gk/template.yaml': template,
      'gk/constraints.yaml': constraint,
    };
    t.strictSame(
      blamedFiles(files, '1 error occurred: images/latest/policy.rego:7: rego_type_error'),
      ['images/latest/policy.rego', 'images/latest/policy_test.rego'],
    );
    t.strictSame(
      blamedFiles(files, 'gatekeeper_templates/k8sbroken/template.rego:5: rego_unsafe_var_error'),
      ['gk/constraints.yaml', 'gk/template.yaml'],
    );
    t.strictSame(blamedFiles(files, 'opa: out of memory'), [], 'nothing named: nothing guessed');
  },
);
