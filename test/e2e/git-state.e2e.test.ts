import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRIFTGATE_NAMESPACE, eventMessages, RECONCILER_USER } from '../support/control-plane.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import { toolPath } from '../support/tools.js';
import { metricValue, registerGitGuard, startTestWebhook } from '../support/webhook.js';
import { stringify } from 'yaml';
import { mustKubectl } from '../support/gitsources.js';

// The whole loop for real: a signed Git repo on a real Git server, the reconciler syncing it into
// a real kube-apiserver, and the webhook (fed by the reconciler's desired-state index and Git
// policies) called by that apiserver for kubectl as a non-admin developer.
const { dir, cp, git, signer } = await gitOpsFixture(t);
const repo = await git.createRepo('platform');
const SRE_GROUP = 'driftgate:sre';

const web = (replicas: number) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'registry.example/web:1.0' }] },
      },
    },
  }) + '\n';
const policy = (pkg: string, rule: string, test: string) => ({
  [`policies/${pkg.replace('.', '/')}/policy.rego`]: `package driftgate.${pkg}\n\nimport rego.v1\n\n${rule}\n`,
  [`policies/${pkg.replace('.', '/')}/policy_test.rego`]: `package driftgate.${pkg}_test\n\nimport rego.v1\n\n${test}\n`,
});
const noTmp = policy(
  'naming.no_tmp',
  `deny contains msg if {
\tinput.request.kind.kind == "ConfigMap"
\tstartswith(input.request.object.metadata.name, "tmp-")
\tmsg := sprintf("ConfigMap %s: tmp- names are not allowed", [input.request.object.metadata.name])
}`,
  `test_tmp_denied if {
\tcount(data.driftgate.naming.no_tmp.deny) == 1 with input as {"request": {"kind": {"kind": "ConfigMap"}, "object": {"metadata": {"name": "tmp-x"}}}}
}`,
);
const noDebug = (expect: number) =>
  policy(
    'config.no_debug',
    `deny contains msg if {
\tinput.request.kind.kind == "ConfigMap"
\tinput.request.object.data.debug == "true"
\tmsg := sprintf("ConfigMap %s turns debug on", [input.request.object.metadata.name])
}`,
    `test_debug_denied if {
\tcount(data.driftgate.config.no_debug.deny) == ${expect} with input as {"request": {"kind": {"kind": "ConfigMap"}, "object": {"metadata": {"name": "x"}, "data": {"debug": "true"}}}}
}`,
  );

await repo.commit(
  {
    'apps/web.yaml': web(3),
    'apps/settings.yaml': configMap('settings', { mode: 'strict' }),
    // A Namespace Git declares, with its Pod Security level.
    'apps/namespace.yaml': JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'shop-extra',
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
      },
    }),
    'scaled/web.yaml': web(2),
    ...noTmp,
  },
  { signer },
);

