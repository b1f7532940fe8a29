// CEL's optional values on @bufbuild/cel, whose parser and planner lack them: syntax.ts spells the
// syntax in markers the parser reads, tree.ts gives the parsed tree optional semantics, and
// runtime.ts is the optional type and its library. Measured against cel-spec's conformance
// `optionals` section (test/policies/engine/gatekeeper/cel-optional.test.ts). Pure.
import { parse } from '@bufbuild/cel';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { markOptionalSyntax } from './syntax.js';
import { withOptionals, type Names } from './tree.js';

/**
 * What names an optional value: its functions, methods and type. Strings may match: harmless,
 * the expression just takes the slower path. (`cel.bind` is not in Kubernetes' CEL environment:
 * the apiserver refuses it, so Gatekeeper does, and so does driftgate.)
 */
const OPTIONAL_NAMES =
  /\boptional(?:\.|_type\b)|\.\s*(?:hasValue|value|or|orValue|optMap|optFlatMap)\s*\(/;

/** Whether an expression has optional syntax or calls the optional library. Pure. */
export const speaksOptionals = (src: string): boolean =>
  markOptionalSyntax(src) !== src || OPTIONAL_NAMES.test(src);

/**
 * The parsed expression; with `optionals`, with CEL's optional syntax and semantics (every
 * access then sees optionals; without, an access is @bufbuild/cel's own). Throws the parser's
 * error for an expression that is not CEL.
 */
export function parseCel(src: string, optionals: boolean, names: Names): Expr {
  const parsed = parse(optionals ? markOptionalSyntax(src) : src).expr;
  return optionals ? withOptionals(parsed, names) : parsed;
}
