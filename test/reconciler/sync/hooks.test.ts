// Sync hooks (Argo CD's annotations, Helm's mapped): what each annotation means, and the order
// a sync runs them in, over the in-memory cluster (a Job "completes" when the fake stores it).
// The same content runs against the real apiserver, controller-manager and kwok in fixtures.e2e.
import t from 'tap';
import { stringify } from 'yaml';
import { hookOf, splitHooks } from '../../../reconciler/model/hook-annotations.js';
import type { K8sObject } from '../../../reconciler/model/objects.js';
import { obj, setup, type Live } from '../../support/hook-harness.js';

t.test('hook annotations: Argo CD phases, Helm mapped like Argo CD, defaults', async (t) => {
  const h = (a: Record<string, string>) => hookOf(obj('Job', 'j', a));
  t.equal(h({}), undefined, 'no annotation: an ordinary object');
  t.strictSame(h({ 'argocd.argoproj.io/hook': 'PreSync' }), {
    phases: ['PreSync'],
    deletePolicies: ['BeforeHookCreation'],
    wave: 0,
    deleteAfter: 'operation',
  });
  t.strictSame(
    h({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/sync-wave': '3',
      'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded,HookFailed',
    }),
    {
      phases: ['Sync'],
      deletePolicies: ['HookSucceeded', 'HookFailed'],
      wave: 3,
      deleteAfter: 'operation',
    },
  );
  t.strictSame(
    h({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-5',
      'helm.sh/hook-delete-policy': 'hook-succeeded',
    }),
    { phases: ['PreSync'], deletePolicies: ['HookSucceeded'], wave: -5, deleteAfter: 'phase' },
  );
  t.strictSame(h({ 'helm.sh/hook': 'post-install' }), {
    phases: ['PostSync'],
    deletePolicies: ['BeforeHookCreation'],
    wave: 0,
    deleteAfter: 'phase',
  });
  t.strictSame(h({ 'helm.sh/hook': 'test' }), { skip: true }, 'Helm tests never run');
  t.strictSame(h({ 'helm.sh/hook': 'pre-delete' }), { skip: true });
  t.strictSame(h({ 'argocd.argoproj.io/hook': 'Skip' }), { skip: true });
  t.strictSame(
    h({ 'argocd.argoproj.io/hook': 'PostSync', 'helm.sh/hook': 'pre-install' }),
    {
      phases: ['PostSync'],
      deletePolicies: ['BeforeHookCreation'],
      wave: 0,
      deleteAfter: 'operation',
    },
    "Argo CD's annotation wins",
  );
  t.throws(() => h({ 'argocd.argoproj.io/hook': 'Presync' }), /unknown hook "Presync"/);
  t.throws(
    () => h({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'x' }),
    /unknown argocd.argoproj.io\/hook-delete-policy "x"/,
  );
});

t.test('split: hooks apart, Skip dropped, generateName outside a hook refused alone', async (t) => {
  const split = splitHooks(
    [
      obj('ConfigMap', 'plain'),
      obj('Job', 'migrate-', { 'argocd.argoproj.io/hook': 'PreSync' }),
      obj('Pod', 'test', { 'helm.sh/hook': 'test' }),
      obj('ConfigMap', 'loose-'),
      obj('Job', 'typo', { 'argocd.argoproj.io/hook': 'PostSynk' }),
    ].map((o) => ({ object: o, path: 'app/a.yaml' })),
  );
  t.strictSame(
    split.managed.map((r) => r.object.metadata.name),
    ['plain'],
  );
  t.strictSame(
    split.hooks.map((r) => r.object.metadata.generateName),
    ['migrate-'],
  );
  t.strictSame(split.refused, [
    {
      object: 'ConfigMap loose-*',
      path: 'app/a.yaml',
      reason:
        'metadata.generateName is only for hooks (argocd.argoproj.io/hook); give it a metadata.name',
    },
    {
      object: 'batch/Job typo',
      path: 'app/a.yaml',
      reason: 'unknown hook "PostSynk" in argocd.argoproj.io/hook',
    },
  ]);
});

