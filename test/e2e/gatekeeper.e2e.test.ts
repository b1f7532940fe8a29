// Gatekeeper ConstraintTemplates and constraints from signed Git, unchanged: the public library's
// requiredlabels and uniqueingresshost templates (test/fixtures/public/gatekeeper-library) with
// constraints beside them, synced by the reconciler and enforced by the webhook at kubectl apply
// with Gatekeeper's messages; data.inventory from the live cluster. Real apiserver, Git, kubectl.
import t from 'tap';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startDummyProvider } from '../support/dummy-provider.js';
import { gitOpsFixture, ingress } from '../support/e2e.js';
import { expandDeployments } from '../support/policy-dirs.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import { toolPath } from '../support/tools.js';
import {
  followReconciler,
  metricValue,
  registerGitGuard,
  startTestWebhook,
} from '../support/webhook.js';

const { dir, cp, git, signer } = await gitOpsFixture(t);
const library = join(import.meta.dirname, '..', 'fixtures', 'public', 'gatekeeper-library');
const gatekeeperTests = join(import.meta.dirname, '..', 'fixtures', 'public', 'gatekeeper', 'test');
const template = (path: string) => readFileSync(join(library, 'library', path), 'utf8');
const constraint = (kind: string, name: string, spec: Record<string, unknown>) =>
  stringify({ apiVersion: 'constraints.gatekeeper.sh/v1beta1', kind, metadata: { name }, spec });
const ownerLabel = (action: string) =>
  constraint('K8sRequiredLabels', 'configmaps-need-owner', {
    enforcementAction: action,
    match: { kinds: [{ apiGroups: [''], kinds: ['ConfigMap'] }], namespaces: ['team-*'] },
    parameters: { labels: [{ key: 'owner' }] },
  });

