// Operators and apps nobody on this project wrote, not used before issue 25 (vendored unchanged in
// test/fixtures/public, see SOURCES.md): a Helm chart shipping CRDs with CEL rules and every
// x-kubernetes-* extension in its templates, with a subchart dependency (CloudNativePG and its
// dashboards chart); a kustomize app with components and NetworkPolicies using `from` (Online
// Boutique); a kustomize install with components and an APIService (metrics-server); two large
// plain-YAML operators with CRDs and CRs in one source (prometheus-operator, Argo Rollouts).
// Each syncs on driftgate's defaults into the real control plane (kwok node), and every object
// read back raw with kubectl holds every field Git declares; three resyncs find no drift.
import t from 'tap';
import { declaredDiff, formatDiff } from '../../core/diff.js';
import { groupOf, refOf, refText } from '../../reconciler/model/objects.js';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { sourceCount, startTestReconciler, trustOf } from '../support/reconciler.js';
import { fixtureTree } from '../support/fixture-tree.js';

interface App {
  readonly name: string;
  readonly path: string;
  readonly more?: Record<string, unknown>;
  /** The source's health here, and its non-Healthy objects as status lists them. */
  readonly health: string;
  readonly unhealthy?: readonly { object: string; health: string; message: RegExp }[];
}

const everything = { clusterScopedKinds: ['*'] };
const noStatus = 'no status: is its controller running?';
const apps: App[] = [
  {
    name: 'cloudnative-pg',
    path: 'cloudnative-pg-charts/charts/cloudnative-pg',
    // The dashboards subchart (a dependency) is off by default; turned on as a user would.
    more: {
      ...everything,
      helm: { values: { monitoring: { grafanaDashboard: { create: true } } } },
    },
    health: 'Healthy',
  },
  {
    name: 'cnpg-dashboards',
    path: 'cloudnative-pg-charts/charts/cloudnative-pg/charts/cluster',
    health: 'Healthy',
  },
  {
    name: 'metrics-server',
    path: 'metrics-server/manifests/overlays/release',
    more: { ...everything, allowedNamespaces: ['kube-system'] },
    // kwok runs no metrics-server process: the aggregated API never becomes Available.
    health: 'Progressing',
    unhealthy: [
      {
        object: 'apiregistration.k8s.io/APIService v1beta1.metrics.k8s.io',
        health: 'Progressing',
        // Until the aggregator first probes it, then its own words (no endpoints, a 404 …).
        message: /^waiting to be Available$|^failing or missing response from /,
      },
    ],
  },
  {
    name: 'boutique',
    path: 'microservices-demo/kustomize/tests/memorystore-with-all-components',
    health: 'Progressing',
    unhealthy: [
      {
        object: 'Service boutique/frontend-external',
        health: 'Progressing',
        message: /^waiting for a load balancer address$/,
      },
    ],
  },
  {
    name: 'prometheus-operator',
    path: 'prometheus-operator/example',
    more: { ...everything, destinationNamespace: 'default' },
    // No operator process runs here (kwok): its custom resources never get a status.
    health: 'Unknown',
  },
  { name: 'argo-rollouts', path: 'argo-rollouts/manifests', more: everything, health: 'Healthy' },
];

const { cp, git, signer } = await gitOpsFixture(t, { controlPlane: { workloads: true } });
const repo = await git.createRepo('operators');
await repo.commit(fixtureTree(apps.map((a) => a.path.split('/')[0] as string)), { signer });
const rec = await startTestReconciler(
  cp,
  apps.map((a) => ({
    name: a.name,
    repoURL: repo.url,
    path: a.path,
    destinationNamespace: a.name,
    createNamespace: true,
    verification: { mode: 'head', ...trustOf(signer) },
    ...a.more,
  })),
);
t.teardown(() => rec.stop());

const counted = sourceCount;

type Unhealthy = { object: string; health: string; message: string };
/** Status's unhealthy objects are exactly the expected ones, each message matching. */
const matches = (got: unknown, want: NonNullable<App['unhealthy']>): boolean => {
  const list = got as Unhealthy[];
  return (
    list.length === want.length &&
    want.every(
      (w, i) =>
        list[i]?.object === w.object &&
        list[i]?.health === w.health &&
        w.message.test(list[i]?.message ?? ''),
    )
  );
};

async function settle(a: App): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await waitFor(
    `${a.name} settled`,
    async () => {
      await rec.sync(a.name).catch((e: unknown) => {
        if ((e as { next?: string }).next !== 'waiting') throw e;
      });
      last = await rec.status(a.name);
      const settled = a.health === 'Unknown' || matches(last.unhealthy, a.unhealthy ?? []);
      return last.syncStatus === 'Synced' && last.health === a.health && settled;
    },
    120_000,
    1000,
  ).catch((e: unknown) => {
    const { syncStatus, health, errors, drifted, unhealthy } = last;
    throw new Error(
      `${(e as Error).message}: ${JSON.stringify({ syncStatus, health, errors, drifted, unhealthy })}`,
    );
  });
  return last;
}

/** Every object of the source read back raw with kubectl: one `get -o json` per kind. */
async function readBack(name: string): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  const desired = rec.source(name).state.desired;
  const kinds = new Set(
    desired.map((r) => {
      const group = groupOf(r.object.apiVersion);
      return group ? `${r.resource}.${group}` : `${r.resource}`;
    }),
  );
  for (const k of kinds) {
    const r = await cp.kubectl(['get', k, '-A', '-l', `driftgate.io/source=${name}`, '-o', 'json']);
    if (r.code !== 0) throw new Error(`${k}: ${r.stderr}`);
    const items = (JSON.parse(r.stdout) as { items: Record<string, unknown>[] }).items;
    for (const o of items) out.set(refText(refOf(o as never)), o);
  }
  return out;
}

for (const a of apps) {
  t.test(`${a.name}: synced on the defaults, every declared field live, no drift`, async (t) => {
    const s = await settle(a);
    t.strictSame([s.errors, s.drifted], [[], []]);
    if (a.health !== 'Unknown')
      t.ok(matches(s.unhealthy, a.unhealthy ?? []), JSON.stringify(s.unhealthy));
    if (a.health === 'Unknown')
      for (const u of s.unhealthy as { health: string; message: string }[])
        t.strictSame([u.health, u.message], ['Unknown', noStatus]);
    const live = await readBack(a.name);
    const desired = rec.source(a.name).state.desired;
    t.ok(desired.length > 0);
    const missing: string[] = [];
    for (const r of desired) {
      const name = refText(refOf(r.object));
      const got = live.get(name);
      const diff = declaredDiff(r.object, got);
      if (diff.length > 0) missing.push(`${name}: ${formatDiff(diff)}`);
    }
    t.strictSame(missing, [], `${a.name}: ${desired.length} objects read back raw`);
    for (let i = 0; i < 3; i++) await rec.sync(a.name);
    const after = await rec.status(a.name);
    t.strictSame([after.syncStatus, after.drifted], ['Synced', []]);
    const m = await rec.metrics();
    t.strictSame(
      [
        counted(m, 'driftgate_self_heal_total', a.name),
        counted(m, 'driftgate_drift_detected_total', a.name),
      ],
      [0, 0],
      `${a.name}: no self-heal, no drift detected`,
    );
  });
}
