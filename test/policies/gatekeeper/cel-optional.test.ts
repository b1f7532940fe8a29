// CEL optionals on @bufbuild/cel (policies/engine/gatekeeper/cel-optional/), measured against
// cel-spec's own conformance data (@bufbuild/cel-spec): every `optionals` case, and every other
// section evaluated both ways, so that the rewrite of
// selections and indexes an optional template gets changes no answer plain CEL gives.
import t from 'tap';
import { celType, isCelError, isCelList, isCelMap, isCelUint, type CelValue } from '@bufbuild/cel';
import { tests } from '@bufbuild/cel-spec/testdata/conformance.js';
import { celProgram, celViolations, readCel } from '../../../policies/engine/gatekeeper/cel.js';
import {
  markOptionalSyntax,
  OPT_ENTRY,
  OPT_FIELD,
  OPT_KEY,
} from '../../../policies/engine/gatekeeper/cel-optional/syntax.js';
import { speaksOptionals } from '../../../policies/engine/gatekeeper/cel-optional/index.js';

interface Case {
  readonly name: string;
  readonly expr: string;
  readonly container?: string;
  readonly bindings?: unknown;
  readonly typeEnv?: readonly unknown[];
  readonly value?: Record<string, unknown>;
  readonly evalError?: unknown;
}
const sections = new Map<string, Case[]>();
for (const file of tests.suites as unknown as {
  name: string;
  suites?: { tests?: { original: Case }[] }[];
}[])
  sections.set(
    file.name,
    (file.suites ?? []).flatMap((s) => (s.tests ?? []).map((c) => c.original)),
  );

/** A conformance value (cel.expr.Value as JSON) in a comparable form. */
function expected(v: Record<string, unknown>): unknown {
  const [kind, x] = Object.entries(v)[0] ?? ['', undefined];
  const l = x as { values?: Record<string, unknown>[] };
  const m = x as { entries?: { key: Record<string, unknown>; value: Record<string, unknown> }[] };
  switch (kind) {
    case 'int64Value':
      return `int ${String(x)}`;
    case 'uint64Value':
      return `uint ${String(x)}`;
    case 'doubleValue':
      return `double ${String(x)}`;
    case 'boolValue':
    case 'stringValue':
      return x;
    case 'nullValue':
      return null;
    case 'listValue':
      return (l.values ?? []).map(expected);
    case 'mapValue':
      return Object.fromEntries(
        (m.entries ?? []).map((e) => [String(expected(e.key)), expected(e.value)]),
      );
    default:
      return `unsupported ${kind}`;
  }
}

/** A result in the same form. */
function actual(v: CelValue): unknown {
  if (typeof v === 'bigint') return `int ${v}`;
  if (isCelUint(v)) return `uint ${v.value}`;
  if (typeof v === 'number') return `double ${v}`;
  if (isCelList(v)) return [...v].map(actual);
  if (isCelMap(v))
    return Object.fromEntries([...v].map(([k, x]) => [String(actual(k)), actual(x)]));
  return v === null || typeof v !== 'object' ? v : `a ${celType(v).name}`;
}

