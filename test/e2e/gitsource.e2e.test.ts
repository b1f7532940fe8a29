// Sources as Kubernetes objects: GitSource (CRD driftgate.io/v1alpha1) applied with kubectl,
// synced, read back with kubectl get / wait / describe, edited, suspended, deleted, and a
// tenant's GitSource applying as its own ServiceAccount. Real apiserver, Git server, kubectl.
import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler } from '../support/reconciler.js';
import { stringify } from 'yaml';
import { DEVELOPER_USER } from '../support/control-plane.js';
import { startTestWebhook } from '../support/webhook.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';
import { runCli } from '../support/run-cli.js';

const { cp, git, signer } = await gitOpsFixture(t);
const admin = (args: string[], input?: string) =>
  cp.kubectl(args, input === undefined ? {} : { input });
const must = mustKubectl(cp);
await installGitSourceApi(cp);

const repo = await git.createRepo('apps');
const first = await repo.commit(
  { 'app/settings.yaml': configMap('settings', { v: '1' }) },
  { signer },
);
await repo.git(['push', '-q', 'origin', 'HEAD:release']);
const second = await repo.commit({ 'app/extra.yaml': configMap('extra', { v: '2' }) }, { signer });
const gitSource = (ns: string, name: string, spec: Record<string, unknown>) =>
  gitSourceManifest(ns, name, { repoURL: repo.url, path: 'app', interval: '1h', ...spec });
const tenantNamespace = (ns: string) => trustingNamespace(cp, ns, signer);
/** Merge a JSON fragment into a GitSource's spec. */
const patchSpec = (ns: string, name: string, spec: string) =>
  must(['patch', 'gitsource', name, '-n', ns, '--type=merge', '-p', `{"spec":${spec}}`]);
/** One field of a GitSource (a kubectl jsonpath). */
const field = (ns: string, name: string, path: string) =>
  must(['get', 'gitsource', name, '-n', ns, '-o', `jsonpath={${path}}`]);
const cond = async (ns: string, name: string, type: string): Promise<string> =>
  (
    await admin([
      'get',
      'gitsource',
      name,
      '-n',
      ns,
      '-o',
      `jsonpath={.status.conditions[?(@.type=="${type}")].status}/{.status.conditions[?(@.type=="${type}")].reason}`,
    ])
  ).stdout;
const exists = async (kind: string, name: string, ns?: string) =>
  (await admin(['get', kind, name, ...(ns ? ['-n', ns] : [])])).code === 0;

await tenantNamespace('team-a');
const startRec = () =>
  startTestReconciler(cp, [], { gitSources: { enabled: true } }, { autoStart: true });
let rec = await startRec();
t.teardown(() => rec.stop());

t.test('kubectl apply of a GitSource syncs it; kubectl wait, get and describe tell', async (t) => {
  await must(['apply', '-f', '-'], gitSource('team-a', 'web', { ref: 'release' }));
  const waited = await admin([
    'wait',
    '--for=condition=Ready',
    'gitsource/web',
    '-n',
    'team-a',
    '--timeout=60s',
  ]);
  t.equal(waited.code, 0, waited.stderr);
  t.ok(await exists('configmap', 'settings', 'team-a'), 'applied into its own namespace');
  t.notOk(await exists('configmap', 'extra', 'team-a'), 'release does not have extra');
  const table = await must(['get', 'gitsources', '-A']);
  t.match(table, /NAMESPACE\s+NAME\s+REVISION\s+READY\s+SYNCED\s+HEALTHY\s+DRIFTED\s+AGE/);
  t.match(table, new RegExp(`team-a\\s+web\\s+${first}\\s+True\\s+True\\s+True\\s+0`));
  t.equal(await cond('team-a', 'web', 'Verified'), 'True/Signed');
  const gen = await field('team-a', 'web', '.metadata.generation}/{.status.observedGeneration');
  t.equal(gen, '1/1', 'observedGeneration');
  await waitFor(
    'the RevisionApplied event on the GitSource',
    async () =>
      (await must(['describe', 'gitsource', 'web', '-n', 'team-a'])).includes('RevisionApplied'),
    15_000,
    250,
  );
});

