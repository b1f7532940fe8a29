import { hostContext } from '../core/ingress-hosts.js';
import type { IngressInventory } from './ingress-inventory.js';
import { loadBundle, type PolicyBundle } from '../policies/engine/bundle.js';
import { findings } from '../policies/engine/findings.js';
import { objectInput } from '../policies/engine/findings.js';
import {
  inventoryOf,
  isNeverSynced,
  MAX_INVENTORY_BYTES,
  slim,
} from '../policies/engine/gatekeeper/inventory.js';
import { groupOf } from './objects.js';
import { apiErrorMessage, type Cluster } from './cluster.js';
import { SOURCE_LABEL } from './cluster.js';
import type { ReconcilerMetrics } from './metrics.js';

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
}

/** Lay the audited objects into the bundle as data.inventory; false (and why) when it cannot. */
function auditInventory(
  bundle: PolicyBundle,
  listed: readonly { items: readonly Record<string, unknown>[] }[],
  errors: string[],
): boolean {
  const inv = inventoryOf(
    listed.flatMap((l) => l.items.map((o) => slimLive(o)).filter((o) => !neverSynced(o))),
  );
  try {
    if (JSON.stringify(inv).length > MAX_INVENTORY_BYTES)
      throw new Error('larger than the engine holds');
    bundle.setInventory(inv);
    return true;
  } catch (err) {
    errors.push(`data.inventory: ${(err as Error).message}; templates that read it saw none`);
    return false;
  }
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

/**
 * List every object of the audited kinds and evaluate it against the live policies, on an
 * instance of its own (the audit's inventory never meets the gate's) that yields to the event
 * loop between objects: health checks, watches and syncs go on while it runs.
 */
export async function runAudit(
  cluster: Cluster,
  live: PolicyBundle,
  o: AuditOptions,
): Promise<AuditReport> {
  const bundle = await loadBundle(live.built);
  const now = o.now ?? Date.now;
  const t0 = now();
  const violations: AuditViolation[] = [];
  const totals = new Map<string, { policy: string; action: string; count: number }>();
  const errors: string[] = [];
  let scanned = 0;
  await o.ingresses?.refresh();
  const inventories = o.ingresses?.forAudit() ?? [];
  // Every kind listed first: the audited objects are also Gatekeeper's data.inventory (as its
  // audit reads the synced cluster), set for one synchronous pass and cleared after it.
  const listed: { kind: string; items: Record<string, unknown>[] }[] = [];
  for (const k of o.kinds) {
    const [apiVersion, kind] = split(k);
    try {
      listed.push({ kind, items: await cluster.list(apiVersion, kind) });
    } catch (err) {
      errors.push(`${k}: ${apiErrorMessage(err)}`);
    }
  }
  if ((bundle.built.templates?.length ?? 0) > 0) auditInventory(bundle, listed, errors);
  for (const { kind, items } of listed) {
    for (const obj of items) {
      await new Promise<void>((r) => setImmediate(r));
      const meta = (obj.metadata ?? {}) as {
        name?: string;
        namespace?: string;
        labels?: Record<string, string>;
      };
      if (meta.namespace && o.skipNamespaces.has(meta.namespace)) continue;
      scanned++;
      const source = meta.labels?.[SOURCE_LABEL];
      const found = findings(
        bundle.evaluate(
          objectInput(
            obj,
            { username: o.identity },
            { managed: source !== undefined, audit: true, ...hostContext(obj, inventories) },
          ),
        ),
        obj,
      );
      for (const f of found) {
        const key = `${f.policy}|${f.action}`;
        const t = totals.get(key) ?? { policy: f.policy, action: f.action, count: 0 };
        t.count++;
        totals.set(key, t);
        if (violations.length < MAX_REPORTED)
          violations.push({
            object: `${kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? ''}`,
            ...f,
            ...(source ? { source } : {}),
          });
      }
    }
  }
  const all = [...totals.values()].sort((a, b) => a.policy.localeCompare(b.policy));
  const count = all.reduce((n, t) => n + t.count, 0);
  return {
    finishedAt: new Date(now()).toISOString(),
    durationMs: now() - t0,
    policyRevision: bundle.revision,
    objectsScanned: scanned,
    totals: all,
    violations,
    truncated: count > violations.length,
    errors,
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
