// The runtime over fake sources, a fake watch endpoint and a manual clock: when it reconciles,
// how it retries by error type, and what watch events and break-glass expiries trigger. The real
// runtime against a real apiserver runs in test/reconciler/sync.e2e.test.ts.
import { pino } from 'pino';
import t from 'tap';
import { ReconcilerMetrics } from '../../../reconciler/metrics.js';
import type { ObjectRef } from '../../../reconciler/model/objects.js';
import { ReconcilerRuntime, type RuntimeSource } from '../../../reconciler/runtime/runtime.js';
import type { OpenWatch } from '../../../reconciler/runtime/watches.js';
import { ReconcileError } from '../../../reconciler/sync/errors.js';
import { ReconcileCode } from '../../../reconciler/model/reconcile-codes.js';
import { FakeClock } from '../../support/fake-clock.js';
import { configMap, emptyState, sourceConfig } from '../../support/fake-cluster.js';

type Outcome = 'ok' | ReconcileError;

function fakeSource(name: string, outcomes: Outcome[]) {
  const cfg = sourceConfig({
    name,
    interval: '3m',
    retry: { limit: 3, backoff: '5s', factor: 2, maxDuration: '1m' },
  });
  const state = emptyState(name);
  state.desired = [{ object: configMap('web', {}), path: 'web.yaml' }];
  const log = { reconciles: 0, heals: [] as string[], observed: [] as unknown[] };
  const src: RuntimeSource = {
    cfg,
    state,
    async reconcile() {
      log.reconciles++;
      const o = outcomes.shift() ?? 'ok';
      if (o !== 'ok') throw o;
    },
    async heal(ref: ObjectRef, observed?: { live: Record<string, unknown> | undefined }) {
      log.heals.push(`${ref.namespace}/${ref.name}`);
      log.observed.push(observed);
      return 'in-sync' as const;
    },
    indexSource: () => undefined,
    indexKey: '',
    suspend: () => undefined,
    resume: () => undefined,
  };
  return { src, log };
}

function runtime(sources: RuntimeSource[], random = () => 0.5) {
  const clock = new FakeClock();
  const metrics = new ReconcilerMetrics({ defaultMetrics: false });
  const events: Parameters<OpenWatch>[2][] = [];
  const watch: OpenWatch = async (_a, _k, onEvent) => {
    events.push(onEvent);
    return { abort: () => undefined };
  };
  const rt = new ReconcilerRuntime({
    logger: pino({ level: 'silent' }),
    metrics,
    sources,
    watch,
    clock,
    random,
  });
  return { rt, clock, events, metrics };
}

const err = (code: ReconcileCode, retryAfterMs?: number) =>
  new ReconcileError(code, 'x', retryAfterMs === undefined ? {} : { retryAfterMs });

t.test('a healthy source reconciles at start, then every interval', async (t) => {
  const { src, log } = fakeSource('shop', []);
  const { rt, clock } = runtime([src]);
  rt.start();
  await clock.advance(0);
  t.equal(log.reconciles, 1);
  await clock.advance(179_000);
  t.equal(log.reconciles, 1, 'not before the interval');
  await clock.advance(1_000);
  t.equal(log.reconciles, 2);
  rt.stop();
});

t.test('transient errors back off (5s, 10s), then the interval resumes', async (t) => {
  const { src, log } = fakeSource('shop', [
    err(ReconcileCode.RECONCILE_GIT_UNAVAILABLE),
    err(ReconcileCode.RECONCILE_API_UNAVAILABLE),
  ]);
  const { rt, clock } = runtime([src]);
  rt.start();
  await clock.advance(0);
  t.strictSame(clock.pending(), [5_000]);
  await clock.advance(5_000);
  t.equal(log.reconciles, 2);
  t.strictSame(clock.pending(), [10_000]);
  await clock.advance(10_000);
  t.equal(log.reconciles, 3, 'succeeds');
  t.strictSame(clock.pending(), [180_000], 'back to the interval, the failure count reset');
  rt.stop();
});

t.test('a waiting error is retried after the time it names', async (t) => {
  const { src, log } = fakeSource('shop', [err(ReconcileCode.RECONCILE_KIND_NOT_SERVED, 30_000)]);
  const { rt, clock } = runtime([src]);
  rt.start();
  await clock.advance(0);
  t.strictSame(clock.pending(), [30_000]);
  await clock.advance(30_000);
  t.equal(log.reconciles, 2);
  rt.stop();
});

t.test('a stalled error waits for the interval (the next commit)', async (t) => {
  const { src } = fakeSource('shop', [err(ReconcileCode.RECONCILE_RENDER_FAILED)]);
  const { rt, clock } = runtime([src]);
  rt.start();
  await clock.advance(0);
  t.strictSame(clock.pending(), [180_000]);
  rt.stop();
});

t.test('a watch event on a labelled object heals it through its source', async (t) => {
  const { src, log } = fakeSource('shop', []);
  const { rt, events } = runtime([src]);
  await rt.reconcileNow('shop');
  t.equal(events.length, 1, 'the declared kind is watched after the first reconcile');
  const labels = { 'driftgate.io/source': 'shop' };
  events[0]?.('MODIFIED', { metadata: { name: 'web', namespace: 'shop', labels } });
  events[0]?.('MODIFIED', {
    metadata: { name: 'x', namespace: 'shop', labels: { 'driftgate.io/source': 'nobody' } },
  });
  events[0]?.('ADDED', { metadata: { name: 'y', namespace: 'shop', labels } });
  await rt.queue.run('shop', async () => undefined);
  t.strictSame(log.heals, ['shop/web'], 'only the changed object of a known source');
  rt.stop();
});

