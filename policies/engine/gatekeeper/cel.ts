// Gatekeeper's K8sNativeValidation engine, which Gatekeeper (and gator) run in preference to a
// template's Rego when it has both (objects.ts falls back to the Rego when its CEL cannot be
// compiled here): CEL validations with Gatekeeper's variables (object, oldObject, request,
// namespaceObject, params, and `variables.params` for the constraint's parameters,
// `variables.anyObject`, the template's own variables), on @bufbuild/cel. Pure.
import { celEnv, celType, isCelError, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { isObject } from '../../../core/object.js';
import { kubernetesCelFuncs } from './cel-k8s/index.js';
import { parseCel, speaksOptionals } from './cel-optional/index.js';
import { optionalFuncs } from './cel-optional/runtime.js';

export interface GkCel {
  readonly variables: readonly { readonly name: string; readonly expression: string }[];
  readonly validations: readonly {
    readonly expression: string;
    readonly message?: string;
    readonly messageExpression?: string;
  }[];
  /** Gatekeeper's `matchCondition`: any false skips the template for the review. */
  readonly matchConditions?: readonly { readonly name: string; readonly expression: string }[];
  /** What an evaluation error does: Fail (the default) denies with it, Ignore passes. */
  readonly failurePolicy?: 'Ignore';
  /** Some expression speaks CEL optionals, so every one of the template sees them. */
  readonly optionals?: boolean;
}

/** Gatekeeper's prefix for its own variables and match conditions. */
const RESERVED = 'gatekeeper_internal_';

const env = celEnv({ funcs: [...strings, ...kubernetesCelFuncs, ...optionalFuncs] });

/** JSON as CEL sees Kubernetes objects: integers are ints, mappings are maps. */
function toCel(v: unknown): CelInput {
  if (Array.isArray(v)) return v.map(toCel);
  if (isObject(v)) return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v as CelInput;
}

/** Compiled expressions, reused across reviews; bounded, as templates come and go from Git. */
const compiled = new Map<string, ReturnType<typeof plan>>();
const MAX_COMPILED = 2048;
/**
 * Operators the planner handles itself (not functions of the environment). The parser expands
 * the macros (has, all, exists, exists_one, map, filter); a call left by those names is a form
 * it does not take (the two-variable comprehensions), so it is reported as missing.
 */
const BUILT_IN = new Set(['_?_:_', '_&&_', '_||_', '@not_strictly_false', '_[_]']);

/** Every function an expression calls that this environment does not provide. Pure. */
function unknownCalls(node: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) for (const n of node) unknownCalls(n, out);
  else if (node && typeof node === 'object') {
    const o = node as { case?: unknown; value?: { function?: unknown; target?: unknown } };
    const fn = o.case === 'callExpr' ? o.value?.function : undefined;
    if (typeof fn === 'string' && !BUILT_IN.has(fn) && !env.funcs.find(fn)) {
      // A namespaced function (`format.dns1123Label()`) is a call on its namespace's name.
      const t = o.value?.target as { exprKind?: { case?: string; value?: { name?: string } } };
      const ns = t?.exprKind?.case === 'identExpr' ? t.exprKind.value?.name : undefined;
      if (!ns || !env.funcs.find(`${ns}.${fn}`)) out.add(ns ? `${ns}.${fn}` : fn);
    }
    for (const [k, v] of Object.entries(node)) if (k !== '$typeName') unknownCalls(v, out);
  }
  return out;
}

/** Gatekeeper's variables (celViolations' bindings). */
const names = {
  isFunction: (name: string): boolean => env.funcs.find(name) !== undefined,
  variables: new Set(['object', 'oldObject', 'request', 'namespaceObject', 'params', 'variables']),
};

function program(expression: string, optionals = false): ReturnType<typeof plan> {
  const key = `${optionals ? 'o' : 'p'}${expression}`;
  let p = compiled.get(key);
  if (!p) {
    const parsed = parseCel(expression, optionals, names);
    const unknown = [...unknownCalls(parsed)];
    if (unknown.length > 0)
      throw new Error(`not provided here: ${unknown.join(', ')} (a CEL library driftgate lacks)`);
    p = plan(env, parsed);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(key, p);
  }
  return p;
}

/** A template target's CEL source, or its problems; undefined when it has none. Pure. */
export function readCel(
  target: Record<string, unknown>,
  where: string,
  problems: string[],
): GkCel | undefined {
  const code = Array.isArray(target.code) ? target.code : [];
  const entry = code.find((c) => isObject(c) && c.engine === 'K8sNativeValidation');
  const src = isObject(entry) && isObject(entry.source) ? entry.source : undefined;
  if (!src) return undefined;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter(isObject) : []);
  const named = (v: Record<string, unknown>) => ({
    name: String(v.name),
    expression: String(v.expression),
  });
  const conditions = list(src.matchCondition).map(named);
  const fields = {
    variables: list(src.variables).map(named),
    validations: list(src.validations).map((v) => ({
      expression: String(v.expression),
      ...(typeof v.message === 'string' ? { message: v.message } : {}),
      ...(typeof v.messageExpression === 'string'
        ? { messageExpression: v.messageExpression }
        : {}),
    })),
    // Gatekeeper's key is singular (its Source's JSON tag); `matchConditions` is not read there.
    ...(conditions.length > 0 ? { matchConditions: conditions } : {}),
    ...(src.failurePolicy === 'Ignore' ? { failurePolicy: 'Ignore' as const } : {}),
  };
  sourceProblems(src, fields, (p) => problems.push(`${where}: ${p}`));
  const all = [
    ...fields.variables.map((v) => v.expression),
    ...conditions.map((v) => v.expression),
    ...fields.validations.flatMap((v) => [v.expression, v.messageExpression ?? 'true']),
  ];
  const cel: GkCel = all.some(speaksOptionals) ? { ...fields, optionals: true } : fields;
  for (const e of all)
    try {
      program(e, cel.optionals);
    } catch (err) {
      problems.push(`${where}: CEL ${JSON.stringify(e)}: ${(err as Error).message}`);
    }
  return cel;
}

