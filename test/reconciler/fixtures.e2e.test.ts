// The compatibility suite: public repositories nobody on this project wrote (vendored unchanged
// in test/fixtures/public, see SOURCES.md there), synced on driftgate's defaults by the real
// reconciler into a real apiserver with controller-manager, scheduler and a kwok node (pods are
// simulated: kwok marks them Ready, and a Job's pods Succeeded; nothing pulls an image here).
// Each app: Synced + Healthy, zero self-heals over three resyncs, an image bump, a removed file pruned.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { sourceCount, startTestReconciler, trustOf } from '../support/reconciler.js';
import { toolPath } from '../support/tools.js';
import { LIBRARY_DIR } from '../support/webhook.js';

const FIXTURES = 'test/fixtures/public';

/** Every file under `dir`, keyed by its path relative to the fixtures folder. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) Object.assign(out, tree(p));
    else out[relative(FIXTURES, p)] = readFileSync(p, 'utf8');
  }
  return out;
}

interface App {
  readonly name: string;
  readonly path: string;
  readonly more?: Record<string, unknown>;
  /** The object whose image (or field) the second commit bumps, and how it reads live. */
  readonly bumped: { readonly args: string[]; readonly jsonpath: string; readonly want: string };
  /** The object the third commit stops declaring. */
  readonly pruned: string[];
  /**
   * The right non-Healthy state, when the app cannot be Healthy here: its unhealthy objects as
   * status lists them (this cluster has no load-balancer controller, as kind and bare clusters).
   */
  readonly unhealthy?: readonly { object: string; health: string; message: string }[];
}

