import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { eventMessages } from '../support/control-plane.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import { metricValue } from '../support/webhook.js';

// Real control plane with controller-manager, scheduler and a kwok node, so Deployments roll out.
const { dir, cp, git, signer } = await gitOpsFixture(t, { controlPlane: { workloads: true } });
const repo = await git.createRepo('platform');
const verification = { mode: 'head', ...trustOf(signer) };

const deploy = (name: string, replicas: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0' }], ...extra },
      },
    },
  }) + '\n';

const job = (name: string, image: string, annotations?: Record<string, string>) =>
  JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image }] } },
    },
  }) + '\n';

await repo.commit(
  {
    'heal/cm.yaml': configMap('settings', { mode: 'strict' }),
    'report/cm.yaml': configMap('settings', { mode: 'strict' }),
    'fight/cm.yaml': configMap('settings', { mode: 'strict' }),
    'prune/a.yaml': configMap('a', { v: '1' }),
    'prune/b.yaml': configMap('b', { v: '1' }),
    'prune/c.yaml': configMap('c', { v: '1' }, { 'driftgate.io/prune': 'disabled' }),
    'prune/d.yaml': configMap('d', { v: '1' }),
    'prune/e.yaml': configMap('e', { v: '1' }),
    'apps/web.yaml': deploy('web', 2),
    'apps/stuck.yaml': deploy('stuck', 1, { nodeSelector: { 'no-such-node': 'true' } }),
    'kustomize/base/kustomization.yaml': 'resources: [deploy.yaml]\n',
    'kustomize/base/deploy.yaml': deploy('api', 2),
    // kubeVersion as podinfo's chart declares it: helm's default (v1.20) would refuse it.
    'chart/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\nkubeVersion: ">=1.23.0-0"\n',
    'chart/templates/capabilities.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-capabilities\ndata:\n  apps: {{ .Capabilities.APIVersions.Has "apps/v1" | quote }}\n  minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n',
    'chart/templates/tests/test-connection.yaml':
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test-{{ randAlphaNum 5 | lower }}\n  annotations:\n    helm.sh/hook: test\nspec:\n  containers: [{ name: t, image: busybox }]\n',
    'chart/values.yaml': 'greeting: hello\n',
    'chart/values-prod.yaml': 'greeting: bonjour\n',
    'chart/templates/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
    'broken/kustomization.yaml': 'resources: [missing.yaml]\n',
    'jobs/replace.yaml': job('replace', 'migrate:1', {
      'driftgate.io/sync-options': 'Replace=true',
    }),
    'jobs/keep.yaml': job('keep', 'migrate:1'),
    // A CRD and a custom resource of it in one commit (and one sync).
    'crds/crd.yaml': [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: { name: widgets.example.com }',
      'spec:',
      '  group: example.com',
      '  scope: Namespaced',
      '  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }',
      '  versions:',
      '    - name: v1',
      '      served: true',
      '      storage: true',
      '      schema:',
      '        openAPIV3Schema:',
      '          type: object',
      '          properties: { spec: { type: object, properties: { size: { type: integer } } } }',
    ].join('\n'),
    'crds/widget.yaml':
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w1 }\nspec: { size: 3 }\n',
    // A field the CRD's schema does not declare: server-side apply refuses the object.
    'crds/invalid.yaml':
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w2 }\nspec: { size: 1, colour: red }\n',
    'kustomize/overlays/dev/kustomization.yaml':
      'resources: [../../base]\nnamePrefix: dev-\ncommonLabels: { env: dev }\n',
  },
  { signer },
);