const token = join(dir, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const rec = await startTestReconciler(
  cp,
  [
    {
      name: 'shop',
      repoURL: repo.url,
      ref: 'main',
      path: 'apps',
      policyPath: 'policies',
      destinationNamespace: 'shop',
      createNamespace: true,
      clusterScopedKinds: ['Namespace'],
      verification: { mode: 'head', ...trustOf(signer) },
    },
    {
      // Replicas owned by an HPA: Git declares them, ignoreDifferences hands them over.
      name: 'scaled',
      repoURL: repo.url,
      ref: 'main',
      path: 'scaled',
      destinationNamespace: 'scaled',
      createNamespace: true,
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
      verification: { mode: 'head', ...trustOf(signer) },
    },
  ],
  {
    stateTokenFile: token,
    policies: { opaPath: toolPath('opa'), gate: 'enforce', audit: { kinds: ['v1/ConfigMap'] } },
  },
);
t.teardown(() => rec.stop());
await rec.sync('shop');
await rec.sync('scaled');

// The webhook has no local policies here: everything comes from Git through the reconciler.
const empty = join(dir, 'no-local-policies');
mkdirSync(empty);
// How every webhook replica here follows the reconciler.
const follow = {
  reconcilerURL: rec.url,
  tokenFile: token,
  pollInterval: '500ms',
  reconciler: { username: RECONCILER_USER, group: `system:serviceaccounts:${DRIFTGATE_NAMESPACE}` },
};
const wh = await startTestWebhook(empty, {
  gitState: {
    ...follow,
    breakGlass: { groups: [SRE_GROUP], maxDuration: '1h' },
    governed: { namespaces: ['shop'], mode: 'deny' },
  },
});
t.teardown(() => wh.stop());
await registerGitGuard(cp, wh.url, wh.handle.caBundle(), SRE_GROUP);
const alice = (args: string[], input?: string) =>
  cp.kubectl(args, { as: 'developer', ...(input ? { input } : {}) });
// An on-call engineer in the break-glass group (admin impersonating carol of driftgate:sre).
const carol = (args: string[]) => cp.kubectl([...args, '--as=carol', `--as-group=${SRE_GROUP}`]);
const replicas = async () =>
  (await cp.kubectl(['get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}']))
    .stdout;

await waitFor(
  'the webhook to guard Git-declared state',
  async () =>
    (await alice(['scale', 'deploy/web', '-n', 'shop', '--replicas=1'])).stderr.includes(
      'is managed from Git',
    ),
  30_000,
  250,
);

t.test(
  'kubectl scale of replicas Git declares is denied, naming repo, path, commit, field',
  async (t) => {
    const head = (await repo.git(['rev-parse', 'HEAD'])).trim();
    const r = await alice(['scale', 'deploy/web', '-n', 'shop', '--replicas=1']);
    t.not(r.code, 0);
    t.match(r.stderr, 'admission webhook "validate.driftgate.io" denied the request: driftgate:');
    t.match(
      r.stderr,
      `source "shop" (${repo.url}, path apps/web.yaml, commit ${head.slice(0, 12)})`,
    );
    t.match(r.stderr, '/spec/replicas (Git: 3, request: 1)');
    t.match(r.stderr, 'edit apps/web.yaml');
    t.match(r.stderr, 'driftgate.io/break-glass');
    t.equal(await replicas(), '3', 'nothing changed');
    t.ok(
      (metricValue(await wh.metrics(), 'driftgate_manual_changes_total', {
        source: 'shop',
        action: 'denied',
      }) ?? 0) >= 1,
    );
  },
);

t.test('scaling through the scale subresource works where replicas are ignored', async (t) => {
  const r = await alice(['scale', 'deploy/web', '-n', 'scaled', '--replicas=5']);
  t.equal(r.code, 0, r.stderr);
  const got = await cp.kubectl([
    'get',
    'deploy',
    'web',
    '-n',
    'scaled',
    '-o',
    'jsonpath={.spec.replicas}',
  ]);
  t.equal(got.stdout, '5');
  const patched = await alice([
    'patch',
    'deploy/web',
    '-n',
    'scaled',
    '--type=merge',
    '-p',
    '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"registry.example/web:2.0"}]}}}}',
  ]);
  t.match(
    patched.stderr,
    '(Git: "registry.example/web:1.0", request: "registry.example/web:2.0")',
    'other declared fields stay guarded',
  );
});

t.test('kubectl delete of a Git-managed object is denied', async (t) => {
  const r = await alice(['delete', 'cm', 'settings', '-n', 'shop']);
  t.not(r.code, 0);
  t.match(r.stderr, 'deleting it departs from Git');
  t.equal((await cp.kubectl(['get', 'cm', 'settings', '-n', 'shop'])).code, 0, 'still there');
});

t.test('a label Git does not declare stays editable; a declared one does not', async (t) => {
  const ok = await alice(['label', 'deploy/web', '-n', 'shop', 'oncall=team-a']);
  t.equal(ok.code, 0, ok.stderr);
  const no = await alice(['label', 'deploy/web', '-n', 'shop', 'app=other', '--overwrite']);
  t.not(no.code, 0);
  t.match(no.stderr, '/metadata/labels/app (Git: "web", request: "other")');
});

t.test('governed namespace: creating an object Git does not declare is denied', async (t) => {
  const r = await alice(['create', 'configmap', 'adhoc', '-n', 'shop', '--from-literal=a=b']);
  t.not(r.code, 0);
  t.match(r.stderr, 'namespace shop is governed by Git: ConfigMap shop/adhoc is not declared');
  // Issue 26 finding 11: an owner reference is anyone's to write; it is no pass.
  const forged = await alice(
    ['create', '-n', 'shop', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'adhoc-owned',
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'web-1',
            uid: '00000000-0000-0000-0000-000000000001',
            controller: true,
          },
        ],
      },
      data: { a: 'b' },
    }),
  );
  t.not(forged.code, 0, 'a forged owner reference does not let an undeclared object in');
  t.match(forged.stderr, 'ConfigMap shop/adhoc-owned is not declared');
});

