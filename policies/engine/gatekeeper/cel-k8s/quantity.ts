// The Kubernetes CEL quantity library: quantity("1.5Gi"), isQuantity(), and the comparisons and
// arithmetic of resource.Quantity, exact (a quantity is a rational number here). A quantity is a
// CEL map tagged with its exact value, so equal amounts are equal whatever their notation. Pure.
import { celFunc, celMethod, CelScalar, mapType, type CelMap } from '@bufbuild/cel';

const { STRING, INT, DOUBLE, BOOL, DYN } = CelScalar;
export const QUANTITY = mapType(STRING, DYN);
const TAG = '\u0000k8s.quantity';

/** An exact amount: numerator / denominator, the denominator positive and the fraction reduced. */
interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
const reduce = (n: bigint, d: bigint): Rational => {
  const g = gcd(n, d) || 1n;
  return d < 0n ? { n: -n / g, d: -d / g } : { n: n / g, d: d / g };
};

const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** Kubernetes' quantity grammar; undefined when `s` is not a quantity. Pure. */
export function parseQuantity(s: string): Rational | undefined {
  const m =
    /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/.exec(s);
  if (!m || s.length > 64) return undefined;
  const [whole = '', frac = ''] = (m[2] ?? '').split('.');
  let n = BigInt(`${whole || '0'}${frac}`) * (m[1] === '-' ? -1n : 1n);
  let d = 10n ** BigInt(frac.length);
  const suffix = m[3] ?? '';
  const exp = m[4] !== undefined ? Number(m[4]) : (DECIMAL[suffix] ?? 0);
  if (Math.abs(exp) > 100) return undefined;
  if (BINARY[suffix]) n *= BINARY[suffix];
  else if (exp >= 0) n *= 10n ** BigInt(exp);
  else d *= 10n ** BigInt(-exp);
  return reduce(n, d);
}

const tagged = (r: Rational): Map<string, string> => new Map([[TAG, `${r.n}/${r.d}`]]);
function valueOf(q: CelMap): Rational {
  const v = q.get(TAG);
  if (typeof v !== 'string' || q.size !== 1) throw new Error('no such overload: not a quantity');
  const [n = '0', d = '1'] = v.split('/');
  return { n: BigInt(n), d: BigInt(d) };
}
const cmp = (a: Rational, b: Rational): bigint => {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1n : x > 0n ? 1n : 0n;
};
const add = (a: Rational, b: Rational, sign: bigint): Map<string, string> =>
  tagged(reduce(a.n * b.d + sign * b.n * a.d, a.d * b.d));
const INT64_MAX = (1n << 63n) - 1n;

function quantity(s: string): Map<string, string> {
  const r = parseQuantity(s);
  if (!r)
    throw new Error(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  return tagged(r);
}

export const quantityFuncs = [
  celFunc('quantity', [STRING], QUANTITY, quantity),
  celFunc('isQuantity', [STRING], BOOL, (s) => parseQuantity(s) !== undefined),
  celMethod('compareTo', QUANTITY, [QUANTITY], INT, function (o) {
    return cmp(valueOf(this), valueOf(o));
  }),
  celMethod('isLessThan', QUANTITY, [QUANTITY], BOOL, function (o) {
    return cmp(valueOf(this), valueOf(o)) < 0n;
  }),
  celMethod('isGreaterThan', QUANTITY, [QUANTITY], BOOL, function (o) {
    return cmp(valueOf(this), valueOf(o)) > 0n;
  }),
  celMethod('add', QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return add(valueOf(this), valueOf(o), 1n);
  }),
  celMethod('add', QUANTITY, [INT], QUANTITY, function (i) {
    return add(valueOf(this), { n: i, d: 1n }, 1n);
  }),
  celMethod('sub', QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return add(valueOf(this), valueOf(o), -1n);
  }),
  celMethod('sub', QUANTITY, [INT], QUANTITY, function (i) {
    return add(valueOf(this), { n: i, d: 1n }, -1n);
  }),
  celMethod('isInteger', QUANTITY, [], BOOL, function () {
    const r = valueOf(this);
    return r.d === 1n && r.n <= INT64_MAX && r.n >= -INT64_MAX - 1n;
  }),
  celMethod('asInteger', QUANTITY, [], INT, function () {
    const r = valueOf(this);
    if (r.d !== 1n || r.n > INT64_MAX || r.n < -INT64_MAX - 1n)
      throw new Error('cannot convert value to integer');
    return r.n;
  }),
  celMethod('asApproximateFloat', QUANTITY, [], DOUBLE, function () {
    const r = valueOf(this);
    return Number(r.n) / Number(r.d);
  }),
];
