import type { K8sObject, ObjectRef } from '../model/objects.js';
import type { ClusterCapabilities } from '../render/render.js';

type Live = Record<string, unknown>;

/** What the reconciler needs from the cluster; the real one is below, tests may inject another. */
export interface Scope {
  readonly namespaced: boolean;
  readonly resource: string;
}

export interface Cluster {
  get(ref: ObjectRef): Promise<Live | undefined>;
  /** Server-side apply under the `driftgate` field manager, forcing conflicts. */
  apply(obj: K8sObject, opts?: { dryRun?: boolean }): Promise<Live>;
  /** Create (a hook, possibly with metadata.generateName): the object as stored, name included. */
  create(obj: K8sObject): Promise<Live>;
  /**
   * Delete in the background (absent: not an error). Resolves with the object while finalizers
   * still hold it (it carries a deletionTimestamp), undefined when it is gone.
   */
  delete(ref: ObjectRef): Promise<Live | undefined>;
  /** The server's version and API group/versions (cached for a minute). */
  capabilities(): Promise<ClusterCapabilities>;
  /** Discovery: whether the kind is namespaced and its resource (plural) name. */
  scopeOf(apiVersion: string, kind: string): Promise<Scope>;
  /** Whether the cluster serves the kind now (discovery asked again for a kind it lacked). */
  served(apiVersion: string, kind: string): Promise<boolean>;
  /** Remove annotations with a merge patch (fields another manager owns, e.g. break-glass). */
  removeAnnotations(ref: ObjectRef, keys: readonly string[]): Promise<void>;
  /** Remove one finalizer (absent object or finalizer: nothing to do). */
  removeFinalizer(ref: ObjectRef, finalizer: string): Promise<void>;
  /** Every object of a kind in the cluster (or in one namespace), in pages. */
  list(apiVersion: string, kind: string, namespace?: string): Promise<Live[]>;
  ensureNamespace(name: string): Promise<void>;
  readInventory(namespace: string, source: string): Promise<ObjectRef[]>;
  writeInventory(namespace: string, source: string, refs: readonly ObjectRef[]): Promise<void>;
  /** The entries a source last guarded (its index entries, kept across restarts), if recorded. */
  readGuard(namespace: string, source: string): Promise<unknown>;
  /** Record them (gzip in a ConfigMap in driftgate's namespace); false when too large to keep. */
  writeGuard(namespace: string, source: string, doc: unknown): Promise<boolean>;
  /** The revision last applied in full, as recorded on the inventory (undefined: none). */
  appliedRevision(namespace: string, source: string): Promise<string | undefined>;
  recordAppliedRevision(namespace: string, source: string, revision: string): Promise<void>;
  /** Whether the source was suspended through the control route (undefined: never said). */
  suspendedNote(namespace: string, source: string): Promise<boolean | undefined>;
  recordSuspended(namespace: string, source: string, suspended: boolean): Promise<void>;
  event(
    ref: ObjectRef & { readonly uid?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    namespace: string,
  ): Promise<void>;
}