const want = (c: Case): unknown => (c.evalError ? 'an error' : c.value && expected(c.value));
function evaluate(c: Case, optionals: boolean): unknown {
  try {
    const r = celProgram(c.expr, optionals)({} as never);
    return isCelError(r) ? 'an error' : actual(r);
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}
/** Cases of plain values: no protobuf messages, variables or type environment. */
const plainCase = (c: Case): boolean =>
  !c.container && !c.bindings && !c.typeEnv?.length && !!(c.value || c.evalError);

t.test('cel-spec conformance: every optionals case without protobuf messages', async (t) => {
  const cases = sections.get('optionals') ?? [];
  const run = cases.filter(plainCase);
  t.equal(run.length, 59);
  for (const c of run) t.same(evaluate(c, true), want(c), `${c.name}: ${c.expr}`);
  // The rest build TestAllTypes messages, which no Gatekeeper object is.
  t.same(
    cases.filter((c) => !plainCase(c)).map((c) => c.container),
    Array(11).fill('cel.expr.conformance.proto2'),
  );
});

t.test('cel.bind is refused, as the apiserver’s CEL environment refuses it', async (t) => {
  const cases = (sections.get('bindings_ext') ?? []).filter(plainCase);
  t.equal(cases.length, 5);
  for (const c of cases)
    t.match(evaluate(c, true), /^refused: not provided here: cel\.bind/, `${c.name}: ${c.expr}`);
});

t.test('an optional template’s CEL gives every answer plain CEL gives', async (t) => {
  const regressions: string[] = [];
  let compared = 0;
  for (const [section, cases] of sections) {
    if (section === 'optionals') continue;
    for (const c of cases.filter(plainCase)) {
      const plain = evaluate(c, false);
      if (JSON.stringify(plain) !== JSON.stringify(want(c))) continue;
      compared++;
      const withOptionals = evaluate(c, true);
      if (JSON.stringify(withOptionals) !== JSON.stringify(plain))
        regressions.push(`${section}/${c.name}: ${JSON.stringify(withOptionals)}`);
    }
  }
  t.ok(compared > 1000, `${compared} cases plain CEL answers as cel-spec says`);
  t.same(regressions, []);
});

t.test('the syntax is spelled in markers outside strings and comments only', async (t) => {
  const cases: [string, string][] = [
    ['a.?b', `a.${OPT_FIELD}b`],
    ['a . ? b.c', `a .${OPT_FIELD}b.c`],
    ['a[?k]', `a[${OPT_KEY}(k)]`],
    ['a[?x[?0]]', `a[${OPT_KEY}(x[${OPT_KEY}(0)])]`],
    ['[?x, y, ?z]', `[${OPT_ENTRY}(x), y, ${OPT_ENTRY}(z)]`],
    ['[ ?x]', `[ ${OPT_ENTRY}(x)]`],
    ['[c ? 1 : 2, ?o]', `[c ? 1 : 2, ${OPT_ENTRY}(o)]`],
    ["{?'k': v, 'j': c ? x : y}", `{'k': ${OPT_ENTRY}( v), 'j': c ? x : y}`],
    ["{?c ? 'a' : 'b': v}", `{c ? 'a' : 'b': ${OPT_ENTRY}( v)}`],
    ['{?"k": {?"j": o}}', `{"k": ${OPT_ENTRY}( {"j": ${OPT_ENTRY}( o)})}`],
    ['x in [?o]', `x in [${OPT_ENTRY}(o)]`],
  ];
  for (const [src, marked] of cases) t.equal(markOptionalSyntax(src), marked, src);
  const unchanged = [
    'c ? a : b',
    "'a.?b' + \"[?x]\" + r'{?k: v}' + '''[?\n]'''",
    'a // not .?b here\n+ b',
    "b'[?' + x",
    'cond ? [1] : {"k": 2}',
  ];
  for (const src of unchanged) t.equal(markOptionalSyntax(src), src, src);
  // Unterminated strings run to the end in one pass, whatever they hold.
  const hostile = `'${"'''a?".repeat(100_000)}`;
  t.equal(markOptionalSyntax(hostile), hostile);
});

t.test('a template speaks optionals when any of its expressions does', async (t) => {
  for (const src of ['a.?b', 'optional.none()', 'x.orValue(1)', 'type(x) == optional_type'])
    t.ok(speaksOptionals(src), src);
  for (const src of ['c ? a : b', 'object.metadata.name', 'x.values()'])
    t.notOk(speaksOptionals(src), src);
  const source = {
    variables: [{ name: 'replicas', expression: 'object.spec.?replicas' }],
    validations: [
      {
        expression: 'variables.replicas.orValue(1) <= variables.params.max',
        messageExpression:
          '"replicas " + string(variables.replicas.value()) + " above " + string(variables.params.max)',
      },
      {
        expression: "object.metadata.?labels[?'team'].hasValue()",
        message: 'a team label is required',
      },
    ],
  };
  const problems: string[] = [];
  const target = { code: [{ engine: 'K8sNativeValidation', source }] };
  const cel = readCel(target, 'template', problems);
  t.same(problems, []);
  t.equal(cel?.optionals, true);
  if (!cel) return;
  const review = (spec: object, labels?: object) => ({
    object: { metadata: { name: 'web', ...(labels ? { labels } : {}) }, spec },
  });
  t.same(celViolations(cel, review({}, { team: 'a' }), { max: 3 }), []);
  t.same(celViolations(cel, review({ replicas: 5 }, { team: 'a' }), { max: 3 }), [
    { msg: 'replicas 5 above 3' },
  ]);
  t.same(celViolations(cel, review({ replicas: 2 }), { max: 3 }), [
    { msg: 'a team label is required' },
  ]);
  const plain = readCel(
    {
      code: [{ engine: 'K8sNativeValidation', source: { validations: [{ expression: 'true' }] } }],
    },
    'template',
    problems,
  );
  t.same(plain, { variables: [], validations: [{ expression: 'true' }] });
});

t.test('what optionals refuse is an error, never a value', async (t) => {
  const run = (expr: string) => evaluate({ name: expr, expr }, true);
  t.equal(run('optional.none().value()'), 'an error');
  t.equal(run('{"a": 0}.?a.b'), 'an error', 'a select on an int is no entry');
  t.equal(run('[?1]'), 'an error', 'an optional entry takes an optional');
  t.equal(run('{?"a": optional.of(1), "a": 2}'), 'an error', 'a key twice');
  t.equal(run('{"a": 1}.hasValue()'), 'an error', 'a map is no optional');
  t.match(run('Msg{?f: optional.none()}'), /^refused: optional fields of messages/);
  t.match(run('[1].all(i, v, v > 0)'), /^refused: not provided here: all/);
});