const src = (name: string, path: string, more: Record<string, unknown> = {}) => ({
  name,
  repoURL: repo.url,
  ref: 'main',
  path,
  destinationNamespace: name,
  createNamespace: true,
  verification,
  ...more,
});
const secretFile = join(dir, 'hook-secret');
writeFileSync(secretFile, 'hook-s3cret\n');
const rec = await startTestReconciler(
  cp,
  [
    src('heal', 'heal', { fightThreshold: 50 }),
    src('fight', 'fight', { fightThreshold: 2 }),
    src('report', 'report', { selfHeal: false }),
    src('prune', 'prune', { maxPruneFraction: 0.6 }),
    src('apps', 'apps'),
    src('chart', 'chart', { helm: { releaseName: 'web', valuesFiles: ['values-prod.yaml'] } }),
    src('broken', 'broken'),
    src('jobs', 'jobs'),
    src('crds', 'crds', { clusterScopedKinds: ['apiextensions.k8s.io/CustomResourceDefinition'] }),
    src('kustomize', 'kustomize/overlays/dev', {
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
    }),
  ],
  { webhookSecretFile: secretFile },
);
t.teardown(() => rec.stop());
for (const s of [
  'heal',
  'fight',
  'report',
  'prune',
  'apps',
  'kustomize',
  'chart',
  'broken',
  'crds',
  'jobs',
])
  await rec.sync(s);

const core = cp.kubeConfig().makeApiClient(CoreV1Api);
const mode = async (ns: string) =>
  (await core.readNamespacedConfigMap({ name: 'settings', namespace: ns })).data?.mode;

t.test('a declared field changed by an admin is reverted, fast', async (t) => {
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await cp.kubectl([
      'patch',
      'cm',
      'settings',
      '-n',
      'heal',
      '--type=merge',
      '-p',
      `{"data":{"mode":"lax-${i}"}}`,
    ]);
    t.equal(r.code, 0, r.stderr);
    const t0 = performance.now();
    await waitFor('the revert', async () => (await mode('heal')) === 'strict', 10_000, 10);
    latencies.push(performance.now() - t0);
  }
  t.pass(`reverted 5/5; change-to-revert ms: ${latencies.map((l) => l.toFixed(0)).join(', ')}`);
  t.ok(Math.max(...latencies) < 5000, 'each revert within 5 s');
  const m = await rec.metrics();
  t.ok(
    (metricValue(m, 'driftgate_self_heal_total', { source: 'heal', kind: 'ConfigMap' }) ?? 0) >= 5,
    'self-heal counted',
  );
  t.ok(
    (metricValue(m, 'driftgate_manual_changes_total', { source: 'heal', action: 'reverted' }) ??
      0) >= 5,
    'manual changes counted',
  );
});

t.test('a fight (something keeps changing it back) is detected and driftgate stops', async (t) => {
  for (let i = 0; i < 3; i++) {
    await cp.kubectl([
      'patch',
      'cm',
      'settings',
      '-n',
      'fight',
      '--type=merge',
      '-p',
      `{"data":{"mode":"other-${i}"}}`,
    ]);
    await waitFor(
      'revert or stop',
      async () =>
        (await mode('fight')) === 'strict' ||
        ((await rec.status('fight')).fighting as string[]).length > 0,
      10_000,
      20,
    );
  }
  await waitFor(
    'the fight to be reported',
    async () => ((await rec.status('fight')).fighting as string[]).length === 1,
    10_000,
    50,
  );
  t.equal(
    metricValue(await rec.metrics(), 'driftgate_fights_total', { source: 'fight' }),
    1,
    'fight counted once',
  );
  t.equal(await mode('fight'), 'other-2', 'no longer reverted');
  t.match(
    await eventMessages(cp, 'driftgate-system', 'DriftFight'),
    /ConfigMap fight\/settings was changed back 2 times within a minute/,
  );
});

t.test('an undeclared field is left alone', async (t) => {
  const r = await cp.kubectl(['label', 'cm', 'settings', '-n', 'heal', 'owner=team-a']);
  t.equal(r.code, 0);
  await rec.sync('heal');
  const label = await cp.kubectl([
    'get',
    'cm',
    'settings',
    '-n',
    'heal',
    '-o',
    'jsonpath={.metadata.labels.owner}',
  ]);
  t.equal(label.stdout, 'team-a', 'controllers and people keep fields Git does not declare');
  t.match(await rec.status('heal'), { syncStatus: 'Synced' });
});

