// The Kubernetes CEL lists, regex and sets libraries: isSorted, sum, min, max, indexOf and
// lastIndexOf on lists; find and findAll on strings; sets.contains, sets.equivalent and
// sets.intersects. Pure.
import { celFunc, celMethod, CelScalar, isCelList, listType, type CelValue } from '@bufbuild/cel';

const { STRING, INT, BOOL, DYN } = CelScalar;
const LIST = listType(DYN);

/** CEL equality for what Kubernetes objects hold (numbers of either kind compare by value). */
function equal(a: CelValue, b: CelValue): boolean {
  if (
    (typeof a === 'bigint' || typeof a === 'number') &&
    (typeof b === 'bigint' || typeof b === 'number')
  )
    return Number(a) === Number(b) && (typeof a !== 'bigint' || typeof b !== 'bigint' || a === b);
  if (isCelList(a) && isCelList(b))
    return a.size === b.size && [...a].every((x, i) => equal(x, b.get(i) as CelValue));
  if (a instanceof Map && b instanceof Map)
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && equal(v, b.get(k)));
  return a === b;
}

/** Ordering for sorted/min/max: numbers, strings, booleans; mixed kinds are an error. */
function compare(a: CelValue, b: CelValue): number {
  const num = (x: CelValue) => typeof x === 'bigint' || typeof x === 'number';
  if (num(a) && num(b)) return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  if (
    (typeof a === 'string' && typeof b === 'string') ||
    (typeof a === 'boolean' && typeof b === 'boolean')
  )
    return a < b ? -1 : a > b ? 1 : 0;
  throw new Error('no such overload: values are not comparable');
}

function extreme(list: Iterable<CelValue>, sign: number, name: string): CelValue {
  let best: CelValue | undefined;
  for (const v of list) if (best === undefined || compare(v, best) * sign > 0) best = v;
  if (best === undefined) throw new Error(`${name} called on an empty list`);
  return best;
}

function regex(re: string): RegExp {
  try {
    return new RegExp(re, 'g');
  } catch (err) {
    throw new Error(`invalid regular expression: ${(err as Error).message}`);
  }
}

export const listFuncs = [
  celMethod('isSorted', LIST, [], BOOL, function () {
    const xs = [...this];
    return xs.every((x, i) => i === 0 || compare(xs[i - 1] as CelValue, x) <= 0);
  }),
  celMethod('sum', LIST, [], DYN, function () {
    const xs = [...this];
    if (xs.every((x) => typeof x === 'bigint'))
      return xs.reduce<bigint>((s, x) => s + (x as bigint), 0n);
    if (xs.every((x) => typeof x === 'number' || typeof x === 'bigint'))
      return xs.reduce<number>((s, x) => s + Number(x), 0);
    throw new Error('no such overload: sum of values that are not numbers');
  }),
  celMethod('min', LIST, [], DYN, function () {
    return extreme(this, -1, 'min');
  }),
  celMethod('max', LIST, [], DYN, function () {
    return extreme(this, 1, 'max');
  }),
  celMethod('indexOf', LIST, [DYN], INT, function (x) {
    return BigInt([...this].findIndex((v) => equal(v, x)));
  }),
  celMethod('lastIndexOf', LIST, [DYN], INT, function (x) {
    return BigInt([...this].findLastIndex((v) => equal(v, x)));
  }),
  celMethod('find', STRING, [STRING], STRING, function (re) {
    return regex(re).exec(this)?.[0] ?? '';
  }),
  celMethod('findAll', STRING, [STRING], listType(STRING), function (re) {
    return [...this.matchAll(regex(re))].map((m) => m[0]);
  }),
  celMethod('findAll', STRING, [STRING, INT], listType(STRING), function (re, n) {
    const all = [...this.matchAll(regex(re))].map((m) => m[0]);
    return n < 0n ? all : all.slice(0, Number(n));
  }),
  celFunc('sets.contains', [LIST, LIST], BOOL, (a, b) =>
    [...b].every((x) => [...a].some((y) => equal(x, y))),
  ),
  celFunc(
    'sets.equivalent',
    [LIST, LIST],
    BOOL,
    (a, b) =>
      [...b].every((x) => [...a].some((y) => equal(x, y))) &&
      [...a].every((x) => [...b].some((y) => equal(x, y))),
  ),
  celFunc('sets.intersects', [LIST, LIST], BOOL, (a, b) =>
    [...a].some((x) => [...b].some((y) => equal(x, y))),
  ),
];
