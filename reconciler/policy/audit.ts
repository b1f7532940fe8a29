import { hostContext } from '../../core/ingress-hosts.js';
import { generatedResources } from '../../policies/engine/gatekeeper/generated.js';
import type { IngressInventory } from './ingress-inventory.js';
import type { Logger } from 'pino';
import { wellFormedJson, type PolicyBundle } from '../../policies/engine/bundle.js';
import { type PolicyOutcome } from '../../policies/engine/outcome.js';
import {
  findings,
  impliedFindings,
  objectInput,
  type Finding,
} from '../../policies/engine/findings.js';
import { EvalPool } from '../../policies/engine/pool/pool.js';
import { AuditBudget } from './audit-budget.js';
import {
  inventoryOf,
  isNeverSynced,
  MAX_INVENTORY_BYTES,
  slim,
} from '../../policies/engine/gatekeeper/inventory.js';
import { groupOf } from '../model/objects.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { Cluster } from '../kube/port.js';
import { SOURCE_LABEL } from '../../core/labels.js';
import type { ReconcilerMetrics } from '../metrics.js';
import type { ReportCollector } from './policy-reports.js';

export interface AuditViolation {
  readonly object: string;
  readonly policy: string;
  readonly action: string;
  readonly message: string;
  /** The source that manages it, when Git declares it. */
  readonly source?: string;
}

/** The audit's JSON report (`GET /audit`), like Gatekeeper's audit results. */
export interface AuditReport {
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly policyRevision: string;
  readonly objectsScanned: number;
  /** Violations per policy and action (never truncated). */
  readonly totals: readonly { policy: string; action: string; count: number }[];
  /** The first MAX_REPORTED violations. */
  readonly violations: readonly AuditViolation[];
  readonly truncated: boolean;
  /** Kinds that could not be listed, and why. */
  readonly errors: readonly string[];
}

export const MAX_REPORTED = 500;

export interface AuditOptions {
  readonly kinds: readonly string[];
  readonly skipNamespaces: ReadonlySet<string>;
  readonly identity: string;
  readonly now?: () => number;
  /** What Ingress hosts are checked against (refreshed before the audit). */
  readonly ingresses?: IngressInventory;
  /** Deadline of one object's evaluation; past it the worker is replaced. @default 2000 */
  readonly evaluationTimeoutMs?: number;
  /** What each tenant's policies may cost one run beyond the platform's (AuditBudget). */
  readonly tenantBudgetMs?: number;
  readonly logger: Logger;
  /** Gathers the results as PolicyReports (written by the caller). */
  readonly reports?: ReportCollector;
}

export const AUDIT_DEFAULTS = { evaluationTimeoutMs: 2000, tenantBudgetMs: 30_000 } as const;
/** Errors kept in a report; the rest are counted. */
const MAX_ERRORS = 100;

/** Lay the audited objects into the bundle as data.inventory; false (and why) when it cannot. */
function auditInventory(
  pool: EvalPool,
  listed: readonly { items: readonly Record<string, unknown>[] }[],
  errors: string[],
): void {
  const inv = inventoryOf(
    listed.flatMap((l) => l.items.map((o) => slimLive(o)).filter((o) => !neverSynced(o))),
  );
  const json = new TextEncoder().encode(JSON.stringify(inv));
  if (json.length > MAX_INVENTORY_BYTES)
    errors.push('data.inventory: larger than the engine holds; templates that read it saw none');
  else pool.setInventory(json);
}

const neverSynced = (o: Record<string, unknown>): boolean =>
  isNeverSynced({ group: groupOf(String(o.apiVersion)), kind: String(o.kind) });

/** An object as the inventory keeps it (without managedFields), with its own kind. */
const slimLive = (o: Record<string, unknown>): Record<string, unknown> => {
  const apiVersion = String(o.apiVersion ?? '');
  const slash = apiVersion.lastIndexOf('/');
  return slim(o, {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
    kind: String(o.kind ?? ''),
  });
};

