// The shard ring and membership, without a cluster: rendezvous ownership (agreement, balance,
// minimal movement), Lease expiry, a replica that cannot renew, and the leader's merged index.
import t from 'tap';
import { pino } from 'pino';
import type { KubeObjects } from '../../../reconciler/kube/objects.js';
import { liveMembers, ownerOf } from '../../../reconciler/runtime/shard-ring.js';
import {
  memberOf,
  pinnedMembers,
  podFacts,
  ShardMembers,
} from '../../../reconciler/runtime/shard-members.js';
import { mergeIndexes } from '../../../reconciler/runtime/shard-feed.js';
import { FakeClock } from '../../support/fake-clock.js';

const keys = Array.from({ length: 3000 }, (_, i) => `team-${i % 50}.app-${i}`);

t.test('ownership: one owner per key, balanced, and only a leaver’s keys move', async (t) => {
  const three = ['r-a', 'r-b', 'r-c'];
  const owners = keys.map((k) => ownerOf(k, three));
  t.same(
    owners,
    keys.map((k) => ownerOf(k, [...three].reverse())),
    'the order members are listed in does not matter',
  );
  for (const m of three) {
    const n = owners.filter((o) => o === m).length;
    t.ok(n > 800 && n < 1200, `${m} owns ${n} of 3000 (a third is 1000)`);
  }
  const two = ['r-a', 'r-c'];
  const moved = keys.filter((k, i) => ownerOf(k, two) !== owners[i]);
  t.same(
    moved,
    keys.filter((_, i) => owners[i] === 'r-b'),
    "when r-b leaves, exactly r-b's keys move",
  );
  const four = [...three, 'r-d'];
  const gained = keys.filter((k, i) => ownerOf(k, four) !== owners[i]);
  t.ok(
    gained.every((k) => ownerOf(k, four) === 'r-d'),
    'a joiner takes keys only for itself',
  );
  t.equal(ownerOf('x', []), undefined, 'no members, no owner');
});

t.test('live members: a Lease is current until renewTime + duration', async (t) => {
  const m = (identity: string, renewMs: number) => ({ identity, renewMs, durationMs: 15_000 });
  const r = liveMembers([m('b', 1000), m('a', 5000), m('c', -20_000)], 10_000);
  t.same(
    r.live.map((x) => x.identity),
    ['a', 'b'],
  );
  t.equal(r.nextExpiryMs, 16_000, 'b expires first');
  t.same(liveMembers([m('a', 0)], 15_000), { live: [], nextExpiryMs: undefined });
});

t.test('memberOf reads a Lease; anything else is not a member', async (t) => {
  const lease = {
    metadata: { annotations: { 'driftgate.io/address': 'http://10.0.0.1:8080' } },
    spec: {
      holderIdentity: 'r-a',
      renewTime: '2026-12-07T12:00:00.000000Z',
      leaseDurationSeconds: 15,
    },
  };
  t.same(memberOf(lease), {
    identity: 'r-a',
    renewMs: Date.parse('2026-12-07T12:00:00Z'),
    durationMs: 15_000,
    address: 'http://10.0.0.1:8080',
  });
  // The leader sends the state token to the address: an http(s) origin only.
  for (const address of ['data:application/json,{}', 'http://10.0.0.1:8080/x', 'file:///etc'])
    t.equal(
      memberOf({ ...lease, metadata: { annotations: { 'driftgate.io/address': address } } })
        ?.address,
      undefined,
      address,
    );
  for (const bad of [
    undefined,
    {},
    { spec: { ...lease.spec, holderIdentity: '' } },
    { spec: { ...lease.spec, renewTime: 'yesterday' } },
    { spec: { ...lease.spec, leaseDurationSeconds: 0 } },
  ])
    t.equal(memberOf(bad), undefined, JSON.stringify(bad));
});