t.test('editing spec.ref moves it', async (t) => {
  await patchSpec('team-a', 'web', '{"ref":"main"}');
  await waitFor(
    'the new revision',
    async () => (await field('team-a', 'web', '.status.lastAppliedRevision')) === second,
    30_000,
    250,
  );
  t.ok(await exists('configmap', 'extra', 'team-a'));
  t.equal(await field('team-a', 'web', '.status.observedGeneration'), '2');
});

t.test('suspend by spec.suspend, survive a restart; sync now by annotation', async (t) => {
  await patchSpec('team-a', 'web', '{"suspend":true}');
  await waitFor(
    'Ready False: Suspended',
    async () => (await cond('team-a', 'web', 'Ready')) === 'False/Suspended',
    15_000,
    200,
  );
  // A new commit while suspended is not applied, even after a reconciler restart.
  const third = await repo.commit({ 'app/later.yaml': configMap('later', { v: '3' }) }, { signer });
  await rec.stop();
  rec = await startRec();
  await waitFor(
    'the restarted reconciler to take the GitSource in',
    async () => rec.handle.runtime.source('team-a.web') !== undefined,
    15_000,
    100,
  );
  await rec.sync('team-a.web');
  t.notOk(await exists('configmap', 'later', 'team-a'), 'suspended across the restart');
  t.equal(await cond('team-a', 'web', 'Ready'), 'False/Suspended');
  // Resume; then ask for a sync now (the interval is an hour).
  await patchSpec('team-a', 'web', '{"suspend":false}');
  await must([
    'annotate',
    'gitsource',
    'web',
    '-n',
    'team-a',
    '--overwrite',
    `driftgate.io/requested-at=${Date.now()}`,
  ]);
  await waitFor(
    'the requested sync',
    async () => exists('configmap', 'later', 'team-a'),
    30_000,
    250,
  );
  await waitFor(
    'Ready again',
    async () => (await cond('team-a', 'web', 'Ready')) === 'True/Succeeded',
    15_000,
    200,
  );
  t.equal(await field('team-a', 'web', '.status.lastAppliedRevision'), third);
});

t.test('a bad spec is refused with a reason; nothing is applied', async (t) => {
  await must(
    ['apply', '-f', '-'],
    gitSource('team-a', 'broken', { verification: { configMapRef: { name: 'missing' } } }),
  );
  await waitFor(
    'Stalled: InvalidSpec',
    async () => (await cond('team-a', 'broken', 'Stalled')) === 'True/InvalidSpec',
    15_000,
    200,
  );
  t.match(
    await field('team-a', 'broken', '.status.conditions[?(@.type=="Ready")].message'),
    'verification ConfigMap missing not found in team-a',
  );
  const crossNs = await admin(
    ['apply', '-f', '-'],
    gitSource('team-a', 'elsewhere', { destinationNamespace: 'Not_A_Label' }),
  );
  t.not(crossNs.code, 0, 'the CRD schema refuses a bad destination');
  t.match(crossNs.stderr, 'destinationNamespace must be a DNS label');
});

