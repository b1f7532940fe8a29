// OPA's builtins whose answer is a set, or whose meaning differs between a set and an array
// argument: they read Rego values (takesRegoValues) and answer RegoSets, which the wasm loader
// (wasm-policy.ts) hands back as sets. Semantics from OPA's topdown (cidr.go, reachable.go,
// object.go, casts.go), checked against `opa eval` (builtins-reference.test.ts) and OPA's own
// test cases (opa-cases.test.ts). Errors throw `<name>: <reason>`. Pure.
import {
  formatIp,
  isMapped,
  network,
  parseCidr,
  parseIp,
  rangeToCidrs,
  type Cidr,
} from './net-ip.js';
import { RegoSet, regoEqual, regoKey } from './rego-value.js';
import { takesRegoValues, type Builtin } from './wasm-policy.js';
import { LimitError } from './limit-error.js';
import { isObject } from '../../core/object.js';

/** Addresses net.cidr_expand lists at most (a /16 in IPv4); OPA has only its deadline. */
export const MAX_EXPAND = 65_536;
/** Paths graph.reachable_paths finds at most before it refuses (the count can be exponential). */
export const MAX_PATHS = 100_000;

const fail = (name: string, why: string): never => {
  throw new Error(`${name}: ${why}`);
};

function cidrOf(name: string, s: unknown): Cidr {
  if (typeof s !== 'string') return fail(name, 'operand 1 must be string');
  try {
    return parseCidr(s);
  } catch (err) {
    return fail(name, (err as Error).message);
  }
}

function cidrExpand(s: unknown): RegoSet {
  const c = cidrOf('net.cidr_expand', s);
  if (c.last - c.first >= BigInt(MAX_EXPAND))
    throw new LimitError(`net.cidr_expand: ${String(s)} has more than ${MAX_EXPAND} addresses`);
  const out: string[] = [];
  for (let v = c.first; v <= c.last; v++) out.push(formatIp(v));
  return new RegoSet(out);
}

/**
 * net.cidr_contains: `a` (a CIDR) holds the address or the whole network `b`. As in Go, an IPv4
 * address is only ever inside an IPv4 (or IPv4-mapped) network, and an IPv6 one only in IPv6.
 */
function contains(a: string, b: string): boolean {
  const outer = cidrOf('net.cidr_contains_matches', a);
  const holds = (v: bigint) =>
    isMapped(v) === isMapped(outer.first) && v >= outer.first && v <= outer.last;
  const ip = parseIp(b);
  if (ip) return holds(ip.value);
  let inner: Cidr;
  try {
    inner = parseCidr(b);
  } catch {
    return fail(
      'net.cidr_contains_matches',
      `not a valid textual representation of an IP address or CIDR: ${b}`,
    );
  }
  return holds(inner.first) && holds(inner.last);
}

/** Each (cidr, key) of an operand: a string is its own key; arrays by index; sets by member. */
function matchOperand(operand: number, x: unknown): [string, unknown][] {
  const cidr = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.length > 0) return v[0] as string;
    return fail(
      'net.cidr_contains_matches',
      `operand ${operand}: element must be string or non-empty array`,
    );
  };
  if (typeof x === 'string') return [[x, x]];
  if (Array.isArray(x)) return x.map((v, i) => [cidr(v), i]);
  if (x instanceof RegoSet) return x.members.map((v) => [cidr(v), v]);
  if (isObject(x)) return Object.entries(x).map(([k, v]) => [cidr(v), k]);
  return [];
}

function cidrContainsMatches(a: unknown, b: unknown): RegoSet {
  const out: unknown[] = [];
  const bs = matchOperand(2, b);
  for (const [ca, ka] of matchOperand(1, a))
    for (const [cb, kb] of bs) {
      if (typeof ca !== 'string' || typeof cb !== 'string')
        fail('net.cidr_contains_matches', 'operand 1 must be string');
      if (contains(ca, cb)) out.push([ka, kb]);
    }
  return new RegoSet(out);
}

interface Range {
  first: bigint;
  last: bigint;
  /** Go's text for a network no other touched; undefined once merged. */
  text?: string;
}

/** An element of net.cidr_merge: a CIDR, or an IPv4 address under its classful mask. */
function mergeElement(x: unknown): Range {
  if (typeof x !== 'string') return fail('net.cidr_merge', 'element must be string');
  const ip = parseIp(x);
  if (!ip) {
    try {
      return parseCidr(x);
    } catch (err) {
      return fail('net.cidr_merge', (err as Error).message);
    }
  }
  if (!ip.v4) return fail('net.cidr_merge', 'IPv6 invalid: needs prefix length');
  const top = Number((ip.value >> 24n) & 0xffn);
  return network(ip, top < 0x80 ? 8 : top < 0xc0 ? 16 : 24, ip.value);
}

