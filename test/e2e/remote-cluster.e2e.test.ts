// Hub and spoke on two real control planes: a GitSource on the hub applies to the spoke through a
// kubeconfig Secret of its namespace (a spoke ServiceAccount's token); a manual change in the
// spoke is reverted through a watch in the spoke, then denied by the spoke's own webhook, which
// follows the hub's reconciler for the spoke's sources only; the hub's writes pass it; a commit
// that drops the object prunes it in the spoke. An unreachable spoke stalls only its own source,
// and kubeconfigs that would run a command or read a file are refused. Real apiservers, Git
// server, kubectl.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { gitOpsFixture } from '../support/e2e.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler } from '../support/reconciler.js';
import { metricValue, registerGitGuard, startTestWebhook } from '../support/webhook.js';

const root = t;
const { cp: hub, git, signer, dir } = await gitOpsFixture(t);
const spoke = await startControlPlane();
t.teardown(() => spoke.stop());
const onHub = mustKubectl(hub);
const onSpoke = mustKubectl(spoke);
await installGitSourceApi(hub);
await trustingNamespace(hub, 'team-a', signer);
await trustingNamespace(hub, 'team-b', signer);

// In the spoke: the namespace, and a ServiceAccount the hub writes as, allowed ConfigMaps there.
await onSpoke(['create', 'namespace', 'team-a']);
await onSpoke(['create', 'serviceaccount', 'hub-agent', '-n', 'team-a']);
await onSpoke(
  ['apply', '-f', '-'],
  stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'hub-agent', namespace: 'team-a' },
    rules: [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['*'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ],
  }),
);
await onSpoke([
  'create',
  'rolebinding',
  'hub-agent',
  '-n',
  'team-a',
  '--role=hub-agent',
  '--serviceaccount=team-a:hub-agent',
]);
const token = (
  await onSpoke(['create', 'token', 'hub-agent', '-n', 'team-a', '--duration=2h'])
).trim();
const kubeconfigOf = (server: string, user: Record<string, unknown> = { token }) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'spoke',
        cluster: {
          server,
          'certificate-authority-data': Buffer.from(spoke.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: 'hub', user }],
    contexts: [{ name: 'spoke', context: { cluster: 'spoke', user: 'hub' } }],
    'current-context': 'spoke',
  });
const kubeconfigSecret = (ns: string, name: string, text: string) =>
  onHub(['create', 'secret', 'generic', name, '-n', ns, `--from-literal=value=${text}`]);
await kubeconfigSecret('team-a', 'spoke-eu', kubeconfigOf(spoke.server));

const repo = await git.createRepo('apps');
const first = await repo.commit(
  { 'app/settings.yaml': configMap('settings', { v: '1' }) },
  { signer },
);

const stateToken = join(dir, 'state-token');
writeFileSync(stateToken, 'hub-feed-token\n');
// Nothing listens there: the "away" cluster, which only team-b may target.
const away = `https://127.0.0.1:${await freePort()}`;
const rec = await startTestReconciler(
  hub,
  [],
  {
    stateTokenFile: stateToken,
    gitSources: {
      enabled: true,
      clusters: [
        { name: 'spoke-eu', server: spoke.server, namespaces: ['team-a'] },
        { name: 'away', server: away, namespaces: ['team-b'] },
      ],
    },
  },
  { autoStart: true },
);
t.teardown(() => rec.stop());

const gitSource = (ns: string, name: string, spec: Record<string, unknown> = {}) =>
  gitSourceManifest(ns, name, {
    repoURL: repo.url,
    path: 'app',
    interval: '1h',
    kubeConfig: { secretRef: { name: 'spoke-eu' } },
    ...spec,
  });
const readiness = (ns: string, name: string) =>
  hub.kubectl([
    'get',
    'gitsource',
    name,
    '-n',
    ns,
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}',
  ]);
