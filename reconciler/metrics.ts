import { MetricFactory } from '../core/metrics.js';
import { VerifyFailure } from './verify/verifier.js';
import { SyncStatus } from './model/source-state.js';

const SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Lead time: from seconds (a pushed commit) to a day (a commit that waited for a fix). */
const LEAD_SECONDS = [...SECONDS, 1800, 3600, 7200, 21600, 86400];
/** Time to restore: a failed sync is fixed in seconds (a retry) to a day (a new commit). */
const RESTORE_SECONDS = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];

/** The reconciler's metrics: per source, never per object (bounded cardinality). */
export class ReconcilerMetrics {
  private readonly m = new MetricFactory();
  readonly registry = this.m.registry;
  readonly spansDropped = this.m.counter(
    'driftgate_trace_spans_dropped_total',
    'Spans not exported: the queue was full, or the collector refused them or did not answer.',
  );
  readonly sourceInfo = this.m.gauge(
    'driftgate_source_info',
    'One per source (value 1): its sync status and health, like argocd_app_info.',
    ['source', 'repo', 'path', 'sync_status', 'health_status'],
  );
  readonly shardMembers = this.m.gauge(
    'driftgate_shard_members',
    'Shards: the live reconciler replicas this replica sees (0: it counts itself out).',
    [],
  );
  readonly shardLeasesRefused = this.m.gauge(
    'driftgate_shard_leases_refused',
    "Shards: membership Leases in the group that no pod of the reconciler's Deployment holds at its IP (not members; someone else wrote them).",
    [],
  );
  readonly shardHandovers = this.m.counter(
    'driftgate_shard_handovers_total',
    'Shards: GitSources this replica let go because another replica owns them now.',
    [],
  );
  readonly suspended = this.m.gauge(
    'driftgate_source_suspended',
    '1 while a source is suspended.',
    ['source'],
  );
  readonly drifted = this.m.gauge(
    'driftgate_drifted_objects',
    'Objects whose live declared fields differ from Git, by source and kind.',
    ['source', 'kind'],
  );
  readonly driftDetected = this.m.counter(
    'driftgate_drift_detected_total',
    'Drift detections (a declared field changed by someone else).',
    ['source', 'kind'],
  );
  readonly selfHeal = this.m.counter(
    'driftgate_self_heal_total',
    'Drifted objects reverted to Git.',
    ['source', 'kind'],
  );
  readonly fights = this.m.counter(
    'driftgate_fights_total',
    'Objects driftgate stopped reverting because something kept changing them back.',
    ['source'],
  );
  readonly manualChanges = this.m.counter(
    'driftgate_manual_changes_total',
    'Manual changes to Git-declared fields, by what happened to them.',
    ['source', 'action'],
  );
  readonly reconcileDuration = this.m.histogram(
    'driftgate_reconcile_duration_seconds',
    'Time of one reconcile of a source.',
    SECONDS,
    ['source'],
  );
  readonly reconciles = this.m.counter(
    'driftgate_reconcile_total',
    'Reconciles by result (success rate is an SLI).',
    ['source', 'result'],
  );
  readonly resyncsSkipped = this.m.counter(
    'driftgate_resync_skipped_total',
    'Resyncs that applied nothing: no new commit, and no watch saw a change since the last full one.',
    ['source'],
  );
  readonly commitToApplied = this.m.histogram(
    'driftgate_commit_to_applied_seconds',
    'Commit time to applied time (an SLI).',
    LEAD_SECONDS,
    ['source'],
  );
  // Delivery (DORA) and GitOps adoption: recording rules in dashboards/alerts.yaml.
  readonly revisions = this.m.counter(
    'driftgate_revisions_total',
    'Verified revisions the reconciler set out to apply (each once per process).',
    ['source'],
  );
  readonly deployments = this.m.counter(
    'driftgate_deployments_total',
    'Revisions applied in full (deployment frequency).',
    ['source'],
  );
  readonly deploymentFailures = this.m.counter(
    'driftgate_deployment_failures_total',
    'Revisions whose sync failed for a cause of their own, not Git or the API being down (change failures; each once).',
    ['source'],
  );
  readonly timeToRestore = this.m.histogram(
    'driftgate_time_to_restore_seconds',
    'From a sync failing to the next sync that succeeds (time to restore).',
    RESTORE_SECONDS,
    ['source'],
  );
  readonly gitChanges = this.m.counter(
    'driftgate_git_changes_total',
    'Objects created or changed by applying a new revision from Git (changes made through Git).',
    ['source'],
  );
  readonly notifications = this.m.counter(
    'driftgate_notifications_total',
    'Notifications by provider and result: sent, failed (after retries), dropped (queue full), deduplicated, refused (a commit status for a repository the provider may not post to).',
    ['provider', 'result'],
  );
  readonly fetchDuration = this.m.histogram(
    'driftgate_git_fetch_duration_seconds',
    'Git remote check and fetch time.',
    SECONDS,
    ['source'],
  );
  readonly fetches = this.m.counter('driftgate_git_fetch_total', 'Git fetches by result.', [
    'source',
    'result',
  ]);
  readonly verification = this.m.counter(
    'driftgate_commit_verification_total',
    'Commit signature verifications by result (ok or the failure reason).',
    ['source', 'result'],
  );
  readonly lastApplied = this.m.gauge(
    'driftgate_last_applied_timestamp_seconds',
    'When the source was last applied.',
    ['source'],
  );
  readonly lastAppliedRevision = this.m.gauge(
    'driftgate_last_applied_revision_info',
    'The applied revision (value 1).',
    ['source', 'revision'],
  );
  readonly applyDuration = this.m.histogram(
    'driftgate_apply_duration_seconds',
    'Server-side apply time of the objects of one reconcile.',
    SECONDS,
    ['source'],
  );
  readonly applyErrors = this.m.counter(
    'driftgate_apply_errors_total',
    'Objects whose apply failed.',
    ['source'],
  );
  readonly pruned = this.m.counter('driftgate_prune_total', 'Objects pruned (gone from Git).', [
    'source',
  ]);
  readonly pruneRefused = this.m.counter(
    'driftgate_prune_refused_total',
    'Prunes refused by the safety rules.',
    ['source'],
  );
  readonly queueDepth = this.m.gauge(
    'driftgate_reconcile_queue_depth',
    'Reconciles waiting to run.',
  );
  readonly gateViolations = this.m.counter(
    'driftgate_policy_gate_violations_total',
    'Desired objects the pre-apply policy gate flagged, by policy and whether they were applied or held back.',
    ['source', 'policy', 'action'],
  );
  readonly auditViolations = this.m.gauge(
    'driftgate_audit_violations',
    'Existing cluster objects violating a policy at the last audit, by policy and enforcement.',
    ['policy', 'action'],
  );
  readonly auditLastRun = this.m.gauge(
    'driftgate_audit_last_run_timestamp_seconds',
    'When the last audit finished.',
  );
  readonly auditDuration = this.m.gauge(
    'driftgate_audit_duration_seconds',
    'How long the last audit took.',
  );
  readonly breakGlassExpired = this.m.gauge(
    'driftgate_break_glass_expired',
    'Objects still carrying a break-glass annotation past its expiry (drift not yet restored).',
    ['source'],
  );
  readonly breakGlassActive = this.m.gauge(
    'driftgate_break_glass_active',
    'Objects under an unexpired break-glass annotation.',
    ['source'],
  );

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) this.m.processMetrics('driftgate_reconciler_');
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
    this.timeToRestore.zero({ source });
    for (const c of [this.revisions, this.deployments, this.deploymentFailures, this.gitChanges])
      c.inc({ source }, 0);
    this.fetchDuration.zero({ source });
    this.applyDuration.zero({ source });
    this.resyncsSkipped.inc({ source }, 0);
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
