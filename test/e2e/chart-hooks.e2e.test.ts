// A public chart's hooks as Helm runs them (issue 27): ingress-nginx (vendored unchanged, see
// test/fixtures/public/SOURCES.md) brings its admission Jobs' own ServiceAccount, Roles and
// bindings as hooks with `before-hook-creation,hook-succeeded`, and both Jobs have
// `ttlSecondsAfterFinished: 0`; a value gives the Jobs weight 5 (the chart's own
// `controller.admissionWebhooks.annotations`), so RBAC and Jobs are also at different weights.
// Install and two upgrades through the real reconciler, apiserver, controller-manager (Job and
// TTL controllers), scheduler and a kwok node: zero FailedCreate, every hook Succeeded and gone
// after, and the status naming the hook that runs meanwhile.
import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { fixtureTree } from '../support/fixture-tree.js';
import { waitFor } from '../support/processes.js';
import { startTestReconciler, trustOf } from '../support/reconciler.js';

const CHART = 'ingress-nginx/charts/ingress-nginx';
const { cp, git, signer } = await gitOpsFixture(t, { controlPlane: { workloads: true } });
const repo = await git.createRepo('ingress-nginx');
const files = fixtureTree(['ingress-nginx']);
await repo.commit(files, { signer });
const rec = await startTestReconciler(cp, [
  {
    name: 'ingress',
    repoURL: repo.url,
    ref: 'main',
    path: CHART,
    destinationNamespace: 'ingress',
    createNamespace: true,
    verification: { mode: 'head', ...trustOf(signer) },
    clusterScopedKinds: [
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
      'networking.k8s.io/IngressClass',
      'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
    ],
    helm: {
      releaseName: 'ingress',
      values: {
        // No load-balancer controller here: a LoadBalancer Service would never be Healthy, and
        // PostSync hooks wait for health (as in Argo CD).
        controller: {
          service: { type: 'ClusterIP' },
          admissionWebhooks: { annotations: { 'helm.sh/hook-weight': '5' } },
        },
      },
    },
  },
]);
t.teardown(() => rec.stop());

interface Status {
  syncStatus: string;
  health: string;
  errors: unknown[];
  hooks: { phase: string; object: string; status: string; message?: string }[];
  runningHook: { phase: string; object: string } | null;
}
const status = async () => (await rec.status('ingress')) as unknown as Status;

/** Sync until Synced and Healthy, recording every hook the status names as running. */
async function syncWatchingHooks(): Promise<{ running: Set<string>; s: Status }> {
  const running = new Set<string>();
  let syncing = true;
  const watching = (async () => {
    while (syncing) {
      const h = (await status()).runningHook;
      if (h) running.add(`${h.phase} ${h.object}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  let s = await status();
  try {
    await waitFor(
      'ingress-nginx Synced and Healthy',
      async () => {
        await rec.sync('ingress').catch((e: unknown) => {
          if ((e as { next?: string }).next !== 'waiting') throw e;
        });
        s = await status();
        return s.syncStatus === 'Synced' && s.health === 'Healthy';
      },
      240_000,
      500,
    );
  } finally {
    syncing = false;
    await watching;
  }
  return { running, s };
}

const HOOKS = (phase: string, job: string) =>
  [
    'ServiceAccount ingress/ingress-ingress-nginx-admission',
    'rbac.authorization.k8s.io/ClusterRole ingress-ingress-nginx-admission',
    'rbac.authorization.k8s.io/ClusterRoleBinding ingress-ingress-nginx-admission',
    'rbac.authorization.k8s.io/Role ingress/ingress-ingress-nginx-admission',
    'rbac.authorization.k8s.io/RoleBinding ingress/ingress-ingress-nginx-admission',
    `batch/Job ingress/ingress-ingress-nginx-admission-${job}`,
  ].map((object) => [phase, object, 'Succeeded']);

const revisions = [
  ['install', files],
  [
    'first upgrade',
    {
      [`${CHART}/values.yaml`]: (files[`${CHART}/values.yaml`] ?? '').replace(
        'revisionHistoryLimit: 10',
        'revisionHistoryLimit: 9',
      ),
    },
  ],
  [
    'second upgrade',
    {
      [`${CHART}/values.yaml`]: (files[`${CHART}/values.yaml`] ?? '').replace(
        'revisionHistoryLimit: 10',
        'revisionHistoryLimit: 8',
      ),
    },
  ],
] as const;

for (const [i, [name, change]] of revisions.entries())
  t.test(`${name}: hooks in Helm's order, none missing its ServiceAccount`, async (t) => {
    if (i > 0) await repo.commit(change, { signer });
    const { running, s } = await syncWatchingHooks();
    t.strictSame(s.errors, []);
    t.strictSame(
      s.hooks.map((h) => [h.phase, h.object, h.status]),
      [...HOOKS('PreSync', 'create'), ...HOOKS('PostSync', 'patch')],
      JSON.stringify(s.hooks.filter((h) => h.message)),
    );
    t.ok(
      running.has('PreSync batch/Job ingress/ingress-ingress-nginx-admission-create'),
      `the status named the running Job (${[...running].join(', ')})`,
    );
    t.equal(s.runningHook, null, 'and nothing once the sync is over');
    const reasons = await cp.kubectl([
      'get',
      'events',
      '-n',
      'ingress',
      '-o',
      'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
    ]);
    t.strictSame(
      reasons.stdout.split('\n').filter((r) => r === 'FailedCreate'),
      [],
      'no Job pod failed to be created',
    );
    const left = await cp.kubectl([
      'get',
      'serviceaccounts,roles,rolebindings,jobs',
      '-n',
      'ingress',
      '-l',
      'driftgate.io/hook-of=ingress',
      '-o',
      'name',
    ]);
    t.same(left.stdout, '', 'hook-succeeded: every hook gone after its phase');
  });
