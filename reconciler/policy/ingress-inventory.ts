import type { Logger } from 'pino';
import type { DesiredIndexDoc } from '../../core/desired-index.js';
import { ingressRef, refOfIngress, type IngressRef } from '../../core/ingress-hosts.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { Cluster } from '../kube/port.js';

/**
 * The Ingresses an Ingress's hosts are checked against by the pre-apply gate (every source's
 * desired state, from the index, and the live cluster) and the audit (the live cluster). Live
 * ones are listed on refresh; the last good list stays when a list fails.
 */
export class IngressInventory {
  #live: IngressRef[] = [];
  #byGeneration:
    | { readonly generation: string; readonly refs: readonly { by: string; ref: IngressRef }[] }
    | undefined;
  #version = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly desired: () => DesiredIndexDoc | undefined,
    private readonly log: Logger,
  ) {}

  /** Changes whenever a refresh found different live Ingresses (a memo key). */
  get version(): number {
    return this.#version;
  }

  /** List the live Ingresses now. Never throws: a failed list is logged, the last one stays. */
  async refresh(): Promise<void> {
    try {
      const items = await this.cluster.list('networking.k8s.io/v1', 'Ingress');
      const next = items.flatMap((o) => refOfIngress(o) ?? []);
      if (JSON.stringify(next) !== JSON.stringify(this.#live)) this.#version++;
      this.#live = next;
    } catch (err) {
      this.log.warn({ reason: apiErrorMessage(err) }, 'ingress list failed; the last one stays');
    }
  }

  /**
   * For the gate of `source`: the other sources' desired Ingresses, the source's own desired
   * ones now (`own`, from the revision being applied), and the live ones it did not apply
   * (those it did are about to become what it declares).
   */
  forSource(source: string, own: readonly IngressRef[]): Iterable<IngressRef>[] {
    const others = this.#declared()
      .filter((d) => d.by !== source)
      .map((d) => d.ref);
    return [others, own, this.#live.filter((i) => i.source !== source)];
  }

  // The Ingresses the index declares, read once per index generation (the gate asks per object).
  #declared(): readonly { readonly by: string; readonly ref: IngressRef }[] {
    const doc = this.desired();
    if (!doc) return [];
    if (this.#byGeneration?.generation !== doc.generation)
      this.#byGeneration = {
        generation: doc.generation,
        refs: doc.sources.flatMap((s) =>
          s.entries.flatMap((e) => {
            const ref = ingressRef(e.declared);
            return ref ? [{ by: s.name, ref }] : [];
          }),
        ),
      };
    return this.#byGeneration.refs;
  }

  /**
   * For the audit: the live Ingresses. The audit judges what exists; a declared Ingress the gate
   * held back routes nothing, so it is no rival of a live one.
   */
  forAudit(): Iterable<IngressRef>[] {
    return [this.#live];
  }
}
