import type { Cluster } from './port.js';

/**
 * A source's cluster when it targets a remote one (a GitSource's kubeconfig Secret): every
 * object it reads, applies, prunes or watches is the remote cluster's; its bookkeeping (the
 * inventory, the guard, the applied revision, the suspension note) and the Events about the
 * source stay in driftgate's namespace at `home`, beside its GitSource, so a spoke needs no
 * driftgate namespace and a hub keeps each source's record when a spoke is away. Events about
 * one applied object (a break-glass expired) go where the object is.
 */
export function onRemote(home: Cluster, remote: Cluster, homeNamespace: string): Cluster {
  const isHome = (ref: { apiVersion: string; namespace?: string }): boolean =>
    ref.apiVersion.startsWith('driftgate.io/') || ref.namespace === homeNamespace;
  return {
    get: (ref) => remote.get(ref),
    apply: (obj, opts) => remote.apply(obj, opts),
    create: (obj) => remote.create(obj),
    delete: (ref) => remote.delete(ref),
    capabilities: () => remote.capabilities(),
    scopeOf: (apiVersion, kind) => remote.scopeOf(apiVersion, kind),
    served: (apiVersion, kind) => remote.served(apiVersion, kind),
    removeAnnotations: (ref, keys) => remote.removeAnnotations(ref, keys),
    removeFinalizer: (ref, finalizer) => remote.removeFinalizer(ref, finalizer),
    list: (apiVersion, kind, namespace) => remote.list(apiVersion, kind, namespace),
    ensureNamespace: (name) => remote.ensureNamespace(name),
    readInventory: (ns, source) => home.readInventory(ns, source),
    writeInventory: (ns, source, refs) => home.writeInventory(ns, source, refs),
    readGuard: (ns, source) => home.readGuard(ns, source),
    writeGuard: (ns, source, doc) => home.writeGuard(ns, source, doc),
    appliedRevision: (ns, source) => home.appliedRevision(ns, source),
    recordAppliedRevision: (ns, source, rev) => home.recordAppliedRevision(ns, source, rev),
    suspendedNote: (ns, source) => home.suspendedNote(ns, source),
    recordSuspended: (ns, source, on) => home.recordSuspended(ns, source, on),
    event: (ref, type, reason, message, namespace) =>
      (isHome(ref) ? home : remote).event(ref, type, reason, message, namespace),
  };
}
