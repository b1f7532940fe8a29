// Hooks as Helm and Argo CD run them (issue 27): kind by kind within a weight, delete policies
// after the phase (Helm) or the sync (Argo CD), a Job removed by its TTL read before it goes, a
// hook that never ends deleted, and status naming the hook that runs. In-memory cluster; the
// real apiserver, controller-manager and kwok run a public chart's hooks in hooks.e2e.
import t from 'tap';
import { stringify } from 'yaml';
import type { K8sObject } from '../../../reconciler/model/objects.js';
import { refKey, refOf } from '../../../reconciler/model/objects.js';
import { obj, setup } from '../../support/hook-harness.js';

const helm = (weight: number, policy = 'hook-succeeded,before-hook-creation') => ({
  'helm.sh/hook': 'pre-install,pre-upgrade',
  'helm.sh/hook-weight': String(weight),
  'helm.sh/hook-delete-policy': policy,
});
const files = (objects: K8sObject[]) => ({
  'app/all.yaml': objects.map((o) => stringify(o)).join('---\n'),
});
// A chart's migration hook as public charts write it: its own ServiceAccount and RBAC as hooks.
const chartHooks = (saWeight: number) => [
  obj('Job', 'migrate', helm(0)),
  obj('RoleBinding', 'migrate', helm(saWeight)),
  obj('ServiceAccount', 'migrate', helm(saWeight)),
  obj('Role', 'migrate', helm(saWeight)),
  obj('Deployment', 'web'),
];

for (const saWeight of [0, -5])
  t.test(
    `Helm: RBAC before the Job, deleted after the phase (ServiceAccount weight ${saWeight})`,
    async (t) => {
      const { git, cluster, rec, writes } = setup();
      const base = cluster.onApply;
      const saAtJob: boolean[] = [];
      cluster.onApply = (o) => {
        if (o.kind === 'Job') saAtJob.push(cluster.objects.has('/ServiceAccount/shop/migrate'));
        return base(o);
      };
      git.commit(files(chartHooks(saWeight)));
      await rec.reconcile();
      t.strictSame(writes(), [
        'apply ServiceAccount/shop/migrate',
        'apply Role/shop/migrate',
        'apply RoleBinding/shop/migrate',
        'apply Job/shop/migrate',
        'delete ServiceAccount/shop/migrate',
        'delete Role/shop/migrate',
        'delete RoleBinding/shop/migrate',
        'delete Job/shop/migrate',
        'apply Deployment/shop/web',
      ]);
      t.strictSame(saAtJob, [true], 'the ServiceAccount existed when the Job was created');
      t.equal(rec.state.syncStatus, 'Synced');
      t.same(
        [...cluster.objects.keys()].filter((k) => k.endsWith('/migrate')),
        [],
        'every hook-succeeded hook gone after the phase',
      );
    },
  );

t.test('Argo CD: HookSucceeded hooks are deleted once the whole sync is over', async (t) => {
  const { git, rec, writes } = setup();
  git.commit(
    files([
      obj('Job', 'pre', {
        'argocd.argoproj.io/hook': 'PreSync',
        'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded',
      }),
      obj('Deployment', 'web'),
    ]),
  );
  await rec.reconcile();
  t.strictSame(writes(), [
    'apply Job/shop/pre',
    'apply Deployment/shop/web',
    'delete Job/shop/pre',
  ]);
});

t.test('a Job its TTL deletes as it completes counts as succeeded', async (t) => {
  const { git, cluster, rec } = setup();
  const base = cluster.onApply;
  cluster.onApply = (o) => {
    const done = base(o);
    // The TTL controller (ttlSecondsAfterFinished: 0) deletes it as soon as it finishes.
    if (o.kind === 'Job') queueMicrotask(() => void cluster.delete(refOf(o as K8sObject)));
    return done;
  };
  const job = obj('Job', 'once', helm(0, 'before-hook-creation'), {
    spec: { ttlSecondsAfterFinished: 0 },
  });
  git.commit(files([job, obj('Deployment', 'web')]));
  await rec.reconcile();
  t.strictSame(
    rec.state.hooks.map((h) => [h.object, h.status, h.message]),
    [['batch/Job shop/once', 'Succeeded', undefined]],
  );
  t.equal(cluster.objects.has(refKey(refOf(job))), false, 'gone once driftgate read it');
  t.equal(rec.state.syncStatus, 'Synced');
});

t.test('a hook that never finishes is deleted at the deadline, not left retrying', async (t) => {
  const running: unknown[] = [];
  const { git, cluster, rec, writes } = setup({
    onProgress: () => running.push(rec.state.runningHook),
  });
  cluster.onApply = (o) => o; // a Job that never completes
  git.commit(files([obj('Job', 'stuck', helm(0)), obj('Deployment', 'web')]));
  await rec.reconcile().catch(() => undefined);
  t.strictSame(writes(), ['apply Job/shop/stuck', 'delete Job/shop/stuck']);
  t.strictSame(
    rec.state.hooks.map((h) => [h.status, h.message]),
    [['Failed', 'did not finish in 300s; deleted']],
  );
  t.equal(cluster.objects.has('batch/Job/shop/stuck'), false);
  t.strictSame(running, [{ phase: 'PreSync', object: 'batch/Job shop/stuck' }], 'status named it');
  t.equal(rec.state.runningHook, undefined, 'and no longer once it ended');
  t.equal(rec.state.syncStatus, 'Failed');
});

t.test('a hook deleted by someone else while it runs failed', async (t) => {
  const { git, cluster, rec } = setup();
  cluster.onApply = (o) => {
    if (o.kind === 'Job') queueMicrotask(() => void cluster.delete(refOf(o as K8sObject)));
    return o;
  };
  git.commit(files([obj('Job', 'cut', helm(0)), obj('Deployment', 'web')]));
  await rec.reconcile().catch(() => undefined);
  t.strictSame(
    rec.state.hooks.map((h) => [h.status, h.message]),
    [['Failed', 'it was deleted while running']],
  );
  t.equal(cluster.objects.has('batch/Job/shop/cut'), false, 'its finalizer released');
});
