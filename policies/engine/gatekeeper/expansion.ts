// Gatekeeper's ExpansionTemplates: a workload (a Deployment, a Job …) is also judged as the
// resource it will create (a Pod from spec.template), so a Pod constraint cannot be bypassed
// by creating a Deployment. Pure: parsing, and the generated reviews.
import { isObject } from '../../../core/object.js';
import { Enforcement } from '../discover.js';

export const EXPANSION_GROUP = 'expansion.gatekeeper.sh';
/** Gatekeeper's own bound on expansions of expansions. */
const MAX_DEPTH = 3;

export interface GkGvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GkExpansion {
  readonly name: string;
  /** The parents it expands: any group × kind × version of one entry. */
  readonly applyTo: readonly {
    readonly groups: readonly string[];
    readonly kinds: readonly string[];
    readonly versions: readonly string[];
  }[];
  /** The dotted path of the generated resource in the parent (`spec.template`). */
  readonly templateSource: string;
  readonly generated: GkGvk;
  /** Overrides the constraints' action for what the generated resource violates. */
  readonly enforcement?: Enforcement;
  readonly file: string;
  /** A tenant's (its file is): it expands only objects in these namespaces. */
  readonly tenant?: { readonly source: string; readonly namespaces: readonly string[] };
}

/** Whether a tenant's Gatekeeper object may act on `obj`: a namespaced object of its own. */
export function withinTenant(
  tenant: { readonly namespaces: readonly string[] } | undefined,
  obj: Record<string, unknown>,
): boolean {
  if (!tenant) return true;
  const ns = (obj.metadata as { namespace?: unknown } | undefined)?.namespace;
  return obj.kind !== 'Namespace' && typeof ns === 'string' && tenant.namespaces.includes(ns);
}

const ACTION: Record<string, Enforcement> = {
  deny: Enforcement.enforce,
  warn: Enforcement.warn,
  dryrun: Enforcement.dryrun,
};

const strings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

/** An ExpansionTemplate document, or its problems. Pure. */
export function readExpansion(
  doc: Record<string, unknown>,
  file: string,
  problems: string[],
): GkExpansion | undefined {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const spec = isObject(doc.spec) ? doc.spec : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const where = `${file}: ExpansionTemplate ${name || '(no name)'}`;
  const applyTo = Array.isArray(spec.applyTo) ? spec.applyTo : [];
  const gvk = isObject(spec.generatedGVK) ? spec.generatedGVK : {};
  const action = spec.enforcementAction;
  const ok =
    name !== '' &&
    applyTo.length > 0 &&
    applyTo.every(
      (a) => isObject(a) && strings(a.groups) && strings(a.kinds) && strings(a.versions),
    ) &&
    typeof spec.templateSource === 'string' &&
    spec.templateSource !== '' &&
    typeof gvk.kind === 'string' &&
    gvk.kind !== '' &&
    typeof gvk.version === 'string' &&
    (gvk.group === undefined || typeof gvk.group === 'string') &&
    (action === undefined || (typeof action === 'string' && action.toLowerCase() in ACTION));
  if (!ok)
    return void problems.push(
      `${where}: needs a name, applyTo [{groups, kinds, versions}], templateSource, generatedGVK {group, version, kind}, and enforcementAction deny, warn or dryrun if any`,
    );
  return {
    name,
    applyTo: applyTo as GkExpansion['applyTo'],
    templateSource: spec.templateSource as string,
    generated: {
      group: String(gvk.group ?? ''),
      version: String(gvk.version),
      kind: String(gvk.kind),
    },
    ...(typeof action === 'string'
      ? { enforcement: ACTION[action.toLowerCase()] as Enforcement }
      : {}),
    file,
  };
}

/** The group, version and kind of an object from its apiVersion and kind. Pure. */
export function gvkOf(obj: unknown): GkGvk {
  const o = isObject(obj) ? obj : {};
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const slash = apiVersion.lastIndexOf('/');
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
    kind: typeof o.kind === 'string' ? o.kind : '',
  };
}

const applies = (e: GkExpansion, g: GkGvk): boolean =>
  e.applyTo.some(
    (a) =>
      (a.groups.includes(g.group) || a.groups.includes('*')) &&
      (a.kinds.includes(g.kind) || a.kinds.includes('*')) &&
      (a.versions.includes(g.version) || a.versions.includes('*')),
  );

/** What an expansion generates from `parent`, as Gatekeeper builds it; undefined: no source. */
export function expandObject(
  parent: Record<string, unknown>,
  e: GkExpansion,
): Record<string, unknown> | undefined {
  const source = e.templateSource
    .split('.')
    .reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), parent);
  if (!isObject(source)) return undefined;
  const pmeta = isObject(parent.metadata) ? parent.metadata : {};
  const meta = isObject(source.metadata) ? source.metadata : {};
  const g = e.generated;
  // The parent's uid, empty before the apiserver gave it one (as Gatekeeper's owner reference).
  const uid = typeof pmeta.uid === 'string' ? pmeta.uid : '';
  const owner = { apiVersion: parent.apiVersion, kind: parent.kind, name: pmeta.name, uid };
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  return {
    ...structuredClone(source),
    apiVersion: g.group ? `${g.group}/${g.version}` : g.version,
    kind: g.kind,
    metadata: {
      ...structuredClone(meta),
      // "<parent name>-<kind>", as Gatekeeper names its mock resources.
      name: `${String(pmeta.name ?? '')}-${g.kind}`.toLowerCase(),
      ...(typeof pmeta.namespace === 'string' ? { namespace: pmeta.namespace } : {}),
      ...(owner.name ? { ownerReferences: [...owners, owner] } : {}),
    },
  };
}

/** A generated resource and the expansion it came from (its name prefixes the messages). */
export interface Expanded {
  readonly template: string;
  readonly enforcement?: Enforcement;
  readonly object: Record<string, unknown>;
}

/** Every resource `obj` expands into, expansions of expansions included (Gatekeeper's depth). */
export function expandAll(obj: unknown, expansions: readonly GkExpansion[], depth = 0): Expanded[] {
  if (!isObject(obj) || depth >= MAX_DEPTH || expansions.length === 0) return [];
  const g = gvkOf(obj);
  return expansions
    .filter((e) => applies(e, g) && withinTenant(e.tenant, obj))
    .flatMap((e) => {
      const object = expandObject(obj, e);
      if (!object) return [];
      const own: Expanded = {
        template: e.name,
        ...(e.enforcement ? { enforcement: e.enforcement } : {}),
        object,
      };
      return [...expandAll(object, expansions, depth + 1), own];
    });
}

/** Gatekeeper's prefix on what a generated resource violates. */
export const impliedBy = (template: string, message: string): string =>
  `[Implied by ${template}] ${message}`;
