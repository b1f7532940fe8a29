// CEL's optional type and its library (optional.of/none/ofNonZeroValue, hasValue, value, or,
// orValue, `optional_type`), and the field selection, index and `has()` that tree.ts routes
// through here so that they see optionals: on an optional they give an optional (none when the
// value or its entry is absent), elsewhere they are CEL's own (an absent key is an error).
// An optional is a CEL map tagged with a list of none or one value, as the Kubernetes libraries'
// values are (@bufbuild/cel has no opaque types): two optionals are equal when their values are.
// Pure.
import {
  celFunc,
  celList,
  celMap,
  celMethod,
  celType,
  CelScalar,
  isCelList,
  isCelMap,
  isCelUint,
  mapType,
  objectType,
  type CelInput,
  type CelList,
  type CelMap,
  type CelUint,
  type CelValue,
} from '@bufbuild/cel';

const { STRING, BOOL, DYN, TYPE } = CelScalar;
const TAG = '\u0000cel.optional';
const OPTIONAL = mapType(STRING, DYN);
const OPTIONAL_TYPE = objectType('optional_type');

/** The names of the functions tree.ts calls. */
export const OPT = {
  of: 'optional.of',
  none: 'optional.none',
  hasValue: 'hasValue',
  value: 'value',
  isOptional: '__dg_is_optional__',
  typeName: '__dg_optional_type__',
  type: '__dg_type__',
  select: '__dg_select__',
  optSelect: '__dg_optselect__',
  index: '__dg_index__',
  optIndex: '__dg_optindex__',
  has: '__dg_has__',
  list: '__dg_optlist__',
  map: '__dg_optmap__',
} as const;

const wrap = (items: CelInput[]): CelMap => celMap(new Map([[TAG, celList(items)]]));
/** optional.none() and optional.of(v), for the libraries that give optionals. */
export const NONE = wrap([]);
export const some = (v: CelInput): CelMap => celMap(new Map([[TAG, celList([v])]]));

/** A list's item that exists (the index was checked). */
const at = (l: CelList, i: number): CelValue => {
  const v = l.get(i);
  if (v === undefined) throw new Error(`index out of bounds: ${i}`);
  return v;
};

/** The optional's value list (empty for none), or undefined when `v` is not an optional. */
function inner(v: CelValue): CelList | undefined {
  if (!isCelMap(v) || v.size !== 1) return undefined;
  const l = v.get(TAG);
  return l !== undefined && isCelList(l) ? l : undefined;
}

const mustBe = (v: CelValue): CelList => {
  const l = inner(v);
  if (!l) throw new Error(`expected an optional value, got ${celType(v).name}`);
  return l;
};

/** A list index from a CEL number: int, uint or a whole double. */
function position(k: CelValue): number | undefined {
  if (typeof k === 'bigint') return Number(k);
  if (isCelUint(k)) return Number(k.value);
  if (typeof k === 'number' && Number.isInteger(k)) return k;
  return undefined;
}

type Key = string | bigint | boolean | number | CelUint;
const mapKey = (k: CelValue): Key => {
  if (['string', 'bigint', 'boolean', 'number'].includes(typeof k) || isCelUint(k)) return k as Key;
  throw new Error(`unsupported key type: ${celType(k).name}`);
};

/** An entry of a map or list, or undefined when it is absent; throws where CEL has no entry. */
function entry(on: CelValue, key: CelValue): CelValue | undefined {
  if (isCelMap(on)) return on.get(mapKey(key));
  if (isCelList(on)) {
    const i = position(key);
    if (i === undefined) throw new Error(`invalid list index: ${celType(key).name}`);
    return i >= 0 && i < on.size ? on.get(i) : undefined;
  }
  throw new Error(`no such key: ${String(key)}`);
}

/** `on.?key`, `on[?key]`, and any access after an optional: an optional of the entry. */
function optionalEntry(on: CelValue, key: CelValue): CelMap {
  const l = inner(on);
  if (l && l.size === 0) return NONE;
  const v = entry(l ? at(l, 0) : on, key);
  return v === undefined ? NONE : some(v);
}

