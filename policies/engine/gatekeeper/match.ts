import { isObject } from '../../../core/object.js';

/** A Kubernetes label selector (matchLabels and matchExpressions). */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }[];
}

/** A constraint's `spec.match`, as Gatekeeper reads it. */
export interface GkMatch {
  readonly kinds?: readonly {
    readonly apiGroups?: readonly string[];
    readonly kinds?: readonly string[];
  }[];
  readonly namespaces?: readonly string[];
  readonly excludedNamespaces?: readonly string[];
  readonly labelSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly scope?: '*' | 'Cluster' | 'Namespaced';
  readonly name?: string;
  /** Generated (resources an ExpansionTemplate makes), Original, or All (the default). */
  readonly source?: 'All' | 'Generated' | 'Original';
}

/** One object of a review (the object, or the old object), as matching sees it. */
export interface MatchObject {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly generateName?: string | undefined;
  readonly namespace?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

const strings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function parseSelector(v: unknown, where: string, problems: string[]): LabelSelector | undefined {
  if (!isObject(v)) return void problems.push(`${where} must be a label selector`);
  const labels = v.matchLabels ?? {};
  const exprs = v.matchExpressions ?? [];
  const goodLabels = isObject(labels) && Object.values(labels).every((x) => typeof x === 'string');
  const goodExprs =
    Array.isArray(exprs) &&
    exprs.every(
      (e) =>
        isObject(e) &&
        typeof e.key === 'string' &&
        OPERATORS.includes(String(e.operator)) &&
        (e.values === undefined || strings(e.values)),
    );
  if (!goodLabels || !goodExprs)
    return void problems.push(
      `${where}: matchLabels must map keys to strings and matchExpressions use In, NotIn, Exists or DoesNotExist`,
    );
  return v as LabelSelector;
}

/** `spec.match`, or the problems with it. Pure. */
export function parseMatch(raw: unknown, where: string, problems: string[]): GkMatch | undefined {
  if (!isObject(raw)) return void problems.push(`${where} must be a mapping`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'kinds') {
      const ok =
        Array.isArray(v) &&
        v.every(
          (e) =>
            isObject(e) &&
            (e.apiGroups === undefined || strings(e.apiGroups)) &&
            (e.kinds === undefined || strings(e.kinds)),
        );
      if (ok) out.kinds = v;
      else problems.push(`${where}.kinds must be a list of { apiGroups, kinds }`);
    } else if (k === 'namespaces' || k === 'excludedNamespaces') {
      if (strings(v)) out[k] = v;
      else problems.push(`${where}.${k} must be a list of names`);
    } else if (k === 'labelSelector' || k === 'namespaceSelector') {
      const s = parseSelector(v, `${where}.${k}`, problems);
      if (s) out[k] = s;
    } else if (k === 'scope') {
      if (v === '*' || v === 'Cluster' || v === 'Namespaced') out.scope = v;
      else problems.push(`${where}.scope must be *, Cluster or Namespaced`);
    } else if (k === 'name') {
      if (typeof v === 'string') out.name = v;
      else problems.push(`${where}.name must be a string`);
    } else if (k === 'source') {
      if (v === 'All' || v === 'Generated' || v === 'Original') out.source = v;
      else problems.push(`${where}.source must be All, Generated or Original`);
    } else {
      problems.push(`unknown key ${where}.${k}`);
    }
  }
  return out as GkMatch;
}

/** Gatekeeper's wildcard: exact, or a `*` prefix, suffix or both. */
export function wildcardMatches(w: string, candidate: string): boolean {
  const pre = w.startsWith('*');
  const suf = w.endsWith('*') && w.length > 1;
  const core = w.slice(pre ? 1 : 0, suf ? -1 : undefined);
  if (pre && suf) return candidate.includes(core);
  if (pre) return candidate.endsWith(core);
  if (suf) return candidate.startsWith(core);
  return w === candidate;
}

/** Whether labels satisfy a selector (every term). Pure. */
export function selectorMatches(
  s: LabelSelector,
  labels: Readonly<Record<string, string>> = {},
): boolean {
  const has = (k: string): boolean => Object.hasOwn(labels, k);
  if (!Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v)) return false;
  return (s.matchExpressions ?? []).every((e) => {
    const values = e.values ?? [];
    const v = labels[e.key] ?? '';
    if (e.operator === 'In') return has(e.key) && values.includes(v);
    if (e.operator === 'NotIn') return !has(e.key) || !values.includes(v);
    if (e.operator === 'Exists') return has(e.key);
    return !has(e.key);
  });
}

/** Gatekeeper's MatchesGenerateName: `x*` and `*x*` also match a generateName. */
function generateNameMatches(w: string, candidate: string | undefined): boolean {
  if (candidate === undefined) return false;
  if (w.length > 1 && w.startsWith('*') && w.endsWith('*'))
    return candidate.includes(w.slice(1, -1));
  return w.endsWith('*') && candidate.startsWith(w.slice(0, -1));
}

const isNamespace = (o: MatchObject): boolean => o.kind === 'Namespace' && o.group === '';

function kindsMatch(m: GkMatch, o: MatchObject): boolean {
  if (!m.kinds || m.kinds.length === 0) return true;
  const any = (list: readonly string[] | undefined, v: string): boolean =>
    !list || list.length === 0 || list.includes('*') || list.includes(v);
  return m.kinds.some((k) => any(k.kinds, o.kind) && any(k.apiGroups, o.group));
}

/** The namespace a namespaces/excludedNamespaces list is matched against, if any. */
const namespaceOf = (o: MatchObject): string | undefined =>
  isNamespace(o) ? o.name : o.namespace || undefined;

function one(
  m: GkMatch,
  o: MatchObject,
  nsLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!kindsMatch(m, o)) return false;
  const hasNamespace = Boolean(o.namespace);
  if (m.scope === 'Cluster' && !(isNamespace(o) || !hasNamespace)) return false;
  if (m.scope === 'Namespaced' && !(!isNamespace(o) && hasNamespace)) return false;
  const ns = namespaceOf(o);
  if (m.namespaces?.length && ns !== undefined && !m.namespaces.some((w) => wildcardMatches(w, ns)))
    return false;
  if (ns !== undefined && m.excludedNamespaces?.some((w) => wildcardMatches(w, ns))) return false;
  if (m.labelSelector && !selectorMatches(m.labelSelector, o.labels)) return false;
  if (m.namespaceSelector) {
    // Unknown labels of the object's namespace: the constraint applies (fail closed).
    const labels = isNamespace(o) ? o.labels : nsLabels;
    if ((isNamespace(o) || hasNamespace) && labels && !selectorMatches(m.namespaceSelector, labels))
      return false;
  }
  if (m.name && !wildcardMatches(m.name, o.name) && !generateNameMatches(m.name, o.generateName))
    return false;
  return true;
}

/**
 * Gatekeeper's constraint match: every criterion, against the object or (on UPDATE and DELETE)
 * the old object; either matching is enough. `nsLabels` are the labels of the object's namespace
 * when known. Pure.
 */
export function gkMatches(
  m: GkMatch,
  objects: readonly MatchObject[],
  nsLabels?: Readonly<Record<string, string>>,
): boolean {
  return objects.some((o) => one(m, o, nsLabels));
}

/** gator's words when a namespaceSelector meets a namespaced object without its Namespace. */
export const missingNamespace = (name: string): string =>
  `unable to match constraints: error matching the requested object: ${name} :failed to run Match criteria: namespace selector for namespace-scoped object but missing Namespace`;
