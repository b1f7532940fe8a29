import { type DashboardSpec, RI, p, q } from './spec.js';

export const EXECUTIVE: DashboardSpec = {
  uid: 'driftgate-executive',
  title: 'driftgate / Executive',
  description: 'GitOps health at a glance: reliability, delivery speed, manual changes.',
  rows: [
    {
      title: 'Reliability',
      panels: [
        p(
          'Reconcile success rate (24 h)',
          'stat',
          [
            q(
              'sum(increase(driftgate_reconcile_total{result="success"}[24h])) / sum(increase(driftgate_reconcile_total[24h]))',
            ),
          ],
          'percentunit',
          'The SLI of the reconcile-success SLO (99 %).',
        ),
        p(
          'Sources Synced',
          'stat',
          [
            q(
              '(sum(driftgate_source_info{sync_status="Synced"}) or vector(0)) / sum(driftgate_source_info)',
            ),
          ],
          'percentunit',
        ),
        p(
          'Sources OutOfSync',
          'stat',
          [
            q(
              '(sum(driftgate_source_info{sync_status="OutOfSync"}) or vector(0)) / sum(driftgate_source_info)',
            ),
          ],
          'percentunit',
        ),
      ],
    },
    {
      title: 'Delivery',
      panels: [
        p(
          'Syncs per source (environment)',
          'timeseries',
          [q(`sum by (source) (rate(driftgate_reconcile_total[${RI}]))`, '{{source}}')],
          'ops',
        ),
        p(
          'Commit to applied (p50, p90)',
          'timeseries',
          [
            q(
              `histogram_quantile(0.5, sum by (le) (rate(driftgate_commit_to_applied_seconds_bucket[${RI}])))`,
              'p50',
            ),
            q(
              `histogram_quantile(0.9, sum by (le) (rate(driftgate_commit_to_applied_seconds_bucket[${RI}])))`,
              'p90',
            ),
          ],
          's',
          'From the commit time to the apply: how long a change in Git takes to be live.',
        ),
      ],
    },
    {
      title: 'Manual changes',
      panels: [
        p('Manual changes denied or reverted (1 h)', 'timeseries', [
          q('sum by (action) (increase(driftgate_manual_changes_total[1h]))', '{{action}}'),
        ]),
      ],
    },
  ],
};
