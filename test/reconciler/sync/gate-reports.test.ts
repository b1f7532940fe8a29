import t from 'tap';
import { pino } from 'pino';
import { FakeCluster } from '../../support/fake-cluster.js';
import { GateReports, gateReportName } from '../../../reconciler/sync/gate-reports.js';
import { Action, type ObjectPlan } from '../../../reconciler/sync/plan.js';

const plan = (name: string, action: Action, findings: { policy: string; action: string }[]) =>
  ({
    ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name },
    action,
    findings: findings.map((f) => ({ ...f, message: `${f.policy} says no` })),
  }) as unknown as ObjectPlan;

const reportKeys = (c: FakeCluster) =>
  [...c.objects.keys()].filter((k) => k.startsWith('wgpolicyk8s.io/')).sort();

t.test('the report name is a DNS subdomain whatever the source is called', async (t) => {
  t.equal(gateReportName('team-a.shop'), 'driftgate-gate-team-a.shop');
  t.match(gateReportName('Shop_1'), /^driftgate-gate-shop-1-[0-9a-f]{8}$/);
  t.not(gateReportName('Shop_1'), gateReportName('shop-1'), 'two sources never share a name');
});

t.test(
  'written when the results change, not on every resync; removed with the source',
  async (t) => {
    const cluster = new FakeCluster();
    const r = new GateReports(cluster, 'shop', pino({ level: 'silent' }));
    const plans = [
      plan('bad', Action.held, [{ policy: 'p/no', action: 'enforce' }]),
      plan('meh', Action.update, [
        { policy: 'p/warn', action: 'warn' },
        { policy: 'p/try', action: 'dryrun' },
      ]),
      plan('fine', Action.none, []),
      plan('theirs', Action.foreign, []),
    ];
    await r.publish(plans, true);
    t.same(reportKeys(cluster), ['wgpolicyk8s.io/PolicyReport/shop/driftgate-gate-shop']);
    const report = [...cluster.objects.values()].find((o) => o.kind === 'PolicyReport') as {
      summary: unknown;
      results: { result: string; policy: string }[];
    };
    t.same(
      report.summary,
      { pass: 1, fail: 1, warn: 1, error: 0, skip: 0 },
      'dryrun and foreign left out',
    );
    t.same(
      report.results.map((x) => [x.policy, x.result]),
      [
        ['p/no', 'fail'],
        ['p/warn', 'warn'],
      ],
    );
    const applies = () => cluster.calls.filter((c) => c.op === 'apply').length;
    const before = applies();
    await r.publish(plans, true);
    t.equal(applies(), before, 'the same results are not written again');
    await r.publish([plan('bad', Action.update, [])], false);
    t.equal(reportKeys(cluster).length, 1, 'a sync that stopped early deletes nothing');
    await r.publish([plan('bad', Action.update, [])], true);
    t.same(reportKeys(cluster), [], 'clean: deleted');
    await r.publish(plans, true);
    await new GateReports(cluster, 'shop', pino({ level: 'silent' })).remove();
    t.same(reportKeys(cluster), [], 'the source removed: its reports too');
  },
);