// Before driftgate: two Ingresses that already share a host (for the audit).
await cp.kubectl(['create', 'namespace', 'legacy']);
for (const name of ['a', 'b']) {
  const r = await cp.kubectl(['apply', '-f', '-'], {
    input: ingress('legacy', name, 'old.example.com'),
  });
  if (r.code !== 0) throw new Error(r.stderr);
}
const repo = await git.createRepo('platform');
await repo.commit(
  {
    'apps/settings.yaml': JSON.stringify({
      ...JSON.parse(configMap('settings', { mode: 'strict' })),
      metadata: { name: 'settings', labels: { owner: 'sam' } },
    }),
    'policies/templates/requiredlabels.yaml': template('general/requiredlabels/template.yaml'),
    'policies/templates/uniqueingresshost.yaml': template(
      'general/uniqueingresshost/template.yaml',
    ),
    'policies/constraints/owner.yaml': ownerLabel('deny'),
    'policies/constraints/unique-hosts.yaml': constraint('K8sUniqueIngressHost', 'unique-hosts', {
      match: { kinds: [{ apiGroups: ['networking.k8s.io'], kinds: ['Ingress'] }] },
    }),
  },
  { signer },
);
const token = join(dir, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const rec = await startTestReconciler(
  cp,
  [
    {
      name: 'team',
      repoURL: repo.url,
      ref: 'main',
      path: 'apps',
      policyPath: 'policies',
      destinationNamespace: 'team-a',
      createNamespace: true,
      verification: { mode: 'head', ...trustOf(signer) },
    },
  ],
  {
    stateTokenFile: token,
    policies: {
      opaPath: toolPath('opa'),
      gate: 'enforce',
      audit: { kinds: ['networking.k8s.io/v1/Ingress', 'apps/v1/Deployment'] },
    },
  },
);
t.teardown(() => rec.stop());
await rec.sync('team');

// No local policies: the templates and constraints come from Git through the reconciler.
const empty = join(dir, 'no-local-policies');
mkdirSync(empty);
// The bundle-load metric is 0 until the first load: wait for a load after this.
const webhookStarted = Date.now();
const wh = await startTestWebhook(empty, {
  kubeconfig: cp.kubeconfigs.admin,
  inventory: { watch: true },
  gitState: followReconciler(rec.url, token),
});
t.teardown(() => wh.stop());
await registerGitGuard(cp, wh.url, wh.handle.caBundle(), 'driftgate:sre');
const alice = (args: string[], input: string) => cp.kubectl(args, { as: 'developer', input });
const unlabelled = configMap('loose', { a: 'b' });

/**
 * Wait for the event, not for a verdict: the webhook loaded a bundle at or after `sinceMs` (its
 * bundle-load timestamp metric). A loaded machine may take long; the deadline is generous.
 */
const policiesLoadedSince = (sinceMs: number) =>
  waitFor(
    'the webhook to load the policies from Git',
    async () =>
      (metricValue(await wh.metrics(), 'driftgate_policy_bundle_last_load_timestamp_seconds') ??
        0) *
        1000 >=
      sinceMs,
    120_000,
    100,
  );

t.test(
  'a constraint from signed Git denies at kubectl apply with Gatekeeper’s message',
  async (t) => {
    t.match(await rec.status('team'), { syncStatus: 'Synced', policies: { ok: true } });
    await policiesLoadedSince(webhookStarted);
    const r = await alice(['apply', '-n', 'team-a', '-f', '-'], unlabelled);
    t.not(r.code, 0, 'denied');
    t.match(
      r.stderr,
      // The template's CEL, as Gatekeeper runs it (its K8sNativeValidation engine is preferred):
      // both of its validations fail for a missing label.
      'admission webhook "validate.driftgate.io" denied the request: driftgate policy: [configmaps-need-owner] missing required label, requires all of: owner; [configmaps-need-owner] regex mismatch',
    );
    t.not((await cp.kubectl(['get', 'cm', 'loose', '-n', 'team-a'])).code, 0, 'not created');
    const elsewhere = await alice(['apply', '-n', 'default', '-f', '-'], unlabelled);
    t.equal(elsewhere.code, 0, `outside the constraint's namespaces: ${elsewhere.stderr}`);
    t.ok(
      (metricValue(await wh.metrics(), 'driftgate_policy_violations_total', {
        policy: 'configmaps-need-owner',
        action: 'enforce',
      }) ?? 0) >= 1,
      'counted like a native policy',
    );
  },
);

t.test('data.inventory: a host a live Ingress routes is refused to another', async (t) => {
  await cp.kubectl(['create', 'namespace', 'web']);
  const first = await alice(['apply', '-f', '-'], ingress('web', 'site', 'shop.example.com'));
  t.equal(first.code, 0, first.stderr);
  // A server-side dry run reaches admission every time (an unchanged apply would not).
  const copy = ingress('default', 'copy', 'shop.example.com');
  await waitFor(
    'the inventory to hold the live Ingress',
    async () =>
      (await alice(['create', '--dry-run=server', '-f', '-'], copy)).stderr.includes(
        '[unique-hosts]',
      ),
    30_000,
    250,
  );
  const r = await alice(['apply', '-f', '-'], copy);
  t.not(r.code, 0, 'denied');
  t.match(
    r.stderr,
    '[unique-hosts] ingress host conflicts with an existing ingress <shop.example.com>',
  );
  // Its own host is no conflict: an update of the Ingress that routes it is admitted.
  const again = await cp.kubectl(['label', 'ingress', 'site', '-n', 'web', 'tier=web'], {
    as: 'developer',
  });
  t.equal(again.code, 0, `the Ingress itself may change: ${again.stderr}`);
  t.ok((metricValue(await wh.metrics(), 'driftgate_webhook_inventory_objects') ?? 0) >= 1);
});

t.test(
  'the pre-apply gate: a Git-declared Ingress on a host a live one routes is held',
  async (t) => {
    await repo.commit(
      { 'apps/shop.yaml': ingress('team-a', 'shop', 'shop.example.com') },
      { signer, message: 'shop ingress' },
    );
    await rec.sync('team');
    t.match(await rec.status('team'), {
      syncStatus: 'Failed',
      policyViolations: [
        {
          object: 'Ingress team-a/shop',
          policy: 'unique-hosts',
          action: 'enforce',
          message: 'ingress host conflicts with an existing ingress <shop.example.com>',
          applied: false,
        },
      ],
    });
    t.not((await cp.kubectl(['get', 'ingress', 'shop', '-n', 'team-a'])).code, 0, 'not applied');
  },
);

t.test("the audit: Gatekeeper's data.inventory is the audited cluster", async (t) => {
  const audit = (await (await rec.control('/audit')).json()) as {
    violations: { object: string; policy: string; action: string; message: string }[];
  };
  t.strictSame(
    audit.violations
      .filter((v) => v.policy === 'unique-hosts')
      .map((v) => [v.object, v.action, v.message])
      .sort(),
    [
      [
        'Ingress legacy/a',
        'enforce',
        'ingress host conflicts with an existing ingress <old.example.com>',
      ],
      [
        'Ingress legacy/b',
        'enforce',
        'ingress host conflicts with an existing ingress <old.example.com>',
      ],
    ],
  );
});

t.test(
  'a later commit sets enforcementAction: warn; the denial becomes a warning, no restart',
  async (t) => {
    await repo.commit(
      { 'policies/constraints/owner.yaml': ownerLabel('warn') },
      {
        signer,
        message: 'owner label: warn for now',
      },
    );
    const committed = Date.now();
    await rec.sync('team');
    t.match(await rec.status('team'), { policies: { ok: true } });
    await policiesLoadedSince(committed);
    const r = await alice(['apply', '-n', 'team-a', '-f', '-'], unlabelled);
    t.equal(r.code, 0, r.stderr);
    t.match(
      r.stderr,
      'Warning: [configmaps-need-owner] missing required label, requires all of: owner',
    );
    t.equal((await cp.kubectl(['get', 'cm', 'loose', '-n', 'team-a'])).code, 0, 'created');
  },
);

t.test(
  'ExpansionTemplate: a Deployment is denied by a Pod constraint its Pod template violates',
  async (t) => {
    // Gatekeeper's documented ExpansionTemplate (website/docs/expansion.md), from Git.
    const expansion = expandDeployments(['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet']);
    const deploy = (labels: Record<string, string>) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'team-a', labels: { team: 'a' } },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api', ...labels } },
            spec: { containers: [{ name: 'api', image: 'registry.example/api:1.0' }] },
          },
        },
      });
    // Before the policy: a Deployment whose Pods would lack the label (for the audit).
    const legacy = await cp.kubectl(['apply', '-f', '-'], {
      input: deploy({}).replace('"name":"api"', '"name":"legacy-api"'),
    });
    t.equal(legacy.code, 0, legacy.stderr);
    await repo.commit(
      {
        'policies/expansion.yaml': expansion,
        'policies/constraints/pods-need-team.yaml': constraint(
          'K8sRequiredLabels',
          'pods-need-team',
          {
            match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], namespaces: ['team-a'] },
            parameters: { labels: [{ key: 'team' }] },
          },
        ),
      },
      { signer, message: 'pods need a team label, deployments too' },
    );
    const committed = Date.now();
    await rec.sync('team');
    t.match(await rec.status('team'), { policies: { ok: true } });
    await policiesLoadedSince(committed);
    const r = await alice(['apply', '--dry-run=server', '-f', '-'], deploy({}));
    t.not(r.code, 0, 'denied');
    t.match(
      r.stderr,
      '[pods-need-team] [Implied by expand-deployments] missing required label, requires all of: team',
    );
    const fixed = await alice(['apply', '-f', '-'], deploy({ team: 'a' }));
    t.equal(fixed.code, 0, `a template with the label is admitted: ${fixed.stderr}`);
    // The audit expands what it lists, as Gatekeeper's does.
    const audit = (await (await rec.control('/audit')).json()) as {
      violations: { object: string; policy: string; message: string }[];
    };
    t.strictSame(
      audit.violations
        .filter((v) => v.policy === 'pods-need-team')
        .map((v) => [v.object, v.message]),
      [
        [
          'Deployment team-a/legacy-api',
          '[Implied by expand-deployments] missing required label, requires all of: team',
        ],
        ['Deployment team-a/legacy-api', '[Implied by expand-deployments] regex mismatch'],
      ],
    );
  },
);

