// The demo's example config repo: two environment folders and a policy with its test.
import { deployment } from '../../test/support/webhook.js';

export const SRE_GROUP = 'driftgate:sre';

const settings = (env: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', labels: { 'app.kubernetes.io/name': 'web' } },
    data: { environment: env, logLevel: env === 'prod' ? 'warn' : 'debug' },
  }) + '\n';

const web = (replicas: number): string => {
  const d = JSON.parse(deployment('web', 'x')) as {
    metadata: Record<string, unknown>;
    spec: { replicas: number };
  };
  delete d.metadata.namespace;
  d.spec.replicas = replicas;
  return JSON.stringify(d) + '\n';
};

const NO_DEBUG = `# ConfigMaps must not switch debug on: it logs request bodies.
package driftgate.config.no_debug

import rego.v1

deny contains msg if {
\tinput.request.kind.kind == "ConfigMap"
\tinput.request.object.data.debug == "true"
\tmsg := sprintf("ConfigMap %s turns debug on: remove data.debug", [input.request.object.metadata.name])
}
`;

const NO_DEBUG_TEST = `package driftgate.config.no_debug_test

import rego.v1

import data.driftgate.config.no_debug

test_debug_denied if {
\tcount(no_debug.deny) == 1 with input as {"request": {"kind": {"kind": "ConfigMap"}, "object": {"metadata": {"name": "x"}, "data": {"debug": "true"}}}}
}

test_other_allowed if {
\tcount(no_debug.deny) == 0 with input as {"request": {"kind": {"kind": "ConfigMap"}, "object": {"metadata": {"name": "x"}, "data": {}}}}
}
`;

/** Path → content of the first commit. */
export function demoRepo(): Record<string, string> {
  return {
    'envs/dev/web.yaml': web(1),
    'envs/dev/settings.yaml': settings('dev'),
    'envs/prod/web.yaml': web(3),
    'envs/prod/settings.yaml': settings('prod'),
    'policies/config/no_debug/policy.rego': NO_DEBUG,
    'policies/config/no_debug/policy_test.rego': NO_DEBUG_TEST,
    'policies/config/no_debug/policy.yaml':
      'description: ConfigMaps must not switch debug on.\nenforcement: enforce\n',
  };
}
