import t from 'tap';
import { readPolicyFiles } from '../../../policies/engine/compose.js';
import { policyDir } from '../../support/policy-dirs.js';

t.test(
  "a local library's files: Rego, policy.yaml, Gatekeeper YAML and suites, never its enforcement file",
  async (t) => {
    const p = policyDir({
      'a/b/policy.rego': 'package driftgate.a.b\n',
      'a/b/policy.yaml': 'enforcement: warn\n',
      'a/b/notes.md': '# not policy\n',
      'gk/template.yaml': 'kind: ConstraintTemplate\n',
      'gk/suite.yaml': 'kind: Suite\n',
      'gk/samples/pod.yml': 'kind: Pod\n',
      'enforcement.yaml': 'policies: {}\n',
      'kustomization.yaml': 'resources: []\n',
    });
    t.teardown(p.cleanup);
    t.same(Object.keys(readPolicyFiles(p.dir)).sort(), [
      'a/b/policy.rego',
      'a/b/policy.yaml',
      'gk/samples/pod.yml',
      'gk/suite.yaml',
      'gk/template.yaml',
    ]);
  },
);
