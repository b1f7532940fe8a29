/**
 * OPA's `sprintf` as the Go implementation prints it: Go's fmt verbs applied to Rego values.
 * Numbers are integers when whole, strings are Go strings, and every other value prints in Rego
 * syntax (`["a", "b"]`, `{"k": 1}`), so `%v` of a list reads as Gatekeeper's messages do and
 * never as `[object Object]`. opa-wasm's JavaScript sprintf (sprintf-js) is replaced by this.
 */

/** The key of an object that stands for a set (the Gatekeeper templates' sprintf marks sets). */
export const SET_MARK = '__driftgate_set__';

const markedSet = (v: unknown): unknown[] | undefined => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  const items = (v as Record<string, unknown>)[SET_MARK];
  return keys.length === 1 && Array.isArray(items) ? items : undefined;
};

/** A value in Rego syntax, as OPA's ast.Value String() writes it (object keys sorted). */
export function regoText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  const set = markedSet(v);
  if (set) return set.length === 0 ? 'set()' : `{${set.map(regoText).join(', ')}}`;
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
          ? 'int'
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
    case 's':
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
