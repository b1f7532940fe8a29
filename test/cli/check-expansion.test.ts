// `driftgate check` judges a workload as the Pod it creates when the policy tree carries an
// ExpansionTemplate (Gatekeeper's), with the public library's requiredlabels template.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expandDeployments, policyDir } from '../support/policy-dirs.js';
import { runCli } from '../support/run-cli.js';
import { toolPath } from '../support/tools.js';

const library = join(import.meta.dirname, '..', 'fixtures', 'public', 'gatekeeper-library');
const policies = policyDir({
  'gk/requiredlabels.yaml': readFileSync(
    join(library, 'library/general/requiredlabels/template.yaml'),
    'utf8',
  ),
  'gk/pods-need-team.yaml': stringify({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'K8sRequiredLabels',
    metadata: { name: 'pods-need-team' },
    spec: {
      match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }] },
      parameters: { labels: [{ key: 'team' }] },
    },
  }),
  'gk/expansion.yaml': expandDeployments(['Deployment'], { enforcementAction: 'warn' }),
});
t.teardown(policies.cleanup);
const manifests = t.testdir({
  'api.yaml': stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: { containers: [{ name: 'api', image: 'registry.example/api:1.0' }] },
      },
    },
  }),
});

t.test('a Deployment is judged as its Pod, with the template’s action', async (t) => {
  const r = await runCli([
    'check',
    manifests,
    '--policies',
    policies.dir,
    '--opa',
    toolPath('opa'),
  ]);
  t.equal(r.code, 0, `a warning does not fail the check: ${r.stderr}`);
  // The library template's CEL, as Gatekeeper runs it: both of its validations fail.
  t.same(r.stdout.split('\n'), [
    'WARN api.yaml: Deployment shop/api: [pods-need-team] [Implied by expand-deployments] missing required label, requires all of: team',
    'WARN api.yaml: Deployment shop/api: [pods-need-team] [Implied by expand-deployments] regex mismatch',
    '1 objects checked against 1 policies: 0 violations, 2 warnings',
  ]);
});
