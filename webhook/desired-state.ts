import {
  resourceKey,
  type DesiredIndexDoc,
  type IndexEntry,
  type IndexSource,
} from '../core/desired-index.js';

/** A Git-declared object and the source (repo, commit) that declares it. */
export interface Declared {
  readonly entry: IndexEntry;
  readonly source: Pick<IndexSource, 'name' | 'repoURL' | 'revision'>;
}

/**
 * The webhook's copy of the desired-state index: one Map lookup per request. Replaced whole
 * when a new generation arrives, so a request sees one generation, never a mix.
 */
export class DesiredState {
  #byKey = new Map<string, Declared>();
  #generation: string | undefined;

  get generation(): string | undefined {
    return this.#generation;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Swap in a new index. Entries without a resource name cannot be looked up and are skipped. */
  load(doc: DesiredIndexDoc): void {
    const next = new Map<string, Declared>();
    for (const s of doc.sources) {
      const source = { name: s.name, repoURL: s.repoURL, revision: s.revision };
      for (const entry of s.entries)
        if (entry.resource)
          next.set(resourceKey(entry.group, entry.resource, entry.namespace, entry.name), {
            entry,
            source,
          });
    }
    this.#byKey = next;
    this.#generation = doc.generation;
  }

  find(
    group: string,
    resource: string,
    namespace: string | undefined,
    name: string,
  ): Declared | undefined {
    return this.#byKey.get(resourceKey(group, resource, namespace || undefined, name));
  }
}