t.test('with selfHeal off, drift is reported with its diff, not reverted', async (t) => {
  await cp.kubectl([
    'patch',
    'cm',
    'settings',
    '-n',
    'report',
    '--type=merge',
    '-p',
    '{"data":{"mode":"lax"}}',
  ]);
  await waitFor(
    'drift reported',
    async () => (await rec.status('report')).syncStatus === 'OutOfSync',
    10_000,
    50,
  );
  const st = await rec.status('report');
  t.match(st.drifted, [
    { object: 'ConfigMap report/settings', diff: '/data/mode: git "strict", live "lax"' },
  ]);
  t.equal(await mode('report'), 'lax', 'not reverted');
  t.ok(
    (metricValue(await rec.metrics(), 'driftgate_drifted_objects', {
      source: 'report',
      kind: 'ConfigMap',
    }) ?? 0) === 1,
    'drift gauge',
  );
});

t.test(
  'a suspended source applies nothing, reverts nothing, reports drift; resumed, it converges',
  async (t) => {
    rec.source('heal').suspend();
    await cp.kubectl([
      'patch',
      'cm',
      'settings',
      '-n',
      'heal',
      '--type=merge',
      '-p',
      '{"data":{"mode":"paused-change"}}',
    ]);
    await rec.sync('heal');
    const st = await rec.status('heal');
    t.match(st, { syncStatus: 'Suspended', suspended: true });
    t.match(st.drifted, [{ object: 'ConfigMap heal/settings' }], 'drift still reported');
    t.equal(await mode('heal'), 'paused-change', 'nothing reverted while suspended');
    t.equal(metricValue(await rec.metrics(), 'driftgate_source_suspended', { source: 'heal' }), 1);
    rec.source('heal').resume();
    await rec.sync('heal');
    t.equal(await mode('heal'), 'strict', 'converged after resume');
    t.match(await rec.status('heal'), { syncStatus: 'Synced', suspended: false });
  },
);

t.test(
  'prune: removed manifests go, opted-out objects stay, an emptied path prunes nothing',
  async (t) => {
    const cms = async () =>
      (await core.listNamespacedConfigMap({ namespace: 'prune' })).items
        .map((c) => c.metadata?.name)
        .filter((n) => n !== 'kube-root-ca.crt')
        .sort();
    t.same(await cms(), ['a', 'b', 'c', 'd', 'e']);
    await repo.commit({ 'prune/b.yaml': null, 'prune/c.yaml': null }, { signer });
    // driftgate diff (plan) says what the sync then does, from the same prune plan.
    const planned = await rec.source('prune').plan();
    t.same(planned.prune, ['ConfigMap prune/b'], 'the diff plans b, not the opted-out c');
    t.equal(planned.pruneRefused, undefined);
    await rec.sync('prune');
    t.same(
      await cms(),
      ['a', 'c', 'd', 'e'],
      'b pruned; c survives through its opt-out annotation',
    );
    t.ok(
      (metricValue(await rec.metrics(), 'driftgate_prune_total', { source: 'prune' }) ?? 0) >= 1,
    );

    await repo.commit(
      { 'prune/a.yaml': null, 'prune/d.yaml': null, 'prune/e.yaml': null },
      { signer },
    );
    const emptied = await rec.source('prune').plan();
    t.same(emptied.prune, [], 'the diff plans no prune for an emptied path');
    t.match(emptied.pruneRefused, /renders no objects/);
    await rec.sync('prune');
    t.same(await cms(), ['a', 'c', 'd', 'e'], 'an emptied path prunes nothing');
    const st = await rec.status('prune');
    t.match(st.pruneRefused, /renders no objects/);
    t.ok(
      (metricValue(await rec.metrics(), 'driftgate_prune_refused_total', { source: 'prune' }) ??
        0) >= 1,
      'refusal counted',
    );
  },
);