t.test(
  'a Namespace Git declares is guarded: no relabel, no delete (issue 26 finding 7)',
  async (t) => {
    await mustKubectl(cp)(
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'driftgate-namespaces' },
        webhooks: [
          {
            name: 'namespaces.driftgate.io',
            clientConfig: {
              url: `${wh.url}/validate`,
              caBundle: Buffer.from(wh.handle.caBundle()).toString('base64'),
            },
            rules: [
              {
                apiGroups: [''],
                apiVersions: ['v1'],
                operations: ['CREATE', 'UPDATE', 'DELETE'],
                resources: ['namespaces'],
                scope: 'Cluster',
              },
            ],
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
          },
        ],
      }),
    );
    t.teardown(() =>
      cp.kubectl(['delete', 'validatingwebhookconfiguration', 'driftgate-namespaces']),
    );
    // Someone who may update and delete namespaces, outside the break-glass group.
    await mustKubectl(cp)([
      'create',
      'clusterrole',
      'ns-admin',
      '--verb=get,list,update,patch,delete',
      '--resource=namespaces',
    ]);
    await mustKubectl(cp)([
      'create',
      'clusterrolebinding',
      'ns-admin',
      '--clusterrole=ns-admin',
      '--user=nina',
    ]);
    const nina = (args: string[]) => cp.kubectl([...args, '--as=nina']);
    let relabel = { code: 0, stderr: '' };
    await waitFor(
      'the webhook to guard the Namespace',
      async () => {
        relabel = await nina([
          'label',
          'namespace',
          'shop-extra',
          'pod-security.kubernetes.io/enforce=privileged',
          '--overwrite',
          '--dry-run=server',
        ]);
        return relabel.code !== 0 && relabel.stderr.includes('Git: "restricted"');
      },
      30_000,
      250,
    );
    t.match(
      relabel.stderr,
      '/metadata/labels/pod-security.kubernetes.io~1enforce (Git: "restricted", request: "privileged")',
    );
    const del = await nina(['delete', 'namespace', 'shop-extra', '--dry-run=server']);
    t.not(del.code, 0, 'deleting a Namespace Git declares');
    t.match(del.stderr, 'deleting it departs from Git');
    const other = await nina(['label', 'namespace', 'shop-extra', 'team=shop', '--dry-run=server']);
    t.equal(other.code, 0, `a label Git does not declare stays editable: ${other.stderr}`);
  },
);

