// A GitSource's pre-apply gate results as PolicyReports: per namespace of its declared objects,
// one named driftgate-gate-<source> (a ClusterPolicyReport for cluster-scoped objects), labelled
// with the source. Written as the reconciler (never as a tenant's ServiceAccount), only when the
// results changed, and deleted where the source no longer has a finding (or when it is removed).
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Cluster } from '../kube/port.js';
import { Action, type ObjectPlan } from './plan.js';
import { writePolicyReports } from '../policy/policy-report-writer.js';
import { ReportCollector } from '../policy/policy-reports.js';

export const GATE_SOURCE_LABEL = 'driftgate.io/gitsource';

/** The reports' name: a DNS subdomain whatever the source is called (a label value). */
export function gateReportName(source: string): string {
  const safe = source.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  const suffix =
    safe === source ? '' : `-${createHash('sha256').update(source).digest('hex').slice(0, 8)}`;
  return `driftgate-gate-${safe}${suffix}`;
}

/** One source's gate reports; remembers what it last wrote so resyncs write nothing. */
export class GateReports {
  #written = '';

  constructor(
    private readonly cluster: Cluster,
    private readonly source: string,
    private readonly log: Logger,
  ) {}

  #collector(at: Date): ReportCollector {
    return new ReportCollector(at, {
      name: gateReportName(this.source),
      labels: { [GATE_SOURCE_LABEL]: this.source },
    });
  }

  /**
   * Report the gate's findings on every planned object of this source's revision. `complete`
   * false (the sync stopped before every object was planned): write, delete nothing.
   */
  async publish(
    plans: readonly Pick<ObjectPlan, 'ref' | 'action' | 'findings'>[],
    complete: boolean,
  ): Promise<void> {
    const c = this.#collector(new Date());
    for (const p of plans) {
      if (p.action === Action.foreign) continue;
      const { apiVersion, kind, name, namespace } = p.ref;
      const obj = { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
      c.add(
        obj,
        p.findings.filter((f) => f.action !== 'dryrun'),
        this.source,
      );
    }
    c.complete = complete;
    const set = c.set();
    // What changed, timestamps aside: the same results are not written again.
    const key = JSON.stringify([complete, set.reports.map((r) => ({ ...r, results: untimed(r) }))]);
    if (key === this.#written) return;
    const w = await writePolicyReports(this.cluster, set);
    if (w.errors.length > 0)
      this.log.warn({ errors: w.errors.slice(0, 5) }, 'gate policy reports not all written');
    else this.#written = key;
  }

  /** The source is gone: so are its reports. */
  async remove(): Promise<void> {
    const set = this.#collector(new Date()).set();
    const w = await writePolicyReports(this.cluster, set);
    if (w.errors.length > 0)
      this.log.warn({ errors: w.errors.slice(0, 5) }, 'gate policy reports not all deleted');
    this.#written = '';
  }
}

const untimed = (r: object): unknown =>
  ((r as { results?: Record<string, unknown>[] }).results ?? []).map(
    ({ timestamp: _t, ...rest }) => rest,
  );
