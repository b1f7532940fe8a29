import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isObject } from '../../core/object.js';
import type { PolicyMeta } from './discover.js';
import type { GkObjects } from './gatekeeper/objects.js';

/**
 * The file at the root of a composed policy tree that says which files are a tenant's and where
 * its policies may speak. Only the reconciler's policy hub writes it; a source may not carry one.
 */
export const TENANCY_FILE = 'tenancy.yaml';

/** A tenant's policy files (tree-relative paths) and the namespaces its policies speak in. */
export interface TenantFiles {
  readonly source: string;
  readonly namespaces: readonly string[];
  readonly files: readonly string[];
}

/** Where a tenant's policy speaks (PolicyMeta.tenant). */
export interface TenantBound {
  readonly source: string;
  readonly namespaces: readonly string[];
}

/** The tenancy file's text for these tenants. Pure. */
export const tenancyText = (tenants: readonly TenantFiles[]): string =>
  stringify({ tenants: tenants.map((t) => ({ ...t, files: [...t.files].sort() })) });

const strings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The tenancy file at the root of a policy tree, if any; problems are collected. */
export function readTenancy(root: string, problems: string[]): TenantFiles[] {
  const file = join(root, TENANCY_FILE);
  return existsSync(file) ? parseTenancy(readFileSync(file, 'utf8'), problems) : [];
}

/** Read a tenancy file; problems are collected. Pure. */
export function parseTenancy(text: string, problems: string[]): TenantFiles[] {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0 });
  } catch (err) {
    problems.push(`${TENANCY_FILE}: ${(err as Error).message.split('\n')[0]}`);
    return [];
  }
  const list = isObject(doc) && Array.isArray(doc.tenants) ? doc.tenants : undefined;
  const ok = list?.every(
    (t) => isObject(t) && typeof t.source === 'string' && strings(t.namespaces) && strings(t.files),
  );
  if (!list || !ok) {
    problems.push(`${TENANCY_FILE}: must be tenants: [{ source, namespaces, files }]`);
    return [];
  }
  return list as TenantFiles[];
}

/** The bound of a policy made of these files: the tenants' namespaces intersected. Pure. */
function boundOf(
  files: readonly string[],
  tenants: readonly TenantFiles[],
): TenantBound | undefined {
  const owners = tenants.filter((t) => files.some((f) => t.files.includes(f)));
  const [first, ...rest] = owners;
  if (!first) return undefined;
  const namespaces = first.namespaces.filter((ns) => rest.every((t) => t.namespaces.includes(ns)));
  return { source: first.source, namespaces };
}

/**
 * Gatekeeper objects that act on their own (ExpansionTemplates, mutators) with their tenant's
 * bound when their file is a tenant's: they then act only inside its namespaces. Pure.
 */
export function boundByFile<T extends { readonly file: string }>(
  items: readonly T[],
  tenants: readonly TenantFiles[],
): (T & { readonly tenant?: TenantBound })[] {
  return items.map((item) => {
    const tenant = boundOf([item.file], tenants);
    return tenant ? { ...item, tenant } : item;
  });
}

/** Each tenant template's bound (its file is a tenant's), by template name. Pure. */
export function templateBounds(
  gatekeeper: GkObjects,
  tenants: readonly TenantFiles[],
): Map<string, TenantBound> {
  const out = new Map<string, TenantBound>();
  for (const t of gatekeeper.templates) {
    const bound = boundOf([t.file], tenants);
    if (bound) out.set(t.name, bound);
  }
  return out;
}

/**
 * The policies with their tenant bound: a native policy is its tenant's when its policy.rego is
 * a tenant's file; a Gatekeeper constraint when its own file or its template's is (a tenant's
 * Rego judges only inside the tenant's namespaces, whoever wrote the constraint). Pure.
 */
export function boundPolicies(
  policies: readonly PolicyMeta[],
  tenants: readonly TenantFiles[],
  gatekeeper: GkObjects,
): PolicyMeta[] {
  if (tenants.length === 0) return [...policies];
  return policies.map((p) => {
    const gk = p.gatekeeper;
    const files = gk
      ? [
          ...gatekeeper.constraints
            .filter((c) => c.kind === gk.kind && c.name === p.id)
            .map((c) => c.file),
          ...gatekeeper.templates.filter((t) => t.name === gk.template).map((t) => t.file),
        ]
      : [join(...p.path, 'policy.rego')];
    const tenant = boundOf(files, tenants);
    return tenant ? { ...p, tenant } : p;
  });
}

const byNamespace = new WeakMap<readonly PolicyMeta[], Map<string, string[]>>();

/** The tenants whose policies speak in namespace `ns` (none without one), memoised per list. */
export function tenantsIn(policies: readonly PolicyMeta[], ns: string | undefined): string[] {
  if (!ns) return [];
  let map = byNamespace.get(policies);
  if (!map) {
    map = new Map();
    for (const { tenant } of policies)
      for (const n of tenant?.namespaces ?? []) {
        const list = map.get(n) ?? [];
        if (tenant && !list.includes(tenant.source)) list.push(tenant.source);
        map.set(n, list);
      }
    byNamespace.set(policies, map);
  }
  return map.get(ns) ?? [];
}
