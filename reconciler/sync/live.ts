import type { Cluster } from '../kube/port.js';
import { refKey, refOf, type ObjectRef } from '../model/objects.js';
import type { Rendered } from '../model/objects.js';

type Live = Record<string, unknown>;

/** New objects of one kind and namespace from which one LIST beats a GET each. */
export const LIST_THRESHOLD = 20;

/**
 * Read the live state of declared objects: one LIST per kind and namespace where at least
 * LIST_THRESHOLD objects are not in `known` (a first sync), a GET for the rest, on demand.
 */
export class LiveReader {
  #listed = new Map<string, Live | null>();
  constructor(private readonly cluster: Cluster) {}

  /**
   * LIST the groups of `desired` with many objects outside `known`, of kinds the cluster serves
   * now. Throws API errors.
   */
  async prefetch(desired: readonly Rendered[], known: ReadonlySet<string>): Promise<void> {
    const groups = new Map<string, ObjectRef[]>();
    for (const r of desired) {
      const ref = refOf(r.object);
      if (known.has(refKey(ref))) continue;
      const g = `${ref.apiVersion}\n${ref.kind}\n${ref.namespace ?? ''}`;
      const list = groups.get(g);
      if (list) list.push(ref);
      else groups.set(g, [ref]);
    }
    for (const refs of groups.values()) {
      const first = refs[0] as ObjectRef;
      if (refs.length < LIST_THRESHOLD) continue;
      // A kind whose CRD is in this same sync is not served yet: never LIST it (GETs come later).
      if (!(await this.cluster.served(first.apiVersion, first.kind))) continue;
      const live = await this.cluster.list(first.apiVersion, first.kind, first.namespace);
      const byName = new Map(live.map((o) => [(o.metadata as { name?: string })?.name, o]));
      for (const ref of refs) this.#listed.set(refKey(ref), byName.get(ref.name) ?? null);
    }
  }

  /** The live object (undefined: absent). Throws API errors. */
  async get(ref: ObjectRef): Promise<Live | undefined> {
    const listed = this.#listed.get(refKey(ref));
    if (listed !== undefined) return listed ?? undefined;
    return this.cluster.get(ref);
  }
}
