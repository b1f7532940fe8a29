// The optional semantics on a parsed expression: syntax.ts's markers, `optMap`/`optFlatMap` (a
// comprehension over nothing binds the value, as cel-go expands them), `or`/`orValue`, and every
// field selection, index and `has()` become calls of runtime.ts's functions, which know an
// optional value (a select on `optional.of(m)` is optional too, as in cel-go). Used only for
// expressions of a template that speaks optionals, so the rest keep @bufbuild/cel's own access
// planning. Pure: returns a new tree.
import type { Expr, Expr_CreateStruct_Entry } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { OPT_ENTRY, OPT_FIELD, OPT_KEY } from './syntax.js';
import { OPT } from './runtime.js';

type Kind = Expr['exprKind'];

/** Builds nodes with ids past the parser's. */
class Nodes {
  constructor(private next: bigint) {}
  expr(exprKind: Kind): Expr {
    return { $typeName: 'cel.expr.Expr', id: this.next++, exprKind } as Expr;
  }
  call(fn: string, args: Expr[], target?: Expr): Expr {
    const value = { $typeName: 'cel.expr.Expr.Call', function: fn, args, target };
    return this.expr({ case: 'callExpr', value } as Kind);
  }
  list(elements: Expr[]): Expr {
    const value = { $typeName: 'cel.expr.Expr.CreateList', elements, optionalIndices: [] };
    return this.expr({ case: 'listExpr', value } as Kind);
  }
  constant(v: string | boolean): Expr {
    const constantKind =
      typeof v === 'string' ? { case: 'stringValue', value: v } : { case: 'boolValue', value: v };
    return this.expr({
      case: 'constExpr',
      value: { $typeName: 'cel.expr.Constant', constantKind },
    } as Kind);
  }
  ident(name: string): Expr {
    return this.expr({
      case: 'identExpr',
      value: { $typeName: 'cel.expr.Expr.Ident', name },
    } as Kind);
  }
  /** `cel.bind(name, init, body)`: a comprehension over nothing whose accumulator is `name`. */
  bind(name: string, init: Expr, body: Expr): Expr {
    const value = {
      $typeName: 'cel.expr.Expr.Comprehension',
      iterVar: '#unused',
      iterVar2: '',
      iterRange: this.list([]),
      accuVar: name,
      accuInit: init,
      loopCondition: this.constant(false),
      loopStep: this.ident(name),
      result: body,
    };
    return this.expr({ case: 'comprehensionExpr', value } as Kind);
  }
}

const maxId = (e: unknown, max = 0n): bigint => {
  if (Array.isArray(e)) return e.reduce<bigint>((m, x) => maxId(x, m), max);
  if (!e || typeof e !== 'object') return max;
  let m = max;
  for (const [k, v] of Object.entries(e))
    if (k === 'id' && typeof v === 'bigint') m = v > m ? v : m;
    else if (k !== '$typeName') m = maxId(v, m);
  return m;
};

const callOf = (e: Expr | undefined, fn: string): Expr | undefined => {
  const k = e?.exprKind;
  return k?.case === 'callExpr' &&
    k.value.function === fn &&
    !k.value.target &&
    k.value.args.length === 1
    ? k.value.args[0]
    : undefined;
};

/** `a.b.c` as a name, for calls of namespaced functions (`optional.of`, `format.dns1123Label`). */
const qualified = (e: Expr): string | undefined => {
  const k = e.exprKind;
  if (k.case === 'identExpr') return k.value.name;
  if (k.case !== 'selectExpr' || k.value.testOnly || !k.value.operand) return undefined;
  const q = qualified(k.value.operand);
  return q === undefined ? undefined : `${q}.${k.value.field}`;
};

/** The ident a chain of selects starts from, if it does. */
const root = (e: Expr): string | undefined =>
  e.exprKind.case === 'identExpr'
    ? e.exprKind.value.name
    : e.exprKind.case === 'selectExpr' && e.exprKind.value.operand
      ? root(e.exprKind.value.operand)
      : undefined;

/** What withOptionals needs to know of the environment. */
export interface Names {
  /** A namespaced function (`optional.of`): its namespace is not read as a variable. */
  readonly isFunction: (name: string) => boolean;
  /** The variables bound at evaluation; a chain from any other name is a type's name. */
  readonly variables: ReadonlySet<string>;
}

/** A child the parser always sets; its absence is a tree this module did not get from it. */
const need = (e: Expr | undefined): Expr => {
  if (!e) throw new Error('invalid expression: a missing operand');
  return e;
};

type CallValue = Extract<Kind, { case: 'callExpr' }>['value'];
const identName = (e: Expr | undefined): string =>
  e?.exprKind.case === 'identExpr' ? e.exprKind.value.name : '';

/** The rewrite, with the comprehension variables in scope at each node. */
class Rewriter {
  private scoped: readonly string[] = [];
  private binds = 0;
  constructor(
    private readonly n: Nodes,
    private readonly names: Names,
  ) {}

  /** `fn` with `vars` in scope, as inside a comprehension or a bind. */
  private within<T>(vars: readonly string[], fn: () => T): T {
    const outer = this.scoped;
    this.scoped = [...outer, ...vars];
    try {
      return fn();
    } finally {
      this.scoped = outer;
    }
  }

