import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { CoreV1Api } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import { LIBRARY_DIR } from '../support/webhook.js';
import { toolPath } from '../support/tools.js';

// Hostile but signed repositories (issue 9, findings 7-13): each commit is signed by a trusted
// key, so only driftgate's own bounds stand between it and the cluster.
const { dir, cp, git, signer } = await gitOpsFixture(t, {
  signer: ['Mallory Tenant', 'mallory@example.com'],
});
const repo = await git.createRepo('tenant');
const other = await git.createRepo('other');
await other.commit(
  {
    'base/kustomization.yaml': 'resources: [cm.yaml]\n',
    'base/cm.yaml': configMap('fetched', { from: 'remote git' }),
  },
  { signer },
);

// Anything a renderer or a policy test fetches lands here: the count must stay 0.
let fetched = 0;
const bait = createServer((_req, res) => {
  fetched++;
  res.setHeader('content-type', 'application/yaml');
  res.end(configMap('fetched', { from: 'http' }));
});
await new Promise<void>((r) => bait.listen(0, '127.0.0.1', r));
t.teardown(() => void bait.close());
const baitURL = `http://127.0.0.1:${(bait.address() as AddressInfo).port}`;

const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
for (let i = 1; i < 9; i++) {
  const prev = String.fromCharCode(96 + i);
  const next = String.fromCharCode(97 + i);
  laughs.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
}
const secret = (name: string, value: string, ns?: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    data: { password: Buffer.from(value).toString('base64') },
  }) + '\n';

await repo.commit(
  {
    'remote-http/kustomization.yaml': `resources:\n  - ${baitURL}/cm.yaml\n`,
    'remote-git/kustomization.yaml': `resources:\n  - ${other.url}//base?ref=main\n`,
    'remote-host/kustomization.yaml': 'resources:\n  - github.com/example/repo//base?ref=v1\n',
    // Issue 26 finding 13: the URL anchored in a field kustomize does not load, named by alias.
    'remote-alias/kustomization.yaml': `commonAnnotations:\n  note: &r ${baitURL}/alias.yaml\nresources:\n  - *r\n`,
    'bomb/kustomization.yaml': `resources: [cm.yaml]\n`,
    'bomb/cm.yaml': `${laughs.join('\n')}\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: lol }\n`,
    'huge/cm.yaml': configMap('huge', { blob: 'x'.repeat(6 * 1024 * 1024) }),
    'chart/Chart.yaml': `apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 1.0.0\n    repository: ${baitURL}/charts\n`,
    'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chart\n',
    'tenant/app.yaml': configMap('app', { v: '1' }),
    'tenant/escape.yaml': configMap('escape', { v: '1' }).replace(
      '"name":"escape"',
      '"name":"escape","namespace":"kube-system"',
    ),
    'tenant/escape-secret.yaml': secret('escape', 'x', 'kube-system'),
    'tenant/admin.yaml':
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'mallory-admin' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }],
      }) + '\n',
    'tenant/shared.yaml': configMap('shared', { owner: 'mallory' }),
    // Enough new ConfigMaps that the ownership check reads them with one LIST, not a GET each.
    ...Object.fromEntries(
      Array.from({ length: 25 }, (_, i) => [
        `tenant/many-${i}.yaml`,
        configMap(`many-${i}`, { i: String(i) }),
      ]),
    ),
    'tenant/creds.yaml': secret('creds', 'hunter2-s3cret'),
    'policy-net/net/exfil/policy.rego':
      'package driftgate.net.exfil\n\nimport rego.v1\n\ndeny contains "x" if false\n',
    'policy-net/net/exfil/policy_test.rego': `package driftgate.net.exfil_test\n\nimport rego.v1\n\ntest_fetch if {\n\tr := http.send({"method": "GET", "url": "${baitURL}/p"})\n\tr.status_code == 200\n}\n`,
    'policy-override/security/disallow_privileged/policy.rego':
      'package driftgate.security.disallow_privileged\n\nimport rego.v1\n\ndeny contains "never" if false\n',
    'policy-package/mine/helper/policy.rego':
      'package driftgate.security.disallow_root\n\nimport rego.v1\n\nexempt_container(_) := true\n',
  },
  { signer },
);

// Someone else's ConfigMap in the tenant's namespace, made by hand before the source existed.
await cp.kubectl(['create', 'namespace', 'tenant']);
await cp.kubectl(['-n', 'tenant', 'create', 'configmap', 'shared', '--from-literal=owner=alice']);

