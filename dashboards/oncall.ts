import { type DashboardSpec, p, q } from './spec.js';

export const ONCALL: DashboardSpec = {
  uid: 'driftgate-oncall',
  title: 'driftgate / On-call',
  description:
    'What needs attention now: sources out of sync, failed applies, drift, fights, refused commits, break-glass.',
  rows: [
    {
      title: 'Sources',
      panels: [
        p('Sources not Synced or not Healthy', 'table', [
          q(
            'driftgate_source_info{sync_status!="Synced"} == 1 or driftgate_source_info{health_status!="Healthy"} == 1',
          ),
        ]),
        p('Failed applies (1 h)', 'timeseries', [
          q('sum by (source) (increase(driftgate_apply_errors_total[1h]))', '{{source}}'),
        ]),
        p('Commit verification failures (1 h)', 'timeseries', [
          q(
            'sum by (source, result) (increase(driftgate_commit_verification_total{result!="ok"}[1h]))',
            '{{source}} {{result}}',
          ),
        ]),
      ],
    },
    {
      title: 'Drift',
      panels: [
        p('Drift detected by source and kind (1 h)', 'timeseries', [
          q(
            'sum by (source, kind) (increase(driftgate_drift_detected_total[1h]))',
            '{{source}} {{kind}}',
          ),
        ]),
        p('Drifted objects now', 'timeseries', [
          q('sum by (source, kind) (driftgate_drifted_objects)', '{{source}} {{kind}}'),
        ]),
        p('Self-heals and fights (1 h)', 'timeseries', [
          q('sum by (source) (increase(driftgate_self_heal_total[1h]))', 'self-heal {{source}}'),
          q('sum by (source) (increase(driftgate_fights_total[1h]))', 'fights {{source}}'),
        ]),
        p('Break-glass in use, and past its expiry', 'timeseries', [
          q('sum by (source) (driftgate_break_glass_active)', 'active {{source}}'),
          q('sum by (source) (driftgate_break_glass_expired)', 'expired {{source}}'),
        ]),
      ],
    },
    {
      title: 'Controllers',
      panels: [
        p(
          'Reconciler and webhook memory',
          'timeseries',
          [
            q('driftgate_reconciler_process_resident_memory_bytes', 'reconciler {{instance}}'),
            q('driftgate_webhook_process_resident_memory_bytes', 'webhook {{instance}}'),
          ],
          'bytes',
        ),
        p('Reconcile queue depth', 'timeseries', [
          q('max(driftgate_reconcile_queue_depth)', 'queue'),
        ]),
        p('Suspended sources', 'stat', [q('sum(driftgate_source_suspended)')]),
      ],
    },
  ],
};
