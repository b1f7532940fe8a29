import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'driftgate_admission_requests_total',
    help: 'Admission reviews answered, by endpoint, operation and decision.',
    labelNames: ['endpoint', 'operation', 'decision'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'driftgate_admission_request_duration_seconds',
    help: 'Time from request received to response sent.',
    labelNames: ['endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly evaluation = new Histogram({
    name: 'driftgate_policy_evaluation_duration_seconds',
    help: 'Time to evaluate the policy bundle for one review.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly violations = new Counter({
    name: 'driftgate_policy_violations_total',
    help: 'Policy violations found at admission, by policy and enforcement action.',
    labelNames: ['policy', 'action'] as const,
    registers: [this.registry],
  });
  readonly evaluationErrors = new Counter({
    name: 'driftgate_policy_evaluation_errors_total',
    help: 'Policy evaluations that raised an error, by policy.',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });
  readonly bundleInfo = new Gauge({
    name: 'driftgate_policy_bundle_info',
    help: 'The loaded policy bundle (value 1), labelled with its revision.',
    labelNames: ['revision'] as const,
    registers: [this.registry],
  });
  readonly bundlePolicies = new Gauge({
    name: 'driftgate_policy_bundle_policies',
    help: 'Policies in the loaded bundle.',
    registers: [this.registry],
  });
  readonly bundleLoadErrors = new Counter({
    name: 'driftgate_policy_bundle_load_errors_total',
    help: 'Policy bundle builds refused (the last good bundle stayed), by stage.',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  readonly bundleLoaded = new Gauge({
    name: 'driftgate_policy_bundle_last_load_timestamp_seconds',
    help: 'When the live bundle was loaded.',
    registers: [this.registry],
  });
  readonly badRequests = new Counter({
    name: 'driftgate_admission_bad_requests_total',
    help: 'Requests refused with HTTP 400, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly unanswered = new Counter({
    name: 'driftgate_admission_unanswered_total',
    help: 'Evaluations without an answer (decided by failurePolicy), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly engineRestarts = new Counter({
    name: 'driftgate_policy_engine_restarts_total',
    help: 'Evaluation workers replaced, by reason (timeout: a deadline passed; crash: it died).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly certReloadErrors = new Counter({
    name: 'driftgate_webhook_certificate_reload_errors_total',
    help: 'Certificate files read but not used (half-written, or a key that does not match); the old pair stays.',
    registers: [this.registry],
  });
  readonly ingressWatchErrors = new Counter({
    name: 'driftgate_webhook_ingress_watch_errors_total',
    help: 'Times the watch of live Ingress hosts (unique-host policy) failed and was reopened.',
    registers: [this.registry],
  });
  readonly liveIngresses = new Gauge({
    name: 'driftgate_webhook_live_ingresses',
    help: 'Live Ingresses whose hosts the unique-host policy checks against.',
    registers: [this.registry],
  });
  readonly inventoryWatchErrors = new Counter({
    name: 'driftgate_webhook_inventory_watch_errors_total',
    help: "Times a watch of a kind in Gatekeeper's data.inventory failed and was reopened.",
    registers: [this.registry],
  });
  readonly inventoryObjects = new Gauge({
    name: 'driftgate_webhook_inventory_objects',
    help: "Live cluster objects in Gatekeeper's data.inventory (bounded by inventory.maxObjects).",
    registers: [this.registry],
  });
  readonly certExpiry = new Gauge({
    name: 'driftgate_webhook_certificate_expiry_timestamp_seconds',
    help: 'When the serving certificate expires.',
    registers: [this.registry],
  });

  readonly manualChanges = new Counter({
    name: 'driftgate_manual_changes_total',
    help: 'Manual changes to Git-declared state, by source and what driftgate did (denied here).',
    labelNames: ['source', 'action'] as const,
    registers: [this.registry],
  });
  readonly breakGlassUses = new Counter({
    name: 'driftgate_break_glass_uses_total',
    help: 'Changes to Git-declared fields admitted under break-glass, by source.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly governedDenials = new Counter({
    name: 'driftgate_governed_namespace_creates_total',
    help: 'Creates of objects Git does not declare in governed namespaces, by what was done.',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  readonly indexObjects = new Gauge({
    name: 'driftgate_desired_index_objects',
    help: "Git-declared objects in the webhook's desired-state index.",
    registers: [this.registry],
  });
  readonly indexUpdated = new Gauge({
    name: 'driftgate_desired_index_last_update_timestamp_seconds',
    help: 'When the webhook last heard from the reconciler (a new index or "not modified").',
    registers: [this.registry],
  });
  readonly feedContact = new Gauge({
    name: 'driftgate_reconciler_feed_last_contact_timestamp_seconds',
    help: 'When the webhook last had an answer from the reconciler (new or "not modified"), by feed.',
    labelNames: ['feed'] as const,
    registers: [this.registry],
  });
  readonly feedErrors = new Counter({
    name: 'driftgate_desired_index_fetch_errors_total',
    help: 'Failed fetches of the desired-state index or policies from the reconciler, by feed.',
    labelNames: ['feed'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'driftgate_webhook_' });
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