const ARGO = 'argocd-example-apps';
const image = (kind: string, name: string, ns: string, want: string) => ({
  args: [kind, name, '-n', ns],
  jsonpath: '{.spec.template.spec.containers[0].image}',
  want,
});
const all: App[] = [
  {
    name: 'guestbook',
    path: `${ARGO}/guestbook`,
    bumped: image('deploy', 'guestbook-ui', 'guestbook', 'gcr.io/google-samples/gb-frontend:v6'),
    pruned: ['service', 'guestbook-ui', '-n', 'guestbook'],
  },
  {
    name: 'kustomize-guestbook',
    path: `${ARGO}/kustomize-guestbook`,
    bumped: image(
      'deploy',
      'kustomize-guestbook-ui',
      'kustomize-guestbook',
      'gcr.io/google-samples/gb-frontend:v6',
    ),
    pruned: ['service', 'kustomize-guestbook-ui', '-n', 'kustomize-guestbook'],
  },
  {
    name: 'helm-guestbook',
    path: `${ARGO}/helm-guestbook`,
    bumped: image(
      'deploy',
      'helm-guestbook',
      'helm-guestbook',
      'gcr.io/google-samples/gb-frontend:v6',
    ),
    pruned: ['service', 'helm-guestbook', '-n', 'helm-guestbook'],
  },
  {
    name: 'sync-waves',
    path: `${ARGO}/sync-waves`,
    bumped: image('replicaset', 'frontend', 'sync-waves', 'nginx:1.27'),
    pruned: ['service', 'frontend', '-n', 'sync-waves'],
  },
  {
    name: 'pre-post-sync',
    path: `${ARGO}/pre-post-sync`,
    bumped: image(
      'deploy',
      'pre-post-sync-kustomize-guestbook-ui',
      'pre-post-sync',
      'gcr.io/google-samples/gb-frontend:v6',
    ),
    pruned: ['service', 'pre-post-sync-kustomize-guestbook-ui', '-n', 'pre-post-sync'],
  },
  {
    name: 'podinfo-kustomize',
    path: 'podinfo/kustomize',
    bumped: image('deploy', 'podinfo', 'podinfo-kustomize', 'ghcr.io/stefanprodan/podinfo:6.14.2'),
    pruned: ['hpa', 'podinfo', '-n', 'podinfo-kustomize'],
  },
  {
    name: 'podinfo',
    path: 'podinfo/charts/podinfo',
    bumped: image('deploy', 'podinfo', 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.14.2'),
    pruned: ['service', 'podinfo', '-n', 'podinfo'],
  },
  {
    name: 'nginx',
    path: 'bitnami-charts/bitnami/nginx',
    bumped: image('deploy', 'nginx', 'nginx', 'docker.io/bitnami/nginx:1.29.2-debian-12-r0'),
    pruned: ['pdb', 'nginx', '-n', 'nginx'],
    // The chart's default Service type is LoadBalancer: Progressing until an address comes, as
    // Argo CD and kstatus read it.
    unhealthy: [
      {
        object: 'Service nginx/nginx',
        health: 'Progressing',
        message: 'waiting for a load balancer address',
      },
    ],
  },
  {
    name: 'sample-controller',
    path: 'sample-controller/artifacts/examples',
    more: { clusterScopedKinds: ['apiextensions.k8s.io/CustomResourceDefinition'] },
    bumped: {
      args: ['foo', 'example-foo', '-n', 'sample-controller'],
      jsonpath: '{.spec.replicas}',
      want: '2',
    },
    pruned: ['foo', 'example-foo', '-n', 'sample-controller'],
  },
];

// DG_FIXTURES=a,b runs only those apps (while working on one); CI runs them all.
const only = process.env.DG_FIXTURES?.split(',');
const apps = all.filter((a) => !only || only.includes(a.name));

const { cp, git, signer } = await gitOpsFixture(t, { controlPlane: { workloads: true } });
const repo = await git.createRepo('public-apps');
const files = tree(FIXTURES);
await repo.commit(files, { signer });

const rec = await startTestReconciler(
  cp,
  apps.map((a) => ({
    name: a.name,
    repoURL: repo.url,
    ref: 'main',
    path: a.path,
    destinationNamespace: a.name,
    createNamespace: true,
    verification: { mode: 'head', ...trustOf(signer) },
    ...a.more,
  })),
  // driftgate's defaults: the built-in library behind the pre-apply gate, as the chart installs it.
  { policies: { opaPath: toolPath('opa'), dir: LIBRARY_DIR, gate: 'enforce' } },
);
t.teardown(() => rec.stop());

const appNamed = (name: string): App | undefined => all.find((a) => a.name === name);
/** The health an app settles at here: Healthy, or Progressing for the reason it declares. */
const settledHealth = (name: string): string =>
  appNamed(name)?.unhealthy ? 'Progressing' : 'Healthy';

/** Sync until the source is Synced and settled (PostSync hooks may ask to be retried). */
async function settle(name: string): Promise<void> {
  let last = '';
  await waitFor(
    `${name} Synced and Healthy`,
    async () => {
      await rec.sync(name).catch((e: unknown) => {
        if ((e as { next?: string }).next !== 'waiting') throw e;
      });
      const s = await rec.status(name);
      last = JSON.stringify({
        sync: s.syncStatus,
        health: s.health,
        errors: s.errors,
        unhealthy: s.unhealthy,
        drifted: s.drifted,
      });
      return (
        s.syncStatus === 'Synced' &&
        s.health === settledHealth(name) &&
        JSON.stringify(s.unhealthy) === JSON.stringify(appNamed(name)?.unhealthy ?? [])
      );
    },
    90_000,
    500,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${last}`);
  });
}

/** The sum of a counter's series for one source. */
const counted = sourceCount;

const kubectlGet = async (args: string[], jsonpath: string) =>
  cp.kubectl(['get', ...args, '-o', `jsonpath=${jsonpath}`]);

t.test('each public app syncs on the defaults and stays put over three resyncs', async (t) => {
  for (const a of apps) {
    await settle(a.name);
    for (let i = 0; i < 3; i++) await rec.sync(a.name);
    const s = await rec.status(a.name);
    t.strictSame(
      [s.syncStatus, s.health, s.errors, s.unhealthy],
      ['Synced', settledHealth(a.name), [], a.unhealthy ?? []],
      `${a.name} ${JSON.stringify(s.drifted)}`,
    );
    const m = await rec.metrics();
    t.strictSame(
      [
        counted(m, 'driftgate_self_heal_total', a.name),
        counted(m, 'driftgate_manual_changes_total', a.name),
      ],
      [0, 0],
      `${a.name}: no phantom drift (self-heals, manual changes)`,
    );
    t.strictSame(s.drifted, [], `${a.name}: nothing drifted`);
    const held = (s.policyViolations as { object: string; policy: string; applied: boolean }[])
      .filter((v) => !v.applied)
      .map((v) => `${v.object} ${v.policy}`);
    t.strictSame(held, [], `${a.name}: the default policies hold nothing back`);
  }
});

const hooked = ['pre-post-sync', 'sync-waves'].every((n) => apps.some((a) => a.name === n));
t.test('the default policies judged them: best practice is warned, and said so', async (t) => {
  if (!apps.some((a) => a.name === 'sync-waves')) return t.pass('sync-waves not among DG_FIXTURES');
  const s = await rec.status('sync-waves');
  const latest = (
    s.policyViolations as { object: string; policy: string; action: string; applied: boolean }[]
  )
    .filter((v) => v.policy === 'images/disallow_latest')
    .map((v) => [v.object, v.action, v.applied]);
  // The gate ran with the library: nginx:latest is a warning, applied, not a hold.
  t.strictSame(latest, [
    ['apps/ReplicaSet sync-waves/backend', 'warn', true],
    ['apps/ReplicaSet sync-waves/frontend', 'warn', true],
  ]);
});

t.test('hooks: PreSync before the app, PostSync once Healthy, delete policies', async (t) => {
  if (!hooked) return t.pass('the hook apps are not among DG_FIXTURES');
  const s = await rec.status('pre-post-sync');
  t.strictSame(
    (s.hooks as { phase: string; object: string; status: string }[]).map((h) => [
      h.phase,
      h.object,
      h.status,
    ]),
    [
      ['PreSync', 'batch/Job pre-post-sync/pre-post-sync-before', 'Succeeded'],
      ['PostSync', 'batch/Job pre-post-sync/pre-post-sync-after', 'Succeeded'],
    ],
  );
  const jobs = await cp.kubectl(['get', 'jobs', '-n', 'pre-post-sync', '-o', 'name']);
  t.equal(jobs.stdout.trim(), '', 'HookSucceeded: both Jobs deleted once they succeeded');
  const waves = await rec.status('sync-waves');
  t.strictSame(
    (waves.hooks as { phase: string; status: string }[]).map((h) => [h.phase, h.status]),
    [
      ['PreSync', 'Succeeded'],
      ['Sync', 'Succeeded'],
      ['Sync', 'Succeeded'],
    ],
    'the generateName PreSync Job, then the two Sync hooks around wave 2',
  );
  const left = await cp.kubectl(['get', 'jobs', '-n', 'sync-waves', '-o', 'name']);
  t.strictSame(
    left.stdout.trim().split('\n').sort(),
    [
      'job.batch/maint-page-down',
      'job.batch/maint-page-up',
      expect(left.stdout, /job\.batch\/upgrade-sql-schema\w+/),
    ].sort(),
    'BeforeHookCreation: the last run is kept until the next',
  );
  const created = async (kind: string, name: string) =>
    Date.parse(
      (await kubectlGet([kind, name, '-n', 'sync-waves'], '{.metadata.creationTimestamp}')).stdout,
    );
  const done = async (name: string) =>
    Date.parse(
      (await kubectlGet(['job', name, '-n', 'sync-waves'], '{.status.completionTime}')).stdout,
    );
  const schema = expect(left.stdout, /upgrade-sql-schema\w+/);
  t.ok(
    (await done(schema)) <= (await created('replicaset', 'backend')),
    'PreSync done before wave 0',
  );
  t.ok(
    (await done('maint-page-up')) <= (await created('replicaset', 'frontend')),
    'wave 1 hook before wave 2',
  );
  t.ok(
    (await created('replicaset', 'frontend')) <= (await created('job', 'maint-page-down')),
    'wave 3 hook after wave 2',
  );
  const labels = await kubectlGet(
    ['job', 'maint-page-up', '-n', 'sync-waves'],
    '{.metadata.labels}',
  );
  t.match(labels.stdout, /"driftgate.io\/hook-of":"sync-waves"/);
  t.notMatch(labels.stdout, /driftgate.io\/source/, 'a hook is not a managed object');
});

function expect(text: string, re: RegExp): string {
  const m = re.exec(text);
  if (!m) throw new Error(`${re} not in ${text}`);
  return m[0];
}

const edit = (path: string, from: string, to: string): Record<string, string> => {
  const text = files[path] as string;
  if (!text.includes(from)) throw new Error(`${from} not in ${path}`);
  return { [path]: text.split(from).join(to) };
};

t.test('a second commit bumps each image; a third removes a file, which is pruned', async (t) => {
  const K = `${ARGO}/kustomize-guestbook`;
  await repo.commit(
    {
      ...edit(`${ARGO}/guestbook/guestbook-ui-deployment.yaml`, 'gb-frontend:v5', 'gb-frontend:v6'),
      ...edit(`${K}/guestbook-ui-deployment.yaml`, 'gb-frontend:v5', 'gb-frontend:v6'),
      ...edit(`${ARGO}/helm-guestbook/values.yaml`, 'tag: v5', 'tag: v6'),
      ...edit(`${ARGO}/sync-waves/manifests.yaml`, 'nginx:latest', 'nginx:1.27'),
      ...edit('podinfo/kustomize/deployment.yaml', 'podinfo:6.14.1', 'podinfo:6.14.2'),
      ...edit('podinfo/charts/podinfo/values.yaml', 'tag: 6.14.1', 'tag: 6.14.2'),
      ...edit(
        'bitnami-charts/bitnami/nginx/values.yaml',
        'tag: 1.29.1-debian-12-r0',
        'tag: 1.29.2-debian-12-r0',
      ),
      ...edit(
        'sample-controller/artifacts/examples/example-foo.yaml',
        'replicas: 1',
        'replicas: 2',
      ),
    },
    { signer },
  );
  for (const a of apps) {
    await settle(a.name);
    const got = await kubectlGet(a.bumped.args, a.bumped.jsonpath);
    t.equal(got.stdout, a.bumped.want, `${a.name}: bumped`);
  }
  const waves = `${ARGO}/sync-waves/manifests.yaml`;
  const frontendService =
    /---\napiVersion: v1\nkind: Service\nmetadata:\n {2}name: frontend\n[\s\S]*?(?=---\n)/;
  await repo.commit(
    {
      [`${ARGO}/guestbook/guestbook-ui-svc.yaml`]: null,
      [`${K}/guestbook-ui-svc.yaml`]: null,
      ...edit(`${K}/kustomization.yaml`, '- guestbook-ui-svc.yaml\n', ''),
      [`${ARGO}/helm-guestbook/templates/service.yaml`]: null,
      [waves]: (files[waves] as string)
        .replace('nginx:latest', 'nginx:1.27')
        .replace(frontendService, ''),
      'podinfo/kustomize/hpa.yaml': null,
      ...edit('podinfo/kustomize/kustomization.yaml', '  - hpa.yaml\n', ''),
      'podinfo/charts/podinfo/templates/service.yaml': null,
      'bitnami-charts/bitnami/nginx/templates/pdb.yaml': null,
      'sample-controller/artifacts/examples/example-foo.yaml': null,
    },
    { signer },
  );
  for (const a of apps) {
    await settle(a.name);
    const gone = await cp.kubectl(['get', ...a.pruned]);
    t.match(gone.stderr, /NotFound/, `${a.name}: ${a.pruned.slice(0, 2).join(' ')} pruned`);
  }
});