/** What Gatekeeper's Source.Validate refuses: reserved names and an unknown failure policy. */
function sourceProblems(
  src: Record<string, unknown>,
  cel: Pick<GkCel, 'variables' | 'matchConditions'>,
  report: (problem: string) => void,
): void {
  for (const c of cel.matchConditions ?? [])
    if (c.name.startsWith(RESERVED))
      report(`match condition ${c.name}: the prefix ${RESERVED} is reserved`);
  for (const v of cel.variables)
    if (v.name.startsWith(RESERVED) || v.name === 'params' || v.name === 'anyObject')
      report(`variable ${v.name}: a reserved name`);
  if (
    src.failurePolicy !== undefined &&
    src.failurePolicy !== 'Fail' &&
    src.failurePolicy !== 'Ignore'
  )
    report(`unrecognized failure policy: ${String(src.failurePolicy)}`);
}

/** The variables Gatekeeper binds for a review; `object` is null on DELETE, as in a VAP. */
function bindingsFor(
  cel: GkCel,
  review: Record<string, unknown>,
  parameters: unknown,
): Record<string, CelInput> {
  const deleting = review.operation === 'DELETE';
  const object = deleting ? null : (review.object ?? null);
  const oldObject = review.oldObject ?? null;
  const variables = new Map<string, CelInput>([
    ['params', toCel(parameters ?? null)],
    ['anyObject', toCel(deleting ? oldObject : object)],
  ]);
  const bindings: Record<string, CelInput> = {
    object: toCel(object),
    oldObject: toCel(oldObject),
    request: toCel({ ...review, object }),
    namespaceObject: toCel(review.namespaceObject ?? null),
    params: toCel({ spec: { parameters: parameters ?? {} } }),
    variables,
  };
  for (const v of cel.variables) {
    const r = program(v.expression, cel.optionals)(bindings as never);
    if (!isCelError(r)) variables.set(v.name, r as CelInput);
  }
  return bindings;
}

/**
 * Whether the template judges the review: no match condition false, as Kubernetes' matcher
 * decides; an error (none false) is a violation under Fail and a skip under Ignore.
 */
function matches(cel: GkCel, bindings: Record<string, CelInput>): true | false | { msg: string } {
  const errors: string[] = [];
  for (const c of cel.matchConditions ?? []) {
    const r = program(c.expression, cel.optionals)(bindings as never);
    if (r === false) return false;
    if (isCelError(r)) errors.push(evaluationError(c.expression, r.message));
    else if (r !== true)
      errors.push(`compilation error: must evaluate to bool but got ${celType(r as never).name}`);
  }
  if (errors.length === 0) return true;
  return cel.failurePolicy === 'Ignore' ? false : { msg: `[${errors.join(', ')}]` };
}

/**
 * An evaluation error in Kubernetes' words, whose CEL (cel-go) names an absent key and an index
 * out of range as below; @bufbuild/cel's other messages pass as they are.
 */
export function evaluationError(expression: string, message: string): string {
  const said = message
    .replace(/^field not found: /, 'no such key: ')
    .replace(/^index (-?\d+) out of bounds \[.*\)$/, 'index out of bounds: $1');
  return `expression '${expression}' resulted in error: ${said}`;
}

/**
 * A false validation's message as Kubernetes' validator picks it: the messageExpression's string
 * if it is one line and not blank, else the message, else `failed expression: …`.
 */
function falseMessage(v: GkCel['validations'][number], m: unknown): string {
  if (typeof m === 'string' && m.trim() !== '' && !/[\r\n]/.test(m)) return m;
  return v.message || `failed expression: ${v.expression}`;
}

/**
 * The violations of a CEL template for one review, as Gatekeeper's `{msg}` list: every
 * validation that is false (or fails, unless the failure policy is Ignore) with its
 * messageExpression, message, or the expression.
 */
export const celViolations = (
  cel: GkCel,
  review: Record<string, unknown>,
  parameters: unknown,
): { msg: string }[] => celDecision(cel, review, parameters).violations;

/** celViolations, and whether the template judged the review at all (its match conditions). */
export function celDecision(
  cel: GkCel,
  review: Record<string, unknown>,
  parameters: unknown,
): { readonly matched: boolean; readonly violations: { msg: string }[] } {
  const bindings = bindingsFor(cel, review, parameters);
  const matched = matches(cel, bindings);
  if (matched !== true)
    return { matched: matched !== false, violations: matched === false ? [] : [matched] };
  const out: { msg: string }[] = [];
  for (const v of cel.validations) {
    const r = program(v.expression, cel.optionals)(bindings as never);
    if (r === true) continue;
    if (isCelError(r)) {
      if (cel.failurePolicy !== 'Ignore')
        out.push({ msg: evaluationError(v.expression, r.message) });
      continue;
    }
    const m = v.messageExpression
      ? program(v.messageExpression, cel.optionals)(bindings as never)
      : undefined;
    out.push({ msg: falseMessage(v, m) });
  }
  return { matched: true, violations: out };
}
export { program as celProgram };
