// What a source's index entries may guard, and their record across restarts (SourceGuard).
// FakeCluster stands in for the ConfigMap store; the real one runs in guard-continuity.e2e.
import t from 'tap';
import { pino } from 'pino';
import { SourceGuard } from '../../../reconciler/sync/guard.js';
import { FakeCluster } from '../../support/fake-cluster.js';

const log = pino({ level: 'silent' });
const doc = (revision: string) => ({
  name: 'shop',
  repoURL: 'https://git.example/shop',
  revision,
  entries: [],
});

t.test('guards what is in the inventory or was written; the shape follows', async (t) => {
  const g = new SourceGuard('shop', new FakeCluster(), 'dg', log);
  const empty = g.shape;
  t.equal(g.guards('a'), false);
  g.sawInventory(new Set(['a']));
  g.applied(new Set(['b']));
  t.strictSame([g.guards('a'), g.guards('b'), g.guards('c')], [true, true, false]);
  t.not(g.shape, empty);
});

t.test('the last run: restored before a sync, recorded after, only when changed', async (t) => {
  const cluster = new FakeCluster();
  const first = new SourceGuard('shop', cluster, 'dg', log);
  await first.record(doc('c1'), 'k1');
  t.strictSame([...cluster.guards.keys()], [], 'nothing recorded before a sync knew the inventory');
  first.sawInventory(new Set());
  await first.record(doc('c1'), 'k1');
  t.strictSame(cluster.guards.get('shop'), doc('c1'));
  cluster.guards.set('shop', doc('changed elsewhere'));
  await first.record(doc('c1'), 'k1');
  t.strictSame(cluster.guards.get('shop'), doc('changed elsewhere'), 'same key: not written again');

  cluster.guards.set('shop', doc('c1'));
  const next = new SourceGuard('shop', cluster, 'dg', log);
  t.equal(await next.restore(), true);
  t.strictSame(next.restored, doc('c1'));
  t.equal(next.known, false);
  next.sawInventory(new Set());
  t.equal(next.restored, undefined, 'a sync takes over');

  cluster.guards.set('shop', { name: 'other', entries: [] });
  t.equal(await new SourceGuard('shop', cluster, 'dg', log).restore(), false, 'not this source');
  const failing = new FakeCluster();
  failing.readGuard = async () => {
    throw new Error('HTTP 503');
  };
  t.equal(await new SourceGuard('shop', failing, 'dg', log).restore(), false, 'unreadable');
  failing.writeGuard = async () => false;
  const big = new SourceGuard('shop', failing, 'dg', log);
  big.sawInventory(new Set());
  await big.record(doc('c1'), 'k1');
  t.pass('too large: warned, nothing thrown');
});

t.test('a restored record is taken entry by entry: malformed entries are dropped', async (t) => {
  const cluster = new FakeCluster();
  const good = {
    group: 'apps',
    resource: 'deployments',
    kind: 'Deployment',
    namespace: 'shop',
    name: 'web',
    path: 'web.yaml',
    declared: { spec: { replicas: 2 } },
    ignore: [],
  };
  const bad = [
    null,
    'web',
    { ...good, name: 7 },
    { ...good, namespace: ['shop'] },
    { ...good, declared: [] },
    { ...good, ignore: [1] },
    { ...good, kind: undefined },
  ];
  cluster.guards.set('shop', { ...doc('c1'), entries: [bad[0], good, ...bad.slice(1)] });
  const g = new SourceGuard('shop', cluster, 'dg', log);
  t.equal(await g.restore(), true);
  t.strictSame(g.restored, { ...doc('c1'), entries: [good] });
});