const value = async (cp: ControlPlane) =>
  (
    await cp.kubectl([
      'get',
      'configmap',
      'settings',
      '-n',
      'team-a',
      '-o',
      'jsonpath={.data.v}',
      '--ignore-not-found',
    ])
  ).stdout;
const syncNow = (ns: string, name: string) =>
  onHub([
    'annotate',
    'gitsource',
    name,
    '-n',
    ns,
    '--overwrite',
    `driftgate.io/requested-at=${Date.now()}`,
  ]);

t.test('a GitSource on the hub applies to the spoke, not to the hub', async (t) => {
  await onHub(['apply', '-f', '-'], gitSource('team-a', 'web'));
  const waited = await hub.kubectl([
    'wait',
    '--for=condition=Ready',
    'gitsource/web',
    '-n',
    'team-a',
    '--timeout=90s',
  ]);
  t.equal(waited.code, 0, (await readiness('team-a', 'web')).stdout);
  t.equal(await value(spoke), '1', 'applied in the spoke');
  t.equal(await value(hub), '', 'nothing in the hub');
  const labels = await onSpoke([
    'get',
    'configmap',
    'settings',
    '-n',
    'team-a',
    '-o',
    'jsonpath={.metadata.labels.driftgate\\.io/source}/{.metadata.managedFields[0].manager}',
  ]);
  t.equal(labels, 'team-a.web/driftgate');
  // Its inventory stays on the hub, beside the GitSource: the spoke has no driftgate namespace.
  const inventory = await hub.kubectl([
    'get',
    'configmap',
    'driftgate-inventory-team-a.web',
    '-n',
    'driftgate-system',
  ]);
  t.equal(inventory.code, 0, inventory.stderr);
  t.equal(
    await onHub([
      'get',
      'gitsource',
      'web',
      '-n',
      'team-a',
      '-o',
      'jsonpath={.status.lastAppliedRevision}',
    ]),
    first,
  );
});

t.test('a manual change in the spoke is reverted through a watch in the spoke', async (t) => {
  await onSpoke([
    'patch',
    'configmap',
    'settings',
    '-n',
    'team-a',
    '-p',
    '{"data":{"v":"manual"}}',
  ]);
  await waitFor('the revert in the spoke', async () => (await value(spoke)) === '1', 60_000, 250);
  t.equal(await value(spoke), '1');
});

t.test("a manual change in the spoke is denied by the spoke's webhook", async (t) => {
  // The spoke's own webhook, following the hub's reconciler for the spoke's sources.
  const noPolicies = join(dir, 'no-local-policies');
  mkdirSync(noPolicies);
  const wh = await startTestWebhook(noPolicies, {
    gitState: {
      reconcilerURL: rec.url,
      cluster: 'spoke-eu',
      tokenFile: stateToken,
      pollInterval: '500ms',
      // The spoke's own reconciler would be this user; the hub's writes are known from the feed.
      reconciler: {
        username: 'system:serviceaccount:driftgate-system:driftgate-reconciler',
        group: 'system:serviceaccounts:driftgate-system',
      },
      breakGlass: { groups: [], maxDuration: '1h' },
      governed: { namespaces: [], mode: 'deny' },
    },
  });
  // It guards the spoke until the file ends (the later writes pass through it).
  root.teardown(() => wh.stop());
  await registerGitGuard(spoke, wh.url, wh.handle.caBundle(), 'driftgate:sre');
  const developerPatch = () =>
    spoke.kubectl(
      ['patch', 'configmap', 'settings', '-n', 'team-a', '-p', '{"data":{"v":"by-hand"}}'],
      { as: 'developer' },
    );
  await waitFor(
    "the spoke's webhook to guard the hub's source",
    async () => (await developerPatch()).stderr.includes('is managed from Git'),
    60_000,
    250,
  );
  const r = await developerPatch();
  t.not(r.code, 0);
  t.match(r.stderr, 'admission webhook "validate.driftgate.io" denied the request');
  t.match(
    r.stderr,
    `source "team-a.web" (${repo.url}, path app/settings.yaml, commit ${first.slice(0, 12)})`,
  );
  t.match(r.stderr, '/data/v (Git: "1", request: "by-hand")');
  t.equal(await value(spoke), '1', 'nothing changed');
  t.ok(
    (metricValue(await wh.metrics(), 'driftgate_manual_changes_total', {
      source: 'team-a.web',
      action: 'denied',
    }) ?? 0) >= 1,
  );
});

