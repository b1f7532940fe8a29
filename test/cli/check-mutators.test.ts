// `driftgate check` says at once when two mutators in the policy tree conflict (Gatekeeper's
// schema conflict): neither would run, and the author meant both to.
import t from 'tap';
import { assignOnPods, GOOD_POLICY, policyDir } from '../support/policy-dirs.js';
import { runCli } from '../support/run-cli.js';
import { toolPath } from '../support/tools.js';
import { configMap } from '../support/reconciler.js';

const assign = (name: string, location: string) => assignOnPods(name, location, 'Always');
const policies = policyDir({
  ...GOOD_POLICY,
  'gk/pull-keyed.yaml': assign('pull-keyed', 'spec.containers[name: *].imagePullPolicy'),
  'gk/pull-object.yaml': assign('pull-object', 'spec.containers.imagePullPolicy'),
});
t.teardown(policies.cleanup);
const manifests = t.testdir({ 'settings.yaml': configMap('settings', { a: 'b' }) });

t.test('a mutator schema conflict is a warning naming both, the kind and the node', async (t) => {
  const r = await runCli([
    'check',
    manifests,
    '--policies',
    policies.dir,
    '--opa',
    toolPath('opa'),
  ]);
  t.equal(r.code, 0, r.stderr);
  t.same(r.stderr.trim().split('\n'), [
    'driftgate check: warning: mutator not applied: Assign pull-keyed and Assign pull-object conflict on /v1/Pod at spec.containers: a list keyed by name against an object; neither is applied',
  ]);
});
