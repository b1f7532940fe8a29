// Writes a collector's PolicyReports (server-side apply: updated in place) and deletes driftgate's
// reports of that name in namespaces that no longer have a finding, unless the collector saw only
// part of the cluster (a report it could not renew is kept, not deleted as clean). Nothing is
// written where the cluster does not serve the wgpolicyk8s.io API (the chart installs it unless
// another tool did).
import type { Cluster } from '../kube/port.js';
import { apiErrorMessage } from '../kube/errors.js';
import { POLICY_REPORT_API, REPORT_LABELS, type ReportSet } from './policy-reports.js';

export interface ReportsWritten {
  readonly written: number;
  readonly deleted: number;
  /** What failed; empty when all went well. */
  readonly errors: readonly string[];
  /** Set when the cluster does not serve the API: nothing was tried. */
  readonly skipped?: string;
}

const key = (kind: string, namespace?: string) => `${kind}/${namespace ?? ''}`;

export async function writePolicyReports(
  cluster: Cluster,
  set: ReportSet,
): Promise<ReportsWritten> {
  const { reports } = set;
  if (!(await cluster.served(POLICY_REPORT_API, 'PolicyReport').catch(() => false)))
    return { written: 0, deleted: 0, errors: [], skipped: `${POLICY_REPORT_API} is not served` };
  const errors: string[] = [];
  let written = 0;
  let deleted = 0;
  const keep = new Set<string>();
  for (const r of reports) {
    keep.add(key(r.kind, r.metadata.namespace));
    try {
      await cluster.apply(r);
      written++;
    } catch (err) {
      errors.push(`${r.kind} ${r.metadata.namespace ?? ''}: ${apiErrorMessage(err)}`);
    }
  }
  if (!set.prune) return { written, deleted, errors };
  for (const kind of ['PolicyReport', 'ClusterPolicyReport']) {
    let live: Record<string, unknown>[];
    try {
      live = await cluster.list(POLICY_REPORT_API, kind);
    } catch (err) {
      errors.push(`listing ${kind}: ${apiErrorMessage(err)}`);
      continue;
    }
    for (const l of live) {
      const m = (l.metadata ?? {}) as {
        name?: string;
        namespace?: string;
        labels?: Record<string, string>;
      };
      const ours = Object.entries(REPORT_LABELS).every(([k, v]) => m.labels?.[k] === v);
      if (m.name !== set.name || !ours || keep.has(key(kind, m.namespace))) continue;
      try {
        await cluster.delete({
          apiVersion: POLICY_REPORT_API,
          kind,
          name: set.name,
          ...(m.namespace ? { namespace: m.namespace } : {}),
        });
        deleted++;
      } catch (err) {
        errors.push(`deleting ${kind} ${m.namespace ?? ''}: ${apiErrorMessage(err)}`);
      }
    }
  }
  return { written, deleted, errors };
}