/** Leases (and Pods) in memory, as KubeObjects' apply, list and delete see them. */
function fakeLeases(clock: FakeClock) {
  const leases = new Map<string, Record<string, unknown>>();
  const pods: unknown[] = [];
  const podSelectors: string[] = [];
  let failing = false;
  let podsFailing = false;
  const objects = {
    apply: async (obj: { metadata: { name: string } }) => {
      if (failing) throw new Error('apiserver away');
      leases.set(obj.metadata.name, obj as unknown as Record<string, unknown>);
      return obj;
    },
    list: async (_: string, kind: string, o: { labelSelector: string }) => {
      if (failing || (kind === 'Pod' && podsFailing)) throw new Error('apiserver away');
      if (kind === 'Pod') podSelectors.push(o.labelSelector);
      return kind === 'Pod' ? pods : [...leases.values()];
    },
    delete: async (ref: { name: string }) => void leases.delete(ref.name),
  } as unknown as KubeObjects;
  const other = (identity: string, renewMs: number, name = `g-shard-${identity}`, ip?: string) =>
    leases.set(name, {
      metadata: {
        name,
        ...(ip ? { annotations: { 'driftgate.io/address': `http://${ip}:8080` } } : {}),
      },
      spec: {
        holderIdentity: identity,
        renewTime: new Date(renewMs).toISOString(),
        leaseDurationSeconds: 15,
      },
    });
  return {
    objects,
    leases,
    pods,
    podSelectors,
    other,
    fail: (f: boolean) => (failing = f),
    failPods: (f: boolean) => (podsFailing = f),
    clock,
  };
}

t.test('members: a dead member leaves when its Lease expires, not later', async (t) => {
  const clock = new FakeClock();
  const f = fakeLeases(clock);
  const changes: string[][] = [];
  const me = new ShardMembers(
    f.objects,
    { namespace: 'ns', identity: 'r-a', group: 'g', leaseDurationMs: 15_000, renewEveryMs: 5000 },
    (live) => void changes.push([...live]),
    pino({ level: 'silent' }),
    clock,
  );
  // r-b renews at +5 s, before r-a's start has listed twice (start waits one renew period).
  f.other('r-b', clock.now() + 5000);
  const started = me.start();
  await clock.advance(5000);
  await started;
  t.same(me.live, ['r-a', 'r-b']);
  t.ok(f.leases.has('g-shard-r-a'), 'its own Lease written');
  const mine = keys.filter((k) => me.owns(k));
  t.same(
    mine,
    keys.filter((k) => ownerOf(k, ['r-a', 'r-b']) === 'r-a'),
  );
  // r-b stops renewing: it is out at exactly renewTime + 15 s (+20 s from the start).
  await clock.advance(14_999);
  t.same(me.live, ['r-a', 'r-b'], 'still in one millisecond before expiry');
  await clock.advance(2);
  t.same(me.live, ['r-a'], 'out when its Lease expires');
  t.ok(
    keys.every((k) => me.owns(k)),
    'and r-a owns everything',
  );
  t.same(changes, [['r-a', 'r-b'], ['r-a']]);
  // The apiserver goes away: a replica that cannot renew for a lease duration owns nothing.
  f.fail(true);
  // Last renewed at +20 s; renewals every 5 s fail; past +35 s it is out.
  await clock.advance(20_000);
  t.same(me.live, [], 'out of its own ring');
  t.notOk(me.owns(keys[0] ?? ''));
  f.fail(false);
  await clock.advance(5000);
  t.same(me.live, ['r-a'], 'back once it renews');
  await me.stop(true);
  t.notOk(f.leases.has('g-shard-r-a'), 'stop releases its Lease');
  t.same(clock.pending(), [], 'no timers left');
});

t.test('pinned members: a Lease counts only when a pod of the deployment holds it', async (t) => {
  const m = (identity: string, address?: string) => ({
    identity,
    renewMs: 0,
    durationMs: 15_000,
    ...(address ? { address } : {}),
  });
  const pods = [
    podFacts({ metadata: { name: 'r-a' }, status: { podIP: '10.0.0.1' } }),
    podFacts({ metadata: { name: 'r-b' }, status: { podIP: '10.0.0.2' } }),
    podFacts({ metadata: { name: 'r-c', deletionTimestamp: 'x' }, status: { podIP: '10.0.0.3' } }),
    podFacts({ metadata: { name: 'r-d' }, status: {} }),
    podFacts({ metadata: { name: 'r-6' }, status: { podIP: 'FD00::6' } }),
  ].filter((p) => p !== undefined);
  t.same(podFacts({ status: {} }), undefined, 'not a Pod');
  const kept = pinnedMembers(
    [
      m('r-a', 'http://10.0.0.1:8080'),
      m('r-b', 'http://10.0.0.9:8080'), // another host: the token would go elsewhere
      m('r-c', 'http://10.0.0.3:8080'), // its pod is being deleted
      m('r-d', 'http://10.0.0.4:8080'), // its pod has no IP yet
      m('r-e', 'http://10.0.0.5:8080'), // no such pod
      m('r-a2'), // no address
      m('r-6', 'https://[fd00::6]:8443'),
      m('r-a', 'http://[zz]:1'), // passes the origin check, does not parse: refused, no throw
    ],
    pods,
  );
  t.same(
    kept.map((x) => x.identity),
    ['r-a', 'r-6'],
  );
});

