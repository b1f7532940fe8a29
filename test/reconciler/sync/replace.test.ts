import { ApiException } from '@kubernetes/client-node';
import t from 'tap';
import { refKey, refOf, type K8sObject } from '../../../reconciler/model/objects.js';
import { applyOrReplace, replaceAllowed } from '../../../reconciler/sync/replace.js';
import { FakeCluster, stageContext } from '../../support/fake-cluster.js';

const job = (image: string, annotations?: Record<string, string>, owner = 'shop'): K8sObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'migrate',
    namespace: 'shop',
    labels: { 'driftgate.io/source': owner },
    ...(annotations ? { annotations } : {}),
  },
  spec: { template: { spec: { containers: [{ name: 'm', image }] } } },
});
const key = refKey(refOf(job('x')));

/** The apiserver's answer to a changed Job template. */
class JobCluster extends FakeCluster {
  override async apply(obj: K8sObject) {
    const live = this.objects.get(key) as K8sObject | undefined;
    if (live && JSON.stringify(live.spec) !== JSON.stringify(obj.spec)) {
      this.calls.push({ op: 'apply', what: key });
      throw new ApiException(
        422,
        'x',
        JSON.stringify({
          kind: 'Status',
          message:
            'Job.batch "migrate" is invalid: spec.template: Invalid value: ...: field is immutable',
        }),
        {},
      );
    }
    return super.apply(obj);
  }
}

t.test('Replace=true, or Argo CD’s spelling, or Force=true opts in', async (t) => {
  t.equal(replaceAllowed(job('a', { 'driftgate.io/sync-options': 'Replace=true' })), true);
  t.equal(
    replaceAllowed(job('a', { 'argocd.argoproj.io/sync-options': 'Prune=false, Replace=true' })),
    true,
  );
  t.equal(replaceAllowed(job('a', { 'driftgate.io/sync-options': 'Force=true' })), true);
  t.equal(replaceAllowed(job('a', { 'driftgate.io/sync-options': 'Replace=false' })), false);
  t.equal(replaceAllowed(job('a')), false);
});

t.test('an immutable change with the opt-in: deleted, waited for, created again', async (t) => {
  const opt = { 'driftgate.io/sync-options': 'Replace=true' };
  const cluster = new JobCluster([job('v1', opt)]);
  const ctx = stageContext(cluster, { deps: { sleep: async () => undefined } });
  const live = (await applyOrReplace(ctx, job('v2', opt), true)) as K8sObject;
  t.strictSame(cluster.did('delete'), [key]);
  t.strictSame(cluster.did('apply'), [key, key], 'refused once, then created');
  t.match(live, { spec: { template: { spec: { containers: [{ image: 'v2' }] } } } });
});

t.test('without the opt-in: refused, stalled, and the message says how to opt in', async (t) => {
  const cluster = new JobCluster([job('v1')]);
  const ctx = stageContext(cluster);
  const err = (await applyOrReplace(ctx, job('v2'), true).catch((e: unknown) => e)) as {
    code: string;
    next: string;
    message: string;
  };
  t.equal(err.code, 'RECONCILE_OBJECT_INVALID');
  t.equal(err.next, 'stalled');
  t.equal(
    err.message,
    'apply batch/Job shop/migrate: HTTP 422: Job.batch "migrate" is invalid: spec.template: Invalid value: ...: field is immutable (to delete and recreate it on such changes, annotate it driftgate.io/sync-options: Replace=true)',
  );
  t.strictSame(cluster.did('delete'), [], 'nothing deleted');
});

t.test('other errors pass through untouched', async (t) => {
  const cluster = new FakeCluster();
  cluster.applyErrors.set(key, new ApiException(503, 'x', '{}', {}));
  const ctx = stageContext(cluster);
  await t.rejects(applyOrReplace(ctx, job('v1'), true), { code: 503 });
});

t.test('Replace deletes only what this source owns: its inventory and its label', async (t) => {
  const opt = { 'driftgate.io/sync-options': 'Replace=true' };
  for (const [why, live, inInventory, reason] of [
    [
      'relabelled to another source',
      job('v1', opt, 'other'),
      true,
      'it exists and belongs to source other',
    ],
    ['not in the inventory', job('v1', opt), false, "it is not in this source's inventory"],
  ] as const) {
    const cluster = new JobCluster([live]);
    const ctx = stageContext(cluster, { deps: { sleep: async () => undefined } });
    const err = (await applyOrReplace(ctx, job('v2', opt), inInventory).catch(
      (e: unknown) => e,
    )) as {
      code: string;
      message: string;
    };
    t.equal(err.code, 'RECONCILE_OBJECT_INVALID', why);
    t.match(err.message, `field is immutable; not replaced: ${reason}`, why);
    t.strictSame(cluster.did('delete'), [], `${why}: nothing deleted`);
  }
});
