// More pure OPA builtins the wasm target leaves to the host, with the opa binary's results
// (checked against `opa eval`: test/policies/engine/builtins-reference.test.ts, and OPA's own
// cases: test/policies/engine/opa-cases.test.ts). Errors throw `<name>: <reason>`. Builtins whose
// result is a set, or whose meaning differs between a set and an array argument, are in
// builtins-sets.ts: they read Rego values and answer RegoSets.
import { exactJson } from './exact-json.js';
import { inRange, nsOf } from './time-ns.js';
import { partsOfArg } from './builtins-time.js';
import { takesExactNumbers } from './wasm-policy.js';
import { percentDecode } from './url-parts.js';
import { isIPv6 } from 'node:net';
import { isObject } from '../../core/object.js';

/** Go's url.QueryUnescape, its error named for the builtin. */
function queryUnescape(s: string, name: string): string {
  try {
    return percentDecode(s, true);
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`);
  }
}

/** Go's net.ParseCIDR: an IPv4 or IPv6 address and a prefix length within its width. */
function cidrIsValid(s: string): boolean {
  const m = /^(.+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const [addr = '', len = ''] = [m[1], m[2]];
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255) && Number(len) <= 32;
  return isIPv6(addr) && Number(len) <= 128;
}

type Json = unknown;
/** A JSON Pointer (`/a/b`) or a path array, as json.patch takes either. */
function pointer(p: unknown): string[] {
  if (Array.isArray(p)) return p.map(String);
  if (typeof p !== 'string' || (p !== '' && !p.startsWith('/')))
    throw new Error('json.patch: bad path');
  return p === ''
    ? []
    : p
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
function parentOf(doc: Json, path: readonly string[]): { parent: Json; key: string } {
  let node = doc;
  for (const k of path.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(k)] : isObject(node) ? node[k] : undefined;
    if (node === undefined) throw new Error('json.patch: path does not exist');
  }
  return { parent: node, key: path.at(-1) ?? '' };
}
function get(doc: Json, path: readonly string[]): Json {
  if (path.length === 0) return doc;
  const { parent, key } = parentOf(doc, path);
  const v = Array.isArray(parent)
    ? parent[Number(key)]
    : isObject(parent)
      ? parent[key]
      : undefined;
  if (v === undefined) throw new Error('json.patch: path does not exist');
  return v;
}
const index = (list: unknown[], key: string, add: boolean): number => {
  const i = key === '-' && add ? list.length : Number(key);
  if (!/^(0|[1-9]\d*)$/.test(key) && !(key === '-' && add))
    throw new Error('json.patch: bad index');
  if (i > list.length || (!add && i >= list.length))
    throw new Error('json.patch: index out of range');
  return i;
};
function add(doc: Json, path: readonly string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, true), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw new Error('json.patch: parent is not a container');
  return doc;
}
function remove(doc: Json, path: readonly string[]): Json {
  if (path.length === 0) throw new Error('json.patch: cannot remove the whole document');
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, false), 1);
  else if (isObject(parent) && key in parent) Reflect.deleteProperty(parent, key);
  else throw new Error('json.patch: path does not exist');
  return doc;
}
const same = (a: Json, b: Json): boolean =>
  JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
const sortKeys = (v: Json): Json =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys(v[k])]),
        )
      : v;

/** RFC 6902 JSON Patch, as OPA's json.patch applies it (a failed operation is an error). */
function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new Error('json.patch: operand 2 must be an array of operations');
  let out = structuredClone(doc);
  for (const op of ops) {
    if (!isObject(op)) throw new Error('json.patch: an operation must be an object');
    const path = pointer(op.path);
    if (op.op === 'add') out = add(out, path, structuredClone(op.value));
    else if (op.op === 'remove') out = remove(out, path);
    else if (op.op === 'replace') out = add(remove(out, path), path, structuredClone(op.value));
    else if (op.op === 'move') {
      const from = pointer(op.from);
      const v = get(out, from);
      out = add(remove(out, from), path, v);
    } else if (op.op === 'copy') out = add(out, path, structuredClone(get(out, pointer(op.from))));
    else if (op.op === 'test') {
      if (!same(get(out, path), op.value)) throw new Error('json.patch: test failed');
    } else throw new Error(`json.patch: unknown operation ${JSON.stringify(op.op)}`);
  }
  return out;
}

const NS = 1_000_000n;
/** A time in ns (number) as a UTC Date and the nanoseconds below the millisecond. */
function split(ns: unknown, name: string): { date: Date; sub: bigint } {
  const big = nsOf(ns, name);
  const ms = big / NS - (big % NS < 0n ? 1n : 0n);
  return { date: new Date(Number(ms)), sub: big - ms * NS };
}

/** OPA's time.diff: years, months, days, hours, minutes and seconds between two times (UTC). */
/**
 * OPA's time.diff: years, months, days, hours, minutes and seconds between two times, each a
 * timestamp or [timestamp, zone]; both read in the first one's zone, as Go's time.In does.
 */
function timeDiff(a: unknown, b: unknown): number[] {
  const zoneOf = (x: unknown) => (Array.isArray(x) && typeof x[1] === 'string' ? x[1] : 'UTC');
  const nsA = nsOf(Array.isArray(a) ? a[0] : a, 'time.diff');
  const nsB = nsOf(Array.isArray(b) ? b[0] : b, 'time.diff');
  const zone = zoneOf(a);
  const [lo, hi] = nsA <= nsB ? [nsA, nsB] : [nsB, nsA];
  const t1 = partsOfArg([lo, zone], 'time.diff');
  const t2 = partsOfArg([hi, zone], 'time.diff');
  let year = t2.y - t1.y;
  let month = t2.mo - t1.mo;
  let day = t2.d - t1.d;
  let hour = t2.h - t1.h;
  let min = t2.mi - t1.mi;
  let sec = t2.s - t1.s;
  if (sec < 0) [sec, min] = [sec + 60, min - 1];
  if (min < 0) [min, hour] = [min + 60, hour - 1];
  if (hour < 0) [hour, day] = [hour + 24, day - 1];
  if (day < 0) {
    // The days of t1's month: the 32nd of it rolls over by that many.
    const d = new Date(Date.UTC(t1.y, t1.mo - 1, 32));
    [day, month] = [day + 32 - d.getUTCDate(), month - 1];
  }
  if (month < 0) [month, year] = [month + 12, year - 1];
  return [year, month, day, hour, min, sec];
}

function cast(name: string, ok: (v: unknown) => boolean) {
  return (v: unknown) => {
    if (!ok(v)) throw new Error(`${name}: operand 1 has the wrong type`);
    return v;
  };
}

export const extraBuiltins: Record<string, (...args: never[]) => unknown> = {
  'regex.find_n': (pattern: string, s: string, n: number) => {
    const all = [...s.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]);
    return n < 0 ? all : all.slice(0, n);
  },
  'urlquery.decode': (s: string) => queryUnescape(s, 'urlquery.decode'),
  'urlquery.decode_object': (s: string) => {
    const out: Record<string, string[]> = {};
    for (const pair of s.split('&')) {
      if (pair === '') continue;
      if (pair.includes(';'))
        throw new Error('urlquery.decode_object: invalid semicolon separator');
      const eq = pair.indexOf('=');
      const k = queryUnescape(eq < 0 ? pair : pair.slice(0, eq), 'urlquery.decode_object');
      const v = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1), 'urlquery.decode_object');
      (out[k] ??= []).push(v);
    }
    return out;
  },
  'net.cidr_is_valid': (s: unknown) => typeof s === 'string' && cidrIsValid(s),
  // A patch that cannot be applied has no value (OPA's json.patch is undefined then).
  'json.patch': (doc: Json, ops: unknown) => {
    try {
      return jsonPatch(doc, ops);
    } catch {
      return undefined;
    }
  },
  'time.add_date': takesExactNumbers((ns: unknown, y: number, m: number, d: number) => {
    const { date, sub } = split(ns, 'time.add_date');
    const ms = Date.UTC(
      date.getUTCFullYear() + y,
      date.getUTCMonth() + m,
      date.getUTCDate() + d,
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds(),
    );
    if (!Number.isFinite(ms)) throw new Error('time.add_date: time outside of valid range');
    return exactJson(inRange(BigInt(ms) * NS + sub, 'time.add_date'));
  }),
  'time.diff': takesExactNumbers((a: unknown, b: unknown) => timeDiff(a, b)),
  trace: () => true,
  // Rego v0's deprecated casts: the value when it has the type, else an error.
  cast_array: cast('cast_array', Array.isArray),
  cast_boolean: cast('cast_boolean', (v) => typeof v === 'boolean'),
  cast_null: cast('cast_null', (v) => v === null),
  cast_object: cast('cast_object', isObject),
  cast_string: cast('cast_string', (v) => typeof v === 'string'),
};