t.test(
  'a tenant applies as its ServiceAccount: RBAC refuses the rest, the status says so',
  async (t) => {
    await tenantNamespace('team-b');
    await must(['create', 'namespace', 'other']);
    await must(['create', 'serviceaccount', 'deployer', '-n', 'team-b']);
    await must([
      'create',
      'role',
      'deployer',
      '-n',
      'team-b',
      '--verb=get,list,watch,create,update,patch,delete',
      '--resource=configmaps',
    ]);
    await must([
      'create',
      'rolebinding',
      'deployer',
      '-n',
      'team-b',
      '--role=deployer',
      '--serviceaccount=team-b:deployer',
    ]);
    await repo.commit(
      {
        'tenant/mine.yaml': configMap('mine', { team: 'b' }),
        'tenant/other.yaml': JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'theirs', namespace: 'other' },
          data: { x: '1' },
        }),
        'tenant/grab.yaml': JSON.stringify({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'team-b-grab' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'cluster-admin',
          },
          subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'team-b' }],
        }),
      },
      { signer },
    );
    await must(
      ['apply', '-f', '-'],
      gitSource('team-b', 'tenant', { path: 'tenant', serviceAccountName: 'deployer' }),
    );
    await waitFor(
      'the tenant ConfigMap',
      async () => exists('configmap', 'mine', 'team-b'),
      30_000,
      250,
    );
    await waitFor(
      'Synced False with the refusals',
      async () => (await cond('team-b', 'tenant', 'Synced')).startsWith('False/'),
      15_000,
      200,
    );
    t.notOk(await exists('clusterrolebinding', 'team-b-grab'), 'no ClusterRoleBinding');
    t.notOk(await exists('configmap', 'theirs', 'other'), 'nothing in another namespace');
    const errors = await field('team-b', 'tenant', '.status.errors[*].message');
    t.match(
      errors,
      /ClusterRoleBinding team-b-grab: .*forbidden.*system:serviceaccount:team-b:deployer/,
    );
    t.match(errors, /ConfigMap other\/theirs: .*forbidden/);
    t.match(await field('team-b', 'tenant', '.status.errors[*].code'), 'RECONCILE_FORBIDDEN');
    t.equal(
      await cond('team-b', 'tenant', 'Verified'),
      'True/Signed',
      'the rest of the source is fine',
    );
  },
);

t.test('control routes: a Kubernetes token that RBAC allows, nothing else', async (t) => {
  await must(['create', 'serviceaccount', 'ops', '-n', 'team-a']);
  await must(['create', 'serviceaccount', 'viewer', '-n', 'team-a']);
  await must([
    'create',
    'role',
    'gitsource-ops',
    '-n',
    'team-a',
    '--verb=patch',
    '--resource=gitsources.driftgate.io',
  ]);
  await must([
    'create',
    'rolebinding',
    'gitsource-ops',
    '-n',
    'team-a',
    '--role=gitsource-ops',
    '--serviceaccount=team-a:ops',
  ]);
  const token = async (sa: string) => (await must(['create', 'token', sa, '-n', 'team-a'])).trim();
  const post = async (path: string, bearer?: string) =>
    (
      await fetch(`${rec.url}${path}`, {
        method: 'POST',
        ...(bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {}),
      })
    ).status;
  const ops = await token('ops');
  const viewer = await token('viewer');
  t.equal(await post('/sources/team-a.web/sync'), 401, 'no credentials');
  t.equal(await post('/sources/team-a.web/sync', 'not-a-token'), 401, 'not a Kubernetes token');
  t.equal(await post('/sources/team-a.web/sync', viewer), 403, 'RBAC does not allow it');
  t.equal(await post('/audit', ops), 403, 'patching a GitSource is not running the audit');
  t.equal(await post('/sources/team-a.web/sync', ops), 200, 'allowed: patch on this GitSource');
  t.equal(
    await post('/sources/team-a.web/suspend', ops),
    409,
    "a GitSource's suspension is its spec, not an in-memory switch",
  );
  t.equal(await cond('team-a', 'web', 'Ready'), 'True/Succeeded', 'nothing changed');
});

