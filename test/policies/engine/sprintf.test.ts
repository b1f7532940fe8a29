import t from 'tap';
import { goSprintf, regoText, SET_MARK } from '../../../policies/engine/sprintf.js';

t.test("OPA's sprintf: Go verbs over Rego values", async (t) => {
  const table: [string, unknown[], string][] = [
    ['%v and %s', ['a', 'b'], 'a and b'],
    ['%v', [['x', 1, true, null]], '["x", 1, true, null]'],
    ['%v', [{ b: { c: [] }, a: 'y' }], '{"a": "y", "b": {"c": []}}'],
    ['%v', [{ [SET_MARK]: ['owner', 'team'] }], '{"owner", "team"}'],
    ['%v', [{ [SET_MARK]: [] }], 'set()'],
    ['%v', [[{ [SET_MARK]: ['a'] }]], '[{"a"}]'],
    ['%q', ['x"y'], '"x\\"y"'],
    ['%d of %d', [3, 10], '3 of 10'],
    ['%d', ['x'], '%!d(string=x)'],
    ['%.2f', [1.5], '1.50'],
    ['%5d|%-5d|%05d', [42, 42, 42], '   42|42   |00042'],
    ['%x %X', [255, 'hi'], 'ff 6869'],
    ['%t', [false], 'false'],
    ['%e', [1234.5], '1.234500e+03'],
    ['100%%', [], '100%'],
    ['%v %v', ['only'], 'only %!v(MISSING)'],
    ['%v', ['a', 2], 'a%!(EXTRA int64=2)'],
  ];
  for (const [f, args, want] of table)
    t.equal(goSprintf(f, args), want, `${f} ${JSON.stringify(args)}`);
  t.throws(() => goSprintf('%v', 'x'), /operand 2 must be array/);
  t.equal(regoText('s'), '"s"');
});

t.test('sprintf prints as the opa binary prints (sets sorted, numbers under %s)', async (t) => {
  const { execOk } = await import('../../../core/exec.js');
  const { toolPath } = await import('../../support/tools.js');
  // [format, the arguments in Rego, the same arguments as opa-wasm hands them to JavaScript]
  const cases: [string, string, unknown[]][] = [
    ['%v', '[{"team", "owner", "app"}]', [{ [SET_MARK]: ['team', 'owner', 'app'] }]],
    ['%v', '[{3, 1, 2}]', [{ [SET_MARK]: [3, 1, 2] }]],
    ['%v', '[{"b", 1, null, true, ["x"]}]', [{ [SET_MARK]: ['b', 1, null, true, ['x']] }]],
    ['%v', '[{{"b": 1}, {"a": 2}}]', [{ [SET_MARK]: [{ b: 1 }, { a: 2 }] }]],
    ['%s', '[5]', [5]],
    ['%s', '[1.5]', [1.5]],
    ['%d', '[7]', [7]],
    ['%v', '[0.1]', [0.1]],
    ['%s has %v', '["pod", {"a": [1, 2]}]', ['pod', { a: [1, 2] }]],
    ['%v', '["a", 2]', ['a', 2]],
    ['%d', '["x"]', ['x']],
  ];
  const query = `[${cases.map(([f, a]) => `sprintf(${JSON.stringify(f)}, ${a})`).join(', ')}]`;
  const want = JSON.parse(
    await execOk(toolPath('opa'), ['eval', '--format', 'raw', query]),
  ) as string[];
  t.same(
    cases.map(([f, , args]) => goSprintf(f, args)),
    want,
    want.join(' | '),
  );
});