const token = join(dir, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const credURL = repo.url.replace('http://', 'http://x-token:gh0-s3cr3t-t0ken@');
const verification = { mode: 'head', ...trustOf(signer) };
const src = (name: string, path: string, more: Record<string, unknown> = {}) => ({
  name,
  repoURL: repo.url,
  path,
  destinationNamespace: 'tenant',
  verification,
  ...more,
});
const rec = await startTestReconciler(
  cp,
  [
    src('remote-http', 'remote-http'),
    src('remote-git', 'remote-git'),
    src('remote-host', 'remote-host'),
    src('remote-alias', 'remote-alias'),
    src('bomb', 'bomb'),
    src('huge', 'huge'),
    src('chart', 'chart'),
    src('tenant', 'tenant', { repoURL: credURL, selfHeal: false }),
    src('policy-net', 'tenant-none', { policyPath: 'policy-net' }),
    src('policy-override', 'tenant-none', { policyPath: 'policy-override' }),
    src('policy-package', 'tenant-none', { policyPath: 'policy-package' }),
  ],
  { stateTokenFile: token, policies: { opaPath: toolPath('opa'), dir: LIBRARY_DIR, gate: 'off' } },
);
t.teardown(() => rec.stop());
const core = cp.kubeConfig().makeApiClient(CoreV1Api);
const exists = (ns: string, name: string, kind = 'configmap') =>
  cp.kubectl(['-n', ns, 'get', kind, name]).then((r) => r.code === 0);

t.test('finding 7: nothing outside the signed commit is fetched or applied', async (t) => {
  for (const name of ['remote-http', 'remote-git', 'remote-host', 'remote-alias']) {
    await rec.sync(name);
    const s = await rec.status(name);
    t.match(
      s,
      {
        verification: {
          ok: false,
          reason: 'render',
          detail: /names what is not in the signed commit/,
        },
      },
      name,
    );
    t.equal(s.revision, null, `${name}: nothing adopted`);
  }
  await rec.sync('chart');
  t.match(
    await rec.status('chart'),
    {
      verification: {
        ok: false,
        reason: 'render',
        detail:
          /^helm failed for chart: chart dependencies missing from charts\/: \w+\. Nothing is fetched at render time/,
      },
    },
    'a Helm dependency that is not vendored is not downloaded',
  );
  t.equal(fetched, 0, 'no request reached the bait server');
  t.notOk(await exists('tenant', 'fetched'), 'no fetched object was applied');
});

t.test(
  'finding 12: a YAML bomb and an oversize file are refused fast, with the cause',
  async (t) => {
    const t0 = Date.now();
    await rec.sync('bomb');
    t.ok(Date.now() - t0 < 10_000, `bomb refused in ${Date.now() - t0} ms`);
    t.match(await rec.status('bomb'), {
      verification: {
        ok: false,
        detail: /bomb\/cm\.yaml expands YAML aliases past 100 references/,
      },
    });
    await rec.sync('huge');
    t.match(await rec.status('huge'), {
      verification: {
        ok: false,
        detail: /huge\/cm\.yaml is 6\.0 MiB, over the 4\.0 MiB file limit/,
      },
    });
    t.notOk(await exists('tenant', 'huge'));
  },
);

t.test(
  'finding 9: a source writes only its namespace and never takes over or prunes',
  async (t) => {
    await rec.sync('tenant');
    const s = (await rec.status('tenant')) as {
      syncStatus: string;
      refused: { object: string; reason: string }[];
    };
    t.equal(s.syncStatus, 'Failed', 'status says not everything declared is in place');
    t.same(
      s.refused.map((r) => r.object).sort(),
      [
        'ConfigMap kube-system/escape',
        'ConfigMap tenant/shared',
        'Secret kube-system/escape',
        'rbac.authorization.k8s.io/ClusterRoleBinding mallory-admin',
      ].sort(),
    );
    t.ok(await exists('tenant', 'app'), 'the rest of the source applied');
    t.ok(await exists('tenant', 'many-24'));
    t.notOk(await exists('kube-system', 'escape'));
    t.notOk(await exists('kube-system', 'escape', 'secret'));
    t.notOk(await exists('', 'mallory-admin', 'clusterrolebinding'));
    const shared = await core.readNamespacedConfigMap({ name: 'shared', namespace: 'tenant' });
    t.same(shared.data, { owner: 'alice' }, 'the existing object was not taken over');
    await repo.commit({ 'tenant/shared.yaml': null }, { signer });
    await rec.sync('tenant');
    t.ok(await exists('tenant', 'shared'), 'and not pruned when it left Git');
  },
);

t.test('finding 8: policies from Git cannot reach out or weaken the platform', async (t) => {
  await rec.sync('policy-net');
  const net = (await rec.status('policy-net')) as { policies: { ok: boolean; error: string } };
  t.equal(net.policies.ok, false);
  t.match(net.policies.error, /http\.send/);
  t.equal(fetched, 0, 'the policy test made no request');
  await rec.sync('policy-override');
  t.match(await rec.status('policy-override'), {
    policies: {
      ok: false,
      error: /security\/disallow_privileged\/policy\.rego is already a policy file of the platform/,
    },
  });
  await rec.sync('policy-package');
  t.match(await rec.status('policy-package'), {
    policies: {
      ok: false,
      error: /declares package driftgate\.security\.disallow_root, which belongs to the platform/,
    },
  });
});

t.test('finding 11: secret values and Git credentials never leave', async (t) => {
  await cp.kubectl([
    '-n',
    'tenant',
    'patch',
    'secret',
    'creds',
    '--type=merge',
    '-p',
    `{"data":{"password":"${Buffer.from('changed-by-hand').toString('base64')}"}}`,
  ]);
  // selfHeal is off for this source: the watch reports the drift in status.
  let status = '';
  await waitFor(
    'the drift in status',
    async () => /Secret tenant\/creds/.test((status = JSON.stringify(await rec.status('tenant')))),
    10_000,
  );
  t.match(status, /\(secret value\)/);
  const feed = await (
    await fetch(`${rec.url}/v1/desired`, { headers: { authorization: 'Bearer feed-t0ken' } })
  ).text();
  const metrics = await rec.metrics();
  for (const [name, text] of [
    ['status', status],
    ['feed', feed],
    ['metrics', metrics],
  ] as const) {
    for (const leak of [
      'hunter2-s3cret',
      Buffer.from('hunter2-s3cret').toString('base64'),
      Buffer.from('changed-by-hand').toString('base64'),
      'gh0-s3cr3t-t0ken',
    ])
      t.notOk(text.includes(leak), `${name} does not contain ${leak.slice(0, 6)}…`);
  }
  t.match(feed, /sha256:/, 'the feed carries the digest the webhook compares');
});

t.test('finding 13: an oversize push is a 413', async (t) => {
  const r = await fetch(`${rec.url}/hooks/git`, {
    method: 'POST',
    body: 'x'.repeat(2 * 1024 * 1024),
  });
  t.equal(r.status, 413);
});
