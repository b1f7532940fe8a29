// Gatekeeper's mutation schema check (pkg/mutation/schema): every mutator's location implies a
// type for each node it walks through (an object, a list keyed by a field) and for the node it
// ends on (anything for Assign, a string for AssignImage, a set for ModifySet); two mutators that
// apply to the same group/version/kind and imply different known types for one node conflict,
// and so does a path that goes on past where AssignImage (or an Assign of external data) must
// end. Gatekeeper applies none of the conflicting mutators (the others still run) until one
// changes. AssignMetadata walks only metadata and is never part of a conflict. Pure.
import type { GkMutator } from './mutators.js';

type NodeType =
  | { readonly t: 'object' }
  | { readonly t: 'list'; readonly key: string }
  | { readonly t: 'set' }
  | { readonly t: 'string' }
  | { readonly t: 'unknown' };

const describe = (n: NodeType): string =>
  n.t === 'list' ? `a list keyed by ${n.key}` : n.t === 'object' ? 'an object' : `a ${n.t}`;

const TERMINAL: Record<GkMutator['kind'], NodeType> = {
  Assign: { t: 'unknown' },
  AssignImage: { t: 'string' },
  ModifySet: { t: 'set' },
  AssignMetadata: { t: 'unknown' },
};

/** Whether nothing may go on past the end of the mutator's path (Gatekeeper's MustTerminate). */
const mustTerminate = (m: GkMutator): boolean =>
  m.kind === 'AssignImage' ||
  (m.kind === 'Assign' &&
    typeof m.parameters.assign === 'object' &&
    m.parameters.assign !== null &&
    'externalData' in m.parameters.assign);

const compatible = (a: NodeType, b: NodeType): boolean =>
  a.t === 'unknown' ||
  b.t === 'unknown' ||
  (a.t === b.t && (a.t !== 'list' || a.key === (b as { key: string }).key));

/** The type the mutator's location implies for each node, by its path from the root. */
function nodeTypes(m: GkMutator): [string, NodeType][] {
  const out: [string, NodeType][] = [];
  let at = '';
  m.path.forEach((s, i) => {
    const last = i === m.path.length - 1;
    at = at ? `${at}.${s.name}` : s.name;
    if (s.kind === 'list') {
      out.push([at, { t: 'list', key: s.key }]);
      at = `${at}[]`;
      // An element the path goes on into is an object; one assigned whole may be anything.
      out.push([at, last ? TERMINAL[m.kind] : { t: 'object' }]);
    } else out.push([at, last ? TERMINAL[m.kind] : { t: 'object' }]);
  });
  return out;
}

/** Every group/version/kind a mutator applies to. */
const gvks = (m: GkMutator): string[] =>
  m.applyTo.flatMap((a) =>
    a.groups.flatMap((g) => a.versions.flatMap((v) => a.kinds.map((k) => `${g}/${v}/${k}`))),
  );

const idOf = (m: GkMutator) => `${m.kind} ${m.name}`;

/**
 * The mutators that may run and, for those that may not, why: each conflicting pair names the
 * kind, the node and the two types.
 */
export function schemaConflicts(mutators: readonly GkMutator[]): {
  usable: GkMutator[];
  conflicts: string[];
} {
  // Per kind and node: the first type seen and which mutator implied it.
  const seen = new Map<string, { type: NodeType; by: GkMutator }[]>();
  const conflicting = new Set<GkMutator>();
  const conflicts: string[] = [];
  for (const m of mutators) {
    if (m.kind === 'AssignMetadata') continue;
    const types = nodeTypes(m);
    for (const gvk of gvks(m))
      for (const [node, type] of types) {
        const key = `${gvk}|${node}`;
        const before = seen.get(key) ?? [];
        for (const b of before)
          if (b.by !== m && !compatible(b.type, type)) {
            conflicting.add(b.by).add(m);
            conflicts.push(
              `${idOf(b.by)} and ${idOf(m)} conflict on ${gvk} at ${node}: ${describe(b.type)} against ${describe(type)}`,
            );
          }
        seen.set(key, [...before, { type, by: m }]);
      }
  }
  // A path that goes on past where another must end.
  const ends = new Map<string, GkMutator[]>();
  for (const m of mutators)
    if (m.kind !== 'AssignMetadata' && mustTerminate(m))
      for (const gvk of gvks(m)) {
        const end = `${gvk}|${nodeTypes(m).at(-1)?.[0] ?? ''}`;
        ends.set(end, [...(ends.get(end) ?? []), m]);
      }
  for (const [key, nodes] of seen)
    for (const [end, terminators] of ends)
      if (key.startsWith(`${end}.`) || key.startsWith(`${end}[]`))
        for (const t of terminators)
          for (const { by } of nodes)
            if (by !== t) {
              conflicting.add(t).add(by);
              const [gvk, node] = end.split('|');
              conflicts.push(
                `${idOf(t)} and ${idOf(by)} conflict on ${gvk} at ${node}: ${idOf(by)} goes on past where ${idOf(t)} must end`,
              );
            }
  return {
    usable: mutators.filter((m) => !conflicting.has(m)),
    conflicts: [...new Set(conflicts)],
  };
}

/**
 * Conflicts as driftgate resolves them: among the platform's mutators as Gatekeeper does (both
 * sides out); a tenant's mutator that conflicts with the platform's or its own tenant's is out,
 * and a platform mutator is never taken out by a tenant's. Tenants never meet (their mutators act
 * in their own namespaces only).
 */
export function resolveConflicts(mutators: readonly GkMutator[]): {
  usable: GkMutator[];
  conflicts: string[];
} {
  const platform = schemaConflicts(mutators.filter((m) => !m.tenant));
  const usable = new Set(platform.usable);
  const conflicts = platform.conflicts.map((c) => `${c}; neither is applied`);
  const tenants = new Map<string, GkMutator[]>();
  for (const m of mutators)
    if (m.tenant) tenants.set(m.tenant.source, [...(tenants.get(m.tenant.source) ?? []), m]);
  for (const own of tenants.values()) {
    const r = schemaConflicts([...platform.usable, ...own]);
    for (const m of own) if (r.usable.includes(m)) usable.add(m);
    const out = own.filter((m) => !r.usable.includes(m)).map(idOf);
    if (out.length > 0)
      conflicts.push(
        ...r.conflicts.map((c) => `${c}; not applied: ${out.join(', ')} (the tenant's)`),
      );
  }
  return { usable: mutators.filter((m) => usable.has(m)), conflicts };
}
