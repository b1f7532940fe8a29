// A GitSource applying to another cluster: the platform lists which clusters a namespace may
// target; a tenant names only a kubeconfig Secret of its own namespace; a bad one stalls the
// GitSource with a reason and no credential in it.
import t from 'tap';
import { stringify } from 'yaml';
import { sourceFromGitSource, type GitSourceObject } from '../../../reconciler/gitsource/spec.js';
import type { TenancyRules } from '../../../reconciler/config/config.js';

const TRUST = { sshAllowedSigners: 'sam@example.com namespaces="git" ssh-ed25519 AAAA\n' };
const TOKEN = 'spoke-token-value';
const gs = (spec: Record<string, unknown>, namespace = 'team-a'): GitSourceObject => ({
  metadata: { name: 'web', namespace, uid: 'u1', generation: 1 },
  spec: {
    repoURL: 'https://git.example/apps.git',
    verification: { configMapRef: { name: 'trust' } },
    kubeConfig: { secretRef: { name: 'spoke' } },
    ...spec,
  },
});
const kubeconfig = (server = 'https://spoke.example:6443', user: Record<string, unknown> = {}) =>
  stringify({
    clusters: [{ name: 's', cluster: { server } }],
    users: [{ name: 'u', user: { token: TOKEN, ...user } }],
    contexts: [{ name: 'c', context: { cluster: 's', user: 'u' } }],
    'current-context': 'c',
  });
const RULES: TenancyRules = {
  requireServiceAccount: false,
  crossNamespace: false,
  clusters: [
    { name: 'spoke-eu', server: 'https://SPOKE.example:6443/', namespaces: ['team-a'] },
    { name: 'shared', server: 'https://shared.example', namespaces: ['*'] },
  ],
};
const run = (
  spec: Record<string, unknown>,
  secret: Record<string, string> | undefined,
  rules: TenancyRules = RULES,
  ns = 'team-a',
) => sourceFromGitSource(gs(spec, ns), TRUST, rules, undefined, undefined, secret);

t.test('a listed cluster for this namespace: the source applies there', async (t) => {
  const { source, problems } = run({}, { value: kubeconfig() });
  t.strictSame(problems, []);
  t.strictSame(source?.remote, {
    cluster: 'spoke-eu',
    kubeConfig: { server: 'https://spoke.example:6443', token: TOKEN },
  });
  // value.yaml when value is absent (Flux's keys); an explicit key is read as named.
  t.equal(run({}, { 'value.yaml': kubeconfig() }).source?.remote?.cluster, 'spoke-eu');
  const keyed = run(
    { kubeConfig: { secretRef: { name: 'spoke', key: 'hub' } } },
    { hub: kubeconfig() },
  );
  t.equal(keyed.source?.remote?.cluster, 'spoke-eu');
  // "*": any namespace may target it.
  t.equal(
    run({}, { value: kubeconfig('https://shared.example') }, RULES, 'team-b').source?.remote
      ?.cluster,
    'shared',
  );
  // Without spec.kubeConfig: the reconciler's own cluster.
  t.equal(run({ kubeConfig: undefined }, undefined).source?.remote, undefined);
});

t.test('the platform decides which clusters a namespace may target', async (t) => {
  const refused = (r: ReturnType<typeof run>) => {
    t.equal(r.source, undefined, 'nothing runs');
    return r.problems;
  };
  t.strictSame(refused(run({}, { value: kubeconfig('https://elsewhere.example') })), [
    'kubeConfig Secret spoke: the platform lists no cluster at https://elsewhere.example (gitSources.clusters)',
  ]);
  t.strictSame(refused(run({}, { value: kubeconfig() }, RULES, 'team-b')), [
    'kubeConfig Secret spoke: the platform does not let namespace team-b target cluster spoke-eu',
  ]);
  // No clusters listed (the default): no GitSource targets another cluster.
  t.strictSame(
    refused(
      run({}, { value: kubeconfig() }, { requireServiceAccount: false, crossNamespace: false }),
    ),
    [
      'kubeConfig Secret spoke: the platform lists no cluster at https://spoke.example:6443 (gitSources.clusters)',
    ],
  );
});

t.test('a missing or bad Secret stalls the GitSource; no credential is quoted', async (t) => {
  const problems = (spec: Record<string, unknown>, secret: Record<string, string> | undefined) =>
    run(spec, secret).problems;
  t.strictSame(problems({}, undefined), ['kubeConfig Secret spoke not found in team-a']);
  t.strictSame(problems({}, { other: 'x' }), [
    'kubeConfig Secret spoke has no key value or value.yaml',
  ]);
  t.strictSame(problems({ kubeConfig: { secretRef: {} } }, undefined), [
    'spec.kubeConfig.secretRef.name is required',
  ]);
  const exec = problems({}, { value: kubeconfig(undefined, { exec: { command: 'sh' } }) });
  t.strictSame(exec, [
    'kubeConfig Secret spoke: user.exec is refused: an exec credential plugin would run a command in the reconciler',
  ]);
  t.notOk(JSON.stringify(exec).includes(TOKEN));
  // A spoke's policies come from its own reconciler: policyPath is not taken with kubeConfig.
  t.strictSame(problems({ policyPath: 'policies' }, { value: kubeconfig() }), [
    "spec.policyPath is not taken with spec.kubeConfig: a spoke's policies come from its own reconciler",
  ]);
});