t.test(
  'status and the audit: authenticated, and filtered to what RBAC lets the caller get (issue 26 findings 9, 14)',
  async (t) => {
    await must([
      'create',
      'role',
      'gitsource-read',
      '-n',
      'team-a',
      '--verb=get',
      '--resource=gitsources.driftgate.io',
    ]);
    await must([
      'create',
      'rolebinding',
      'gitsource-read',
      '-n',
      'team-a',
      '--role=gitsource-read',
      '--serviceaccount=team-a:ops',
    ]);
    const token = async (sa: string) =>
      (await must(['create', 'token', sa, '-n', 'team-a'])).trim();
    const get = (path: string, bearer?: string) =>
      fetch(`${rec.url}${path}`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});
    const ops = await token('ops');
    const viewer = await token('viewer');
    t.equal((await get('/status')).status, 401, 'no credentials');
    t.equal((await get('/audit')).status, 401, 'no credentials for the audit report');
    const seen = (await (await get('/status', ops)).json()) as { name: string }[];
    t.strictSame(
      seen.map((s) => s.name),
      ['team-a.web'],
      "only the GitSources it may get, not team-b's",
    );
    t.equal((await get('/status/team-b.tenant', ops)).status, 403, "another team's source");
    t.equal((await get('/status/team-a.web', ops)).status, 200);
    t.strictSame(await (await get('/status', viewer)).json(), [], 'no grant, nothing shown');
    t.equal(
      (await get('/audit', ops)).status,
      403,
      "the audit report is the platform's (get /audit)",
    );

    // A flood of bogus tokens costs the apiserver a bounded number of TokenReviews.
    const reviews = async () =>
      (await must(['get', '--raw', '/metrics']))
        .split('\n')
        .filter(
          (l) => l.startsWith('apiserver_request_total{') && l.includes('resource="tokenreviews"'),
        )
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const before = await reviews();
    const t0 = Date.now();
    const codes: number[] = [];
    for (let batch = 0; batch < 10; batch++)
      codes.push(
        ...(await Promise.all(
          Array.from(
            { length: 30 },
            async (_, i) => (await get('/status', `bogus-${batch}-${i}`)).status,
          ),
        )),
      );
    const seconds = (Date.now() - t0) / 1000;
    const made = (await reviews()) - before;
    t.ok(
      codes.every((c) => c === 401 || c === 429),
      'each refused',
    );
    t.ok(codes.includes(429), 'past the burst: 429 without asking the apiserver');
    t.ok(
      made <= 20 + Math.ceil(5 * seconds) + 1,
      `${made} TokenReviews for 300 bogus tokens in ${seconds.toFixed(1)}s`,
    );
  },
);

t.test('the driftgate CLI works on GitSources as the kubeconfig user, RBAC deciding', async (t) => {
  const run = async (argv: string[]) => {
    const r = await runCli(argv);
    return { code: r.code, out: [r.stdout, r.stderr].filter(Boolean).join('\n') };
  };
  const asAdmin = ['--kubeconfig', cp.kubeconfigs.admin];
  const asDev = ['--kubeconfig', cp.kubeconfigs.developer];
  const status = await run(['status', '-n', 'team-a', ...asAdmin]);
  t.equal(status.code, 3, 'not every GitSource in team-a is Ready (broken is not)');
  t.match(status.out, /team-a\/web\s+Ready=True\s+Synced=True/);
  t.match(status.out, /team-a\/broken\s+Ready=False.*InvalidSpec: verification ConfigMap missing/);
  const denied = await run(['suspend', 'web', '-n', 'team-a', ...asDev]);
  t.equal(denied.code, 1);
  t.match(denied.out, /driftgate suspend: team-a\/web: HTTP 403: .*forbidden/);
  t.equal(await field('team-a', 'web', '.spec.suspend'), 'false');
  const sus = await run(['suspend', 'web', '-n', 'team-a', ...asAdmin]);
  t.strictSame(sus, { code: 0, out: 'gitsource team-a/web suspended' });
  await waitFor(
    'Suspended',
    async () => (await cond('team-a', 'web', 'Ready')) === 'False/Suspended',
    15_000,
    200,
  );
  t.equal((await run(['resume', 'web', '-n', 'team-a', ...asAdmin])).code, 0);
  t.equal((await run(['sync', 'web', '-n', 'team-a', ...asAdmin])).code, 0);
  t.match(await field('team-a', 'web', '.metadata.annotations'), 'driftgate.io/requested-at');
  await waitFor(
    'Ready again',
    async () => (await cond('team-a', 'web', 'Ready')) === 'True/Succeeded',
    15_000,
    200,
  );
  const d = await run(['diff', '--gitsource', 'web', '-n', 'team-a', ...asAdmin]);
  t.equal(d.code, 0, d.out);
  t.match(d.out, /source team-a\.web: \w{12} signed by .*\n {2}in sync/);
});

