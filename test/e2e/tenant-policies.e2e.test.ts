// Tenancy in the policy plane (issue 26), through the real apiserver: a tenant's GitSource
// carries policies (policyPath) that deny and mutate. They speak inside the tenant's namespaces
// and nowhere else, at admission (the webhook follows the reconciler's bundle) and in the
// reconciler's pre-apply gate. Real apiserver, Git server, kubectl, opa.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import { toolPath } from '../support/tools.js';
import { followReconciler, registerWebhooks, startTestWebhook } from '../support/webhook.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';

const { dir, cp, git, signer } = await gitOpsFixture(t);
const must = mustKubectl(cp);
await installGitSourceApi(cp);
for (const ns of ['team-a', 'team-b']) {
  await trustingNamespace(cp, ns, signer);
  // No controller-manager here: the ServiceAccount admission plugin wants one for Pods.
  await must(['create', 'serviceaccount', 'default', '-n', ns]);
}

const debugCm = (name: string) =>
  JSON.stringify({
    ...JSON.parse(configMap(name, { v: '1' })),
    metadata: { name, labels: { debug: 'true' } },
  });
const rego = (pkg: string, body: string) =>
  `package driftgate.${pkg}\n\nimport rego.v1\n\nobj := input.request.object\n\n${body}\n`;
// Another team's secrets and settings, which no tenant template may read.
await must([
  'create',
  'secret',
  'generic',
  'db',
  '-n',
  'team-b',
  '--from-literal=password=hunter2',
]);
await must([
  'create',
  'configmap',
  'private',
  '-n',
  'team-b',
  '--from-literal=plan=team-b-roadmap',
]);
// A template that prints every object of data.inventory it can see: the tenant asks for Secrets.
const leakyTemplate = stringify({
  apiVersion: 'templates.gatekeeper.sh/v1',
  kind: 'ConstraintTemplate',
  metadata: {
    name: 'k8sleaky',
    annotations: {
      'metadata.gatekeeper.sh/requires-sync-data': JSON.stringify([
        [{ groups: [''], versions: ['v1'], kinds: ['Secret', 'ConfigMap'] }],
      ]),
    },
  },
  spec: {
    crd: { spec: { names: { kind: 'K8sLeaky' } } },
    targets: [
      {
        target: 'admission.k8s.gatekeeper.sh',
        rego: [
          'package k8sleaky',
          'violation[{"msg": msg}] {',
          '  obj := data.inventory.namespace[ns][_][kind][name]',
          '  msg := sprintf("saw %v %v/%v: %v", [kind, ns, name, object.get(obj, "data", {})])',
          '}',
          '',
        ].join('\n'),
      },
    ],
  },
});
const leakyConstraint = stringify({
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind: 'K8sLeaky',
  metadata: { name: 'see-everything' },
  spec: {
    enforcementAction: 'warn',
    match: { kinds: [{ apiGroups: [''], kinds: ['ConfigMap'] }] },
  },
});
const tenantRepo = await git.createRepo('team-a-policies');
await tenantRepo.commit(
  {
    'app/plain.yaml': configMap('plain', { v: '1' }),
    'policies/leaky/template.yaml': leakyTemplate,
    'policies/leaky/constraint.yaml': leakyConstraint,
    'policies/teama/no_debug/policy.rego': rego(
      'teama.no_debug',
      'deny contains "team-a keeps no debug ConfigMaps" if {\n\tobj.kind == "ConfigMap"\n\tobj.metadata.labels.debug == "true"\n}',
    ),
    // Runaway for what is labelled slow (finding 5): about 10^8 steps, far past any deadline.
    'policies/teama/slow/policy.rego': rego(
      'teama.slow',
      'deny contains "slow" if {\n\tobj.metadata.labels.slow == "yes"\n\txs := numbers.range(1, 15000)\n\tsome a in xs\n\tsome b in xs\n\ta > b\n\tb > a\n}',
    ),
    'policies/teama/pin_image/policy.rego': rego(
      'teama.pin_image',
      'patch contains {"op": "replace", "path": "/spec/containers/0/image", "value": "registry.team-a.example/pinned:1"} if obj.kind == "Pod"',
    ),
  },
  { signer },
);
// Labelled slow before any webhook judges them: the tenant's runaway policy speaks in team-a only.
for (const ns of ['team-a', 'team-b'])
  await must(['create', 'configmap', 'slow', '-n', ns, '--from-literal=v=1']).then(() =>
    must(['label', 'configmap', 'slow', '-n', ns, 'slow=yes']),
  );
