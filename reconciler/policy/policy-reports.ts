// Policy results as wgpolicyk8s.io/v1alpha2 PolicyReports (one per namespace) and one
// ClusterPolicyReport for cluster-scoped objects, as Kyverno and the Policy Reporter UI read them:
// the audit's (named driftgate-audit) and each GitSource's pre-apply gate's (driftgate-gate-<source>).
// Bounded: at most MAX_RESULTS results per report (the summary still counts all) and each message
// at most MAX_MESSAGE characters. Pure.
import type { Finding } from '../../policies/engine/findings.js';
import type { K8sObject } from '../model/objects.js';

export const POLICY_REPORT_API = 'wgpolicyk8s.io/v1alpha2';
export const REPORT_NAME = 'driftgate-audit';
export const MAX_RESULTS = 200;
export const MAX_MESSAGE = 1024;
export const REPORT_LABELS = { 'app.kubernetes.io/managed-by': 'driftgate' } as const;
export const SECRET_MESSAGE = '(message withheld: the object is a Secret)';

interface Result {
  readonly policy: string;
  readonly result: 'fail' | 'warn' | 'error';
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
  error: number;
}

/** What a collector's reports are called and carry beyond the defaults. */
export interface ReportKind {
  /** metadata.name of every report. @default driftgate-audit */
  readonly name?: string;
  /** Labels beside REPORT_LABELS (a gate report's source). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Properties of every result (the stage: audit or gate). */
  readonly properties?: Readonly<Record<string, string>>;
}

/** What to write: the reports, their common name, and whether the others of that name go. */
export interface ReportSet {
  readonly name: string;
  readonly reports: readonly K8sObject[];
  /** False: delete nothing (the results are partial). */
  readonly prune: boolean;
}

/** The result's message, at most MAX_MESSAGE characters. */
const bounded = (m: string): string =>
  m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE - 1)}…` : m;

/** What an object is, for a result's resources[0]. */
export interface AuditedObject {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: { name?: unknown; namespace?: unknown; uid?: unknown };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Gathers policy results per namespace ('' for cluster-scoped objects). */
export class ReportCollector {
  readonly #by = new Map<string, Tally>();
  /** False once part of the cluster could not be read: no report is then deleted. */
  complete = true;
  constructor(
    private readonly at: Date,
    private readonly kind: ReportKind = {},
  ) {}

  get name(): string {
    return this.kind.name ?? REPORT_NAME;
  }

  #tally(obj: AuditedObject): Tally {
    const ns = str(obj.metadata?.namespace);
    const t = this.#by.get(ns) ?? { results: [], pass: 0, fail: 0, warn: 0, error: 0 };
    this.#by.set(ns, t);
    return t;
  }

  #push(t: Tally, obj: AuditedObject, r: Omit<Result, 'source' | 'timestamp' | 'resources'>) {
    t[r.result]++;
    if (t.results.length >= MAX_RESULTS) return;
    const ms = this.at.getTime();
    const resource = Object.fromEntries(
      Object.entries({
        apiVersion: str(obj.apiVersion),
        kind: str(obj.kind),
        namespace: str(obj.metadata?.namespace),
        name: str(obj.metadata?.name),
        uid: str(obj.metadata?.uid),
      }).filter(([, v]) => v !== ''),
    );
    t.results.push({
      ...r,
      // A namespace's viewers read its reports but not its Secrets: a policy's message may quote
      // what it found, so on a Secret only the policy and the outcome are told.
      message: str(obj.kind) === 'Secret' ? SECRET_MESSAGE : bounded(r.message),
      source: 'driftgate',
      timestamp: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 },
      properties: { ...this.kind.properties, ...r.properties },
      resources: [resource],
    });
  }

  /** One judged object and what the policies found on it (none: it passed). */
  add(obj: AuditedObject, found: readonly Finding[], source?: string): void {
    const t = this.#tally(obj);
    if (found.length === 0) {
      t.pass++;
      return;
    }
    for (const f of found)
      this.#push(t, obj, {
        policy: f.policy,
        result: f.action === 'enforce' ? 'fail' : 'warn',
        message: f.message,
        properties: { action: f.action, ...(source ? { gitSource: source } : {}) },
      });
  }

  /** An object that could not be judged (its evaluation failed or ran out of time): an error. */
  unjudged(obj: AuditedObject, reason: string, source?: string): void {
    this.#push(this.#tally(obj), obj, {
      policy: 'driftgate',
      result: 'error',
      message: `not judged: ${reason}`,
      properties: source ? { gitSource: source } : {},
    });
  }

  /** What the writer takes: the reports, and whether the stale ones of this name go. */
  set(): ReportSet {
    return { name: this.name, reports: this.reports(), prune: this.complete };
  }

  /** The reports to apply: one per namespace with a finding or an error, and the cluster's. */
  reports(): K8sObject[] {
    const labels = { ...this.kind.labels, ...REPORT_LABELS };
    return [...this.#by.entries()]
      .filter(([, t]) => t.fail + t.warn + t.error > 0)
      .map(([ns, t]) => ({
        apiVersion: POLICY_REPORT_API,
        kind: ns ? 'PolicyReport' : 'ClusterPolicyReport',
        metadata: { name: this.name, ...(ns ? { namespace: ns } : {}), labels },
        summary: { pass: t.pass, fail: t.fail, warn: t.warn, error: t.error, skip: 0 },
        results: t.results,
      }));
  }
}
