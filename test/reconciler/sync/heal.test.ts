import t from 'tap';
import { SOURCE_LABEL } from '../../../core/labels.js';
import { refKey, refOf, type K8sObject } from '../../../reconciler/model/objects.js';
import { healObject, type HealResult, type RevertLog } from '../../../reconciler/sync/heal.js';
import { configMap, FakeCluster, sourceConfig, stageContext } from '../../support/fake-cluster.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const ours = { [SOURCE_LABEL]: 'shop' };
const declared = configMap('web', { mode: 'strict' });
const ref = refOf(declared);
const glassUntil = (iso: string) => ({
  'driftgate.io/break-glass': 'INC-7',
  'driftgate.io/break-glass-expires': iso,
});

const cases: {
  name: string;
  given: {
    live: K8sObject | undefined;
    cfg?: Record<string, unknown>;
    suspended?: boolean;
    fighting?: boolean;
    reverts?: number[];
    isDeclared?: boolean;
  };
  want: { result: HealResult; applied: boolean; mode: string | undefined; events: string[] };
}[] = [
  {
    name: 'in sync: nothing to do',
    given: { live: configMap('web', { mode: 'strict' }, { labels: ours }) },
    want: { result: 'in-sync', applied: false, mode: 'strict', events: [] },
  },
  {
    name: 'drift is reverted',
    given: { live: configMap('web', { mode: 'debug' }, { labels: ours }) },
    want: { result: 'reverted', applied: true, mode: 'strict', events: [] },
  },
  {
    name: 'a deleted object is recreated',
    given: { live: undefined },
    want: { result: 'reverted', applied: true, mode: 'strict', events: [] },
  },
  {
    name: 'selfHeal off: reported only',
    given: {
      live: configMap('web', { mode: 'debug' }, { labels: ours }),
      cfg: { selfHeal: false },
    },
    want: { result: 'reported', applied: false, mode: 'debug', events: [] },
  },
  {
    name: 'suspended: reported only',
    given: { live: configMap('web', { mode: 'debug' }, { labels: ours }), suspended: true },
    want: { result: 'reported', applied: false, mode: 'debug', events: [] },
  },
  {
    name: 'an unexpired break-glass: reported only',
    given: {
      live: configMap(
        'web',
        { mode: 'debug' },
        { labels: ours, annotations: glassUntil('2026-11-30T13:00:00Z') },
      ),
    },
    want: { result: 'reported', applied: false, mode: 'debug', events: [] },
  },
  {
    name: 'an expired break-glass: reverted, annotations taken off, said so',
    given: {
      live: configMap(
        'web',
        { mode: 'debug' },
        { labels: ours, annotations: glassUntil('2026-11-30T11:00:00Z') },
      ),
    },
    want: { result: 'reverted', applied: true, mode: 'strict', events: ['BreakGlassExpired'] },
  },
  {
    name: 'a fight already known: reported only',
    given: { live: configMap('web', { mode: 'debug' }, { labels: ours }), fighting: true },
    want: { result: 'reported', applied: false, mode: 'debug', events: [] },
  },
  {
    name: 'the fifth change back within a minute starts a fight',
    given: {
      live: configMap('web', { mode: 'debug' }, { labels: ours }),
      reverts: [NOW - 50_000, NOW - 40_000, NOW - 30_000, NOW - 20_000, NOW - 10_000],
    },
    want: { result: 'fight', applied: false, mode: 'debug', events: ['DriftFight'] },
  },
  {
    name: 'old reverts do not count towards a fight',
    given: {
      live: configMap('web', { mode: 'debug' }, { labels: ours }),
      reverts: [NOW - 400_000, NOW - 300_000, NOW - 200_000, NOW - 100_000, NOW - 70_000],
    },
    want: { result: 'reverted', applied: true, mode: 'strict', events: [] },
  },
  {
    name: 'not declared: unmanaged, untouched',
    given: { live: configMap('web', { mode: 'debug' }, { labels: ours }), isDeclared: false },
    want: { result: 'unmanaged', applied: false, mode: 'debug', events: [] },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const cluster = new FakeCluster(c.given.live ? [c.given.live] : []);
    const ctx = stageContext(cluster, { cfg: sourceConfig(c.given.cfg), now: NOW });
    ctx.state.suspended = c.given.suspended ?? false;
    if (c.given.fighting) ctx.state.fighting.add(refKey(ref));
    const reverts: RevertLog = new Map(c.given.reverts ? [[refKey(ref), c.given.reverts]] : []);
    const result = await healObject(
      ctx,
      ref,
      c.given.isDeclared === false ? undefined : { object: declared, path: 'web.yaml' },
      reverts,
    );
    t.equal(result, c.want.result);
    t.equal(cluster.did('apply').length > 0, c.want.applied, 'applied');
    const live = cluster.objects.get(refKey(ref)) as { data?: { mode?: string } } | undefined;
    t.equal(live?.data?.mode, c.want.mode, 'live value after');
    t.strictSame(
      cluster.events.map((e) => e.reason),
      c.want.events,
      'events',
    );
    // The stage reports a fight ('fight'); the shell records it (SourceReconciler.heal).
    t.equal(
      ctx.state.fighting.has(refKey(ref)),
      !!c.given.fighting,
      'the stage leaves state alone',
    );
  });
}