const split = (k: string): [string, string] => {
  const i = k.lastIndexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
};

/** Judges one object at a time in a worker of its own, within the deadline and the budget. */
class Judge {
  /** Why the last object could not be judged. */
  lastError = '';
  constructor(
    private readonly pool: EvalPool,
    private readonly budget: AuditBudget,
    private readonly o: AuditOptions,
    private readonly errors: string[],
  ) {}

  /** The object's outcomes, or undefined (and why, in errors) when it could not be judged. */
  async outcomes(
    obj: Record<string, unknown>,
    name: string,
    driftgate: Record<string, unknown>,
  ): Promise<PolicyOutcome[] | undefined> {
    const ns = (obj.metadata as { namespace?: string } | undefined)?.namespace;
    for (;;) {
      const skip = this.budget.skip(ns);
      const input = objectInput(
        obj,
        { username: this.o.identity },
        skip.length > 0
          ? { ...driftgate, skip_tenants: Object.fromEntries(skip.map((t) => [t, true])) }
          : driftgate,
      );
      const t0 = performance.now();
      // The audit waits for a worker; only the evaluation itself has the deadline.
      const answer = await this.pool.evaluate(wellFormedJson(input), { background: true });
      const timedOut = answer.kind === 'timeout';
      const newly = this.budget.charge(ns, performance.now() - t0, timedOut, name);
      if (answer.kind === 'ok') return answer.outcomes;
      // Missed the deadline with a tenant's policies in: judge it again without them.
      if (timedOut && newly.length > 0) continue;
      this.lastError = timedOut
        ? `its evaluation exceeded the ${this.o.evaluationTimeoutMs ?? AUDIT_DEFAULTS.evaluationTimeoutMs} ms deadline`
        : answer.kind === 'overloaded'
          ? 'the evaluation worker is busy'
          : answer.reason;
      this.errors.push(`${name}: not audited: ${this.lastError}`);
      return undefined;
    }
  }
}

/** List every audited kind; what could not be listed goes to errors. */
async function listAll(
  cluster: Cluster,
  kinds: readonly string[],
  errors: string[],
): Promise<{ kind: string; items: Record<string, unknown>[] }[]> {
  const listed: { kind: string; items: Record<string, unknown>[] }[] = [];
  for (const k of kinds) {
    const [apiVersion, kind] = split(k);
    try {
      listed.push({ kind, items: await cluster.list(apiVersion, kind) });
    } catch (err) {
      errors.push(`${k}: ${apiErrorMessage(err)}`);
    }
  }
  return listed;
}

/**
 * List every object of the audited kinds and evaluate it against the live policies in a worker
 * thread of the audit's own (its inventory never meets the gate's; a runaway evaluation stalls
 * neither health checks, watches nor syncs): each object within a deadline, each tenant's
 * policies within a budget (AuditBudget).
 */
export async function runAudit(
  cluster: Cluster,
  live: PolicyBundle,
  o: AuditOptions,
): Promise<AuditReport> {
  const deadline = o.evaluationTimeoutMs ?? AUDIT_DEFAULTS.evaluationTimeoutMs;
  const pool = new EvalPool({
    size: 1,
    timeoutMs: deadline,
    maxQueue: 1,
    heapMb: 64,
    logger: o.logger,
  });
  try {
    return await audit(cluster, live, o, pool);
  } finally {
    await pool.close();
  }
}

