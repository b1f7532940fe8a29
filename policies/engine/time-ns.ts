// Nanosecond timestamps as OPA's time builtins take them: Go's int64, exactly. A number past 2^53
// reaches a builtin marked takesExactNumbers as a bigint (its JSON digits), so no nanosecond is
// rounded away. Pure.

const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

/** A timestamp argument as int64 nanoseconds; throws `<name>: timestamp too big` past int64. */
export function nsOf(v: unknown, name: string): bigint {
  let ns: bigint;
  if (typeof v === 'bigint') ns = v;
  else if (typeof v === 'number' && Number.isFinite(v)) {
    if (Math.abs(v) >= 2 ** 63) throw new Error(`${name}: timestamp too big`);
    ns = BigInt(Math.trunc(v));
  } else throw new Error(`${name}: operand 1 must be a number`);
  if (ns > MAX || ns < MIN) throw new Error(`${name}: timestamp too big`);
  return ns;
}

/** A computed time within int64 nanoseconds, or `<name>: time outside of valid range`. */
export function inRange(ns: bigint, name: string): bigint {
  if (ns > MAX || ns < MIN) throw new Error(`${name}: time outside of valid range`);
  return ns;
}
