import { isObject } from '../../core/object.js';
import { gkMatches, type GkMatch, type MatchObject } from './gatekeeper/match.js';

/** Where a policy applies (policy.yaml `scope`, or the platform's enforcementOverrides). */
export interface PolicyScope {
  /** Only these namespaces ("" for cluster-scoped objects). */
  readonly namespaces?: readonly string[];
  readonly excludedNamespaces?: readonly string[];
  /** Only these kinds (e.g. Deployment). */
  readonly kinds?: readonly string[];
  /** Only objects with these labels. */
  readonly objectSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
}

const SCOPE_LISTS = ['namespaces', 'excludedNamespaces', 'kinds'] as const;

const strings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');

/** A `scope` mapping, or the problems with it. Pure. */
export function parseScope(
  raw: unknown,
  where: string,
  problems: string[],
): PolicyScope | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    problems.push(`${where} must be a mapping`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((SCOPE_LISTS as readonly string[]).includes(k)) {
      if (strings(v)) out[k] = v;
      else problems.push(`${where}.${k} must be a list of names`);
    } else if (k === 'objectSelector') {
      const labels = isObject(v) ? v.matchLabels : undefined;
      if (isObject(labels) && Object.values(labels).every((x) => typeof x === 'string'))
        out.objectSelector = { matchLabels: labels };
      else problems.push(`${where}.objectSelector must be { matchLabels: { key: value } }`);
    } else
      problems.push(
        `unknown key ${where}.${k} (known: ${[...SCOPE_LISTS, 'objectSelector'].join(', ')})`,
      );
  }
  return out as PolicyScope;
}

/** What a policy's scope is matched against: the object under review. */
export interface ScopeTarget {
  readonly namespace?: string | undefined;
  readonly kind: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** The API group ("" for the core group), name and generateName (Gatekeeper's match). */
  readonly group?: string;
  readonly name?: string;
  readonly generateName?: string;
  /** The old object of an UPDATE: a Gatekeeper constraint matching either applies. */
  readonly old?: ScopeTarget;
  /** The labels of the object's namespace, when known (Gatekeeper's namespaceSelector). */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** A resource an ExpansionTemplate generated from a workload (Gatekeeper's match.source). */
  readonly generated?: boolean;
  /** The admission operation (CREATE, UPDATE, DELETE, CONNECT); absent outside admission. */
  readonly operation?: string;
}

const matchObject = (t: ScopeTarget): MatchObject => ({
  ...t,
  group: t.group ?? '',
  name: t.name ?? '',
});

/**
 * Whether a tenant's policy may speak about the target: a namespaced object in one of its
 * namespaces (an UPDATE's old object too). A Namespace is cluster-scoped, though the apiserver
 * names it as its own request namespace. Pure.
 */
function withinTenant(namespaces: readonly string[], t: ScopeTarget): boolean {
  const inside = (x: ScopeTarget): boolean =>
    !(x.kind === 'Namespace' && !x.group) &&
    x.namespace !== undefined &&
    namespaces.includes(x.namespace);
  return inside(t) && (!t.old || inside(t.old));
}

/** Whether a policy applies to the target (no scope: everywhere). Pure. */
export function inScope(
  p: {
    readonly scope?: PolicyScope;
    readonly gatekeeper?: { readonly match?: GkMatch; readonly operations?: readonly string[] };
    readonly tenant?: { readonly namespaces: readonly string[] };
  },
  t: ScopeTarget,
): boolean {
  if (p.tenant && !withinTenant(p.tenant.namespaces, t)) return false;
  // Generated resources are Gatekeeper's: driftgate's own policies judge the workload's template.
  if (t.generated && !p.gatekeeper) return false;
  const ops = p.gatekeeper?.operations;
  if (ops && t.operation !== undefined && !ops.includes(t.operation)) return false;
  const m = p.gatekeeper?.match;
  const source = m?.source ?? 'All';
  if ((source === 'Generated' && !t.generated) || (source === 'Original' && t.generated))
    return false;
  if (m && !gkMatches(m, [t, ...(t.old ? [t.old] : [])].map(matchObject), t.namespaceLabels))
    return false;
  const s = p.scope;
  if (!s) return true;
  const ns = t.namespace ?? '';
  if (s.namespaces && !s.namespaces.includes(ns)) return false;
  if (s.excludedNamespaces?.includes(ns)) return false;
  if (s.kinds && !s.kinds.includes(t.kind)) return false;
  const want = s.objectSelector?.matchLabels ?? {};
  return Object.entries(want).every(([k, v]) => t.labels?.[k] === v);
}

/** The target of an object (its namespace, kind, group, name and labels). Pure. */
export function targetOf(obj: unknown, namespace?: string): ScopeTarget {
  const o = isObject(obj) ? obj : {};
  const meta = isObject(o.metadata) ? o.metadata : {};
  const labels = isObject(meta.labels) ? (meta.labels as Record<string, string>) : undefined;
  const ns = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : namespace;
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const slash = apiVersion.lastIndexOf('/');
  return {
    kind: String(o.kind ?? ''),
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    name: typeof meta.name === 'string' ? meta.name : '',
    ...(typeof meta.generateName === 'string' ? { generateName: meta.generateName } : {}),
    ...(ns ? { namespace: ns } : {}),
    ...(labels ? { labels } : {}),
  };
}

/**
 * The target of an admission request: its object (the old object on DELETE), with the old object
 * of an UPDATE beside it, and the labels of its namespace when known. Pure.
 */
export function requestTarget(
  request: {
    readonly object?: unknown;
    readonly oldObject?: unknown;
    readonly namespace?: string;
    readonly operation?: string;
  },
  namespaceLabels?: Readonly<Record<string, string>>,
): ScopeTarget {
  const main = targetOf(request.object ?? request.oldObject, request.namespace);
  const old =
    isObject(request.object) && isObject(request.oldObject)
      ? targetOf(request.oldObject, request.namespace)
      : undefined;
  return {
    ...main,
    ...(old ? { old } : {}),
    ...(namespaceLabels ? { namespaceLabels } : {}),
    ...(request.operation ? { operation: request.operation } : {}),
  };
}

/** Whether any of these policies selects by namespace labels (worth looking them up). */
export const selectsNamespaces = (
  outcomes: readonly { readonly policy: { readonly gatekeeper?: { readonly match?: GkMatch } } }[],
): boolean => outcomes.some((o) => o.policy.gatekeeper?.match?.namespaceSelector !== undefined);
