// Gatekeeper's mutators (Assign, AssignMetadata, ModifySet, AssignImage), read from the policy
// tree and applied at /mutate in Gatekeeper's order (by kind, then name), until nothing changes
// (at most 3 rounds). Pure.
import { isObject } from '../../../core/object.js';
import { inScope, targetOf } from '../scope.js';
import { gvkOf, withinTenant } from './expansion.js';
import { parseMatch, type GkMatch } from './match.js';
import { parseLocation, pathTests, walk, type Leaf, type PathSegment } from './mutation-path.js';
import { ExternalDataPlaceholder, readExternalRef } from './mutation-external.js';

export const MUTATION_GROUP = 'mutations.gatekeeper.sh';
export const MUTATOR_KINDS = ['Assign', 'AssignImage', 'AssignMetadata', 'ModifySet'] as const;
type MutatorKind = (typeof MUTATOR_KINDS)[number];

export interface GkMutator {
  readonly kind: MutatorKind;
  readonly name: string;
  readonly applyTo: readonly { groups: string[]; kinds: string[]; versions: string[] }[];
  readonly match?: GkMatch;
  readonly location: string;
  /** The location, parsed once when the mutator is read. */
  readonly path: readonly PathSegment[];
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly file: string;
  /** A tenant's (its file is): it mutates only objects in these namespaces. */
  readonly tenant?: { readonly source: string; readonly namespaces: readonly string[] };
}

type Obj = Record<string, unknown>;

function assignValue(obj: Obj, p: Obj, ctx: MutationContext): { value: unknown } | undefined {
  const a = isObject(p.assign) ? p.assign : {};
  if ('value' in a) return { value: a.value };
  const ref = a.externalData === undefined ? undefined : readExternalRef(a.externalData);
  if (typeof ref === 'object')
    return {
      value: new ExternalDataPlaceholder(ref, ref.dataSource === 'Username' ? ctx.username : ''),
    };
  const from = isObject(a.fromMetadata) ? a.fromMetadata.field : undefined;
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  if (from === 'namespace') return { value: meta.namespace ?? ctx.namespace };
  if (from === 'name') return { value: meta.name };
  return undefined;
}

/** What an assigned value becomes at a place (Gatekeeper's setter: a placeholder takes the
 *  string already there as its key). Throws when a placeholder would replace a non-string. */
function assigned(value: unknown, prev: unknown): unknown {
  if (!(value instanceof ExternalDataPlaceholder)) return structuredClone(value);
  if (prev === undefined) return value.copy();
  if (prev instanceof ExternalDataPlaceholder) return value.copy(prev.valueAtLocation);
  if (typeof prev === 'string') return value.copy(prev);
  throw new Error(
    `value assigned to external data placeholder is not a string, got ${JSON.stringify(prev)}`,
  );
}

function assignIfPasses(obj: Obj, m: GkMutator): boolean {
  const cond = isObject(m.parameters.assignIf) ? m.parameters.assignIf : undefined;
  if (!cond) return true;
  let current: unknown;
  walk(structuredClone(obj), m.path, false, (c, k) => (current = c[k]));
  const eq = (x: unknown) => JSON.stringify(x) === JSON.stringify(current);
  if (Array.isArray(cond.in) && !cond.in.some(eq)) return false;
  return !(Array.isArray(cond.notIn) && cond.notIn.some(eq));
}

/** An image split as Gatekeeper splits it: domain, path, and tag (`:t` or `@sha256:…`). */
function splitImage(image: string): { domain: string; path: string; tag: string } {
  const at = image.indexOf('@');
  const [name, digest] = at >= 0 ? [image.slice(0, at), image.slice(at)] : [image, ''];
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasDomain = first !== '' && (/[.:]/.test(first) || first === 'localhost');
  const domain = hasDomain ? first : '';
  const rest = hasDomain ? name.slice(slash + 1) : name;
  const colon = rest.lastIndexOf(':');
  return colon >= 0 && !digest
    ? { domain, path: rest.slice(0, colon), tag: rest.slice(colon) }
    : { domain, path: rest, tag: digest };
}

/** Who and where a mutation happens (fromMetadata, externalData's Username source). */
export interface MutationContext {
  readonly namespace?: string;
  readonly username: string;
}

function applyOne(obj: Obj, m: GkMutator, ctx: MutationContext): void {
  const p = m.parameters;
  const path = m.path;
  const tests = pathTests(p);
  if (m.kind === 'AssignMetadata' || m.kind === 'Assign') {
    const v = assignValue(obj, p, ctx);
    if (!v || !assignIfPasses(obj, m)) return;
    const set: Leaf = (c, k) => {
      // AssignMetadata only adds: a label or annotation already there is left as it is.
      if (m.kind === 'AssignMetadata' && c[k] !== undefined) return;
      c[k] = assigned(v.value, c[k]);
    };
    walk(obj, path, true, set, tests);
  } else if (m.kind === 'ModifySet') {
    const values = isObject(p.values) && Array.isArray(p.values.fromList) ? p.values.fromList : [];
    const prune = p.operation === 'prune';
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const modify: Leaf = (c, k) => {
      const list = Array.isArray(c[k]) ? (c[k] as unknown[]) : [];
      c[k] = prune
        ? list.filter((x) => !values.some((v) => same(v, x)))
        : [...list, ...values.filter((v) => !list.some((x) => same(v, x)))];
    };
    walk(obj, path, !prune, modify, tests);
  } else {
    const image: Leaf = (c, k) => {
      if (typeof c[k] !== 'string') return;
      const img = splitImage(c[k]);
      const domain = typeof p.assignDomain === 'string' ? p.assignDomain : img.domain;
      const ipath = typeof p.assignPath === 'string' ? p.assignPath : img.path;
      const tag = typeof p.assignTag === 'string' ? p.assignTag : img.tag;
      c[k] = `${domain ? `${domain}/` : ''}${ipath}${tag}`;
    };
    walk(obj, path, false, image, tests);
  }
}

