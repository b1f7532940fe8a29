import { isObject } from '../../../core/object.js';

/** A kind a template needs in the inventory (group "" is the core group). */
export interface SyncKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/**
 * The kinds of a template's `metadata.gatekeeper.sh/requires-sync-data` annotation (a JSON list of
 * requirements, each a list of alternatives `{groups, versions, kinds}`), every alternative
 * flattened; text that is not that shape gives none. The library writes the JSON inside quotes.
 */
export function requiredSync(annotation: unknown): SyncKind[] {
  if (typeof annotation !== 'string') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(annotation.trim().replace(/^"|"$/g, ''));
  } catch {
    return [];
  }
  const out = new Map<string, SyncKind>();
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  for (const requirement of Array.isArray(doc) ? doc : [])
    for (const alt of Array.isArray(requirement) ? requirement : [])
      if (isObject(alt))
        for (const group of list(alt.groups))
          for (const version of list(alt.versions))
            for (const kind of list(alt.kinds))
              out.set(`${group}/${version}/${kind}`, { group, version, kind });
  return [...out.values()];
}

/**
 * The largest inventory (JSON bytes) laid into a bundle: an instance holds it in its wasm memory
 * (32 MiB with the policies; measured: ~4 MiB of inventory JSON fits beside the evaluations).
 */
export const MAX_INVENTORY_BYTES = 3 * 1024 * 1024;

/** Namespaces: always in the inventory when templates are live (namespaceSelector). */
export const NAMESPACE_KIND: SyncKind = { group: '', version: 'v1', kind: 'Namespace' };

/** A kind's apiVersion (`v1` for the core group). */
export const apiVersionOf = (k: SyncKind): string =>
  k.group ? `${k.group}/${k.version}` : k.version;

/** Gatekeeper's `data.inventory`: cluster → apiVersion → kind → name, and the same per namespace. */
export interface Inventory {
  cluster: Record<string, Record<string, Record<string, unknown>>>;
  namespace: Record<string, Record<string, Record<string, Record<string, unknown>>>>;
}

/**
 * Kinds no inventory ever holds, whatever a template asks (gate, audit and webhook alike): their
 * content must not reach a policy's messages, status or /status.
 */
export const isNeverSynced = (k: { readonly group: string; readonly kind: string }): boolean =>
  k.group === '' && k.kind === 'Secret';

/** An empty inventory. */
export const emptyInventory = (): Inventory => ({ cluster: {}, namespace: {} });

const slot = <T>(o: Record<string, T>, k: string, make: () => T): T => {
  const v = o[k] ?? make();
  o[k] = v;
  return v;
};

/** Add one object at its place (objects without apiVersion, kind or name are left out). Pure. */
export function addToInventory(inv: Inventory, obj: unknown): void {
  if (!isObject(obj) || !isObject(obj.metadata)) return;
  const { apiVersion, kind } = obj;
  const { name, namespace } = obj.metadata;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string')
    return;
  const root =
    typeof namespace === 'string' && namespace !== ''
      ? slot<Inventory['cluster']>(inv.namespace, namespace, () => ({}))
      : inv.cluster;
  const byVersion = slot<Record<string, Record<string, unknown>>>(root, apiVersion, () => ({}));
  slot<Record<string, unknown>>(byVersion, kind, () => ({}))[name] = obj;
}

/** The inventory of a list of objects. Pure. */
export function inventoryOf(objects: Iterable<unknown>): Inventory {
  const inv = emptyInventory();
  for (const o of objects) addToInventory(inv, o);
  return inv;
}

/** The labels of namespace `name` in an inventory, if it holds that Namespace. Pure. */
export function namespaceLabels(inv: Inventory, name: string): Record<string, string> | undefined {
  const ns = inv.cluster.v1?.Namespace?.[name];
  if (!isObject(ns) || !isObject(ns.metadata)) return undefined;
  return isObject(ns.metadata.labels) ? (ns.metadata.labels as Record<string, string>) : {};
}

/**
 * An object as the inventory keeps it: with its apiVersion and kind (a list's items carry
 * neither), without managedFields and the last-applied copy.
 */
export function slim(obj: Record<string, unknown>, k: SyncKind): Record<string, unknown> {
  const meta = isObject(obj.metadata) ? { ...obj.metadata } : {};
  delete meta.managedFields;
  if (isObject(meta.annotations)) {
    const { ['kubectl.kubernetes.io/last-applied-configuration']: _, ...rest } = meta.annotations;
    meta.annotations = rest;
  }
  return { ...obj, apiVersion: apiVersionOf(k), kind: k.kind, metadata: meta };
}

/** Where a tenant's templates read data.inventory from (its view of the inventory). */
export const TENANT_INVENTORIES = 'tenant_inventories';

/**
 * A tenant's view of an inventory: the namespaced objects of its namespaces and those Namespaces
 * themselves; nothing of other namespaces, no other cluster-scoped object. Pure.
 */
export function tenantView(inv: Inventory, namespaces: readonly string[]): Inventory {
  const out = emptyInventory();
  const all = inv.cluster.v1?.Namespace ?? {};
  for (const ns of namespaces) {
    const objects = inv.namespace[ns];
    if (objects) out.namespace[ns] = objects;
    const own = all[ns];
    if (own !== undefined)
      out.cluster.v1 = { Namespace: { ...out.cluster.v1?.Namespace, [ns]: own } };
  }
  return out;
}
