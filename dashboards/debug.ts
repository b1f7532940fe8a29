import { type DashboardSpec, RI, p, q } from './spec.js';

export const DEBUG: DashboardSpec = {
  uid: 'driftgate-debug',
  title: 'driftgate / Debug',
  description: 'Latency distributions per source: reconcile, Git fetch, apply; queue; audit.',
  rows: [
    {
      title: 'Reconcile',
      panels: [
        p(
          'Reconcile duration p50 and p99 by source',
          'timeseries',
          [
            q(
              `histogram_quantile(0.5, sum by (source, le) (rate(driftgate_reconcile_duration_seconds_bucket[${RI}])))`,
              'p50 {{source}}',
            ),
            q(
              `histogram_quantile(0.99, sum by (source, le) (rate(driftgate_reconcile_duration_seconds_bucket[${RI}])))`,
              'p99 {{source}}',
            ),
          ],
          's',
        ),
        p(
          'Apply duration p99 by source',
          'timeseries',
          [
            q(
              `histogram_quantile(0.99, sum by (source, le) (rate(driftgate_apply_duration_seconds_bucket[${RI}])))`,
              '{{source}}',
            ),
          ],
          's',
        ),
        p('Queue depth', 'timeseries', [q('driftgate_reconcile_queue_depth', '{{instance}}')]),
      ],
    },
    {
      title: 'Git',
      panels: [
        p(
          'Git fetch p99 by source',
          'timeseries',
          [
            q(
              `histogram_quantile(0.99, sum by (source, le) (rate(driftgate_git_fetch_duration_seconds_bucket[${RI}])))`,
              '{{source}}',
            ),
          ],
          's',
        ),
        p(
          'Git fetches by result',
          'timeseries',
          [
            q(
              `sum by (source, result) (rate(driftgate_git_fetch_total[${RI}]))`,
              '{{source}} {{result}}',
            ),
          ],
          'ops',
        ),
      ],
    },
    {
      title: 'Audit',
      panels: [
        p('Audit violations by policy', 'timeseries', [
          q('sum by (policy, action) (driftgate_audit_violations)', '{{policy}} {{action}}'),
        ]),
        p('Audit duration', 'timeseries', [q('driftgate_audit_duration_seconds', 'duration')], 's'),
      ],
    },
  ],
};