t.test(
  'break-glass: only the allowed group; the change goes through, then is reverted',
  async (t) => {
    const expires = new Date(Date.now() + 15_000).toISOString();
    const glass = [
      'driftgate.io/break-glass=incident 42: shed load',
      `driftgate.io/break-glass-expires=${expires}`,
    ];
    const refused = await alice(['annotate', 'deploy/web', '-n', 'shop', ...glass]);
    t.not(refused.code, 0, 'a developer outside the group cannot break glass');
    t.match(refused.stderr, `break-glass refused: only members of ${SRE_GROUP}`);

    const tooLong = await carol([
      'annotate',
      'deploy/web',
      '-n',
      'shop',
      glass[0] as string,
      `driftgate.io/break-glass-expires=${new Date(Date.now() + 7_200_000).toISOString()}`,
    ]);
    t.match(tooLong.stderr, 'is more than 60m ahead');

    const before =
      metricValue(await wh.metrics(), 'driftgate_break_glass_uses_total', { source: 'shop' }) ?? 0;
    t.equal((await carol(['annotate', 'deploy/web', '-n', 'shop', ...glass])).code, 0);
    const patched = await carol([
      'patch',
      'deploy/web',
      '-n',
      'shop',
      '--type=merge',
      '-p',
      '{"spec":{"replicas":1}}',
    ]);
    t.equal(patched.code, 0, patched.stderr);
    t.match(patched.stderr, 'break-glass: Git-declared fields are restored after');
    t.equal(await replicas(), '1', 'the emergency change went through');
    t.equal(
      metricValue(await wh.metrics(), 'driftgate_break_glass_uses_total', { source: 'shop' }),
      before + 1,
      'each use is counted',
    );
    await waitFor(
      'break-glass visible in status',
      async () => ((await rec.status('shop')).breakGlass as unknown[]).length === 1,
      10_000,
      100,
    );
    t.match((await rec.status('shop')).breakGlass, [
      { object: 'apps/Deployment shop/web', reason: 'incident 42: shed load', expires },
    ]);
    t.ok(
      (metricValue(await rec.metrics(), 'driftgate_break_glass_active', { source: 'shop' }) ?? 0) >=
        1,
    );
    t.equal(await replicas(), '1', 'self-heal leaves it alone before the expiry');

    await waitFor('revert after the expiry', async () => (await replicas()) === '3', 30_000, 200);
    t.ok(Date.now() >= Date.parse(expires), 'not before the expiry');
    await waitFor(
      'the break-glass annotations removed',
      async () =>
        (
          await cp.kubectl([
            'get',
            'deploy',
            'web',
            '-n',
            'shop',
            '-o',
            'jsonpath={.metadata.annotations}',
          ])
        ).stdout.includes('break-glass') === false,
      10_000,
      200,
    );
    t.match(
      await eventMessages(cp, 'shop', 'BreakGlassExpired'),
      /break-glass expired: the state declared in Git is restored/,
    );
  },
);

t.test('the reconciler syncing a new commit is never denied by driftgate', async (t) => {
  await repo.commit({ 'apps/web.yaml': web(4) }, { signer });
  await rec.sync('shop');
  t.match(await rec.status('shop'), { syncStatus: 'Synced', lastError: null });
  t.equal(await replicas(), '4');
  await waitFor(
    'the webhook on the new commit',
    async () =>
      (await alice(['scale', 'deploy/web', '-n', 'shop', '--replicas=3'])).stderr.includes(
        '(Git: 4, request: 3)',
      ),
    10_000,
    200,
  );
});

t.test('a policy committed to Git is live within 10 s; a failing one keeps the old', async (t) => {
  // An object that predates the policy, for the audit.
  const legacy = configMap('old-debug', { debug: 'true' });
  await cp.kubectl(['create', 'namespace', 'legacy']);
  t.equal((await cp.kubectl(['apply', '-n', 'legacy', '-f', '-'], { input: legacy })).code, 0);
  const debugCm = configMap('dbg', { debug: 'true' });
  t.equal(
    (await alice(['apply', '-n', 'default', '--dry-run=server', '-f', '-'], debugCm)).code,
    0,
    'allowed before the policy',
  );

  const t0 = Date.now();
  await repo.commit(noDebug(1), { signer, message: 'policy: no debug ConfigMaps' });
  await rec.sync('shop');
  await waitFor(
    'the new policy to deny',
    async () => {
      const r = await alice(['apply', '-n', 'default', '--dry-run=server', '-f', '-'], debugCm);
      return r.code !== 0 && r.stderr.includes('[config/no_debug] ConfigMap dbg turns debug on');
    },
    10_000,
    200,
  );
  const liveMs = Date.now() - t0;
  t.ok(liveMs <= 10_000, `live in ${liveMs} ms`);
  t.match(await rec.status('shop'), { policies: { ok: true } });

  // The audit finds the object that existed before the policy.
  const audit = (await (await rec.control('/audit')).json()) as {
    violations: { object: string; policy: string }[];
    totals: { policy: string; count: number }[];
  };
  t.match(audit.violations, [{ object: 'ConfigMap legacy/old-debug', policy: 'config/no_debug' }]);
  t.ok(
    (metricValue(await rec.metrics(), 'driftgate_audit_violations', {
      policy: 'config/no_debug',
      action: 'enforce',
    }) ?? 0) >= 1,
  );

  // A commit whose Rego test fails: the old policy holds, the error is reported.
  await repo.commit(noDebug(2), { signer, message: 'policy: broken test' });
  await rec.sync('shop');
  const st = await rec.status('shop');
  t.match(st, { policies: { ok: false, error: /test/ } });
  t.match(await eventMessages(cp, DRIFTGATE_NAMESPACE, 'PolicyRefused'), /policies at \w+ refused/);
  // Wait until the webhook has asked the reconciler for policies since the refusal: had the
  // broken policy gone live, the webhook would have it now.
  const refusedAt = Date.now() / 1000;
  await waitFor(
    'the webhook to poll the policies feed after the refusal',
    async () =>
      (metricValue(await wh.metrics(), 'driftgate_reconciler_feed_last_contact_timestamp_seconds', {
        feed: 'policies',
      }) ?? 0) > refusedAt,
    15_000,
    100,
  );
  const still = await alice(['apply', '-n', 'default', '--dry-run=server', '-f', '-'], debugCm);
  t.match(still.stderr, '[config/no_debug]', 'the last good policy still holds');
});