t.test(
  'Kustomize overlay renders and applies; HPA-owned replicas in ignoreDifferences cause no drift',
  async (t) => {
    const got = await cp.kubectl([
      'get',
      'deploy',
      'dev-api',
      '-n',
      'kustomize',
      '-o',
      'jsonpath={.metadata.labels.env}',
    ]);
    t.equal(got.stdout, 'dev', 'overlay applied (namePrefix, labels)');
    const scaled = await cp.kubectl(['scale', 'deploy/dev-api', '-n', 'kustomize', '--replicas=5']);
    t.equal(scaled.code, 0);
    // A full sync right after: it would revert replicas if they were not ignored.
    await rec.sync('kustomize');
    const st = await rec.status('kustomize');
    t.equal(st.syncStatus, 'Synced');
    t.same(st.drifted, [], 'no drift');
    const replicas = await cp.kubectl([
      'get',
      'deploy',
      'dev-api',
      '-n',
      'kustomize',
      '-o',
      'jsonpath={.spec.replicas}',
    ]);
    t.equal(replicas.stdout, '5', 'replicas left to the autoscaler');
  },
);

t.test('a Helm chart renders through the real helm binary with its values files', async (t) => {
  const got = await cp.kubectl([
    'get',
    'cm',
    'web-greeting',
    '-n',
    'chart',
    '-o',
    'jsonpath={.data.greeting}',
  ]);
  t.equal(got.stdout, 'bonjour');
  t.match(await rec.status('chart'), { syncStatus: 'Synced' });
  // The live cluster's capabilities, not helm's defaults.
  const caps = await cp.kubectl(['get', 'cm', 'web-capabilities', '-n', 'chart', '-o', 'json']);
  const data = (JSON.parse(caps.stdout) as { data: Record<string, string> }).data;
  const server = JSON.parse((await cp.kubectl(['version', '-o', 'json'])).stdout) as {
    serverVersion: { minor: string };
  };
  t.strictSame(data, { apps: 'true', minor: server.serverVersion.minor });
  // Test hooks are never applied (each render would add a new random-named Pod).
  const pods = await cp.kubectl(['get', 'pods', '-n', 'chart', '-o', 'name']);
  t.equal(pods.stdout, '', 'no test pod');
  await rec.sync('chart');
  t.match(await rec.status('chart'), { syncStatus: 'Synced', errors: [] });
});

t.test('a CRD and its custom resources in one commit sync in one go', async (t) => {
  const st = await rec.status('crds');
  // The CRD and the valid Widget applied; the invalid one is reported, stalled until Git changes.
  t.match(st, { syncStatus: 'Failed' });
  t.strictSame(
    (st.errors as { code: string; next: string }[]).map((e) => [e.code, e.next]),
    [['RECONCILE_OBJECT_INVALID', 'stalled']],
  );
  t.match(
    st.lastError,
    /^apply example\.com\/Widget crds\/w2: HTTP 500: .*\.spec\.colour: field not declared in schema$/,
  );
  const w = await cp.kubectl([
    'get',
    'widgets.example.com',
    'w1',
    '-n',
    'crds',
    '-o',
    'jsonpath={.spec.size}',
  ]);
  t.equal(w.stdout, '3');
  // A Widget has no controller: its health says so instead of claiming Healthy.
  t.strictSame(
    (st.unhealthy as { object: string; health: string }[]).map((u) => [u.object, u.health]).sort(),
    [
      ['example.com/Widget crds/w1', 'Unknown'],
      ['example.com/Widget crds/w2', 'Missing'],
    ],
  );
});