const app = (extra: K8sObject[] = []) => ({
  'app/all.yaml': [
    obj('Job', 'schema-', { 'argocd.argoproj.io/hook': 'PreSync' }),
    obj('Deployment', 'backend'),
    obj('Job', 'page-up', {
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/sync-wave': '1',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    }),
    obj('ConfigMap', 'frontend', { 'argocd.argoproj.io/sync-wave': '2' }),
    obj('Job', 'smoke', {
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded',
    }),
    obj('Job', 'page', { 'argocd.argoproj.io/hook': 'SyncFail' }),
    ...extra,
  ]
    .map((o) => stringify(o))
    .join('---\n'),
});

t.test(
  'a new revision: PreSync, waves with Sync hooks between, PostSync once Healthy',
  async (t) => {
    const { git, cluster, rec, writes } = setup();
    git.commit(app());
    await rec.reconcile();
    t.strictSame(writes(), [
      'create Job/shop/schema-00001',
      'apply Deployment/shop/backend',
      'apply Job/shop/page-up',
      'apply ConfigMap/shop/frontend',
      'apply Job/shop/smoke',
      'delete Job/shop/smoke',
    ]);
    t.equal(rec.state.syncStatus, 'Synced');
    t.strictSame(
      rec.state.hooks.map((h) => [h.phase, h.object, h.status]),
      [
        ['PreSync', 'batch/Job shop/schema-00001', 'Succeeded'],
        ['Sync', 'batch/Job shop/page-up', 'Succeeded'],
        ['PostSync', 'batch/Job shop/smoke', 'Succeeded'],
      ],
    );
    t.strictSame(
      (cluster.inventories.get('shop') ?? []).map((r) => r.name).sort(),
      ['backend', 'frontend'],
      'hooks are never inventory (never pruned)',
    );
    t.equal(
      (cluster.objects.get('batch/Job/shop/page-up') as Live & { metadata: { labels: object } })
        .metadata.labels['driftgate.io/hook-of' as never],
      'shop',
      'a hook is labelled with its source, not owned by it',
    );
    cluster.calls.length = 0;
    await rec.reconcile();
    t.strictSame(writes(), [], 'a resync of an applied revision runs no hook');
  },
);

t.test('a failed PreSync applies nothing, runs SyncFail, and stalls the revision', async (t) => {
  const { git, rec, writes, cluster } = setup({ fail: ['schema-'] });
  git.commit(app());
  await rec.reconcile();
  t.strictSame(writes(), ['create Job/shop/schema-00001', 'apply Job/shop/page']);
  t.equal(rec.state.syncStatus, 'Failed');
  t.strictSame(
    rec.state.errors.map((e) => [e.code, e.next]),
    [['RECONCILE_HOOK_FAILED', 'stalled']],
  );
  t.match(rec.state.errors[0]?.message, /^PreSync hook batch\/Job shop\/schema-00001 failed: /);
  t.ok(cluster.events.some((e) => e.reason === 'HookFailed'));
  cluster.calls.length = 0;
  await rec.reconcile();
  t.strictSame(writes(), [], 'not re-run until the head moves');
});

t.test('PostSync waits for health: a waiting error, then it runs once Healthy', async (t) => {
  let ready = false;
  const { git, rec, writes, cluster } = setup({ ready: () => ready });
  git.commit(app());
  const err = (await rec.reconcile().catch((e: unknown) => e)) as { code: string; next: string };
  t.strictSame([err.code, err.next], ['RECONCILE_HOOKS_WAITING', 'waiting']);
  t.equal(rec.state.syncStatus, 'OutOfSync', 'applied, not failed; not yet Synced');
  t.notOk(writes().includes('apply Job/shop/smoke'));
  ready = true;
  const d = cluster.objects.get('apps/Deployment/shop/backend') as Live;
  cluster.objects.set('apps/Deployment/shop/backend', cluster.onApply(d));
  cluster.calls.length = 0;
  await rec.reconcile();
  t.ok(writes().includes('apply Job/shop/smoke'), 'PostSync ran');
  t.notOk(
    writes().some((w) => w.includes('schema')),
    'PreSync did not run again',
  );
  t.equal(rec.state.syncStatus, 'Synced');
});

const priorJob = (labels: Record<string, string>) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'page-up', namespace: 'shop', labels },
  spec: { note: 'an earlier object' },
});

t.test('a hook named after an object that is not its own touches nothing of it', async (t) => {
  const { git, rec, writes, cluster } = setup();
  cluster.put(priorJob({ app: 'someone-else' }));
  git.commit(app());
  await rec.reconcile();
  t.notOk(
    writes().some((w) => w.endsWith('Job/shop/page-up')),
    'neither deleted (BeforeHookCreation) nor applied over',
  );
  t.strictSame(
    rec.state.hooks.find((h) => h.object === 'batch/Job shop/page-up'),
    {
      phase: 'Sync',
      object: 'batch/Job shop/page-up',
      status: 'Failed',
      message: 'an object of that name exists and is not a hook of this source: left alone',
    },
  );
  t.strictSame(
    rec.state.errors.map((e) => e.code),
    ['RECONCILE_HOOK_FAILED'],
  );
});

t.test('an earlier run of its own hook is deleted before the next one', async (t) => {
  const { git, rec, writes, cluster } = setup();
  cluster.put(priorJob({ 'driftgate.io/hook-of': 'shop' }));
  git.commit(app());
  await rec.reconcile();
  const w = writes();
  const deleted = w.indexOf('delete Job/shop/page-up');
  t.ok(deleted >= 0 && deleted < w.indexOf('apply Job/shop/page-up'), w.join(', '));
});