t.test('pre-apply gate: a desired object that violates a policy is not applied', async (t) => {
  await repo.commit({ 'apps/tmp.yaml': configMap('tmp-cache', { a: 'b' }) }, { signer });
  await rec.sync('shop');
  const st = await rec.status('shop');
  t.match(st, {
    syncStatus: 'Failed',
    policyViolations: [
      { object: 'ConfigMap shop/tmp-cache', policy: 'naming/no_tmp', applied: false },
    ],
  });
  t.not((await cp.kubectl(['get', 'cm', 'tmp-cache', '-n', 'shop'])).code, 0, 'not applied');
  t.ok(
    (metricValue(await rec.metrics(), 'driftgate_policy_gate_violations_total', {
      source: 'shop',
      policy: 'naming/no_tmp',
      action: 'held',
    }) ?? 0) >= 1,
  );
});

t.test(
  'enforcement.yaml beside the policies: webhook, gate and audit take one action',
  async (t) => {
    // The policy's author lowers naming/no_tmp to warn in Git, beside the policy itself (and
    // mends the no_debug test the previous test broke).
    await repo.commit(
      { 'policies/enforcement.yaml': 'policies:\n  naming/no_tmp: warn\n', ...noDebug(1) },
      { signer, message: 'policies: no_tmp warns' },
    );
    await rec.sync('shop');
    // The gate: the held object is applied now, reported as a warning.
    const st = await rec.status('shop');
    t.match(st, {
      syncStatus: 'Synced',
      policies: { ok: true },
      policyViolations: [
        {
          object: 'ConfigMap shop/tmp-cache',
          policy: 'naming/no_tmp',
          action: 'warn',
          applied: true,
        },
      ],
    });
    t.equal((await cp.kubectl(['get', 'cm', 'tmp-cache', '-n', 'shop'])).code, 0, 'applied');
    // The webhook: the same policy warns instead of denying, once it has the new bundle.
    const tmp = configMap('tmp-scratch', { a: 'b' });
    let warned = { code: -1, stderr: '' };
    await waitFor(
      'the webhook to take the Git enforcement',
      async () => {
        warned = await alice(['apply', '-n', 'default', '-f', '-'], tmp);
        return warned.code === 0;
      },
      15_000,
      200,
    );
    t.match(
      warned.stderr,
      'Warning: [naming/no_tmp] ConfigMap tmp-scratch: tmp- names are not allowed',
    );
    // The audit: the object the webhook let through is reported with the same action.
    const audit = (await (await rec.control('/audit')).json()) as {
      violations: { object: string; policy: string; action: string }[];
    };
    const found = audit.violations.filter((v) => v.policy === 'naming/no_tmp');
    t.ok(
      found.some((v) => v.object === 'ConfigMap default/tmp-scratch'),
      'the audit finds the object',
    );
    t.strictSame([...new Set(found.map((v) => v.action))], ['warn'], 'every finding: warn');
    t.ok(
      (metricValue(await rec.metrics(), 'driftgate_audit_violations', {
        policy: 'naming/no_tmp',
        action: 'warn',
      }) ?? 0) >= 1,
      'audit metric: warn',
    );
    t.equal(
      metricValue(await rec.metrics(), 'driftgate_audit_violations', {
        policy: 'naming/no_tmp',
        action: 'enforce',
      }) ?? 0,
      0,
      'never reported as enforce',
    );
    t.ok(
      (metricValue(await wh.metrics(), 'driftgate_policy_violations_total', {
        policy: 'naming/no_tmp',
        action: 'warn',
      }) ?? 0) >= 1,
      'webhook metric: warn',
    );
    t.ok(
      (metricValue(await rec.metrics(), 'driftgate_policy_gate_violations_total', {
        source: 'shop',
        policy: 'naming/no_tmp',
        action: 'applied',
      }) ?? 0) >= 1,
      'gate metric: applied (what the gate did)',
    );
    // Naming a policy the source does not carry is refused; the last good policies stay.
    await repo.commit(
      { 'policies/enforcement.yaml': 'policies:\n  naming/no_tmp: warn\n  images/other: dryrun\n' },
      { signer, message: 'policies: reach too far' },
    );
    await rec.sync('shop');
    t.match(await rec.status('shop'), {
      policies: { ok: false, error: /names images\/other, which it does not carry/ },
    });
    await repo.commit(
      { 'policies/enforcement.yaml': 'policies:\n  naming/no_tmp: warn\n' },
      { signer, message: 'policies: back in bounds' },
    );
    await rec.sync('shop');
    t.match(await rec.status('shop'), { policies: { ok: true } });
  },
);