async function audit(
  cluster: Cluster,
  live: PolicyBundle,
  o: AuditOptions,
  pool: EvalPool,
): Promise<AuditReport> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const violations: AuditViolation[] = [];
  const totals = new Map<string, { policy: string; action: string; count: number }>();
  const errors: string[] = [];
  let scanned = 0;
  await o.ingresses?.refresh();
  const inventories = o.ingresses?.forAudit() ?? [];
  // Every kind listed first: the audited objects are also Gatekeeper's data.inventory (as its
  // audit reads the synced cluster).
  const listed = await listAll(cluster, o.kinds, errors);
  // A kind not listed: its reports cannot be renewed, so none is deleted as clean.
  if (o.reports && listed.length < o.kinds.length) o.reports.complete = false;
  if ((live.built.templates?.length ?? 0) > 0) auditInventory(pool, listed, errors);
  await pool.load(live);
  const budget = new AuditBudget(
    live.policies,
    o.tenantBudgetMs ?? AUDIT_DEFAULTS.tenantBudgetMs,
    o.evaluationTimeoutMs ?? AUDIT_DEFAULTS.evaluationTimeoutMs,
  );
  const judge = new Judge(pool, budget, o, errors);
  for (const { kind, items } of listed) {
    for (const obj of items) {
      const meta = (obj.metadata ?? {}) as {
        name?: string;
        namespace?: string;
        labels?: Record<string, string>;
      };
      if (meta.namespace && o.skipNamespaces.has(meta.namespace)) continue;
      scanned++;
      const source = meta.labels?.[SOURCE_LABEL];
      const name = `${kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? ''}`;
      const context = (o: Record<string, unknown>) => ({
        managed: source !== undefined,
        audit: true,
        ...hostContext(o, inventories),
      });
      const outcomes = await judge.outcomes(obj, name, context(obj));
      const unjudged = outcomes ? [] : [judge.lastError];
      // A workload is also judged as what it creates (Gatekeeper's ExpansionTemplates).
      const implied: Finding[] = [];
      for (const e of generatedResources(obj, live.built)) {
        const got = await judge.outcomes(e.object, `${name} (${e.template})`, context(e.object));
        if (got) implied.push(...impliedFindings(got, e));
        else unjudged.push(`as ${e.template}: ${judge.lastError}`);
      }
      const found = [...(outcomes ? findings(outcomes, obj) : []), ...implied];
      // Passed only when judged in full; an object not judged is an error in its report.
      if (found.length > 0 || unjudged.length === 0) o.reports?.add(obj, found, source);
      for (const why of unjudged) o.reports?.unjudged(obj, why, source);
      for (const f of found) {
        const key = `${f.policy}|${f.action}`;
        const t = totals.get(key) ?? { policy: f.policy, action: f.action, count: 0 };
        t.count++;
        totals.set(key, t);
        if (violations.length < MAX_REPORTED)
          violations.push({ object: name, ...f, ...(source ? { source } : {}) });
      }
    }
  }
  const all = [...totals.values()].sort((a, b) => a.policy.localeCompare(b.policy));
  const count = all.reduce((n, t) => n + t.count, 0);
  const problems = [...budget.report(), ...errors];
  return {
    finishedAt: new Date(now()).toISOString(),
    durationMs: now() - t0,
    policyRevision: live.revision,
    objectsScanned: scanned,
    totals: all,
    violations,
    truncated: count > violations.length,
    errors:
      problems.length > MAX_ERRORS
        ? [...problems.slice(0, MAX_ERRORS), `… and ${problems.length - MAX_ERRORS} more`]
        : problems,
  };
}

/** The audit's metrics: every live policy's series (0 when clean), the last run and its length. */
export function publishAudit(
  m: ReconcilerMetrics,
  bundle: { readonly policies: readonly { readonly id: string }[] },
  report: AuditReport,
): void {
  m.auditViolations.reset();
  for (const p of bundle.policies)
    for (const action of ['enforce', 'warn', 'dryrun'])
      m.auditViolations.set({ policy: p.id, action }, 0);
  for (const t of report.totals)
    m.auditViolations.set({ policy: t.policy, action: t.action }, t.count);
  m.auditLastRun.set(Date.parse(report.finishedAt) / 1000);
  m.auditDuration.set(report.durationMs / 1000);
}
