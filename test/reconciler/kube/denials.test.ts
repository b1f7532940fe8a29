// The denials feed of the status page: pages followed (the apiserver lists Events by name, not
// time), the newest 100 kept, one LIST burst per second however often it is asked, and the last
// list kept when the apiserver fails. The apiserver is a stand-in answering pages here; the
// status-page e2e reads the real one.
import t from 'tap';
import { denialsFeed, denialOf } from '../../../reconciler/kube/denials.js';
import type { KubeHttp, KubeRequest } from '../../../reconciler/kube/http.js';

const ev = (i: number) => ({
  metadata: { name: `driftgate-denied-${i}`, namespace: 'team-a' },
  involvedObject: { kind: 'Deployment', namespace: 'team-a', name: `d${i}` },
  message: `alice: CREATE denied: ${i}`,
  // Names and times in different orders, as the apiserver's LIST gives them.
  lastTimestamp: new Date(Date.UTC(2026, 11, 7, 0, 0, (i * 7919) % 1200)).toISOString(),
});

t.test('every page read, the newest 100 kept, once a second at most', async (t) => {
  const all = Array.from({ length: 1200 }, (_, i) => ev(i));
  const asked: KubeRequest[] = [];
  let fail = false;
  const http = {
    json: async (req: KubeRequest) => {
      asked.push(req);
      if (fail) throw new Error('apiserver down');
      const from = Number(req.query?.continue ?? 0);
      const to = from + Number(req.query?.limit);
      return {
        items: all.slice(from, to),
        metadata: to < all.length ? { continue: String(to) } : {},
      };
    },
  } as unknown as KubeHttp;
  let clock = 0;
  const feed = denialsFeed(http, () => clock);
  const list = await feed.list();
  t.equal(asked.length, 3, '1,200 Events: three pages of 500');
  t.equal(asked[0]?.query?.fieldSelector, 'reason=AdmissionDenied');
  t.equal(list.length, 100);
  const newest = [...all]
    .sort((a, b) => (a.lastTimestamp < b.lastTimestamp ? 1 : -1))
    .slice(0, 100)
    .map((e) => e.message);
  t.same(
    list.map((d) => d.message),
    newest,
    'the newest 100 of all pages, newest first',
  );
  await feed.list();
  t.equal(asked.length, 3, 'asked again within a second: no LIST');
  clock = 1000;
  fail = true;
  t.same(await feed.list(), list, 'the apiserver down: the last list');
});

t.test('an Event becomes a denial; anything else is not one', (t) => {
  t.same(denialOf(ev(3)), {
    namespace: 'team-a',
    object: 'Deployment team-a/d3',
    message: 'alice: CREATE denied: 3',
    at: ev(3).lastTimestamp,
  });
  t.equal(denialOf({ metadata: {} }), undefined);
  t.equal(denialOf('x'), undefined);
  t.end();
});
