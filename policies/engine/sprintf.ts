/**
 * OPA's `sprintf` as the Go implementation prints it: Go's fmt verbs applied to Rego values.
 * Numbers are integers when whole, strings are Go strings, and every other value prints in Rego
 * syntax (`["a", "b"]`, `{"k": 1}`), so `%v` of a list reads as Gatekeeper's messages do and
 * never as `[object Object]`. opa-wasm's JavaScript sprintf (sprintf-js) is replaced by this.
 */

import { RegoSet } from './rego-value.js';

/** The key of an object that stands for a set (the Gatekeeper templates' sprintf marks sets). */
export const SET_MARK = '__driftgate_set__';

const markedSet = (v: unknown): readonly unknown[] | undefined => {
  if (v instanceof RegoSet) return v.members;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  const items = (v as Record<string, unknown>)[SET_MARK];
  return keys.length === 1 && Array.isArray(items) ? items : undefined;
};

/** OPA's order of values (ast.Compare): null, booleans, numbers, strings, arrays, objects, sets. */
function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 4;
  return markedSet(v) ? 6 : 5;
}

const compareLists = (a: readonly unknown[], b: readonly unknown[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = regoCompare(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
};

/** Compare two Rego values as OPA orders them (a set prints in this order). Pure. */
export function regoCompare(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 1 || ra === 2) return Number(a) - Number(b);
  if (ra === 3) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  if (ra === 4) return compareLists(a as unknown[], b as unknown[]);
  if (ra === 6) return compareLists(sortedSet(a), sortedSet(b));
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  const byKeys = compareLists(ka, kb);
  if (byKeys !== 0) return byKeys;
  return compareLists(
    ka.map((k) => (a as Record<string, unknown>)[k]),
    kb.map((k) => (b as Record<string, unknown>)[k]),
  );
}

const sortedSet = (v: unknown): unknown[] => [...(markedSet(v) ?? [])].sort(regoCompare);

/** A value in Rego syntax, as OPA's ast.Value String() writes it (keys and sets sorted). */
export function regoText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  const set = markedSet(v);
  if (set) return set.length === 0 ? 'set()' : `{${sortedSet(v).map(regoText).join(', ')}}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(regoText).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${regoText(x)}`).join(', ')}}`;
  }
  return String(v);
}

/** Go's name of a value's type in a bad-verb note (`%!d(string=x)`). */
const goType = (v: unknown): string =>
  typeof v === 'string'
    ? 'string'
    : typeof v === 'boolean'
      ? 'bool'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'int64'
          : 'float64'
        : 'ast.Value';

const plain = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : regoText(v);

const pad = (s: string, width: number | undefined, left: boolean, zero: boolean): string => {
  if (width === undefined || s.length >= width) return s;
  if (left) return s.padEnd(width);
  if (zero && /^[+-]?\d/.test(s)) {
    const sign = /^[+-]/.test(s) ? s.slice(0, 1) : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width);
};

function verb(c: string, v: unknown, precision: number | undefined): string {
  const bad = `%!${c}(${goType(v)}=${plain(v)})`;
  switch (c) {
    case 'v':
      return typeof v === 'string' && precision !== undefined ? v.slice(0, precision) : plain(v);
    case 's':
      // OPA hands Go a number as an int or a float64, which %s does not print.
      if (typeof v === 'number') return bad;
      return typeof v === 'string' && precision !== undefined ? v.slice(0, precision) : plain(v);
    case 'q':
      return typeof v === 'string' ? JSON.stringify(v) : bad;
    case 'd':
      return typeof v === 'number' && Number.isInteger(v) ? String(v) : bad;
    case 'f':
    case 'F':
      return typeof v === 'number' ? v.toFixed(precision ?? 6) : bad;
    case 'e':
      return typeof v === 'number'
        ? v.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2')
        : bad;
    case 'g':
      return typeof v === 'number' ? String(v) : bad;
    case 't':
      return typeof v === 'boolean' ? String(v) : bad;
    case 'x':
    case 'X': {
      const hex =
        typeof v === 'number' && Number.isInteger(v)
          ? v.toString(16)
          : typeof v === 'string'
            ? Buffer.from(v).toString('hex')
            : undefined;
      if (hex === undefined) return bad;
      return c === 'X' ? hex.toUpperCase() : hex;
    }
    default:
      return `%!${c}(${goType(v)}=${plain(v)})`;
  }
}

const DIRECTIVE = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;

/** Go's fmt.Sprintf over OPA's argument conversion. Throws when `args` is not an array. */
export function goSprintf(format: string, args: unknown): string {
  if (typeof format !== 'string') throw new Error('sprintf: operand 1 must be string');
  if (!Array.isArray(args)) throw new Error('sprintf: operand 2 must be array');
  let i = 0;
  const out = format.replace(
    DIRECTIVE,
    (_m, flags: string, width?: string, prec?: string, c = 'v'): string => {
      if (c === '%') return '%';
      if (i >= args.length) return `%!${c}(MISSING)`;
      const v: unknown = args[i++];
      let s = verb(c, v, prec === undefined ? undefined : Number(prec));
      if (flags.includes('+') && typeof v === 'number' && v >= 0 && 'dfFeg'.includes(c))
        s = `+${s}`;
      return pad(
        s,
        width === undefined ? undefined : Number(width),
        flags.includes('-'),
        flags.includes('0'),
      );
    },
  );
  if (i < args.length)
    return `${out}%!(EXTRA ${args
      .slice(i)
      .map((v) => `${goType(v)}=${plain(v)}`)
      .join(', ')})`;
  return out;
}
