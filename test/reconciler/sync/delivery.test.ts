// The delivery (DORA) and GitOps adoption metrics one source records, over a fake Git history and
// a fake cluster with a clock of the test's own: revisions set out, deployments, change failures
// (its own cause only), time to restore, and the objects changed through Git.
import { ApiException } from '@kubernetes/client-node';
import { pino } from 'pino';
import { stringify } from 'yaml';
import t from 'tap';
import { ReconcilerMetrics } from '../../../reconciler/metrics.js';
import { SourceReconciler } from '../../../reconciler/source-reconciler.js';
import { configMap, FakeCluster, sourceConfig } from '../../support/fake-cluster.js';
import { FakeGit } from '../../support/fake-git.js';

t.test('deployments, change failures, time to restore and Git changes', async (t) => {
  const git = new FakeGit();
  const cluster = new FakeCluster();
  const metrics = new ReconcilerMetrics({ defaultMetrics: false });
  let now = Date.parse('2026-12-07T10:00:00Z');
  const rec = new SourceReconciler(
    sourceConfig({ path: 'app' }),
    git as never,
    { verify: async () => ({ ok: true, kind: 'ssh', signer: 's' }) } as never,
    {
      cluster,
      metrics,
      logger: pino({ level: 'silent' }),
      tools: { kustomizePath: 'kustomize', helmPath: 'helm' },
      namespace: 'driftgate-system',
      now: () => now,
    },
  );
  const value = async (name: string, extra: Record<string, string> = {}) => {
    for (const m of await metrics.registry.getMetricsAsJSON())
      for (const v of m.values)
        if (
          ((v as { metricName?: string }).metricName ?? m.name) === name &&
          Object.entries({ source: 'shop', ...extra }).every(([k, x]) => v.labels[k] === x)
        )
          return v.value;
    return undefined;
  };
  const figures = async () => ({
    revisions: await value('driftgate_revisions_total'),
    deployments: await value('driftgate_deployments_total'),
    failures: await value('driftgate_deployment_failures_total'),
    gitChanges: await value('driftgate_git_changes_total'),
    restores: await value('driftgate_time_to_restore_seconds_count'),
  });
  const run = () => rec.reconcile().catch(() => undefined);
  const cm = (name: string, v: string) => stringify(configMap(name, { v }));

  t.same(
    await figures(),
    { revisions: 0, deployments: 0, failures: 0, gitChanges: 0, restores: 0 },
    'every series starts at 0',
  );
  git.commit({ 'app/a.yaml': cm('a', '1'), 'app/b.yaml': cm('b', '1') });
  await run();
  await run();
  t.same(
    await figures(),
    { revisions: 1, deployments: 1, failures: 0, gitChanges: 2, restores: 0 },
    'one commit, two objects: counted once, not per resync',
  );

  git.commit({ 'app/a.yaml': cm('a', '2'), 'app/b.yaml': cm('b', '1') });
  cluster.applyErrors.set('/ConfigMap/shop/a', new ApiException(422, 'invalid', '{}', {}));
  await run();
  now += 60_000;
  await run();
  t.equal(rec.state.syncStatus, 'Failed');
  t.same(
    await figures(),
    { revisions: 2, deployments: 1, failures: 1, gitChanges: 2, restores: 0 },
    'a revision that does not apply is one change failure, however often it is retried',
  );
  cluster.applyErrors.clear();
  now += 240_000;
  await run();
  t.equal(rec.state.syncStatus, 'Synced');
  t.same(
    await figures(),
    { revisions: 2, deployments: 2, failures: 1, gitChanges: 3, restores: 1 },
    'fixed: deployed, restored, and only the changed object counted',
  );
  t.equal(await value('driftgate_time_to_restore_seconds_sum'), 300, 'failing for 5 minutes');

  git.commit({ 'app/a.yaml': cm('a', '3'), 'app/b.yaml': cm('b', '1') });
  cluster.applyErrors.set('/ConfigMap/shop/a', new ApiException(503, 'down', '{}', {}));
  await run();
  t.equal(
    await value('driftgate_deployment_failures_total'),
    1,
    'the API down is no change failure',
  );
  t.equal(rec.state.syncStatus, 'Failed');
});