t.test("members with a pod selector: an intruder's Lease is not a member", async (t) => {
  const clock = new FakeClock();
  const f = fakeLeases(clock);
  const logs: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => void logs.push(l) });
  const refusedSeen: string[][] = [];
  const me = new ShardMembers(
    f.objects,
    {
      namespace: 'ns',
      identity: 'r-a',
      group: 'g',
      leaseDurationMs: 15_000,
      renewEveryMs: 5000,
      address: 'http://10.0.0.1:8080',
      podSelector: 'app=dg,component=reconciler',
      onRefused: (holders) => void refusedSeen.push([...holders]),
    },
    () => undefined,
    logger,
    clock,
  );
  f.pods.push(
    { metadata: { name: 'r-a' }, status: { podIP: '10.0.0.1' } },
    { metadata: { name: 'r-b' }, status: { podIP: '10.0.0.2' } },
  );
  f.other('r-b', clock.now(), undefined, '10.0.0.2');
  f.other('intruder', clock.now(), undefined, '192.0.2.1'); // no pod of that name
  f.other('r-z', clock.now(), 'g-shard-other', '10.0.0.2'); // named for another member
  // A crashed pod's Lease, expired, its pod replaced: not a member, and nobody's intrusion.
  f.other('r-gone', clock.now() - 60_000, undefined, '10.0.0.9');
  const started = me.start();
  await clock.advance(5000);
  await started;
  t.same(me.live, ['r-a', 'r-b'], 'only Leases held by pods of the deployment, at their IP');
  t.same(
    me.members.map((x) => x.address).sort(),
    ['http://10.0.0.1:8080', 'http://10.0.0.2:8080'],
    'so the leader sends its token only to them',
  );
  t.same([...new Set(f.podSelectors)], ['app=dg,component=reconciler'], 'pods listed by selector');
  t.equal(
    logs.filter((l) => l.includes('not held by a pod')).length,
    1,
    'the refusal is logged once, not every round',
  );
  t.match(logs.join(''), /"leases":\["intruder"\]/);
  t.same(refusedSeen.at(-1), ['intruder'], 'the expired Lease of a gone pod is not counted');
  // The Pod list fails: membership stays as it was (no member dropped or let in on a failure).
  f.failPods(true);
  f.other('r-b', clock.now() + 5000, undefined, '10.0.0.2');
  await clock.advance(5000);
  t.same(me.live, ['r-a', 'r-b'], 'kept while pods cannot be listed');
  f.failPods(false);
  // r-b's pod goes: its Lease alone no longer makes it a member.
  f.pods.splice(1, 1);
  await clock.advance(5000);
  t.same(me.live, ['r-a'], 'a Lease whose pod is gone is not a member');
  await me.stop(true);
});

t.test("the leader's index: every source once, pending only where nobody has it", async (t) => {
  const src = (name: string, revision: string) => ({
    name,
    repoURL: 'https://git.example/r.git',
    revision,
    entries: [],
  });
  const a = {
    version: 1 as const,
    generation: 'g1',
    sources: [src('s1', 'c1')],
    pending: ['s2', 's3'],
  };
  const b = { version: 1 as const, generation: 'g2', sources: [src('s2', 'c2'), src('s1', 'old')] };
  const m = mergeIndexes([a, b]);
  t.same(
    m.sources.map((s) => `${s.name}@${s.revision}`),
    ['s1@c1', 's2@c2'],
    'the first document wins a source held twice (handover)',
  );
  t.same(m.pending, ['s3']);
  t.not(m.generation, mergeIndexes([a, { ...b, generation: 'g3' }]).generation, 'ETag moves');
  t.equal(m.generation, mergeIndexes([a, b]).generation, 'and is stable');
  t.same(mergeIndexes([{ ...a, pending: [] }]).pending, undefined);
});