// The platform's own source writes a debug ConfigMap into team-b through the pre-apply gate.
const platformRepo = await git.createRepo('platform');
await platformRepo.commit({ 'b/debug.yaml': debugCm('platform-debug') }, { signer });

const token = join(dir, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const rec = await startTestReconciler(
  cp,
  [
    {
      name: 'platform',
      repoURL: platformRepo.url,
      ref: 'main',
      path: 'b',
      destinationNamespace: 'team-b',
      verification: { mode: 'head', ...trustOf(signer) },
    },
  ],
  {
    stateTokenFile: token,
    gitSources: { enabled: true },
    policies: {
      opaPath: toolPath('opa'),
      gate: 'enforce',
      audit: { interval: '0', kinds: ['v1/ConfigMap'], evaluationTimeout: '1s' },
    },
  },
  { autoStart: true },
);
t.teardown(() => rec.stop());
await must(
  ['apply', '-f', '-'],
  gitSourceManifest('team-a', 'policies', {
    repoURL: tenantRepo.url,
    path: 'app',
    policyPath: 'policies',
    interval: '1h',
  }),
);
const empty = join(dir, 'no-local-policies');
mkdirSync(empty);
const wh = await startTestWebhook(empty, {
  kubeconfig: cp.kubeconfigs.admin,
  gitState: followReconciler(rec.url, token),
  inventory: { watch: true },
});
t.teardown(() => wh.stop());
await registerWebhooks(cp, wh.url, wh.handle.caBundle());
const alice = (args: string[], input: string) => cp.kubectl(args, { as: 'developer', input });
const pod = (name: string) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  });

