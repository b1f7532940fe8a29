// Gatekeeper's mutation locations: `spec.containers[name: *].securityContext.privileged`.
// A field is a name; a list is `name[key: value]`, value a name, a quoted string, or `*` (every
// element there is, none created). And the walk a mutator makes along one, with its pathTests.
// Pure.
import { isObject } from '../../../core/object.js';

export type PathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | {
      readonly kind: 'list';
      readonly name: string;
      readonly key: string;
      /** undefined: `*`, every element. */
      readonly value?: string;
    };

/** Longer locations are refused: a mutator's path is a few fields deep. */
const MAX_LOCATION = 1024;

const NAME = /^(?:[A-Za-z0-9_\-/]+|"(?:[^"\\]|\\.)*")/;

function unquote(s: string): string {
  return s.startsWith('"') ? (JSON.parse(s) as string) : s;
}

/** The segments of a location; throws naming what is wrong. */
export function parseLocation(location: string): PathSegment[] {
  if (location.length > MAX_LOCATION)
    throw new Error(`location longer than ${MAX_LOCATION} characters`);
  const out: PathSegment[] = [];
  let rest = location.trim();
  while (rest.length > 0) {
    const name = NAME.exec(rest)?.[0];
    if (!name) throw new Error(`location ${location}: expected a field name at "${rest}"`);
    rest = rest.slice(name.length);
    // `[key: value]`: no two parts of the pattern can take the same spaces (linear on any input).
    const list =
      /^\[\s*([A-Za-z0-9_\-/]+|"(?:[^"\\]|\\.)*")\s*:(\s*"(?:[^"\\]|\\.)*"\s*|[^\]"]*)\]/.exec(
        rest,
      );
    if (list) {
      const value = (list[2] ?? '').trim();
      if (value === '') throw new Error(`location ${location}: a list key needs a value or *`);
      out.push({
        kind: 'list',
        name: unquote(name),
        key: unquote(list[1] ?? ''),
        ...(value === '*' ? {} : { value: unquote(value) }),
      });
      rest = rest.slice(list[0].length);
    } else out.push({ kind: 'field', name: unquote(name) });
    if (rest.startsWith('.')) rest = rest.slice(1);
    else if (rest.length > 0) throw new Error(`location ${location}: unexpected "${rest}"`);
  }
  if (out.length === 0) throw new Error('location is empty');
  return out;
}

type Obj = Record<string, unknown>;
export type Leaf = (container: Obj, key: string) => void;
/** pathTests by the index of the location segment their subPath ends at. */
export type Tests = ReadonlyMap<number, 'MustExist' | 'MustNotExist'>;

/** Whether a branch may go on past segment `depth`, where `value` is (Gatekeeper's tester). */
const passes = (tests: Tests, depth: number, value: unknown): boolean => {
  const want = tests.get(depth);
  return want === undefined || (want === 'MustExist') === (value !== undefined);
};

/**
 * Visit every place `path` names (creating what is missing when `create`), each branch stopping
 * where a pathTest fails in it (a glob's elements are tested one by one); any visited.
 */
export function walk(
  node: Obj,
  path: readonly PathSegment[],
  create: boolean,
  leaf: Leaf,
  tests: Tests = new Map(),
  depth = 0,
): boolean {
  const [seg, ...rest] = path;
  if (!seg) return false;
  if (seg.kind === 'field') {
    if (!passes(tests, depth, node[seg.name])) return false;
    if (rest.length === 0) return (leaf(node, seg.name), true);
    if (node[seg.name] === undefined && create) node[seg.name] = {};
    const next = node[seg.name];
    return isObject(next) ? walk(next, rest, create, leaf, tests, depth + 1) : false;
  }
  const hit = (e: unknown) => isObject(e) && (seg.value === undefined || e[seg.key] === seg.value);
  const present = Array.isArray(node[seg.name]) && (node[seg.name] as unknown[]).some(hit);
  // A keyed element that is not there yet: tested as missing before it is created.
  if (!present && seg.value !== undefined && !passes(tests, depth, undefined)) return false;
  if (node[seg.name] === undefined && create && seg.value !== undefined) node[seg.name] = [];
  const list = node[seg.name];
  if (!Array.isArray(list)) return false;
  if (!present && create && seg.value !== undefined) list.push({ [seg.key]: seg.value });
  let any = false;
  list.forEach((e, i) => {
    if (!hit(e) || (present && !passes(tests, depth, e))) return;
    if (rest.length === 0) return void ((any = true), leaf(list as unknown as Obj, String(i)));
    any = walk(e as Obj, rest, create, leaf, tests, depth + 1) || any;
  });
  return any;
}

/** A mutator's pathTests, by the location segment each subPath ends at. Pure. */
export function pathTests(p: Obj): Map<number, 'MustExist' | 'MustNotExist'> {
  const out = new Map<number, 'MustExist' | 'MustNotExist'>();
  for (const t of Array.isArray(p.pathTests) ? p.pathTests : []) {
    if (!isObject(t) || typeof t.subPath !== 'string') continue;
    let depth: number;
    try {
      depth = parseLocation(t.subPath).length - 1;
    } catch {
      continue;
    }
    out.set(depth, t.condition === 'MustNotExist' ? 'MustNotExist' : 'MustExist');
  }
  return out;
}
