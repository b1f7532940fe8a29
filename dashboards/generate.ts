// npm run dashboards — writes the four Grafana dashboards (one per audience) from the panel
// lists below. The JSON files are committed and shipped by the chart; test/dashboards checks they
// are up to date, that every query uses only metrics driftgate exports, and, against a real
// Prometheus scraping a running driftgate, that every query returns data.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Target {
  readonly expr: string;
  readonly legend?: string;
}
export interface Panel {
  readonly title: string;
  readonly type: 'timeseries' | 'stat' | 'table';
  readonly unit?: string;
  readonly description?: string;
  readonly targets: readonly Target[];
}
export interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}
export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly Row[];
}

const RI = '$__rate_interval';
const q = (expr: string, legend?: string): Target => ({ expr, ...(legend ? { legend } : {}) });
const p = (
  title: string,
  type: Panel['type'],
  targets: Target[],
  unit?: string,
  description?: string,
): Panel => ({
  title,
  type,
  targets,
  ...(unit ? { unit } : {}),
  ...(description ? { description } : {}),
});

export const DASHBOARDS: readonly DashboardSpec[] = [
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
          p(
            'Audit duration',
            'timeseries',
            [q('driftgate_audit_duration_seconds', 'duration')],
            's',
          ),
        ],
      },
    ],
  },
];

/** The Grafana JSON of one dashboard: rows of panels, a ${DS_PROMETHEUS} datasource variable. */
export function render(d: DashboardSpec): object {
  const ds = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of d.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    const w = row.panels.length >= 3 ? 8 : 12;
    row.panels.forEach((panel, i) => {
      const x = (i * w) % 24;
      if (i > 0 && x === 0) y += 8;
      panels.push({
        id: id++,
        type: panel.type,
        title: panel.title,
        ...(panel.description ? { description: panel.description } : {}),
        datasource: ds,
        gridPos: { h: 8, w, x, y },
        fieldConfig: { defaults: { ...(panel.unit ? { unit: panel.unit } : {}) }, overrides: [] },
        options: panel.type === 'table' ? { showHeader: true } : {},
        targets: panel.targets.map((t, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource: ds,
          expr: t.expr,
          ...(t.legend ? { legendFormat: t.legend } : {}),
          ...(panel.type === 'table' ? { format: 'table', instant: true } : {}),
        })),
      });
    });
    y += 8;
  }
  return {
    __inputs: [
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['driftgate'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        {
          name: 'DS_PROMETHEUS',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
      ],
    },
    panels,
  };
}

export const fileOf = (d: DashboardSpec): string => `${d.uid.replace(/^driftgate-/, '')}.json`;

if (process.argv[1] === import.meta.filename) {
  for (const d of DASHBOARDS)
    writeFileSync(join(import.meta.dirname, fileOf(d)), `${JSON.stringify(render(d), null, 2)}\n`);
  console.log(`wrote ${DASHBOARDS.map(fileOf).join(', ')}`);
}