t.test('the feed: token required; a second webhook replica follows the same commit', async (t) => {
  t.equal((await fetch(`${rec.url}/v1/desired`)).status, 401, 'no token');
  t.equal(
    (await fetch(`${rec.url}/v1/desired`, { headers: { authorization: 'Bearer wrong' } })).status,
    401,
  );
  const wh2 = await startTestWebhook(empty, { gitState: follow });
  t.teardown(() => wh2.stop());
  await wh2.handle.gitStateFetched;
  await waitFor(
    'the second replica to load the policies',
    async () => wh2.handle.store.current !== undefined,
    30_000,
    100,
  );
  // Both replicas reach the generation the reconciler serves now (the first one polls on its own
  // clock, so it may still be one poll behind the last commit when the second starts).
  const served = (
    (await (
      await fetch(`${rec.url}/v1/desired`, {
        headers: { authorization: `Bearer ${readFileSync(token, 'utf8').trim()}` },
      })
    ).json()) as { generation: string }
  ).generation;
  await waitFor(
    'both replicas on the served generation',
    async () => wh.handle.desired.generation === served && wh2.handle.desired.generation === served,
    10_000,
    100,
  );
  t.equal(wh2.handle.desired.generation, wh.handle.desired.generation, 'same index generation');
  t.equal(wh2.handle.store.current?.revision, wh.handle.store.current?.revision, 'same policies');
  t.match(wh2.handle.desired.find('apps', 'deployments', 'shop', 'web'), {
    source: { name: 'shop', revision: (await repo.git(['rev-parse', 'HEAD'])).trim() },
    entry: { path: 'apps/web.yaml' },
  });
});

t.test(
  'a resync that changes nothing keeps the index generation: webhooks fetch nothing',
  async (t) => {
    const auth = { authorization: `Bearer ${readFileSync(token, 'utf8').trim()}` };
    const first = await fetch(`${rec.url}/v1/desired`, { headers: auth });
    const etag = first.headers.get('etag') ?? '';
    const { generation } = (await first.json()) as { generation: string };
    await rec.sync('shop');
    await rec.sync('shop');
    const again = await fetch(`${rec.url}/v1/desired`, {
      headers: { ...auth, 'if-none-match': etag },
    });
    t.equal(again.status, 304, 'not modified after two resyncs of the same commit');
    t.equal(wh.handle.desired.generation, generation, 'the webhook keeps the same index');
  },
);