t.test('an Assign mutation from Git is applied at kubectl apply', async (t) => {
  await repo.commit(
    {
      'policies/mutation.yaml': stringify({
        apiVersion: 'mutations.gatekeeper.sh/v1',
        kind: 'Assign',
        metadata: { name: 'always-pull' },
        spec: {
          applyTo: [{ groups: ['apps'], kinds: ['Deployment'], versions: ['v1'] }],
          match: { namespaces: ['team-a'] },
          location: 'spec.template.spec.containers[name: *].imagePullPolicy',
          parameters: { assign: { value: 'Always' } },
        },
      }),
    },
    { signer, message: 'always pull' },
  );
  const committed = Date.now();
  await rec.sync('team');
  t.match(await rec.status('team'), { policies: { ok: true } });
  await policiesLoadedSince(committed);
  const r = await alice(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'pulled', namespace: 'team-a' },
      spec: {
        selector: { matchLabels: { app: 'pulled' } },
        template: {
          metadata: { labels: { app: 'pulled', team: 'a' } },
          spec: {
            containers: [
              { name: 'web', image: 'registry.example/web:1.0', imagePullPolicy: 'IfNotPresent' },
            ],
          },
        },
      },
    }),
  );
  t.equal(r.code, 0, r.stderr);
  const policy = await cp.kubectl([
    'get',
    'deploy',
    'pulled',
    '-n',
    'team-a',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].imagePullPolicy}',
  ]);
  t.equal(policy.stdout, 'Always', 'the mutation made it into the stored object');
});