  walk(e: Expr): Expr {
    const k = e.exprKind;
    switch (k.case) {
      case 'identExpr':
        return k.value.name === 'optional_type' ? this.n.call(OPT.typeName, []) : e;
      case 'selectExpr':
        return this.select(e, k.value.field, k.value.testOnly, need(k.value.operand));
      case 'callExpr':
        return this.call(k.value);
      case 'listExpr':
        return this.list(k.value.elements);
      case 'structExpr':
        return this.struct(e, k.value.messageName, k.value.entries);
      case 'comprehensionExpr': {
        const c = k.value;
        c.iterRange = this.walk(need(c.iterRange));
        c.accuInit = this.walk(need(c.accuInit));
        this.within([c.iterVar, c.iterVar2, c.accuVar], () => {
          c.loopCondition = this.walk(need(c.loopCondition));
          c.loopStep = this.walk(need(c.loopStep));
          c.result = this.walk(need(c.result));
        });
        return e;
      }
      default:
        return e;
    }
  }

  /** A chain from a name that is no variable is a type's name (`google.protobuf.Duration`). */
  private select(e: Expr, field: string, testOnly: boolean, operand: Expr): Expr {
    const opt = field.startsWith(OPT_FIELD);
    const r = root(e);
    if (r !== undefined && !opt && !this.names.variables.has(r) && !this.scoped.includes(r))
      return e;
    const fn = testOnly ? OPT.has : opt ? OPT.optSelect : OPT.select;
    const name = opt ? field.slice(OPT_FIELD.length) : field;
    return this.n.call(fn, [this.walk(operand), this.n.constant(name)]);
  }

  private flags(flags: boolean[]): Expr {
    return this.n.list(flags.map((f) => this.n.constant(f)));
  }

  private list(elements: Expr[]): Expr {
    const flags = elements.map((x) => callOf(x, OPT_ENTRY) !== undefined);
    const items = this.n.list(elements.map((x) => this.walk(callOf(x, OPT_ENTRY) ?? x)));
    return flags.includes(true) ? this.n.call(OPT.list, [items, this.flags(flags)]) : items;
  }

  private struct(e: Expr, message: string, entries: Expr_CreateStruct_Entry[]): Expr {
    const flags = entries.map((x) => callOf(x.value, OPT_ENTRY) !== undefined);
    if (!flags.includes(true)) {
      for (const x of entries) {
        x.value = this.walk(need(x.value));
        if (x.keyKind.case === 'mapKey') x.keyKind.value = this.walk(x.keyKind.value);
      }
      return e;
    }
    if (message !== '') throw new Error('optional fields of messages are not supported here');
    const keys = entries.map((x) => this.walk(need(x.keyKind.value as Expr | undefined)));
    const values = entries.map((x) => this.walk(callOf(x.value, OPT_ENTRY) ?? need(x.value)));
    return this.n.call(OPT.map, [this.n.list(keys), this.n.list(values), this.flags(flags)]);
  }

  /** `t.optMap(v, body)`: `t.hasValue() ? optional.of(cel.bind(v, t.value(), body)) : none`. */
  private optMap(c: CallValue, target: Expr, v: string, body: Expr): Expr {
    const t = this.walk(target);
    const bound = this.n.bind(
      v,
      this.n.call(OPT.value, [], t),
      this.within([v], () => this.walk(body)),
    );
    const some = c.function === 'optMap' ? this.n.call(OPT.of, [bound]) : bound;
    return this.n.call('_?_:_', [
      this.n.call(OPT.hasValue, [], t),
      some,
      this.n.call(OPT.none, []),
    ]);
  }

  /**
   * `t.or(d)`, `t.orValue(d)` as cel-go evaluates them: `d` only when `t` is none, and a `t` that
   * is no optional comes back as it is (public policies write `x.orValue({})` of a plain map).
   */
  private orValue(c: CallValue, target: Expr, fallback: Expr): Expr {
    const name = `@dg_opt_${this.binds++}`;
    const t = () => this.n.ident(name);
    const some = c.function === 'orValue' ? this.n.call(OPT.value, [], t()) : t();
    const present = this.n.call('_?_:_', [
      this.n.call(OPT.hasValue, [], t()),
      some,
      this.walk(fallback),
    ]);
    const body = this.n.call('_?_:_', [this.n.call(OPT.isOptional, [t()]), present, t()]);
    return this.n.bind(name, this.walk(target), body);
  }

  private call(c: CallValue): Expr {
    const { target, args } = c;
    const [a0, a1] = args;
    if (target && a0 && args.length === 1 && (c.function === 'or' || c.function === 'orValue'))
      return this.orValue(c, target, a0);
    if (c.function === '_[_]' && !target && a0 && a1 && args.length === 2) {
      const key = callOf(a1, OPT_KEY);
      return this.n.call(key ? OPT.optIndex : OPT.index, [this.walk(a0), this.walk(key ?? a1)]);
    }
    const v = identName(a0);
    if (target && v && a1 && args.length === 2 && /^opt(Flat)?Map$/.test(c.function))
      return this.optMap(c, target, v, a1);
    if (c.function === 'type' && !target && a0 && args.length === 1)
      return this.n.call(OPT.type, [this.walk(a0)]);
    const q = target ? qualified(target) : undefined;
    const namespaced = q !== undefined && this.names.isFunction(`${q}.${c.function}`);
    const walked = args.map((x) => this.walk(x));
    if (namespaced || !target)
      return this.n.call(c.function, walked, namespaced ? target : undefined);
    return this.n.call(c.function, walked, this.walk(target));
  }
}

/**
 * The expression with optional semantics; rewrites the tree it is given. Throws on an optional
 * field of a message literal, which Gatekeeper's objects never need.
 */
export const withOptionals = (tree: Expr, names: Names): Expr =>
  new Rewriter(new Nodes(maxId(tree) + 1n), names).walk(tree);
