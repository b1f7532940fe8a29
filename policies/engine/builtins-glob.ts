// OPA's regex.globs_match: whether two regexp-style globs (anchored; `.`, `[a-z0-9]` classes,
// `+`, `*`, `\` escapes, as OPA's glob-intersection documents) both match some non-empty
// string. Decided exactly, as the emptiness of the product of the two globs' automata: each
// state is a pair of positions, a step reads a character both tokens accept. Pure; the product
// has at most (n+1)² states, and each glob is bounded in length.
import { LimitError } from './limit-error.js';

/** Characters a token accepts: any, or a set of code points. */
type Chars = { any: true } | { any: false; set: ReadonlySet<number> };
interface Token {
  readonly chars: Chars;
  readonly flag: '' | '+' | '*';
}

/** Globs longer than this are refused (the product grows with the square). */
export const MAX_GLOB = 2048;

const fail = (why: string): never => {
  throw new Error(`regex.globs_match: ${why}`);
};

function classOf(cps: number[], at: number): { chars: Chars; next: number } {
  const set = new Set<number>();
  let i = at;
  let prev: number | undefined;
  for (;;) {
    if (i >= cps.length) return fail('found [ without matching ]');
    let c = cps[i] as number;
    let escaped = false;
    if (c === 0x5c) {
      if (i + 1 >= cps.length) return fail('input ends with a \\ (escape) character');
      c = cps[++i] as number;
      escaped = true;
    }
    i++;
    if (!escaped && c === 0x5d) return { chars: { any: false, set }, next: i };
    if (!escaped && c === 0x2d) {
      if (prev === undefined) fail("range character '-' must be preceded by a character");
      let end = cps[i];
      if (end === 0x5c) end = cps[++i];
      else if (end === 0x5d || end === 0x2d || end === undefined)
        fail("range character '-' must be followed by a character");
      i++;
      if ((end as number) < (prev as number)) fail('range is out of order');
      if ((end as number) - (prev as number) > 0x10000) fail('range is too large');
      for (let x = prev as number; x <= (end as number); x++) set.add(x);
      prev = undefined;
      continue;
    }
    set.add(c);
    prev = c;
  }
}

/** The tokens of a glob. Throws on a glob OPA refuses. */
export function globTokens(glob: string): Token[] {
  if (glob.length > MAX_GLOB)
    throw new LimitError(`regex.globs_match: glob longer than ${MAX_GLOB} characters`);
  const cps = [...glob].map((c) => c.codePointAt(0) as number);
  const out: Token[] = [];
  for (let i = 0; i < cps.length;) {
    let c = cps[i] as number;
    let chars: Chars;
    if (c === 0x5c) {
      if (i + 1 >= cps.length) fail('input ends with a \\ (escape) character');
      c = cps[i + 1] as number;
      chars = { any: false, set: new Set([c]) };
      i += 2;
    } else if (c === 0x2e) {
      chars = { any: true };
      i++;
    } else if (c === 0x5b) {
      const k = classOf(cps, i + 1);
      chars = k.chars;
      i = k.next;
    } else if (c === 0x5d) return fail("set-close ']' with no preceding '['");
    else if (c === 0x2b || c === 0x2a)
      return fail(`flag '${String.fromCodePoint(c)}' must be preceded by a non-flag`);
    else {
      chars = { any: false, set: new Set([c]) };
      i++;
    }
    const f = cps[i];
    const flag = f === 0x2b ? '+' : f === 0x2a ? '*' : '';
    if (flag) i++;
    out.push({ chars, flag });
  }
  return out;
}

/** Some character both accept. */
function meet(a: Chars, b: Chars): boolean {
  if (a.any) return b.any || b.set.size > 0;
  if (b.any) return a.set.size > 0;
  const [small, big] = a.set.size <= b.set.size ? [a.set, b.set] : [b.set, a.set];
  for (const c of small) if (big.has(c)) return true;
  return false;
}

/** Whether `a` and `b` both match some non-empty string. */
export function globsIntersect(a: readonly Token[], b: readonly Token[]): boolean {
  // A plussed token read once may then be skipped or repeated, as a starred one: the state
  // carries, per side, whether its current token was read, and whether any character was.
  type State = [number, boolean, number, boolean, boolean];
  const width = (b.length + 1) * 2;
  const key = ([i, ri, j, rj, c]: State) =>
    (((i * 2 + (ri ? 1 : 0)) * width + j * 2 + (rj ? 1 : 0)) << 1) + (c ? 1 : 0);
  const seen = new Set<number>();
  const queue: State[] = [];
  let head = 0;
  const push = (s: State) => {
    const k = key(s);
    if (!seen.has(k)) {
      seen.add(k);
      queue.push(s);
    }
  };
  const starred = (g: readonly Token[], i: number, read: boolean) =>
    i < g.length && (g[i]?.flag === '*' || (g[i]?.flag === '+' && read));
  const skip = (g: readonly Token[], i: number, read: boolean): [number, boolean][] => {
    const out: [number, boolean][] = [[i, read]];
    let [j, r] = [i, read];
    while (starred(g, j, r)) {
      [j, r] = [j + 1, false];
      out.push([j, r]);
    }
    return out;
  };
  for (const [i, ri] of skip(a, 0, false))
    for (const [j, rj] of skip(b, 0, false)) push([i, ri, j, rj, false]);
  while (head < queue.length) {
    const [i, , j, , consumed] = queue[head++] as State;
    if (consumed && i === a.length && j === b.length) return true;
    const ta = a[i];
    const tb = b[j];
    if (!ta || !tb || !meet(ta.chars, tb.chars)) continue;
    for (const [ni, nri] of next(ta, i))
      for (const [nj, nrj] of next(tb, j))
        for (const [si, sri] of skip(a, ni, nri))
          for (const [sj, srj] of skip(b, nj, nrj)) push([si, sri, sj, srj, true]);
  }
  return false;
}

/** After reading one character at position i: stay (a repeatable token, now read) or move on. */
function next(t: Token, i: number): [number, boolean][] {
  return t.flag === ''
    ? [[i + 1, false]]
    : [
        [i, true],
        [i + 1, false],
      ];
}

/** The builtin. */
export function globsMatch(g1: unknown, g2: unknown): boolean {
  if (typeof g1 !== 'string') return fail('operand 1 must be string');
  if (typeof g2 !== 'string') return fail('operand 2 must be string');
  return globsIntersect(globTokens(g1), globTokens(g2));
}
