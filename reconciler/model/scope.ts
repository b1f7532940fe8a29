import { SOURCE_LABEL } from '../../core/labels.js';
import { groupOf, type K8sObject } from './objects.js';
import { isObject } from '../../core/object.js';

/** Where a source may write beyond its destination namespace (platform configuration). */
export interface TenantScope {
  readonly destinationNamespace: string;
  /** More namespaces this source may write in; "*" for any. @default [] */
  readonly allowedNamespaces: readonly string[];
  /** Cluster-scoped kinds it may write, as Kind or group/Kind; "*" for any. @default [] */
  readonly clusterScopedKinds: readonly string[];
}

/** An object a source declares but may not write, and why. */
export interface RefusedObject {
  readonly object: string;
  readonly path: string;
  readonly reason: string;
}

/**
 * Why `obj` (placed: namespace filled in) is outside what the source may write, or undefined.
 * A source is a tenant: its destination namespace, plus what the platform allowed it. Pure.
 */
export function placementProblem(
  obj: K8sObject,
  namespaced: boolean,
  scope: TenantScope,
): string | undefined {
  if (namespaced) {
    const ns = obj.metadata.namespace ?? scope.destinationNamespace;
    if (
      ns === scope.destinationNamespace ||
      scope.allowedNamespaces.includes('*') ||
      scope.allowedNamespaces.includes(ns)
    )
      return undefined;
    return `namespace ${ns} is outside this source's destination namespace ${scope.destinationNamespace} (allow it with allowedNamespaces)`;
  }
  const group = groupOf(obj.apiVersion);
  const kinds = scope.clusterScopedKinds;
  if (kinds.includes('*') || kinds.includes(obj.kind) || kinds.includes(`${group}/${obj.kind}`))
    return undefined;
  return `${group ? `${group}/` : ''}${obj.kind} is cluster-scoped and not allowed for this source (allow it with clusterScopedKinds)`;
}

/**
 * Why an existing live object may not be written or pruned by `source`: it carries no
 * driftgate.io/source label naming this source, so someone else made it. Undefined when it is
 * ours, or does not exist. Pure.
 */
export function ownershipProblem(live: unknown, source: string): string | undefined {
  if (!isObject(live)) return undefined;
  const meta = isObject(live.metadata) ? live.metadata : {};
  const labels = isObject(meta.labels) ? meta.labels : {};
  const owner = labels[SOURCE_LABEL];
  if (owner === source) return undefined;
  return typeof owner === 'string'
    ? `it exists and belongs to source ${owner}`
    : `it exists and was not created by driftgate (to adopt it, label it ${SOURCE_LABEL}=${source})`;
}
