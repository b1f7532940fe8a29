import t from 'tap';
import { FakeCluster } from '../../support/fake-cluster.js';
import {
  MAX_MESSAGE,
  MAX_RESULTS,
  ReportCollector,
} from '../../../reconciler/policy/policy-reports.js';
import { writePolicyReports } from '../../../reconciler/policy/policy-report-writer.js';

const at = new Date('2026-12-06T10:00:00.250Z');
const pod = (ns: string | undefined, name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, uid: `uid-${name}`, ...(ns ? { namespace: ns } : {}) },
});
const finding = (action: string, message = 'no') =>
  ({
    policy: 'p/one',
    action,
    message,
  }) as never;

t.test('results per namespace, cluster-scoped objects in the ClusterPolicyReport', async (t) => {
  const c = new ReportCollector(at);
  c.add(pod('a', 'x'), [finding('enforce', 'bad')], 'shop');
  c.add(pod('a', 'y'), []);
  c.add(pod('a', 'z'), [finding('warn'), finding('dryrun')]);
  c.add(pod('clean', 'ok'), []);
  c.add(pod(undefined, 'node-thing'), [finding('enforce')]);
  const out = c.reports();
  t.same(
    out.map((r) => [
      r.kind,
      r.metadata.namespace ?? '',
      (r as unknown as { summary: unknown }).summary,
    ]),
    [
      ['PolicyReport', 'a', { pass: 1, fail: 1, warn: 2, error: 0, skip: 0 }],
      ['ClusterPolicyReport', '', { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 }],
    ],
    'a clean namespace gets none',
  );
  const [first] = (out[0] as unknown as { results: Record<string, unknown>[] }).results;
  t.same(first, {
    policy: 'p/one',
    result: 'fail',
    message: 'bad',
    source: 'driftgate',
    timestamp: { seconds: 1796551200, nanos: 250_000_000 },
    properties: { action: 'enforce', gitSource: 'shop' },
    resources: [{ apiVersion: 'v1', kind: 'Pod', namespace: 'a', name: 'x', uid: 'uid-x' }],
  });
});

t.test('bounded: results per report and message length', async (t) => {
  const c = new ReportCollector(at);
  for (let i = 0; i < MAX_RESULTS + 3; i++)
    c.add(pod('a', `p${i}`), [finding('enforce', 'm'.repeat(5000))]);
  const [r] = c.reports() as unknown as {
    results: { message: string }[];
    summary: { fail: number };
  }[];
  t.equal(r?.results.length, MAX_RESULTS);
  t.equal(r?.summary.fail, MAX_RESULTS + 3);
  t.equal(r?.results[0]?.message.length, MAX_MESSAGE);
});

t.test('nothing is written where the API is not served', async (t) => {
  const cluster = new FakeCluster();
  cluster.unserved.add('PolicyReport');
  const c = new ReportCollector(at);
  c.add(pod('a', 'x'), [finding('enforce')]);
  const w = await writePolicyReports(cluster, c.set());
  t.same(w, {
    written: 0,
    deleted: 0,
    errors: [],
    skipped: 'wgpolicyk8s.io/v1alpha2 is not served',
  });
  t.same(
    cluster.calls.filter((x) => x.op !== 'get'),
    [],
  );
});

t.test('an object not judged is an error in its report, never a pass', async (t) => {
  const c = new ReportCollector(at);
  c.unjudged(pod('a', 'slow'), 'its evaluation exceeded the 2000 ms deadline', 'shop');
  c.add(pod('a', 'fine'), []);
  const [r] = c.reports() as unknown as {
    summary: unknown;
    results: Record<string, unknown>[];
  }[];
  t.same(r?.summary, { pass: 1, fail: 0, warn: 0, error: 1, skip: 0 });
  t.match(r?.results, [
    {
      policy: 'driftgate',
      result: 'error',
      message: 'not judged: its evaluation exceeded the 2000 ms deadline',
      properties: { gitSource: 'shop' },
      resources: [{ kind: 'Pod', namespace: 'a', name: 'slow' }],
    },
  ]);
});

const live = (
  name: string,
  ns?: string,
  labels = { 'app.kubernetes.io/managed-by': 'driftgate' },
) => ({
  apiVersion: 'wgpolicyk8s.io/v1alpha2',
  kind: ns ? 'PolicyReport' : 'ClusterPolicyReport',
  metadata: { name, labels, ...(ns ? { namespace: ns } : {}) },
});

t.test('the stale reports of its own name go; a partial run deletes none', async (t) => {
  const cluster = new FakeCluster();
  cluster.clusterScoped.add('ClusterPolicyReport');
  for (const o of [
    live('driftgate-audit', 'was-bad'),
    live('driftgate-audit'),
    live('driftgate-gate-shop', 'was-bad'),
    live('driftgate-audit', 'theirs', { 'app.kubernetes.io/managed-by': 'kyverno' }),
  ])
    cluster.put(o as never);
  const names = () => [...cluster.objects.keys()].sort();
  const c = new ReportCollector(at);
  c.add(pod('a', 'x'), [finding('enforce')]);
  c.complete = false;
  const partial = await writePolicyReports(cluster, c.set());
  t.same([partial.written, partial.deleted, partial.errors], [1, 0, []]);
  t.equal(names().length, 5, 'nothing deleted while part of the cluster was not read');
  c.complete = true;
  const full = await writePolicyReports(cluster, c.set());
  t.same([full.written, full.deleted, full.errors], [1, 2, []]);
  t.same(
    names(),
    [
      'wgpolicyk8s.io/PolicyReport/a/driftgate-audit',
      'wgpolicyk8s.io/PolicyReport/theirs/driftgate-audit',
      'wgpolicyk8s.io/PolicyReport/was-bad/driftgate-gate-shop',
    ],
    "another tool's report and another name's stay",
  );
});

t.test(
  "a Secret's findings name the policy, never the message (it may quote the value)",
  async (t) => {
    const c = new ReportCollector(at);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'a' } };
    c.add(secret, [finding('enforce', 'password hunter2 is too short')]);
    c.unjudged(secret, 'evaluation failed on hunter2');
    const [r] = c.reports() as unknown as { results: { policy: string; message: string }[] }[];
    t.same(
      r?.results.map((x) => [x.policy, x.message]),
      [
        ['p/one', '(message withheld: the object is a Secret)'],
        ['driftgate', '(message withheld: the object is a Secret)'],
      ],
    );
  },
);
