import type { Cluster } from './port.js';

/**
 * A cluster whose writes go as another identity (a GitSource's ServiceAccount, impersonated)
 * while reads, inventories, the applied revision and events stay the reconciler's: the tenant's
 * RBAC decides what is created, changed or deleted, and driftgate's own bookkeeping in its
 * namespace needs no grant from the tenant.
 */
export function writesAs(base: Cluster, writer: Cluster): Cluster {
  return {
    get: (ref) => base.get(ref),
    apply: (obj, opts) => writer.apply(obj, opts),
    create: (obj) => writer.create(obj),
    delete: (ref) => writer.delete(ref),
    capabilities: () => base.capabilities(),
    scopeOf: (apiVersion, kind) => base.scopeOf(apiVersion, kind),
    served: (apiVersion, kind) => base.served(apiVersion, kind),
    removeAnnotations: (ref, keys) => writer.removeAnnotations(ref, keys),
    removeFinalizer: (ref, finalizer) => writer.removeFinalizer(ref, finalizer),
    list: (apiVersion, kind, namespace) => base.list(apiVersion, kind, namespace),
    ensureNamespace: (name) => writer.ensureNamespace(name),
    readInventory: (ns, source) => base.readInventory(ns, source),
    writeInventory: (ns, source, refs) => base.writeInventory(ns, source, refs),
    readGuard: (ns, source) => base.readGuard(ns, source),
    writeGuard: (ns, source, doc) => base.writeGuard(ns, source, doc),
    appliedRevision: (ns, source) => base.appliedRevision(ns, source),
    recordAppliedRevision: (ns, source, rev) => base.recordAppliedRevision(ns, source, rev),
    suspendedNote: (ns, source) => base.suspendedNote(ns, source),
    recordSuspended: (ns, source, on) => base.recordSuspended(ns, source, on),
    event: (ref, type, reason, message, namespace) =>
      base.event(ref, type, reason, message, namespace),
  };
}
