// The Kubernetes adapter's own logic over a scripted KubeHttp: discovery's cache and refresh, the
// watch's resume from its resourceVersion, and what ends it. The real apiserver answers in
// fidelity.e2e.test.ts, apiserver-truth.e2e.test.ts and every sync e2e; here the HTTP layer is
// scripted because the cases (a 410 in the middle of a stream, a connection lost three times in a
// row) cannot be provoked on demand from a real apiserver.
import t from 'tap';
import { Discovery } from '../../../reconciler/kube/discovery.js';
import { KubeApiError, serverMessageOf, statusOf } from '../../../reconciler/kube/errors.js';
import type { KubeHttp, KubeRequest } from '../../../reconciler/kube/http.js';
import { queryString } from '../../../reconciler/kube/http.js';
import { KubeObjects } from '../../../reconciler/kube/objects.js';
import { kubeWatch } from '../../../reconciler/kube/watch.js';

type Doc = Record<string, unknown>;
interface Stream {
  req: KubeRequest;
  onLine: (d: Doc) => void;
  onEnd: (err?: Error) => void;
  aborted: boolean;
}

function scripted(answer: (req: KubeRequest) => Doc | Error) {
  const requests: KubeRequest[] = [];
  const streams: Stream[] = [];
  const http: KubeHttp = {
    async json(req) {
      requests.push(req);
      const a = answer(req);
      if (a instanceof Error) throw a;
      return a;
    },
    stream(req, onLine, onEnd) {
      const s: Stream = { req, onLine, onEnd, aborted: false };
      streams.push(s);
      return { abort: () => void (s.aborted = true) };
    },
  };
  return { http, requests, streams };
}

const coreV1 = {
  resources: [
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'configmaps/status', kind: 'ConfigMap', namespaced: true },
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
  ],
};

t.test(
  'discovery: cached per group/version, asked again for a missing kind, 404 is "not served"',
  async (t) => {
    let now = 0;
    let widgets = false;
    const { http, requests } = scripted((req) => {
      if (req.path === '/api/v1') return coreV1;
      if (req.path === '/apis/example.com/v1')
        return widgets
          ? { resources: [{ name: 'widgets', kind: 'Widget', namespaced: true }] }
          : { resources: [] };
      return new KubeApiError(404, 'the server could not find the requested resource', 'NotFound');
    });
    const d = new Discovery(http, { now: () => now, minRefreshMs: 1000 });
    t.strictSame(await d.resourceOf('v1', 'ConfigMap'), {
      resource: 'configmaps',
      namespaced: true,
    });
    t.strictSame(await d.resourceOf('v1', 'Namespace'), {
      resource: 'namespaces',
      namespaced: false,
    });
    t.equal(requests.length, 1, 'one answer for the group/version');
    t.equal(await d.resourceOf('other.io/v1', 'Thing'), undefined, 'a group not served');
    t.equal(await d.resourceOf('example.com/v1', 'Widget'), undefined);
    widgets = true; // the CRD is Established now
    t.equal(
      await d.resourceOf('example.com/v1', 'Widget'),
      undefined,
      'not asked again within 1 s',
    );
    now = 1500;
    t.strictSame(await d.resourceOf('example.com/v1', 'Widget'), {
      resource: 'widgets',
      namespaced: true,
    });
    d.forget();
    now = 1600;
    await d.resourceOf('v1', 'ConfigMap');
    t.equal(requests.filter((r) => r.path === '/api/v1').length, 2, 'forget asks again');
  },
);

t.test('discovery: an apiserver error is thrown, and not cached', async (t) => {
  let fail = true;
  const { http } = scripted(() => (fail ? new KubeApiError(503, 'unavailable') : coreV1));
  const d = new Discovery(http);
  await t.rejects(d.resourceOf('v1', 'ConfigMap'), /HTTP 503: unavailable/);
  fail = false;
  t.ok(await d.resourceOf('v1', 'ConfigMap'));
});

t.test('objects: paths, the raw body, not-served and absent', async (t) => {
  const { http, requests } = scripted((req) => {
    if (req.path === '/api/v1') return coreV1;
    if (req.path.endsWith('/gone'))
      return new KubeApiError(404, 'configmaps "gone" not found', 'NotFound');
    if (req.method === 'DELETE') return { kind: 'Status', status: 'Success' };
    return { echoed: req.body ?? null };
  });
  const o = new KubeObjects(http);
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a b', namespace: 'x' },
    data: { 'x-kubernetes-k': '1' },
  };
  const applied = await o.apply(cm, { dryRun: true });
  t.strictSame(applied, { echoed: cm }, 'the body is the object as given');
  const last = requests.at(-1) as KubeRequest;
  t.equal(last.path, '/api/v1/namespaces/x/configmaps/a%20b');
  t.equal(last.contentType, 'application/apply-patch+yaml');
  t.strictSame(last.query, { fieldManager: 'driftgate', force: true, dryRun: 'All' });
  t.equal(
    await o.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'x', name: 'gone' }),
    undefined,
  );
  t.equal(
    await o.get({ apiVersion: 'nope.io/v1', kind: 'Nope', name: 'n' }),
    undefined,
    'kind not served: absent',
  );
  await t.rejects(
    o.apply({ apiVersion: 'nope.io/v1', kind: 'Nope', metadata: { name: 'n' } }),
    /does not serve nope.io\/v1 Nope/,
  );
  t.equal(
    await o.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'ns' }),
    undefined,
    'gone at once',
  );
  t.equal(
    await o.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'x', name: 'gone' }),
    undefined,
  );
  t.equal(queryString({ a: 1, b: undefined, c: true }), '?a=1&c=true');
  t.equal(queryString({}), '');
});