t.test('a Job template change: replaced when opted in, otherwise says how', async (t) => {
  const uid = async (name: string) =>
    (await cp.kubectl(['get', 'job', name, '-n', 'jobs', '-o', 'jsonpath={.metadata.uid}'])).stdout;
  const before = await uid('replace');
  await repo.commit(
    {
      'jobs/replace.yaml': job('replace', 'migrate:2', {
        'driftgate.io/sync-options': 'Replace=true',
      }),
      'jobs/keep.yaml': job('keep', 'migrate:2'),
    },
    { signer },
  );
  await rec.sync('jobs');
  const image = await cp.kubectl([
    'get',
    'job',
    'replace',
    '-n',
    'jobs',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
  t.equal(image.stdout, 'migrate:2', 'the opted-in Job was recreated with the new template');
  t.not(await uid('replace'), before, 'a new object');
  const st = await rec.status('jobs');
  t.equal(st.syncStatus, 'Failed');
  t.strictSame(
    (st.errors as { code: string }[]).map((e) => e.code),
    ['RECONCILE_OBJECT_INVALID'],
  );
  t.match(
    st.lastError,
    /^apply batch\/Job jobs\/keep: HTTP 422: .*field is immutable.*annotate it driftgate\.io\/sync-options: Replace=true\)$/,
  );

  // Issue 26 finding 12: relabelled to another source, it is that source's: never deleted here.
  const relabel = await cp.kubectl([
    'label',
    'job',
    'replace',
    '-n',
    'jobs',
    'driftgate.io/source=other',
    '--overwrite',
  ]);
  t.equal(relabel.code, 0, relabel.stderr);
  const owned = await uid('replace');
  await repo.commit(
    {
      'jobs/replace.yaml': job('replace', 'migrate:3', {
        'driftgate.io/sync-options': 'Replace=true',
      }),
    },
    { signer },
  );
  await rec.sync('jobs');
  t.equal(await uid('replace'), owned, "another source's Job is not deleted");
  const errors = (await rec.status('jobs')).errors as { message: string }[];
  t.ok(
    errors.some((e) =>
      /^apply batch\/Job jobs\/replace: HTTP 422: .*field is immutable; not replaced: it exists and belongs to source other$/.test(
        e.message,
      ),
    ),
    JSON.stringify(errors),
  );
});

t.test('a commit that does not render applies nothing and says why', async (t) => {
  const st = await rec.status('broken');
  t.match(st, {
    syncStatus: 'Failed',
    revision: null,
    verification: { ok: false, reason: 'render' },
  });
  t.match(
    st.lastError,
    /broken\/kustomization\.yaml: resources names missing\.yaml, which is not in the commit/,
    'the missing file is named',
  );
  const cms = await cp.kubectl(['get', 'cm', '-n', 'broken', '-o', 'name']);
  t.same(
    cms.stdout
      .trim()
      .split('\n')
      .filter((n) => n && n !== 'configmap/kube-root-ca.crt'),
    [],
    'nothing applied',
  );
});

t.test(
  'health: a Deployment from Git reaches Healthy; one that never gets ready never does',
  async (t) => {
    // No resync here: the Deployment's own status updates (watch events) move its health.
    await waitFor(
      'apps healthy web',
      async () => {
        const st = await rec.status('apps');
        return !(st.unhealthy as { object: string }[]).some((u) => u.object.includes('/web'));
      },
      90_000,
      1000,
    );
    const st = await rec.status('apps');
    // kwok simulates kubelets: it runs no image, so "never ready" is a pod no node can take.
    t.match(st.unhealthy, [{ object: 'apps/Deployment apps/stuck', health: 'Progressing' }]);
    t.equal(st.health, 'Progressing', 'the source is as healthy as its worst object');
    const info = metricValue(await rec.metrics(), 'driftgate_source_info', {
      source: 'apps',
      health_status: 'Progressing',
      sync_status: 'Synced',
    });
    t.equal(info, 1, 'source info metric');
  },
);

t.test('Git server down: state kept, fetch errors counted, recovery when it is back', async (t) => {
  const before = await rec.status('heal');
  await git.pause();
  await t.rejects(rec.sync('heal'), /git fetch of .* failed/);
  const st = await rec.status('heal');
  t.match(st, { revision: before.revision, syncStatus: 'Failed', lastError: /git fetch/ });
  t.ok(
    (metricValue(await rec.metrics(), 'driftgate_git_fetch_total', {
      source: 'heal',
      result: 'failure',
    }) ?? 0) >= 1,
  );
  t.equal(await mode('heal'), 'strict', 'applied state untouched');
  await git.resume();
  await rec.sync('heal');
  t.match(await rec.status('heal'), { syncStatus: 'Synced', lastError: null });
});

t.test('API server restarted: the reconciler recovers without a restart of its own', async (t) => {
  await cp.restartApiServer();
  await waitFor(
    'a sync after the restart',
    async () => rec.sync('heal').then(() => true),
    30_000,
    500,
  );
  await cp.kubectl([
    'patch',
    'cm',
    'settings',
    '-n',
    'heal',
    '--type=merge',
    '-p',
    '{"data":{"mode":"after-restart"}}',
  ]);
  await waitFor(
    'self-heal after the restart',
    async () => (await mode('heal')) === 'strict',
    30_000,
    100,
  );
  t.pass('watches re-established and drift reverted');
});

t.test('HTTP control: status, suspend and resume, and an authenticated push webhook', async (t) => {
  const all = (await (await rec.get('/status')).json()) as { name: string }[];
  t.same(all.map((s) => s.name).sort(), [
    'apps',
    'broken',
    'chart',
    'crds',
    'fight',
    'heal',
    'jobs',
    'kustomize',
    'prune',
    'report',
  ]);
  t.equal((await fetch(`${rec.url}/status/report`)).status, 401, 'status needs a bearer token');
  t.equal((await fetch(`${rec.url}/status`)).status, 401);
  t.equal(
    (await fetch(`${rec.url}/audit`, { headers: { authorization: 'Bearer nope' } })).status,
    401,
    'so does the audit report',
  );
  t.equal((await rec.control('/status/nope')).status, 404, 'POST is not a status route');
  const anonymous = await fetch(`${rec.url}/sources/report/suspend`, { method: 'POST' });
  t.equal(anonymous.status, 401, 'control without the bearer token is refused');
  const wrong = await fetch(`${rec.url}/audit`, {
    method: 'POST',
    headers: { authorization: 'Bearer nope' },
  });
  t.equal(wrong.status, 401, 'a wrong token is refused');
  t.equal(rec.source('report').state.suspended, false, 'the refused suspend changed nothing');
  const suspended = (await (await rec.control('/sources/report/suspend')).json()) as {
    suspended: boolean;
    syncStatus: string;
  };
  t.match(suspended, { suspended: true, syncStatus: 'Suspended' });
  // The suspension outlives a restart: a new reconciler of the same source reads it back.
  const restarted = await startTestReconciler(cp, [src('report', 'report', { selfHeal: false })]);
  await restarted.sync('report');
  t.match(await restarted.status('report'), { suspended: true, syncStatus: 'Suspended' });
  await restarted.stop();
  const resumed = (await (await rec.control('/sources/report/resume')).json()) as {
    suspended: boolean;
  };
  t.equal(resumed.suspended, false);

  const next = await repo.commit({ 'heal/cm2.yaml': configMap('pushed', { v: '1' }) }, { signer });
  const body = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: repo.url } });
  const unsigned = await fetch(`${rec.url}/hooks/git`, { method: 'POST', body });
  t.equal(unsigned.status, 401, 'a push without a valid signature is refused');
  const sig = `sha256=${createHmac('sha256', 'hook-s3cret').update(body).digest('hex')}`;
  const hook = await fetch(`${rec.url}/hooks/git`, {
    method: 'POST',
    body,
    headers: { 'x-hub-signature-256': sig, 'content-type': 'application/json' },
  });
  t.equal(hook.status, 202, await hook.clone().text());
  t.same(((await hook.json()) as { triggered: string[] }).triggered.sort(), [
    'apps',
    'broken',
    'chart',
    'crds',
    'fight',
    'heal',
    'jobs',
    'kustomize',
    'prune',
    'report',
  ]);
  await waitFor(
    'the pushed commit applied',
    async () => (await rec.status('heal')).revision === next,
    20_000,
    100,
  );
  const pushed = await cp.kubectl([
    'get',
    'cm',
    'pushed',
    '-n',
    'heal',
    '-o',
    'jsonpath={.data.v}',
  ]);
  t.equal(pushed.stdout, '1', 'the push triggered an immediate sync');
});