t.test(
  'the webhook: a GitSource names only a ServiceAccount its author may impersonate',
  async (t) => {
    const wh = await startTestWebhook(undefined, {
      guardGitSources: true,
      kubeconfig: cp.kubeconfigs.admin,
    });
    t.teardown(async () => {
      await admin(['delete', 'validatingwebhookconfiguration', 'driftgate-gitsources']);
      await wh.stop();
    });
    await must(
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'driftgate-gitsources' },
        webhooks: [
          {
            name: 'gitsources.driftgate.io',
            clientConfig: {
              url: `${wh.url}/validate`,
              caBundle: Buffer.from(wh.handle.caBundle()).toString('base64'),
            },
            rules: [
              {
                apiGroups: ['driftgate.io'],
                apiVersions: ['*'],
                operations: ['CREATE', 'UPDATE'],
                resources: ['gitsources'],
              },
            ],
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
          },
        ],
      }),
    );
    await tenantNamespace('team-c');
    await must(['create', 'serviceaccount', 'deployer', '-n', 'team-c']);
    await must([
      'create',
      'role',
      'gs-edit',
      '-n',
      'team-c',
      '--verb=get,list,create,update,patch,delete',
      '--resource=gitsources.driftgate.io',
    ]);
    await must([
      'create',
      'rolebinding',
      'gs-edit',
      '-n',
      'team-c',
      '--role=gs-edit',
      `--user=${DEVELOPER_USER}`,
    ]);
    const asAlice = (spec: Record<string, unknown>) =>
      cp.kubectl(['apply', '--dry-run=server', '-f', '-'], {
        as: 'developer',
        input: gitSource('team-c', 'app', spec),
      });
    let r = { code: 0, stderr: '' };
    await waitFor(
      'the webhook to refuse',
      async () => {
        r = await asAlice({ serviceAccountName: 'deployer' });
        return r.code !== 0;
      },
      30_000,
      250,
    );
    t.match(
      r.stderr,
      `WEBHOOK_GITSOURCE_SERVICEACCOUNT: ${DEVELOPER_USER} may not impersonate ServiceAccount team-c/deployer`,
    );
    const plain = await asAlice({});
    t.equal(plain.code, 0, `no ServiceAccount named: nothing to lend (${plain.stderr})`);
    await must([
      'create',
      'role',
      'use-deployer',
      '-n',
      'team-c',
      '--verb=impersonate',
      '--resource=serviceaccounts',
      '--resource-name=deployer',
    ]);
    await must([
      'create',
      'rolebinding',
      'use-deployer',
      '-n',
      'team-c',
      '--role=use-deployer',
      `--user=${DEVELOPER_USER}`,
    ]);
    const allowed = await asAlice({ serviceAccountName: 'deployer' });
    t.equal(allowed.code, 0, allowed.stderr);

    // Finding 3: editing someone else's GitSource keeps its ServiceAccount and so borrows it.
    await must(['create', 'serviceaccount', 'platform-deployer', '-n', 'team-c']);
    await must(
      ['apply', '-f', '-'],
      gitSource('team-c', 'platform', { serviceAccountName: 'platform-deployer', suspend: true }),
    );
    const edit = (spec: string) =>
      cp.kubectl(
        [
          'patch',
          'gitsource',
          'platform',
          '-n',
          'team-c',
          '--dry-run=server',
          '--type=merge',
          '-p',
          `{"spec":${spec}}`,
        ],
        { as: 'developer' },
      );
    const borrowed = await edit('{"repoURL":"https://git.example/alice/own"}');
    t.not(borrowed.code, 0, 'a new repoURL under a ServiceAccount she may not impersonate');
    t.match(
      borrowed.stderr,
      `WEBHOOK_GITSOURCE_SERVICEACCOUNT: ${DEVELOPER_USER} may not impersonate ServiceAccount team-c/platform-deployer`,
    );
    for (const spec of [
      '{"path":"elsewhere"}',
      '{"verification":{"configMapRef":{"name":"trust"},"mode":"all"}}',
      '{"policyPath":"policies"}',
    ])
      t.not((await edit(spec)).code, 0, `refused: ${spec}`);
    const paused = await edit('{"suspend":false,"interval":"5m"}');
    t.equal(paused.code, 0, `scheduling keys borrow nothing (${paused.stderr})`);

    // Finding 10: a Secret of the namespace its author cannot read is not theirs to send. Bob
    // may edit GitSources and read the trust ConfigMap, but no Secret.
    await must([
      'create',
      'secret',
      'generic',
      'creds',
      '-n',
      'team-c',
      '--from-literal=token=not-bobs',
    ]);
    await must([
      'create',
      'role',
      'read-trust',
      '-n',
      'team-c',
      '--verb=get',
      '--resource=configmaps',
    ]);
    for (const role of ['gs-edit', 'read-trust'])
      await must([
        'create',
        'rolebinding',
        `${role}-bob`,
        '-n',
        'team-c',
        `--role=${role}`,
        '--user=bob',
      ]);
    const asBob = (spec: Record<string, unknown>) =>
      cp.kubectl(['apply', '--dry-run=server', '--as=bob', '-f', '-'], {
        input: gitSource('team-c', 'bobs', spec),
      });
    const own = await asBob({});
    t.equal(own.code, 0, `his own GitSource, no Secret named (${own.stderr})`);
    const deputy = await asBob({ secretRef: { name: 'creds' } });
    t.not(deputy.code, 0, 'a secretRef he may not read');
    t.match(deputy.stderr, 'WEBHOOK_GITSOURCE_SECRET: bob may not read Secret team-c/creds');
  },
);