/** Whether a mutator applies to `obj` (applyTo, match with its source: `generated` says whether
 *  `obj` is a resource an ExpansionTemplate generated). */
function applies(
  m: GkMutator,
  obj: Obj,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  generated: boolean,
) {
  if (!withinTenant(m.tenant, obj)) return false;
  const { group, version, kind } = gvkOf(obj);
  const typed =
    m.kind === 'AssignMetadata' ||
    m.applyTo.some(
      (a) => a.groups.includes(group) && a.kinds.includes(kind) && a.versions.includes(version),
    );
  const target = {
    ...targetOf(obj),
    ...(namespaceLabels ? { namespaceLabels } : {}),
    ...(generated ? { generated } : {}),
  };
  return typed && inScope({ gatekeeper: m.match ? { match: m.match } : {} }, target);
}

/**
 * `obj` as the mutators leave it (a copy, with ExternalDataPlaceholders where external data is
 * still to be asked: resolvePlaceholders), whether any changed it, and why a mutator failed.
 * Pure.
 */
export function mutate(
  obj: Obj,
  mutators: readonly GkMutator[],
  namespaceLabels?: Readonly<Record<string, string>>,
  username = '',
  generated = false,
): { object: Obj; changed: boolean; error?: string } {
  const ordered = [...mutators].sort((a, b) =>
    a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind.localeCompare(b.kind),
  );
  const out = structuredClone(obj);
  const start = JSON.stringify(obj);
  for (let round = 0; round < 3; round++) {
    const before = JSON.stringify(out);
    for (const m of ordered) {
      if (!applies(m, out, namespaceLabels, generated)) continue;
      const namespace = (out.metadata as { namespace?: string } | undefined)?.namespace;
      try {
        applyOne(out, m, { ...(namespace ? { namespace } : {}), username });
      } catch (err) {
        return {
          object: obj,
          changed: false,
          error: `${m.kind} ${m.name}: ${(err as Error).message}`,
        };
      }
    }
    if (JSON.stringify(out) === before) break;
  }
  return { object: out, changed: JSON.stringify(out) !== start };
}

/** A mutator document, or its problems. Pure. */
export function readMutator(doc: Obj, file: string, problems: string[]): GkMutator | undefined {
  const kind = doc.kind as MutatorKind;
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const spec = isObject(doc.spec) ? doc.spec : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const where = `${file}: ${String(kind)} ${name || '(no name)'}`;
  const applyTo = Array.isArray(spec.applyTo) ? spec.applyTo : [];
  const location = spec.location;
  const bad = (why: string) => void problems.push(`${where}: ${why}`);
  if (!MUTATOR_KINDS.includes(kind) || name === '') return bad('needs a kind and a name');
  if (typeof location !== 'string') return bad('needs spec.location');
  let path: PathSegment[];
  try {
    path = parseLocation(location);
  } catch (err) {
    return bad((err as Error).message);
  }
  if (kind === 'AssignMetadata' && !/^metadata\.(labels|annotations)\.[^.]+$/.test(location))
    return bad('location must be metadata.labels.<key> or metadata.annotations.<key>');
  if (kind !== 'AssignMetadata' && applyTo.length === 0) return bad('needs spec.applyTo');
  if (kind === 'Assign' && location.startsWith('metadata.'))
    return bad('Assign cannot change metadata (use AssignMetadata)');
  const params = isObject(spec.parameters) ? spec.parameters : {};
  const external = isObject(params.assign) ? params.assign.externalData : undefined;
  if (external !== undefined && kind !== 'Assign' && kind !== 'AssignMetadata')
    return bad('only Assign and AssignMetadata take externalData');
  const ref = external === undefined ? undefined : readExternalRef(external);
  if (typeof ref === 'string') return bad(ref);
  // Gatekeeper's own rules (and words) for where a provider's answer may go.
  if (ref && kind === 'AssignMetadata' && ref.dataSource !== 'Username')
    return bad('only username data source is supported for AssignMetadata');
  if (ref && kind === 'Assign' && path.at(-1)?.kind === 'list')
    return bad('cannot assign external data response to a list');
  const match =
    spec.match === undefined ? undefined : parseMatch(spec.match, `${where}: spec.match`, problems);
  return {
    kind,
    name,
    applyTo: applyTo as GkMutator['applyTo'],
    ...(match ? { match } : {}),
    location,
    path,
    parameters: params,
    file,
  };
}
