import { type DashboardSpec, p, q } from './spec.js';

// The DORA and GitOps adoption figures, read from the recording rules of alerts.yaml
// (driftgate.delivery): the dashboard is cheap to open whatever the history it covers.
export const DELIVERY: DashboardSpec = {
  uid: 'driftgate-delivery',
  title: 'driftgate / Delivery (DORA)',
  description:
    'Deployment frequency, lead time, change failure rate, time to restore, and how much changes through Git.',
  rows: [
    {
      title: 'DORA',
      panels: [
        p(
          'Deployments per day',
          'stat',
          [q('driftgate:deployments:increase1d')],
          'short',
          'Revisions applied in full in the last 24 hours (deployment frequency).',
        ),
        p(
          'Lead time for changes (median, 7 d)',
          'stat',
          [q('driftgate:lead_time_seconds:p50_1w')],
          's',
          'From the commit time to the revision applied in full.',
        ),
        p(
          'Change failure rate (7 d)',
          'stat',
          [q('driftgate:change_failure_ratio:1w')],
          'percentunit',
          'Revisions that failed to apply for a cause of their own (not Git or the API being down), of those set out to apply.',
        ),
        p(
          'Time to restore (median, 7 d)',
          'stat',
          [q('driftgate:time_to_restore_seconds:p50_1w')],
          's',
          'From a sync failing to the next sync that succeeds.',
        ),
      ],
    },
    {
      title: 'GitOps adoption',
      panels: [
        p(
          'Changes made through Git (7 d)',
          'stat',
          [q('driftgate:git_change_ratio:1w')],
          'percentunit',
          'Objects changed by applying Git, of every change that took effect (Git, reverted manual drift, break-glass writes).',
        ),
        p(
          'Manual changes per week',
          'stat',
          [q('driftgate:manual_changes:increase1w')],
          'short',
          'Manual changes to Git-declared state: denied at admission, reverted, or admitted under break-glass.',
        ),
        p(
          'Policy violations per admission request (1 h)',
          'timeseries',
          [q('driftgate:policy_violations_per_request:ratio_rate1h', 'violations per request')],
          'short',
        ),
        p(
          'Deployments per day, by source',
          'timeseries',
          [q('source:driftgate_deployments_total:increase1d', '{{source}}')],
          'short',
        ),
      ],
    },
  ],
};