/** `on.key` and `on[key]`: the entry, an error when absent, an optional after an optional. */
function strictEntry(on: CelValue, key: CelValue): CelValue {
  if (inner(on)) return optionalEntry(on, key);
  const v = entry(on, key);
  if (v !== undefined) return v;
  // cel-go's words, which Kubernetes' messages carry.
  if (isCelList(on)) throw new Error(`index out of bounds: ${String(position(key) ?? key)}`);
  throw new Error(`no such key: ${String(key)}`);
}

/** CEL's zero values, which `optional.ofNonZeroValue` takes for absent. */
function isZero(v: CelValue): boolean {
  if (v === null || v === false || v === '' || v === 0 || v === 0n) return true;
  if (isCelUint(v)) return v.value === 0n;
  if (v instanceof Uint8Array || isCelList(v) || isCelMap(v)) {
    return (v instanceof Uint8Array ? v.length : v.size) === 0;
  }
  return false;
}

function fromEntries(flags: CelList, items: CelList): CelValue[] {
  const out: CelValue[] = [];
  for (let i = 0; i < items.size; i++) {
    const v = at(items, i);
    if (flags.get(i) !== true) out.push(v);
    else out.push(...mustBe(v));
  }
  return out;
}

export const optionalFuncs = [
  celFunc(OPT.of, [DYN], OPTIONAL, (v) => some(v)),
  celFunc(OPT.none, [], OPTIONAL, () => NONE),
  celFunc('optional.ofNonZeroValue', [DYN], OPTIONAL, (v) => (isZero(v) ? NONE : some(v))),
  celMethod(OPT.hasValue, OPTIONAL, [], BOOL, function () {
    return mustBe(this).size === 1;
  }),
  celMethod(OPT.value, OPTIONAL, [], DYN, function () {
    const l = mustBe(this);
    if (l.size === 0) throw new Error('optional.none() dereference');
    return at(l, 0);
  }),
  celMethod('or', OPTIONAL, [DYN], OPTIONAL, function (other) {
    if (mustBe(this).size === 1) return this;
    mustBe(other);
    return other as CelMap;
  }),
  celMethod('orValue', OPTIONAL, [DYN], DYN, function (other) {
    const l = mustBe(this);
    return l.size === 1 ? at(l, 0) : other;
  }),
  celFunc(OPT.isOptional, [DYN], BOOL, (v) => inner(v) !== undefined),
  celFunc(OPT.typeName, [], TYPE, () => OPTIONAL_TYPE),
  celFunc(OPT.type, [DYN], TYPE, (v) => (inner(v) ? OPTIONAL_TYPE : celType(v))),
  celFunc(OPT.select, [DYN, STRING], DYN, strictEntry),
  celFunc(OPT.index, [DYN, DYN], DYN, strictEntry),
  celFunc(OPT.optSelect, [DYN, STRING], OPTIONAL, optionalEntry),
  celFunc(OPT.optIndex, [DYN, DYN], OPTIONAL, optionalEntry),
  celFunc(OPT.has, [DYN, STRING], BOOL, (on, field) => {
    const l = inner(on);
    if (l && l.size === 0) return false;
    const v = l ? at(l, 0) : on;
    if (!isCelMap(v)) throw new Error(`invalid type for field selection: ${celType(v).name}`);
    return v.has(field);
  }),
  celFunc(OPT.list, [DYN, DYN], DYN, (items, flags) => {
    if (!isCelList(items) || !isCelList(flags)) throw new Error('invalid optional list');
    return celList(fromEntries(flags, items));
  }),
  celFunc(OPT.map, [DYN, DYN, DYN], DYN, (keys, values, flags) => {
    if (!isCelList(keys) || !isCelList(values) || !isCelList(flags))
      throw new Error('invalid optional map');
    const out = new Map<Exclude<Key, number>, CelValue>();
    for (let i = 0; i < keys.size; i++) {
      const k = mapKey(at(keys, i));
      const v = at(values, i);
      const present = flags.get(i) === true ? mustBe(v) : celList([v]);
      if (typeof k === 'number') throw new Error('unsupported key type: double');
      if (present.size === 0) continue;
      if (celMap(out).has(k)) throw new Error(`map key conflict: ${String(k)}`);
      out.set(k, at(present, 0));
    }
    return celMap(out);
  }),
];