t.test(
  'an external data provider is consulted: Deployments judged by it, a Pod mutated by it',
  async (t) => {
    // Gatekeeper's own external data test (test/fixtures/public/gatekeeper/test/externaldata):
    // its template, constraint, mutators and examples, from Git, with a local HTTPS provider.
    const provider = await startDummyProvider();
    t.teardown(() => provider.close());
    const ext = (path: string) =>
      readFileSync(join(gatekeeperTests, 'externaldata', 'dummy-provider', path), 'utf8');
    const providerDoc = parse(ext('manifest/provider.yaml')) as { spec: object };
    await cp.kubectl(['create', 'namespace', 'ext-data']);
    // No controller manager here: the namespace's default ServiceAccount is made by hand.
    await cp.kubectl(['create', 'serviceaccount', 'default', '-n', 'ext-data']);
    await repo.commit(
      {
        'policies/externaldata/provider.yaml': stringify({
          ...providerDoc,
          spec: { ...providerDoc.spec, url: provider.url, caBundle: provider.caBundle },
        }),
        'policies/externaldata/template.yaml': ext('policy/template.yaml'),
        'policies/externaldata/constraint.yaml': ext('policy/constraint.yaml'),
        'policies/externaldata/mutation.yaml': ext('mutation/valid.yaml'),
      },
      { signer, message: 'images vouched for by the provider' },
    );
    const committed = Date.now();
    await rec.sync('team');
    t.match(await rec.status('team'), { policies: { ok: true } });
    await policiesLoadedSince(committed);
    const apply = (file: string) =>
      cp.kubectl(['apply', '-n', 'ext-data', '-f', '-'], { input: ext(`policy/examples/${file}`) });
    const error = await apply('error.yaml');
    t.not(error.code, 0, 'a key the provider refuses: denied');
    t.match(error.stderr, '[dummy] invalid response: {"errors": [["error_test/image:latest"');
    const system = await apply('system-error.yaml');
    t.not(system.code, 0, 'a provider that fails: denied (the template says so)');
    t.match(system.stderr, '"system_error": "testing system error"');
    const valid = await apply('valid.yaml');
    t.equal(valid.code, 0, `a key the provider vouches for: admitted ${valid.stderr}`);

    const who = await cp.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    const pod = await cp.kubectl([
      'run',
      'nginx',
      '-n',
      'ext-data',
      '--image=nginx',
      '--dry-run=server',
      '-o',
      'json',
    ]);
    t.equal(pod.code, 0, pod.stderr);
    const mutated = JSON.parse(pod.stdout) as {
      metadata: { annotations?: Record<string, string> };
      spec: { containers: { name: string; image: string }[] };
    };
    t.equal(mutated.metadata.annotations?.['external-data-username'], `${who.stdout}_valid`);
    t.same(
      mutated.spec.containers.map((c) => [c.name, c.image]),
      [
        ['nginx', 'nginx_valid'],
        ['networking', 'busybox_valid'],
      ],
    );
    const refused = await cp.kubectl(
      ['run', 'busybox', '-n', 'ext-data', '--image=error_busybox', '--dry-run=server'],
      {},
    );
    t.not(refused.code, 0, 'a key error under failurePolicy Fail refuses the Pod');
    t.match(refused.stderr, 'error_busybox_invalid');
  },
);