t.test("a tenant's policy denies and mutates in its namespace only (finding 2)", async (t) => {
  let r = { code: 0, stderr: '' };
  await waitFor(
    "the webhook to take the tenant's policies from the reconciler",
    async () => {
      r = await alice(['create', '--dry-run=server', '-n', 'team-a', '-f', '-'], debugCm('mine'));
      return r.code !== 0 && r.stderr.includes('team-a keeps no debug ConfigMaps');
    },
    60_000,
    250,
  );
  t.match(r.stderr, 'team-a keeps no debug ConfigMaps', 'live in its own namespace');
  const other = await alice(['apply', '-n', 'team-b', '-f', '-'], debugCm('theirs'));
  t.equal(other.code, 0, `another team's ConfigMap is not the tenant's to judge: ${other.stderr}`);

  const created = await alice(['create', '-n', 'team-b', '-f', '-'], pod('web'));
  t.equal(created.code, 0, created.stderr);
  t.equal(
    await must(['get', 'pod', 'web', '-n', 'team-b', '-o', 'jsonpath={.spec.containers[0].image}']),
    'registry.example/app:1',
    "another team's Pod keeps its image",
  );
  const own = await alice(['create', '-n', 'team-a', '-f', '-'], pod('web'));
  t.equal(own.code, 0, own.stderr);
  t.equal(
    await must(['get', 'pod', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.containers[0].image}']),
    'registry.team-a.example/pinned:1',
    "the tenant's own Pod is mutated",
  );
});

t.test("the platform's gate does not use a tenant's policy outside its namespaces", async (t) => {
  // A new commit after the tenant's policies are live: the gate judges what it applies.
  await platformRepo.commit({ 'b/debug2.yaml': debugCm('platform-debug-2') }, { signer });
  await rec.sync('platform');
  t.match(await rec.status('platform'), { syncStatus: 'Synced', policyViolations: [] });
  t.equal(
    await must([
      'get',
      'configmap',
      'platform-debug-2',
      '-n',
      'team-b',
      '-o',
      'jsonpath={.metadata.name}',
    ]),
    'platform-debug-2',
  );
});

t.test(
  "a tenant's template reads only its own namespaces, and never a Secret (finding 1)",
  async (t) => {
    // The gate: the tenant's own sync judged its ConfigMap with the template.
    await must([
      'annotate',
      'gitsource',
      'policies',
      '-n',
      'team-a',
      `driftgate.io/requested-at=${Date.now()}`,
    ]);
    let status = '';
    await waitFor(
      "the tenant's template to judge its ConfigMap in the gate",
      async () => {
        status = await must([
          'get',
          'gitsource',
          'policies',
          '-n',
          'team-a',
          '-o',
          'jsonpath={.status}',
        ]);
        return status.includes('saw ConfigMap team-a/plain');
      },
      60_000,
      250,
    );
    const served = JSON.stringify(await rec.status('team-a.policies'));
    for (const [where, text] of [
      ['GitSource status', status],
      ['GET /status', served],
    ] as const) {
      t.match(
        text,
        /saw ConfigMap team-a\/plain/,
        `${where}: the template ran on its own namespace`,
      );
      t.notMatch(text, /hunter2|team-b/, `${where}: nothing of team-b, no Secret`);
    }
    // Admission: the webhook's inventory, the same view.
    let warned = '';
    await waitFor(
      "the webhook to warn with the tenant's template",
      async () => {
        const r = await alice(
          ['create', '--dry-run=server', '-n', 'team-a', '-f', '-'],
          configMap('probe', { v: '1' }),
        );
        warned = r.stderr;
        return r.code === 0 && warned.includes('saw ConfigMap team-a/plain');
      },
      60_000,
      250,
    );
    t.match(warned, /saw ConfigMap team-a\/plain/);
    t.notMatch(warned, /hunter2|team-b/, 'nothing of team-b at admission');
  },
);

t.test(
  "a tenant's runaway policy costs the audit one deadline, off the event loop (finding 5)",
  async (t) => {
    // Health probes all along the audit: the evaluation runs in a worker thread of its own.
    let auditing = true;
    const probes: number[] = [];
    const probing = (async () => {
      while (auditing) {
        const r = await fetch(`${rec.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(
          () => undefined,
        );
        probes.push(r?.status ?? 0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const res = await rec.control('/audit');
    auditing = false;
    await probing;
    t.equal(res.status, 200);
    const report = (await res.json()) as {
      objectsScanned: number;
      violations: { object: string; policy: string; message: string }[];
      errors: string[];
    };
    t.ok(probes.length > 0);
    t.same(
      probes.filter((s) => s !== 200),
      [],
      `every /healthz probe answered during the audit (${probes.length})`,
    );
    // Listed by name: 'slow' and every ConfigMap after it were judged without the tenant.
    const names = (await must(['get', 'configmaps', '-n', 'team-a', '-o', 'name'])).split('\n');
    const after = names.filter((n) => n.replace('configmap/', '') >= 'slow').length;
    t.same(report.errors, [
      `tenant team-a.policies: its policies were skipped for the rest of this audit (an evaluation of ConfigMap team-a/slow in its namespaces exceeded the 1000 ms deadline); ${after} objects in its namespaces were judged by the platform's policies alone`,
    ]);
    const seen = report.violations.map((v) => `${v.object}: ${v.message}`);
    t.ok(
      seen.some((v) => v.startsWith('ConfigMap team-a/plain: saw ConfigMap team-a/plain')),
      "the tenant's template judged its objects before the deadline was missed",
    );
    t.same(
      seen.filter((v) => v.startsWith('ConfigMap team-a/slow') || v.endsWith(': slow')),
      [],
      'the runaway object was judged without the tenant, and nothing said "slow"',
    );
    t.ok(report.objectsScanned >= 3, 'team-b was audited as usual');
  },
);

t.test(
  "admission: a tenant's runaway policy is suspended after one deadline (finding 5)",
  async (t) => {
    const slowCm = (name: string) =>
      JSON.stringify({
        ...JSON.parse(configMap(name, { v: '1' })),
        metadata: { name, labels: { slow: 'yes' } },
      });
    const first = await alice(
      ['create', '--dry-run=server', '-n', 'team-a', '-f', '-'],
      slowCm('s1'),
    );
    t.equal(first.code, 0, first.stderr);
    t.match(
      first.stderr,
      /^Warning: driftgate: policies of team-a\.policies suspended here for 60s after a missed deadline; only the platform's judged$/m,
    );
    const next = await alice(
      ['create', '--dry-run=server', '-n', 'team-a', '-f', '-'],
      debugCm('d2'),
    );
    t.equal(next.code, 0, `team-a's own rule is suspended with the rest: ${next.stderr}`);
    t.match(next.stderr, /policies of team-a\.policies suspended here/);
    const other = await alice(
      ['create', '--dry-run=server', '-n', 'team-b', '-f', '-'],
      slowCm('s2'),
    );
    t.equal(other.code, 0, other.stderr);
    t.same(other.stderr, '', 'another namespace: no tenant policy, no warning, no delay');
  },
);