t.test('a break-glass expiry heals the object just after it, once', async (t) => {
  const { src, log } = fakeSource('shop', []);
  const { rt, clock } = runtime([src]);
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'web' };
  const expires = clock.now() + 60_000;
  rt.breakGlassSeen('shop', ref, expires);
  rt.breakGlassSeen('shop', ref, expires);
  t.strictSame(clock.pending(), [60_250]);
  await clock.advance(60_000);
  t.strictSame(log.heals, [], 'not before the expiry');
  await clock.advance(250);
  t.strictSame(log.heals, ['shop/web']);
  rt.stop();
});

t.test('reconcileNow of an unknown source rejects', async (t) => {
  const { rt } = runtime([]);
  await t.rejects(rt.reconcileNow('nope'), /no source named nope/);
});

t.test(
  'an object still Progressing is looked at again, backing off, until it settles',
  async (t) => {
    const { src, log } = fakeSource('shop', []);
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
    const key = '/Deployment/shop/web'.replace('/Deployment', 'apps/Deployment');
    src.state.objects.set(key, { ref, path: 'web.yaml', health: 'Progressing', drift: [] });
    const heal = src.heal.bind(src);
    src.heal = async (r) => {
      const out = await heal(r);
      if (log.heals.length === 3) {
        const o = src.state.objects.get(key);
        if (o) o.health = 'Healthy';
      }
      return out;
    };
    const { rt, clock } = runtime([src]);
    await rt.reconcileNow('shop');
    t.ok(clock.pending().includes(2_000), 'first look after 2 s');
    await clock.advance(2_000);
    t.strictSame(log.heals, ['shop/web']);
    await clock.advance(4_000);
    t.strictSame(log.heals, ['shop/web', 'shop/web'], 'then after 4 s');
    await clock.advance(8_000);
    t.equal(log.heals.length, 3, 'then after 8 s; now Healthy');
    await clock.advance(120_000);
    t.equal(log.heals.length, 3, 'no more looks once it settled');
    rt.stop();
  },
);

t.test('intervals are spread by ±10 %', async (t) => {
  for (const [r, want] of [
    [0, 162_000],
    [0.5, 180_000],
    [0.75, 189_000],
  ] as const) {
    const { src, log } = fakeSource('shop', []);
    const { rt, clock } = runtime([src], () => r);
    rt.start();
    await clock.advance(0);
    await clock.advance(want - 1);
    t.equal(log.reconciles, 1, `random ${r}: not before ${want} ms`);
    await clock.advance(1);
    t.equal(log.reconciles, 2, `random ${r}: at ${want} ms`);
    rt.stop();
  }
});

t.test(
  'events while a heal waits make one heal, with the newest object the events carried',
  async (t) => {
    const { src, log } = fakeSource('shop', []);
    const { rt, events } = runtime([src]);
    await rt.reconcileNow('shop');
    const labels = { 'driftgate.io/source': 'shop' };
    const at = (v: string) => ({
      metadata: { name: 'web', namespace: 'shop', labels },
      data: { v },
    });
    // The queue is busy: three events for one object wait behind it as one heal.
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const busy = rt.queue.run('shop', () => gate);
    events[0]?.('MODIFIED', at('1'));
    events[0]?.('MODIFIED', at('2'));
    events[0]?.('DELETED', at('3'));
    release();
    await busy;
    await rt.queue.run('shop', async () => undefined);
    t.strictSame(log.heals, ['shop/web'], 'one heal');
    t.strictSame(log.observed, [{ live: undefined }], 'the newest event: deleted');
    events[0]?.('MODIFIED', at('4'));
    await rt.queue.run('shop', async () => undefined);
    t.strictSame(log.observed[1], { live: at('4') }, 'a later event heals again with its object');
    rt.stop();
  },
);

t.test('a removed source leaves no metric series; a replaced one keeps them', async (t) => {
  const { src } = fakeSource('shop', []);
  const { rt, metrics } = runtime([src]);
  metrics.initSource('shop');
  metrics.initSource('other');
  metrics.setAppliedRevision('shop', 'abc');
  rt.putSource(src);
  t.match(await metrics.registry.metrics(), /source="shop"/, 'kept on replace');
  rt.removeSource('shop');
  await new Promise((r) => setImmediate(r));
  const text = await metrics.registry.metrics();
  t.notMatch(text, /source="shop"/);
  t.match(text, /driftgate_fights_total\{source="other"\} 0/);
  rt.stop();
});

t.test('a reconcile is announced before it runs (GitSource Reconciling=True)', async (t) => {
  const { src, log } = fakeSource('shop', []);
  const order: string[] = [];
  const rt = new ReconcilerRuntime({
    logger: pino({ level: 'silent' }),
    metrics: new ReconcilerMetrics({ defaultMetrics: false }),
    sources: [src],
    watch: async () => ({ abort: () => undefined }),
    clock: new FakeClock(),
    onReconcileStart: async (name) => {
      order.push(`start ${name} after ${log.reconciles}`);
      throw new Error('status write failed');
    },
    onReconciled: (name) => order.push(`done ${name} after ${log.reconciles}`),
  });
  await rt.reconcileNow('shop');
  t.strictSame(
    order,
    ['start shop after 0', 'done shop after 1'],
    'a failed announce does not stop it',
  );
  rt.stop();
});