t.test('a watch event re-reads health, with or without drift', async (t) => {
  const cluster = new FakeCluster([configMap('web', { mode: 'strict' }, { labels: ours })]);
  const ctx = stageContext(cluster, { now: NOW });
  ctx.state.objects.set(refKey(ref), {
    ref,
    path: 'web.yaml',
    health: 'Progressing',
    healthMessage: 'old message',
    drift: [],
  });
  await healObject(ctx, ref, { object: declared, path: 'web.yaml' }, new Map());
  t.equal(ctx.state.objects.get(refKey(ref))?.health, 'Healthy');
  t.equal(ctx.state.objects.get(refKey(ref))?.healthMessage, undefined);
});

t.test('a field a mutating webhook sets is no drift: no revert, no fight', async (t) => {
  // The fake apiserver stands in for a mutating webhook that rewrites data.mode on every write
  // (the e2e runs a real one): the dry-run apply answers what would be stored.
  const cluster = new FakeCluster([configMap('web', { mode: 'mutated' }, { labels: ours })]);
  cluster.onApply = (o) => ({ ...o, data: { ...(o.data as object), mode: 'mutated' } });
  const ctx = stageContext(cluster, { now: NOW });
  const reverts: RevertLog = new Map();
  for (let i = 0; i < 5; i++)
    t.equal(await healObject(ctx, ref, { object: declared, path: 'web.yaml' }, reverts), 'in-sync');
  t.strictSame(cluster.did('apply'), []);
  t.equal(cluster.did('dry-run').length, 5);
  t.equal(ctx.state.fighting.size, 0);
});

t.test('a manual change is still reverted when the dry-run confirms it', async (t) => {
  const cluster = new FakeCluster([configMap('web', { mode: 'debug' }, { labels: ours })]);
  const ctx = stageContext(cluster, { now: NOW });
  t.equal(
    await healObject(ctx, ref, { object: declared, path: 'web.yaml' }, new Map()),
    'reverted',
  );
  t.strictSame(cluster.did('dry-run'), [refKey(ref)]);
  t.equal((cluster.objects.get(refKey(ref)) as { data: { mode: string } }).data.mode, 'strict');
});

t.test('a failed dry-run keeps the client-side comparison', async (t) => {
  const cluster = new FakeCluster([configMap('web', { mode: 'debug' }, { labels: ours })]);
  const ctx = stageContext(cluster, { now: NOW, cfg: sourceConfig({ selfHeal: false }) });
  cluster.applyErrors.set(refKey(ref), new Error('webhook unavailable'));
  t.equal(
    await healObject(ctx, ref, { object: declared, path: 'web.yaml' }, new Map()),
    'reported',
  );
});

t.test('break-glass: its first sight and its expiry are notified once each', async (t) => {
  const sent: { reason: string; message: string }[] = [];
  const live = configMap(
    'web',
    { mode: 'debug' },
    { labels: ours, annotations: glassUntil('2026-11-30T13:00:00Z') },
  );
  const cluster = new FakeCluster([live]);
  let now = NOW;
  const ctx = stageContext(cluster, {
    deps: { notify: (e) => void sent.push({ reason: e.reason, message: e.message }) },
  });
  Object.assign(ctx, { now: () => now });
  ctx.state.objects.set(refKey(ref), {
    ref,
    path: 'web.yaml',
    health: 'Healthy',
    drift: [],
  } as never);
  const heal = () => healObject(ctx, ref, { object: declared, path: 'web.yaml' }, new Map());
  t.equal(await heal(), 'reported');
  t.equal(await heal(), 'reported', 'seen again: not said again');
  t.same(
    sent.map((s) => s.reason),
    ['BreakGlassUsed'],
  );
  t.match(
    sent[0]?.message,
    'ConfigMap shop/web changed under break-glass until 2026-11-30T13:00:00',
  );
  t.match(sent[0]?.message, 'INC-7');
  now = Date.parse('2026-11-30T13:00:05Z');
  t.equal(await heal(), 'reverted');
  t.same(
    sent.map((s) => s.reason),
    ['BreakGlassUsed', 'BreakGlassExpired'],
  );
  t.same(
    cluster.events.map((e) => e.reason),
    ['BreakGlassUsed', 'BreakGlassExpired'],
    'the source event, then the object’s own',
  );
});