t.test('deleting a GitSource: Orphan leaves its objects, Delete deletes them', async (t) => {
  await must(['delete', 'gitsource', 'web', '-n', 'team-a', '--wait=true']);
  await waitFor(
    'the source to go',
    async () => rec.handle.runtime.source('team-a.web') === undefined,
    15_000,
    100,
  );
  t.ok(await exists('configmap', 'settings', 'team-a'), 'orphaned (the default)');
  await patchSpec('team-b', 'tenant', '{"deletionPolicy":"Delete"}');
  await waitFor(
    'the cleanup finalizer',
    async () =>
      (await field('team-b', 'tenant', '.metadata.finalizers')).includes('driftgate.io/cleanup'),
    15_000,
    200,
  );
  const del = await admin(['delete', 'gitsource', 'tenant', '-n', 'team-b', '--timeout=30s']);
  t.equal(del.code, 0, del.stderr);
  t.notOk(await exists('configmap', 'mine', 'team-b'), 'deleted with it, as its ServiceAccount');
  t.notOk(await exists('gitsource', 'tenant', 'team-b'));
});

t.test(
  'the CRD installed after the reconciler started: GitSources are taken in then',
  async (t) => {
    await must(['delete', 'crd', 'gitsources.driftgate.io', '--wait=true']);
    await rec.stop();
    rec = await startRec();
    await installGitSourceApi(cp);
    await tenantNamespace('team-d');
    await must(['apply', '-f', '-'], gitSource('team-d', 'late', { ref: 'main' }));
    const waited = await admin([
      'wait',
      '--for=condition=Ready',
      'gitsource/late',
      '-n',
      'team-d',
      '--timeout=60s',
    ]);
    t.equal(waited.code, 0, waited.stderr);
  },
);