function cidrMerge(xs: unknown): RegoSet {
  const items = Array.isArray(xs) ? xs : xs instanceof RegoSet ? xs.members : undefined;
  if (!items) return fail('net.cidr_merge', 'operand must be an array');
  const ranges = items
    .map(mergeElement)
    .map((r) => ({ first: r.first, last: r.last, text: r.text }));
  ranges.sort((a, b) =>
    a.last !== b.last
      ? a.last < b.last
        ? -1
        : 1
      : a.first < b.first
        ? -1
        : a.first > b.first
          ? 1
          : 0,
  );
  const merged: Range[] = [];
  for (let i = ranges.length - 1; i >= 0; i--) {
    const r = ranges[i] as Range;
    const next = merged[merged.length - 1];
    const before =
      next && (next.first === 0n || next.first === 0xffffn << 32n)
        ? next.first
        : next
          ? next.first - 1n
          : 0n;
    if (next && before <= r.last) {
      merged[merged.length - 1] = {
        first: r.first < next.first ? r.first : next.first,
        last: next.last,
      };
    } else merged.push({ ...r });
  }
  return new RegoSet(
    merged.flatMap((r) =>
      r.text !== undefined ? [r.text] : rangeToCidrs(r.first, r.last).map((c) => c.text),
    ),
  );
}

/** graph.reachable_paths: every path from each initial node to a leaf, a cycle or an unknown node. */
function reachablePaths(graph: unknown, initial: unknown): RegoSet {
  const name = 'graph.reachable_paths';
  if (!isObject(graph) || graph instanceof RegoSet) return fail(name, 'operand 1 must be object');
  const starts = Array.isArray(initial)
    ? initial
    : initial instanceof RegoSet
      ? initial.members
      : undefined;
  if (!starts) return fail(name, 'operand 2 must be one of {array, set}');
  const edges = (node: unknown): readonly unknown[] | undefined => {
    if (typeof node !== 'string' || !Object.hasOwn(graph, node)) return undefined;
    const e = graph[node];
    return Array.isArray(e) ? e : e instanceof RegoSet ? e.members : [];
  };
  const out = new Map<string, unknown[]>();
  const add = (path: unknown[]) => {
    out.set(regoKey(path), path);
    if (out.size > MAX_PATHS) throw new LimitError(`${name}: more than ${MAX_PATHS} paths`);
  };
  const walk = (node: unknown, path: unknown[], seen: Set<string>): void => {
    const next = edges(node);
    if (next === undefined) return add(path);
    const here = [...path, node];
    if (next.length === 0) return add(here);
    const reached = new Set(seen).add(regoKey(node));
    for (const n of next) {
      if (reached.has(regoKey(n))) add(here);
      else walk(n, here, reached);
    }
  };
  for (const node of starts) {
    const next = edges(node);
    if (next === undefined) continue;
    if (next.length === 0) add([node]);
    for (const n of next) walk(n, [node], new Set([regoKey(node)]));
  }
  return new RegoSet(out.values());
}

/** object.subset, with OPA's rules for objects (recursive), sets, arrays and array ⊇ set. */
export function objectSubset(sup: unknown, sub: unknown): boolean {
  if (isObject(sup) && isObject(sub) && !(sup instanceof RegoSet) && !(sub instanceof RegoSet))
    return Object.entries(sub).every(([k, v]) => Object.hasOwn(sup, k) && nestedSubset(sup[k], v));
  if (sup instanceof RegoSet && sub instanceof RegoSet) return sub.members.every((m) => sup.has(m));
  if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
  if (Array.isArray(sup) && sub instanceof RegoSet) {
    // OPA counts the array's members found in the set until it has counted the set's size.
    let unmatched = sub.size;
    return sup.some((m) => {
      if (sub.has(m)) unmatched--;
      return unmatched === 0;
    });
  }
  return fail(
    'object.subset',
    'both arguments object.subset must be of the same type or array and set',
  );
}

function nestedSubset(sup: unknown, sub: unknown): boolean {
  if (regoEqual(sup, sub)) return true;
  const objects = (v: unknown) => isObject(v) && !(v instanceof RegoSet);
  if (
    (objects(sup) && objects(sub)) ||
    (sup instanceof RegoSet && sub instanceof RegoSet) ||
    (Array.isArray(sup) && Array.isArray(sub))
  )
    return objectSubset(sup, sub);
  return false;
}

/** `sub` appears in `sup` as a contiguous run. */
function arraySubset(sup: unknown[], sub: unknown[]): boolean {
  if (sub.length > sup.length) return false;
  for (let at = 0; at + sub.length <= sup.length; at++)
    if (sub.every((v, i) => regoEqual(sup[at + i], v))) return true;
  return sub.length === 0 && regoEqual(sup, sub);
}

function castSet(x: unknown): RegoSet {
  if (x instanceof RegoSet) return x;
  if (Array.isArray(x)) return new RegoSet(x);
  return fail('cast_set', 'operand 1 must be one of {array, set}');
}

/** The builtins of this file, by name, for the wasm loader. */
export const setBuiltins: Readonly<Record<string, Builtin>> = {
  'net.cidr_expand': takesRegoValues(cidrExpand as Builtin),
  'net.cidr_merge': takesRegoValues(cidrMerge as Builtin),
  'net.cidr_contains_matches': takesRegoValues(cidrContainsMatches as Builtin),
  'graph.reachable_paths': takesRegoValues(reachablePaths as Builtin),
  'object.subset': takesRegoValues(objectSubset as Builtin),
  cast_set: takesRegoValues(castSet as Builtin),
};
