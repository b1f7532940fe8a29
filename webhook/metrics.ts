import { MetricFactory } from '../core/metrics.js';
import { Operation } from './types.js';
import { WebhookError } from './errors.js';
import { Endpoint } from './decide.js';

export const AdmissionDecision = {
  allowed: 'allowed',
  denied: 'denied',
  warned: 'warned',
  patched: 'patched',
  exempt: 'exempt',
  error: 'error',
} as const;
export type AdmissionDecision = (typeof AdmissionDecision)[keyof typeof AdmissionDecision];

/** Seconds; millisecond resolution at the low end, up to 10 s (the apiserver's max timeout). */
export const LATENCY_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.002, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The webhook's Prometheus metrics on their own registry. Label sets are bounded. */
export class AdmissionMetrics {
  private readonly m = new MetricFactory();
  readonly registry = this.m.registry;
  readonly spansDropped = this.m.counter(
    'driftgate_trace_spans_dropped_total',
    'Spans not exported: the queue was full, or the collector refused them or did not answer.',
  );
  readonly requests = this.m.counter(
    'driftgate_admission_requests_total',
    'Admission reviews answered, by endpoint, operation and decision.',
    ['endpoint', 'operation', 'decision'],
  );
  readonly duration = this.m.histogram(
    'driftgate_admission_request_duration_seconds',
    'Time from request received to response sent.',
    LATENCY_BUCKETS,
    ['endpoint'],
  );
  readonly evaluation = this.m.histogram(
    'driftgate_policy_evaluation_duration_seconds',
    'Time to evaluate the policy bundle for one review.',
    LATENCY_BUCKETS,
  );
  readonly violations = this.m.counter(
    'driftgate_policy_violations_total',
    'Policy violations found at admission, by policy and enforcement action.',
    ['policy', 'action'],
  );
  readonly evaluationErrors = this.m.counter(
    'driftgate_policy_evaluation_errors_total',
    'Policy evaluations that raised an error, by policy.',
    ['policy'],
  );
  readonly bundleInfo = this.m.gauge(
    'driftgate_policy_bundle_info',
    'The loaded policy bundle (value 1), labelled with its revision.',
    ['revision'],
  );
  readonly bundlePolicies = this.m.gauge(
    'driftgate_policy_bundle_policies',
    'Policies in the loaded bundle.',
  );
  readonly bundleLoadErrors = this.m.counter(
    'driftgate_policy_bundle_load_errors_total',
    'Policy bundle builds refused (the last good bundle stayed), by stage.',
    ['stage'],
  );
  readonly bundleLoaded = this.m.gauge(
    'driftgate_policy_bundle_last_load_timestamp_seconds',
    'When the live bundle was loaded.',
  );
  readonly badRequests = this.m.counter(
    'driftgate_admission_bad_requests_total',
    'Requests refused with HTTP 400, by error code.',
    ['code'],
  );
  readonly unanswered = this.m.counter(
    'driftgate_admission_unanswered_total',
    'Evaluations without an answer (decided by failurePolicy), by reason.',
    ['reason'],
  );
  readonly engineRestarts = this.m.counter(
    'driftgate_policy_engine_restarts_total',
    'Evaluation workers replaced, by reason (timeout: a deadline passed; crash: it died).',
    ['reason'],
  );
  readonly certReloadErrors = this.m.counter(
    'driftgate_webhook_certificate_reload_errors_total',
    'Certificate files read but not used (half-written, or a key that does not match); the old pair stays.',
  );
  readonly ingressWatchErrors = this.m.counter(
    'driftgate_webhook_ingress_watch_errors_total',
    'Times the watch of live Ingress hosts (unique-host policy) failed and was reopened.',
  );
  readonly liveIngresses = this.m.gauge(
    'driftgate_webhook_live_ingresses',
    'Live Ingresses whose hosts the unique-host policy checks against.',
  );
  readonly inventoryWatchErrors = this.m.counter(
    'driftgate_webhook_inventory_watch_errors_total',
    "Times a watch of a kind in Gatekeeper's data.inventory failed and was reopened.",
  );
  readonly inventoryObjects = this.m.gauge(
    'driftgate_webhook_inventory_objects',
    "Live cluster objects in Gatekeeper's data.inventory (bounded by inventory.maxObjects).",
  );
  readonly certExpiry = this.m.gauge(
    'driftgate_webhook_certificate_expiry_timestamp_seconds',
    'When the serving certificate expires.',
  );

  readonly manualChanges = this.m.counter(
    'driftgate_manual_changes_total',
    'Manual changes to Git-declared state, by source and what driftgate did (denied here).',
    ['source', 'action'],
  );
  readonly breakGlassUses = this.m.counter(
    'driftgate_break_glass_uses_total',
    'Changes to Git-declared fields admitted under break-glass, by source.',
    ['source'],
  );
  readonly governedDenials = this.m.counter(
    'driftgate_governed_namespace_creates_total',
    'Creates of objects Git does not declare in governed namespaces, by what was done.',
    ['action'],
  );
  readonly indexObjects = this.m.gauge(
    'driftgate_desired_index_objects',
    "Git-declared objects in the webhook's desired-state index.",
  );
  readonly indexUpdated = this.m.gauge(
    'driftgate_desired_index_last_update_timestamp_seconds',
    'When the webhook last heard from the reconciler (a new index or "not modified").',
  );
  readonly feedContact = this.m.gauge(
    'driftgate_reconciler_feed_last_contact_timestamp_seconds',
    'When the webhook last had an answer from the reconciler (new or "not modified"), by feed.',
    ['feed'],
  );
  readonly feedErrors = this.m.counter(
    'driftgate_desired_index_fetch_errors_total',
    'Failed fetches of the desired-state index or policies from the reconciler, by feed.',
    ['feed'],
  );

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) this.m.processMetrics('driftgate_webhook_');
    for (const endpoint of Object.values(Endpoint)) {
      this.duration.zero({ endpoint });
      for (const operation of Object.values(Operation)) {
        for (const decision of Object.values(AdmissionDecision))
          this.requests.inc({ endpoint, operation, decision }, 0);
      }
    }
    for (const code of Object.values(WebhookError)) this.badRequests.inc({ code }, 0);
    for (const stage of ['layout', 'test', 'compile', 'load'])
      this.bundleLoadErrors.inc({ stage }, 0);
    for (const feed of ['desired', 'policies']) this.feedErrors.inc({ feed }, 0);
    for (const action of ['denied', 'warned']) this.governedDenials.inc({ action }, 0);
    this.indexObjects.set(0);
    for (const reason of ['timeout', 'overloaded', 'unavailable'])
      this.unanswered.inc({ reason }, 0);
    for (const reason of ['timeout', 'crash']) this.engineRestarts.inc({ reason }, 0);
  }

  /** Record a newly loaded bundle: info gauge, and violation counters at 0 for its policies. */
  bundleSwapped(revision: string, policies: readonly { id: string }[], nowMs = Date.now()): void {
    this.bundleInfo.reset();
    this.bundleInfo.set({ revision }, 1);
    this.bundlePolicies.set(policies.length);
    this.bundleLoaded.set(nowMs / 1000);
    for (const { id } of policies) {
      this.evaluationErrors.inc({ policy: id }, 0);
      for (const action of ['enforce', 'warn', 'dryrun'])
        this.violations.inc({ policy: id, action }, 0);
    }
  }
}
