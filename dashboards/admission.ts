import { type DashboardSpec, RI, p, q } from './spec.js';

export const ADMISSION: DashboardSpec = {
  uid: 'driftgate-admission',
  title: 'driftgate / Admission',
  description:
    'The webhook: decisions, denials by policy, latency, the policy bundle, certificates, the Git guard.',
  rows: [
    {
      title: 'Decisions',
      panels: [
        p(
          'Requests by decision and operation',
          'timeseries',
          [
            q(
              `sum by (decision, operation) (rate(driftgate_admission_requests_total{endpoint="validate"}[${RI}]))`,
              '{{operation}} {{decision}}',
            ),
          ],
          'reqps',
        ),
        p('Denials by policy (1 h)', 'timeseries', [
          q(
            'sum by (policy) (increase(driftgate_policy_violations_total{action="enforce"}[1h]))',
            '{{policy}}',
          ),
        ]),
        p('Manual changes to Git-declared state denied (1 h)', 'timeseries', [
          q(
            'sum by (source) (increase(driftgate_manual_changes_total{action="denied"}[1h]))',
            '{{source}}',
          ),
        ]),
        p('Break-glass uses (1 h)', 'timeseries', [
          q('sum by (source) (increase(driftgate_break_glass_uses_total[1h]))', '{{source}}'),
        ]),
      ],
    },
    {
      title: 'Latency',
      panels: [
        p(
          'Admission latency p50 and p99',
          'timeseries',
          [
            q(
              `histogram_quantile(0.5, sum by (le) (rate(driftgate_admission_request_duration_seconds_bucket[${RI}])))`,
              'p50',
            ),
            q(
              `histogram_quantile(0.99, sum by (le) (rate(driftgate_admission_request_duration_seconds_bucket[${RI}])))`,
              'p99',
            ),
          ],
          's',
        ),
        p(
          'Policy evaluation p99',
          'timeseries',
          [
            q(
              `histogram_quantile(0.99, sum by (le) (rate(driftgate_policy_evaluation_duration_seconds_bucket[${RI}])))`,
              'p99',
            ),
          ],
          's',
        ),
      ],
    },
    {
      title: 'Policies, index and certificates',
      panels: [
        p('Policy bundle revision', 'table', [q('driftgate_policy_bundle_info == 1')]),
        p('Policy bundle load errors (1 h)', 'timeseries', [
          q(
            'sum by (stage) (increase(driftgate_policy_bundle_load_errors_total[1h]))',
            '{{stage}}',
          ),
        ]),
        p('Desired-state index: objects and age', 'timeseries', [
          q('max(driftgate_desired_index_objects)', 'objects'),
          q('time() - max(driftgate_desired_index_last_update_timestamp_seconds)', 'age (s)'),
        ]),
        p(
          'Certificate expires in',
          'stat',
          [q('(min(driftgate_webhook_certificate_expiry_timestamp_seconds) - time()) / 86400')],
          'd',
        ),
      ],
    },
  ],
};
