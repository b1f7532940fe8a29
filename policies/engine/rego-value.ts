// Rego values in JavaScript: JSON plus sets. A builtin that must tell a set from an array (or
// answer a set) reads its arguments through parseRegoText (what opa_value_dump writes) and
// answers RegoSets, which regoText writes back for opa_value_parse. Pure.

/** A Rego set. Members are Rego values; equal members (by regoKey) are kept once. */
export class RegoSet {
  readonly members: readonly unknown[];
  private readonly keys: Set<string>;
  constructor(members: Iterable<unknown>) {
    const seen = new Map<string, unknown>();
    for (const m of members) {
      const k = regoKey(m);
      if (!seen.has(k)) seen.set(k, m);
    }
    this.members = [...seen.values()];
    this.keys = new Set(seen.keys());
  }
  has(v: unknown): boolean {
    return this.keys.has(regoKey(v));
  }
  get size(): number {
    return this.members.length;
  }
}

/** A canonical text for a value: equal Rego values (1 and 1.0, sets in any order) share it. */
export function regoKey(v: unknown): string {
  if (v instanceof RegoSet) return `set(${v.members.map(regoKey).sort().join(',')})`;
  if (Array.isArray(v)) return `[${v.map(regoKey).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${regoKey((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Rego equality. */
export const regoEqual = (a: unknown, b: unknown): boolean => regoKey(a) === regoKey(b);

/** A value in Rego's syntax: JSON, except a set is `{a, b}` and the empty set `set()`. */
export function regoText(v: unknown): string {
  if (v instanceof RegoSet)
    return v.members.length === 0 ? 'set()' : `{${v.members.map(regoText).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(regoText).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${regoText(x)}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Whether a value holds a set anywhere (then it must cross as Rego text, not JSON). */
export function hasSet(v: unknown): boolean {
  if (v instanceof RegoSet) return true;
  if (Array.isArray(v)) return v.some(hasSet);
  return v !== null && typeof v === 'object' && Object.values(v).some(hasSet);
}

/** Deeper than this, a value is refused rather than risk the stack. */
const MAX_DEPTH = 512;
const SCALAR = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Read what opa_value_dump writes: JSON, with sets as `{a,b}` or `set()`. An object key that is
 * not a string becomes its text (JavaScript objects have string keys). Throws on anything else.
 */
export function parseRegoText(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const expect = (c: string) => {
    ws();
    if (text[i] !== c) throw new Error(`rego value: expected ${c} at ${i}`);
    i++;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new Error('rego value: nested too deep');
    ws();
    const c = text[i];
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') return (i++, out);
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ']') return (i++, out);
        expect(',');
      }
    }
    if (text.startsWith('set()', i)) return ((i += 5), new RegoSet([]));
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return (i++, {});
      const first = value(depth + 1);
      ws();
      if (text[i] === ':') return object(first, depth);
      const members = [first];
      for (;;) {
        ws();
        if (text[i] === '}') return (i++, new RegoSet(members));
        expect(',');
        members.push(value(depth + 1));
      }
    }
    SCALAR.lastIndex = i;
    const m = SCALAR.exec(text);
    if (!m) throw new Error(`rego value: unexpected ${JSON.stringify(c)} at ${i}`);
    i += m[0].length;
    return JSON.parse(m[0]) as unknown;
  };
  const object = (firstKey: unknown, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    let key = firstKey;
    for (;;) {
      expect(':');
      out[typeof key === 'string' ? key : regoText(key)] = value(depth + 1);
      ws();
      if (text[i] === '}') return (i++, out);
      expect(',');
      key = value(depth + 1);
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) throw new Error(`rego value: trailing text at ${i}`);
  return v;
}
