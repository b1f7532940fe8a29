import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VerifyFailure } from './verify/verifier.js';

const SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export const SyncStatus = {
  Synced: 'Synced',
  OutOfSync: 'OutOfSync',
  Failed: 'Failed',
  Unverified: 'Unverified',
  Suspended: 'Suspended',
  Unknown: 'Unknown',
} as const;
export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];

/** The reconciler's metrics: per source, never per object (bounded cardinality). */
export class ReconcilerMetrics {
  readonly registry = new Registry();
  private readonly r = [this.registry];
  readonly sourceInfo = new Gauge({
    name: 'driftgate_source_info',
    help: 'One per source (value 1): its sync status and health, like argocd_app_info.',
    labelNames: ['source', 'repo', 'path', 'sync_status', 'health_status'] as const,
    registers: this.r,
  });
  readonly suspended = new Gauge({
    name: 'driftgate_source_suspended',
    help: '1 while a source is suspended.',
    labelNames: ['source'] as const,
    registers: this.r,
  });
  readonly drifted = new Gauge({
    name: 'driftgate_drifted_objects',
    help: 'Objects whose live declared fields differ from Git, by source and kind.',
    labelNames: ['source', 'kind'] as const,
    registers: this.r,
  });
  readonly driftDetected = new Counter({
    name: 'driftgate_drift_detected_total',
    help: 'Drift detections (a declared field changed by someone else).',
    labelNames: ['source', 'kind'] as const,
    registers: this.r,
  });
  readonly selfHeal = new Counter({
    name: 'driftgate_self_heal_total',
    help: 'Drifted objects reverted to Git.',
    labelNames: ['source', 'kind'] as const,
    registers: this.r,
  });
  readonly fights = new Counter({
    name: 'driftgate_fights_total',
    help: 'Objects driftgate stopped reverting because something kept changing them back.',
    labelNames: ['source'] as const,
    registers: this.r,
  });
  readonly manualChanges = new Counter({
    name: 'driftgate_manual_changes_total',
    help: 'Manual changes to Git-declared fields, by what happened to them.',
    labelNames: ['source', 'action'] as const,
    registers: this.r,
  });
  readonly reconcileDuration = new Histogram({
    name: 'driftgate_reconcile_duration_seconds',
    help: 'Time of one reconcile of a source.',
    labelNames: ['source'] as const,
    buckets: SECONDS,
    registers: this.r,
  });
  readonly reconciles = new Counter({
    name: 'driftgate_reconcile_total',
    help: 'Reconciles by result (success rate is an SLI).',
    labelNames: ['source', 'result'] as const,
    registers: this.r,
  });
  readonly commitToApplied = new Histogram({
    name: 'driftgate_commit_to_applied_seconds',
    help: 'Commit time to applied time (an SLI).',
    labelNames: ['source'] as const,
    buckets: SECONDS,
    registers: this.r,
  });
  readonly fetchDuration = new Histogram({
    name: 'driftgate_git_fetch_duration_seconds',
    help: 'Git remote check and fetch time.',
    labelNames: ['source'] as const,
    buckets: SECONDS,
    registers: this.r,
  });
  readonly fetches = new Counter({
    name: 'driftgate_git_fetch_total',
    help: 'Git fetches by result.',
    labelNames: ['source', 'result'] as const,
    registers: this.r,
  });
  readonly verification = new Counter({
    name: 'driftgate_commit_verification_total',
    help: 'Commit signature verifications by result (ok or the failure reason).',
    labelNames: ['source', 'result'] as const,
    registers: this.r,
  });
  readonly lastApplied = new Gauge({
    name: 'driftgate_last_applied_timestamp_seconds',
    help: 'When the source was last applied.',
    labelNames: ['source'] as const,
    registers: this.r,
  });
  readonly lastAppliedRevision = new Gauge({
    name: 'driftgate_last_applied_revision_info',
    help: 'The applied revision (value 1).',
    labelNames: ['source', 'revision'] as const,
    registers: this.r,
  });
  readonly applyDuration = new Histogram({
    name: 'driftgate_apply_duration_seconds',
    help: 'Server-side apply time of the objects of one reconcile.',
    labelNames: ['source'] as const,
    buckets: SECONDS,
    registers: this.r,
  });
  readonly applyErrors = new Counter({
    name: 'driftgate_apply_errors_total',
    help: 'Objects whose apply failed.',
    labelNames: ['source'] as const,
    registers: this.r,
  });
  readonly pruned = new Counter({
    name: 'driftgate_prune_total',
    help: 'Objects pruned (gone from Git).',
    labelNames: ['source'] as const,
    registers: this.r,
  });
  readonly pruneRefused = new Counter({
    name: 'driftgate_prune_refused_total',
    help: 'Prunes refused by the safety rules.',
    labelNames: ['source'] as const,
    registers: this.r,
  });
  readonly queueDepth = new Gauge({
    name: 'driftgate_reconcile_queue_depth',
    help: 'Reconciles waiting to run.',
    registers: this.r,
  });
  readonly gateViolations = new Counter({
    name: 'driftgate_policy_gate_violations_total',
    help: 'Desired objects the pre-apply policy gate flagged, by policy and whether they were applied or held back.',
    labelNames: ['source', 'policy', 'action'] as const,
    registers: this.r,
  });
  readonly auditViolations = new Gauge({
    name: 'driftgate_audit_violations',
    help: 'Existing cluster objects violating a policy at the last audit, by policy and enforcement.',
    labelNames: ['policy', 'action'] as const,
    registers: this.r,
  });
  readonly auditLastRun = new Gauge({
    name: 'driftgate_audit_last_run_timestamp_seconds',
    help: 'When the last audit finished.',
    registers: this.r,
  });
  readonly auditDuration = new Gauge({
    name: 'driftgate_audit_duration_seconds',
    help: 'How long the last audit took.',
    registers: this.r,
  });
  readonly breakGlassExpired = new Gauge({
    name: 'driftgate_break_glass_expired',
    help: 'Objects still carrying a break-glass annotation past its expiry (drift not yet restored).',
    labelNames: ['source'] as const,
    registers: this.r,
  });
  readonly breakGlassActive = new Gauge({
    name: 'driftgate_break_glass_active',
    help: 'Objects under an unexpired break-glass annotation.',
    labelNames: ['source'] as const,
    registers: this.r,
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'driftgate_reconciler_' });
    this.queueDepth.set(0);
  }

  /** Initialise every per-source series at 0 so rates and alerts work from the start. */
  initSource(source: string): void {
    this.suspended.set({ source }, 0);
    this.fights.inc({ source }, 0);
    this.applyErrors.inc({ source }, 0);
    this.pruned.inc({ source }, 0);
    this.pruneRefused.inc({ source }, 0);
    this.breakGlassActive.set({ source }, 0);
    this.breakGlassExpired.set({ source }, 0);
    this.reconcileDuration.zero({ source });
    this.commitToApplied.zero({ source });
    this.fetchDuration.zero({ source });
    this.applyDuration.zero({ source });
    for (const result of ['success', 'failure']) {
      this.reconciles.inc({ source, result }, 0);
      this.fetches.inc({ source, result }, 0);
    }
    for (const result of ['ok', ...Object.values(VerifyFailure)])
      this.verification.inc({ source, result }, 0);
    for (const action of ['denied', 'reverted']) this.manualChanges.inc({ source, action }, 0);
  }

  setSourceInfo(
    source: string,
    repo: string,
    path: string,
    sync: SyncStatus,
    health: string,
  ): void {
    for (const s of Object.values(SyncStatus)) {
      for (const h of ['Healthy', 'Progressing', 'Degraded', 'Missing', 'Suspended', 'Unknown'])
        this.sourceInfo.remove({ source, repo, path, sync_status: s, health_status: h });
    }
    this.sourceInfo.set({ source, repo, path, sync_status: sync, health_status: health }, 1);
  }

  /**
   * Delete every series of a removed source (a GitSource deleted): its gauges must not report a
   * source that no longer exists, and its counters must not grow the series count forever.
   */
  async forgetSource(source: string): Promise<void> {
    this.#appliedRevision.delete(source);
    for (const m of this.registry.getMetricsAsArray() as unknown as Metric[]) {
      const series = (await m.get()).values;
      for (const v of series) {
        if (v.labels.source !== source) continue;
        const { le: _le, quantile: _q, ...labels } = v.labels as Record<string, string | number>;
        m.remove(labels);
      }
    }
  }

  #appliedRevision = new Map<string, string>();
  /** One applied-revision series per source: replaces that source's, never another's. */
  setAppliedRevision(source: string, revision: string): void {
    const before = this.#appliedRevision.get(source);
    if (before !== undefined && before !== revision)
      this.lastAppliedRevision.remove({ source, revision: before });
    this.#appliedRevision.set(source, revision);
    this.lastAppliedRevision.set({ source, revision }, 1);
  }
}

/** What forgetSource needs of a prom-client metric. */
interface Metric {
  get(): Promise<{ values: { labels: Record<string, string | number> }[] }>;
  remove(labels: Record<string, string | number>): void;
}