t.test(
  "the hub's writes pass the spoke's webhook: a new commit applies, a removed file prunes",
  async (t) => {
    await repo.commit(
      {
        'app/settings.yaml': configMap('settings', { v: '2' }),
        'app/extra.yaml': configMap('extra', { v: 'x' }),
      },
      { signer },
    );
    await syncNow('team-a', 'web');
    await waitFor('commit 2 in the spoke', async () => (await value(spoke)) === '2', 60_000, 250);
    const extra = () =>
      spoke.kubectl([
        'get',
        'configmap',
        'extra',
        '-n',
        'team-a',
        '--ignore-not-found',
        '-o',
        'name',
      ]);
    t.equal((await extra()).stdout.trim(), 'configmap/extra');
    await repo.commit({ 'app/extra.yaml': null }, { signer });
    await syncNow('team-a', 'web');
    await waitFor(
      'extra pruned in the spoke',
      async () => (await extra()).stdout.trim() === '',
      60_000,
      250,
    );
    t.equal(await value(spoke), '2');
    t.match((await readiness('team-a', 'web')).stdout, /^True\/Succeeded/);
  },
);

t.test('an unreachable spoke stalls only its own GitSource', async (t) => {
  await kubeconfigSecret('team-b', 'away', kubeconfigOf(away));
  await onHub(
    ['apply', '-f', '-'],
    gitSource('team-b', 'web', { kubeConfig: { secretRef: { name: 'away' } } }),
  );
  await waitFor(
    'team-b/web to report the cluster away',
    async () =>
      /^False\/\w+: .*(ECONNREFUSED|connect)/.test((await readiness('team-b', 'web')).stdout),
    90_000,
    500,
  );
  // Meanwhile team-a's source syncs as before.
  await repo.commit({ 'app/settings.yaml': configMap('settings', { v: '3' }) }, { signer });
  await syncNow('team-a', 'web');
  await waitFor('commit 3 in the spoke', async () => (await value(spoke)) === '3', 60_000, 250);
  t.equal(await value(spoke), '3');
});

t.test('kubeconfigs that would run a command or read a file are refused', async (t) => {
  const hostile: [string, Record<string, unknown>, RegExp][] = [
    [
      'exec',
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'sh',
          args: ['-c', 'touch /tmp/pwned'],
        },
      },
      /user\.exec is refused: an exec credential plugin would run a command/,
    ],
    [
      'token-file',
      { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
      /user\.tokenFile is refused/,
    ],
  ];
  for (const [name, user, why] of hostile) {
    await kubeconfigSecret('team-a', name, kubeconfigOf(spoke.server, user));
    await onHub(
      ['apply', '-f', '-'],
      gitSource('team-a', name, { kubeConfig: { secretRef: { name } } }),
    );
    await waitFor(
      `${name} to stall`,
      async () => why.test((await readiness('team-a', name)).stdout),
      30_000,
      250,
    );
    t.match((await readiness('team-a', name)).stdout, why);
    t.notOk((await readiness('team-a', name)).stdout.includes(token), 'no credential in status');
  }
  // team-b may not target the spoke the platform gave team-a.
  await kubeconfigSecret('team-b', 'spoke-eu', kubeconfigOf(spoke.server));
  await onHub(['apply', '-f', '-'], gitSource('team-b', 'sneaky'));
  await waitFor(
    'team-b/sneaky to stall',
    async () =>
      (await readiness('team-b', 'sneaky')).stdout.includes(
        'does not let namespace team-b target cluster spoke-eu',
      ),
    30_000,
    250,
  );
  t.pass('refused');
});
