import {
  resourceKey,
  type DesiredIndexDoc,
  type IndexEntry,
  type IndexSource,
} from '../core/desired-index.js';
import { ingressRef, type IngressRef } from '../core/ingress-hosts.js';

/** A Git-declared object and the source (repo, commit) that declares it. */
export interface Declared {
  readonly entry: IndexEntry;
  readonly source: Pick<IndexSource, 'name' | 'repoURL' | 'revision' | 'applier'>;
}

/** What is kept per object: the declared object as JSON text (a third of the parsed size). */
interface Stored {
  readonly meta: Omit<IndexEntry, 'declared'>;
  readonly json: string;
  readonly source: Declared['source'];
}

/**
 * The webhook's copy of the desired-state index: one Map lookup per request. Replaced whole
 * when a new generation arrives, so a request sees one generation, never a mix.
 */
export class DesiredState {
  #byKey = new Map<string, Stored>();
  #generation: string | undefined;
  #ingresses: IngressRef[] = [];

  /** The Ingresses Git declares (hosts only), for the unique-host policy. */
  get ingresses(): readonly IngressRef[] {
    return this.#ingresses;
  }

  get generation(): string | undefined {
    return this.#generation;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /**
   * Swap in a new index. Entries without a resource name cannot be looked up and are skipped. A
   * source the reconciler lists as pending (not known yet since it started) keeps the entries
   * this copy had for it, so a reconciler restart or a slow first sync drops no guard.
   */
  load(doc: DesiredIndexDoc): void {
    const next = new Map<string, Stored>();
    const ingresses: IngressRef[] = [];
    const pending = new Set(doc.pending ?? []);
    for (const s of doc.sources) pending.delete(s.name);
    if (pending.size > 0)
      for (const [k, s] of this.#byKey) if (pending.has(s.source.name)) next.set(k, s);
    for (const ingress of this.#ingresses)
      if (ingress.source !== undefined && pending.has(ingress.source)) ingresses.push(ingress);
    for (const s of doc.sources) {
      const source = {
        name: s.name,
        repoURL: s.repoURL,
        revision: s.revision,
        ...(s.applier ? { applier: s.applier } : {}),
      };
      for (const { declared, ...meta } of s.entries) {
        const ingress = ingressRef(declared);
        if (ingress) ingresses.push(ingress);
        if (meta.resource)
          next.set(resourceKey(meta.group, meta.resource, meta.namespace, meta.name), {
            meta,
            json: JSON.stringify(declared),
            source,
          });
      }
    }
    this.#byKey = next;
    this.#ingresses = ingresses;
    this.#generation = doc.generation;
  }

  find(
    group: string,
    resource: string,
    namespace: string | undefined,
    name: string,
  ): Declared | undefined {
    const s = this.#byKey.get(resourceKey(group, resource, namespace || undefined, name));
    if (!s) return undefined;
    const declared = JSON.parse(s.json) as Record<string, unknown>;
    return { entry: { ...s.meta, declared }, source: s.source };
  }

  /** The declared objects of these kinds (`group/kind`), for Gatekeeper's inventory. */
  *declaredOf(kinds: ReadonlySet<string>): Iterable<Record<string, unknown>> {
    for (const s of this.#byKey.values())
      if (kinds.has(`${s.meta.group}/${s.meta.kind}`))
        yield JSON.parse(s.json) as Record<string, unknown>;
  }
}
