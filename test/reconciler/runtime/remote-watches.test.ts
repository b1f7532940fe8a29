// Sources applying to another cluster (a GitSource's kubeConfig): their objects are watched in
// that cluster, only that cluster's events heal them, a watch gap there resyncs only them, the
// watches go when the last source targeting the cluster goes, and the webhooks' index of each
// cluster holds only its own sources. Fake sources and watches; the two real control planes run
// in test/e2e/remote-cluster.e2e.test.ts.
import { pino } from 'pino';
import t from 'tap';
import { ReconcilerMetrics } from '../../../reconciler/metrics.js';
import { ReconcilerRuntime, type RuntimeSource } from '../../../reconciler/runtime/runtime.js';
import type { OpenWatch } from '../../../reconciler/runtime/watches.js';
import { FakeClock } from '../../support/fake-clock.js';
import { configMap, emptyState, sourceConfig } from '../../support/fake-cluster.js';

function fakeSource(name: string, cluster?: string) {
  // A GitSource's name (namespace.name) is set after the config is parsed, as spec.ts does.
  const base = { ...sourceConfig({ name: 'x', interval: '1h' }), name };
  const cfg = cluster
    ? { ...base, remote: { cluster, kubeConfig: { server: `https://${cluster}.example` } } }
    : base;
  const state = emptyState(name);
  state.desired = [{ object: configMap('web', {}), path: 'web.yaml' }];
  state.revision = 'abc';
  const log = { reconciles: 0, heals: [] as string[] };
  const src: RuntimeSource = {
    cfg,
    state,
    async reconcile() {
      log.reconciles++;
    },
    async heal(ref) {
      log.heals.push(`${ref.namespace}/${ref.name}`);
      return 'in-sync' as const;
    },
    indexSource: () => ({
      name,
      repoURL: 'https://git.example/x.git',
      revision: 'abc',
      ...(cluster ? { cluster } : {}),
      entries: [],
    }),
    indexKey: 'abc',
    suspend: () => undefined,
    resume: () => undefined,
  };
  return { src, log };
}

/** A fake watch endpoint: the open watches, each with its event and end callbacks. */
function endpoint() {
  const open: {
    kind: string;
    onEvent: Parameters<OpenWatch>[2];
    onEnd: () => void;
    aborted: boolean;
  }[] = [];
  const watch: OpenWatch = async (_a, kind, onEvent, onEnd) => {
    const w = { kind, onEvent, onEnd, aborted: false };
    open.push(w);
    return { abort: () => void (w.aborted = true) };
  };
  return { open, watch };
}

function setup() {
  const local = fakeSource('hub-app');
  const remote = fakeSource('team-a.web', 'spoke-eu');
  const here = endpoint();
  const spoke = endpoint();
  const clock = new FakeClock();
  const rt = new ReconcilerRuntime({
    logger: pino({ level: 'silent' }),
    metrics: new ReconcilerMetrics({ defaultMetrics: false }),
    sources: [local.src, remote.src],
    watch: here.watch,
    watchOf: (s) => (s.cfg.remote ? { key: 'remote|abc', open: spoke.watch } : undefined),
    clock,
  });
  return { rt, clock, local, remote, here, spoke };
}

const labelled = (source: string) => ({
  metadata: { name: 'web', namespace: 'team-a', labels: { 'driftgate.io/source': source } },
});

t.test("a remote source's objects are watched and healed in its own cluster", async (t) => {
  const { rt, local, remote, here, spoke } = setup();
  await rt.reconcileNow('hub-app');
  await rt.reconcileNow('team-a.web');
  t.strictSame([here.open.length, spoke.open.length], [1, 1], 'one ConfigMap watch in each');
  // The hub's watch sees an object labelled as the remote source: not its object, not healed.
  here.open[0]?.onEvent('MODIFIED', labelled('team-a.web'));
  spoke.open[0]?.onEvent('MODIFIED', labelled('team-a.web'));
  // And the spoke's watch speaks for no hub source.
  spoke.open[0]?.onEvent('MODIFIED', labelled('hub-app'));
  await rt.queue.run('team-a.web', async () => undefined);
  await rt.queue.run('hub-app', async () => undefined);
  t.strictSame(remote.log.heals, ['team-a/web'], "healed from the spoke's event only");
  t.strictSame(local.log.heals, [], "the spoke's event heals no hub source");
  rt.stop();
});

t.test('a watch gap in the spoke resyncs only the sources applying there', async (t) => {
  const { rt, clock, local, remote, spoke } = setup();
  await rt.reconcileNow('hub-app');
  await rt.reconcileNow('team-a.web');
  const before = [local.log.reconciles, remote.log.reconciles];
  spoke.open[0]?.onEnd();
  await clock.advance(500);
  await rt.queue.run('team-a.web', async () => undefined);
  t.equal(spoke.open.length, 2, 'the watch reopened');
  t.strictSame(
    [local.log.reconciles, remote.log.reconciles],
    [before[0], (before[1] ?? 0) + 1],
    'only the remote source resynced',
  );
  rt.stop();
});

t.test("the spoke's watches stop with the last source that targets it", async (t) => {
  const { rt, here, spoke } = setup();
  await rt.reconcileNow('hub-app');
  await rt.reconcileNow('team-a.web');
  rt.removeSource('team-a.web');
  t.strictSame(
    spoke.open.map((w) => w.aborted),
    [true],
  );
  t.strictSame(
    here.open.map((w) => w.aborted),
    [false],
    "the hub's stay",
  );
  rt.stop();
});

t.test("each cluster's index holds only the sources applying to it", async (t) => {
  const { rt } = setup();
  t.strictSame(
    rt.desiredIndex().sources.map((s) => s.name),
    ['hub-app'],
  );
  t.strictSame(
    rt.desiredIndex('spoke-eu').sources.map((s) => [s.name, s.cluster]),
    [['team-a.web', 'spoke-eu']],
  );
  t.strictSame(rt.desiredIndex('nowhere').sources, []);
  t.not(rt.desiredIndex().generation, rt.desiredIndex('spoke-eu').generation);
  rt.stop();
});
