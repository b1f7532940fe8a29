// CEL's optional syntax (`a.?b`, `a[?k]`, `[?e]`, `{?k: v}`), which @bufbuild/cel's parser does
// not read, spelled in plain CEL that it does: a marked field name, and marker calls around an
// optional index and an optional entry's value. tree.ts turns the markers into the optional
// semantics. Strings and comments are copied as they are; an expression without optional syntax
// comes back unchanged (so its parse errors keep their columns). Pure.

/** A select `a.?b` becomes `a.<OPT_FIELD>b`. */
export const OPT_FIELD = '__dg_opt__';
/** `a[?k]` becomes `a[<OPT_KEY>(k)]`. */
export const OPT_KEY = '__dg_optkey__';
/** `[?e]` becomes `[<OPT_ENTRY>(e)]`, `{?k: v}` becomes `{k: <OPT_ENTRY>(v)}`. */
export const OPT_ENTRY = '__dg_optentry__';

type Kind = 'ident' | 'value' | 'punct' | 'space';
interface Token {
  readonly kind: Kind;
  readonly text: string;
}

const RULES: readonly (readonly [Kind, RegExp])[] = [
  ['space', /\s+|\/\/[^\n]*/y],
  ['ident', /[_a-zA-Z][_a-zA-Z0-9]*/y],
  ['value', /0[xX][0-9a-fA-F]+[uU]?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?|\.\d+(?:[eE][+-]?\d+)?/y],
];
const PREFIX = /[rRbB]{0,2}(?=['"])/y;

/**
 * Where a string literal starting at `i` ends (its prefix, quotes and escapes read once), or
 * undefined when none starts there. An unterminated one runs to the end: the parser reports it.
 */
function stringEnd(src: string, i: number): number | undefined {
  PREFIX.lastIndex = i;
  const prefix = PREFIX.exec(src)?.[0];
  if (prefix === undefined || /[rR].*[rR]|[bB].*[bB]/.test(prefix)) return undefined;
  const raw = /[rR]/.test(prefix);
  let j = i + prefix.length;
  const q = src.charAt(j);
  const close = src.startsWith(q.repeat(3), j) ? q.repeat(3) : q;
  for (j += close.length; j < src.length; j++) {
    if (src[j] === '\\' && !raw) j++;
    else if (src.startsWith(close, j)) return j + close.length;
    else if (src[j] === '\n' && close.length === 1) return j;
  }
  return src.length;
}

/** CEL's tokens, enough to find brackets, `?`, `,` and `:` outside strings and comments. */
function tokens(src: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < src.length;) {
    const end = stringEnd(src, i);
    let tok: Token = { kind: end ? 'value' : 'punct', text: src.slice(i, end ?? i + 1) };
    for (const [kind, re] of end ? [] : RULES) {
      re.lastIndex = i;
      const m = re.exec(src);
      if (m) {
        tok = { kind, text: m[0] };
        break;
      }
    }
    out.push(tok);
    i += tok.text.length;
  }
  return out;
}

/** After such a token, `[` indexes; elsewhere it opens a list. */
const endsValue = (t: Token | undefined): boolean =>
  !!t &&
  ((t.kind === 'ident' && t.text !== 'in') ||
    t.kind === 'value' ||
    t.text === ')' ||
    t.text === ']' ||
    t.text === '}');

interface Frame {
  readonly open: string;
  /** `[` of an optional index, of a list, `{` of a map or message, `(`, or a plain index. */
  readonly role: 'optkey' | 'list' | 'entries' | 'other';
  /** An optional entry's marker call is open and closes at the entry's end. */
  entryOpen: boolean;
  /** In `{…}`: the current entry is optional and its key has not ended. */
  keyOptional: boolean;
  /** In `{…}`: ternaries open in the current key, whose `:` is not the entry's. */
  ternaries: number;
}

/**
 * The expression with its optional syntax spelled in markers, or the expression itself when it
 * has none. Unbalanced brackets are left for the parser to report.
 */
export function markOptionalSyntax(src: string): string {
  if (!src.includes('?')) return src;
  const toks = tokens(src);
  const next = (i: number): number => {
    let j = i + 1;
    while (toks[j]?.kind === 'space') j++;
    return j;
  };
  const out: string[] = [];
  const stack: Frame[] = [];
  let prev: Token | undefined;
  const startEntry = (f: Frame, i: number): number => {
    const j = next(i);
    if (toks[j]?.text !== '?') return i;
    for (let k = i + 1; k < j; k++) out.push(toks[k]?.text ?? '');
    if (f.role === 'list') {
      out.push(`${OPT_ENTRY}(`);
      f.entryOpen = true;
    } else f.keyOptional = true;
    return j;
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] ?? { kind: 'space', text: '' };
    const top = stack[stack.length - 1];
    if (t.kind === 'space') {
      out.push(t.text);
      continue;
    }
    if (t.text === '.' && toks[next(i)]?.text === '?' && toks[next(next(i))]?.kind === 'ident') {
      const id = next(next(i));
      out.push(`.${OPT_FIELD}${toks[id]?.text ?? ''}`);
      prev = toks[id];
      i = id;
      continue;
    }
    if (t.text === '[' || t.text === '{' || t.text === '(') {
      const optKey = t.text === '[' && endsValue(prev) && toks[next(i)]?.text === '?';
      const role =
        t.text === '{' ? 'entries' : t.text === '(' || endsValue(prev) ? 'other' : 'list';
      const f: Frame = {
        open: t.text,
        role: optKey ? 'optkey' : role,
        entryOpen: false,
        keyOptional: false,
        ternaries: 0,
      };
      stack.push(f);
      out.push(optKey ? `[${OPT_KEY}(` : t.text);
      prev = t;
      i = optKey ? next(i) : f.role === 'other' ? i : startEntry(f, i);
      continue;
    }
    if ((t.text === ']' || t.text === '}' || t.text === ')') && top) {
      stack.pop();
      if (top.role === 'optkey' || top.entryOpen) out.push(')');
    } else if (t.text === ',' && top && (top.role === 'list' || top.role === 'entries')) {
      if (top.entryOpen) out.push(')');
      top.entryOpen = false;
      top.keyOptional = false;
      top.ternaries = 0;
      out.push(t.text);
      prev = t;
      i = startEntry(top, i);
      continue;
    } else if (top?.role === 'entries' && t.text === '?' && !top.entryOpen) {
      top.ternaries++;
    } else if (top?.role === 'entries' && t.text === ':' && !top.entryOpen) {
      if (top.ternaries > 0) top.ternaries--;
      else if (top.keyOptional) {
        out.push(`: ${OPT_ENTRY}(`);
        top.entryOpen = true;
        prev = t;
        continue;
      }
    }
    out.push(t.text);
    prev = t;
  }
  return out.join('');
}
