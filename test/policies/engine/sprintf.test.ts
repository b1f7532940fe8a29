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
    ['%v', ['a', 2], 'a%!(EXTRA int=2)'],
  ];
  for (const [f, args, want] of table)
    t.equal(goSprintf(f, args), want, `${f} ${JSON.stringify(args)}`);
  t.throws(() => goSprintf('%v', 'x'), /operand 2 must be array/);
  t.equal(regoText('s'), '"s"');
});