t.test('errors: status and message of raw and unknown errors', async (t) => {
  const e = new KubeApiError(422, 'field is immutable', 'Invalid');
  t.equal(e.message, 'HTTP 422: field is immutable');
  t.equal(new KubeApiError(500, '').message, 'HTTP 500');
  t.equal(statusOf(e), 422);
  t.equal(serverMessageOf(e), 'field is immutable');
  t.equal(statusOf(new Error('x')), 0);
  t.equal(serverMessageOf(new Error('x')), '');
});

async function watchFixture(o: { resumeTries?: number } = {}) {
  const fake = scripted((req) =>
    req.path === '/api/v1' ? coreV1 : { metadata: { resourceVersion: '100' }, items: [] },
  );
  const events: [string, Doc][] = [];
  let ended = 0;
  const open = kubeWatch(new KubeObjects(fake.http), {
    random: () => 0,
    idleGraceMs: 60_000,
    ...o,
  });
  const w = await open(
    'v1',
    'ConfigMap',
    (type, obj) => events.push([type, obj as Doc]),
    () => ended++,
  );
  return { ...fake, events, ended: () => ended, w };
}
const cmAt = (rv: string) => ({ metadata: { name: 'a', namespace: 'x', resourceVersion: rv } });

t.test(
  "a watch starts at a LIST's resourceVersion and resumes from the last one seen",
  async (t) => {
    const f = await watchFixture();
    t.equal(f.requests.at(-1)?.query?.limit, 1, 'one item LISTed for the version');
    const first = f.streams[0] as Stream;
    t.match(first.req.query, {
      watch: 1,
      resourceVersion: '100',
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
    });
    first.onLine({ type: 'ADDED', object: cmAt('101') });
    first.onLine({ type: 'MODIFIED', object: cmAt('102') });
    first.onLine({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '150' } } });
    first.onEnd(); // the server's timeout: not a gap
    t.equal(f.streams.length, 2);
    t.equal(f.streams[1]?.req.query?.resourceVersion, '150', 'resumed after the bookmark');
    t.strictSame(
      f.events.map(([type]) => type),
      ['ADDED', 'MODIFIED'],
      'bookmarks are not events',
    );
    t.equal(f.ended(), 0);
    f.w.abort();
    t.equal(f.streams[1]?.aborted, true);
  },
);

t.test('a watch ends (the caller resyncs) on 410 Gone, as an event or a status', async (t) => {
  const f = await watchFixture();
  (f.streams[0] as Stream).onLine({ type: 'ERROR', object: { kind: 'Status', code: 410 } });
  (f.streams[0] as Stream).onEnd();
  t.equal(f.ended(), 1);
  t.equal(f.streams.length, 1, 'not resumed');
  const g = await watchFixture();
  (g.streams[0] as Stream).onEnd(new KubeApiError(410, 'too old resource version'));
  t.equal(g.ended(), 1);
});

t.test('a lost connection is resumed with backoff, and given up after the tries', async (t) => {
  // Backoff timers (under a minute) fire at once; the idle deadline (minutes) never does.
  const clock = t.capture(globalThis, 'setTimeout', ((fn: () => void, ms: number) => {
    if (ms < 60_000) fn();
    return { unref: () => undefined } as unknown as NodeJS.Timeout;
  }) as unknown as typeof setTimeout);
  const f = await watchFixture({ resumeTries: 2 });
  (f.streams[0] as Stream).onEnd(new Error('ECONNRESET'));
  t.equal(f.streams.length, 2, 'resumed');
  (f.streams[1] as Stream).onEnd(new Error('ECONNRESET'));
  t.equal(f.streams.length, 3, 'resumed again');
  (f.streams[2] as Stream).onEnd(new Error('ECONNRESET'));
  t.equal(f.ended(), 1, 'given up: the caller resyncs');
  t.strictSame(
    clock
      .args()
      .map((a) => a[1])
      .filter((ms) => (ms as number) < 60_000),
    [1000, 2000],
    'backoff 1 s, then 2 s',
  );
});
