// The audit's results as wgpolicyk8s.io/v1alpha2 PolicyReports (one per namespace, named
// driftgate-audit) and one ClusterPolicyReport for cluster-scoped objects, as Kyverno and the
// Policy Reporter UI read them. Bounded: at most MAX_RESULTS results per report (the summary
// still counts all) and each message at most MAX_MESSAGE characters. Pure.
import type { Finding } from '../../policies/engine/findings.js';
import type { K8sObject } from '../model/objects.js';

export const POLICY_REPORT_API = 'wgpolicyk8s.io/v1alpha2';
export const REPORT_NAME = 'driftgate-audit';
export const MAX_RESULTS = 200;
export const MAX_MESSAGE = 1024;
export const REPORT_LABELS = { 'app.kubernetes.io/managed-by': 'driftgate' } as const;

interface Result {
  readonly policy: string;
  readonly result: 'fail' | 'warn';
  readonly message: string;
  readonly source: 'driftgate';
  readonly timestamp: { seconds: number; nanos: number };
  readonly properties: Record<string, string>;
  readonly resources: readonly Record<string, string>[];
}

interface Tally {
  results: Result[];
  pass: number;
  fail: number;
  warn: number;
}

/** What an object is, for a result's resources[0]. */
export interface AuditedObject {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: { name?: unknown; namespace?: unknown; uid?: unknown };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Gathers the audit's findings per namespace ('' for cluster-scoped objects). */
export class ReportCollector {
  readonly #by = new Map<string, Tally>();
  constructor(private readonly at: Date) {}

  /** One scanned object and what the policies found on it (none: it passed). */
  add(obj: AuditedObject, found: readonly Finding[], source?: string): void {
    const ns = str(obj.metadata?.namespace);
    const t = this.#by.get(ns) ?? { results: [], pass: 0, fail: 0, warn: 0 };
    this.#by.set(ns, t);
    if (found.length === 0) {
      t.pass++;
      return;
    }
    const resource = Object.fromEntries(
      Object.entries({
        apiVersion: str(obj.apiVersion),
        kind: str(obj.kind),
        namespace: ns,
        name: str(obj.metadata?.name),
        uid: str(obj.metadata?.uid),
      }).filter(([, v]) => v !== ''),
    );
    for (const f of found) {
      const result = f.action === 'enforce' ? 'fail' : 'warn';
      t[result]++;
      if (t.results.length >= MAX_RESULTS) continue;
      const ms = this.at.getTime();
      t.results.push({
        policy: f.policy,
        result,
        message:
          f.message.length > MAX_MESSAGE ? `${f.message.slice(0, MAX_MESSAGE - 1)}…` : f.message,
        source: 'driftgate',
        timestamp: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 },
        properties: { action: f.action, ...(source ? { gitSource: source } : {}) },
        resources: [resource],
      });
    }
  }

  /** The reports to apply: one per namespace with a finding, and the cluster's. */
  reports(): K8sObject[] {
    return [...this.#by.entries()]
      .filter(([, t]) => t.fail + t.warn > 0)
      .map(([ns, t]) => ({
        apiVersion: POLICY_REPORT_API,
        kind: ns ? 'PolicyReport' : 'ClusterPolicyReport',
        metadata: { name: REPORT_NAME, ...(ns ? { namespace: ns } : {}), labels: REPORT_LABELS },
        summary: { pass: t.pass, fail: t.fail, warn: t.warn, error: 0, skip: 0 },
        results: t.results,
      }));
  }
}
