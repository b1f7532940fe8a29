import { SOURCE_LABEL } from './labels.js';
import { isObject } from './object.js';

/** An Ingress reduced to what host uniqueness needs. */
export interface IngressRef {
  readonly namespace: string;
  readonly name: string;
  readonly hosts: readonly string[];
  /** The driftgate source that applied it (its label), if any. */
  readonly source?: string;
}

/** Other Ingresses claiming a host: host → `namespace/name`, sorted. */
export type HostClaims = Readonly<Record<string, readonly string[]>>;

/** At most this many hosts are read from one Ingress (a hostile object stays bounded). */
export const MAX_HOSTS = 256;
/** At most this many rivals are named per host (the policy input stays small). */
export const MAX_CLAIMERS = 10;

/** Whether an object is a networking.k8s.io Ingress. */
export const isIngress = (obj: unknown): boolean =>
  isObject(obj) &&
  obj.kind === 'Ingress' &&
  typeof obj.apiVersion === 'string' &&
  obj.apiVersion.startsWith('networking.k8s.io/');

/** An Ingress's hosts (spec.rules[].host), lower-cased, at most MAX_HOSTS; else undefined. */
export function ingressRef(obj: unknown): IngressRef | undefined {
  return isIngress(obj) ? refOfIngress(obj) : undefined;
}

/** The same for an object known to be an Ingress (list items carry no kind). */
export function refOfIngress(obj: unknown): IngressRef | undefined {
  if (!isObject(obj)) return undefined;
  const o = obj as { metadata?: unknown; spec?: unknown };
  const meta = isObject(o.metadata) ? o.metadata : {};
  if (typeof meta.name !== 'string') return undefined;
  const rules = isObject(o.spec) && Array.isArray(o.spec.rules) ? o.spec.rules : [];
  const hosts = new Set<string>();
  for (const r of rules.slice(0, MAX_HOSTS))
    if (isObject(r) && typeof r.host === 'string' && r.host !== '' && r.host.length <= 253)
      hosts.add(r.host.toLowerCase());
  const labels = isObject(meta.labels) ? meta.labels : {};
  const source = labels[SOURCE_LABEL];
  return {
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    name: meta.name,
    hosts: [...hosts],
    ...(typeof source === 'string' ? { source } : {}),
  };
}

/**
 * For one Ingress, the hosts it names that other Ingresses (from any inventory: the desired
 * state in Git, the live cluster) claim already. The Ingress itself, by namespace and name, is
 * never its own rival. Pure.
 */
export function hostClaims(
  self: IngressRef,
  inventories: readonly Iterable<IngressRef>[],
): HostClaims {
  const wanted = new Set(self.hosts);
  const out = new Map<string, Set<string>>();
  if (wanted.size === 0) return {};
  for (const inventory of inventories)
    for (const other of inventory) {
      if (other.namespace === self.namespace && other.name === self.name) continue;
      for (const h of other.hosts)
        if (wanted.has(h)) {
          const by = out.get(h) ?? new Set<string>();
          if (by.size < MAX_CLAIMERS) by.add(`${other.namespace}/${other.name}`);
          out.set(h, by);
        }
    }
  return Object.fromEntries([...out].map(([h, by]) => [h, [...by].sort()]));
}

/** What `input.driftgate` gains for an object: an Ingress gets `ingressHosts`, others nothing. */
export function hostContext(
  obj: unknown,
  inventories: readonly Iterable<IngressRef>[],
): { ingressHosts?: HostClaims } {
  const self = ingressRef(obj);
  return self ? { ingressHosts: hostClaims(self, inventories) } : {};
}

/** The Ingresses among some objects. */
export const ingressRefs = (objects: Iterable<unknown>): IngressRef[] =>
  [...objects].flatMap((o) => ingressRef(o) ?? []);
