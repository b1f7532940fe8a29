// Rego values across the wasm boundary (sets in and out), Go's IP text, and the bounds the
// set builtins keep on hostile arguments; and a driftgate policy using them through the
// product's bundle, as the webhook evaluates it.
import t from 'tap';
import { buildBundle } from '../../../policies/engine/build.js';
import { loadBundle } from '../../../policies/engine/bundle.js';
import {
  MAX_EXPAND,
  MAX_PATHS,
  objectSubset,
  setBuiltins,
} from '../../../policies/engine/builtins-sets.js';
import { formatIp, parseCidr, parseIp } from '../../../policies/engine/net-ip.js';
import { parseRegoText, RegoSet, regoKey, regoText } from '../../../policies/engine/rego-value.js';
import { GOOD_POLICY, policyDir } from '../../support/policy-dirs.js';
import { toolPath } from '../../support/tools.js';
import { resultOf, wasmModule } from '../../support/wasm-module.js';

const call = (name: string, ...args: unknown[]): unknown =>
  (setBuiltins[name] as (...a: unknown[]) => unknown)(...args);

t.test('Rego text: sets in and out, equal values share a key', (t) => {
  const v = parseRegoText(
    '{"a": {1, 2, {"x"}}, "b": set(), "c": [1.5, null, true, "s\\"q"], 3: "n"}',
  );
  t.same(Object.keys(v as object).sort(), ['3', 'a', 'b', 'c'], 'a number key is kept as its text');
  const a = (v as { a: RegoSet }).a;
  t.ok(a instanceof RegoSet);
  t.equal(a.size, 3);
  t.ok(a.has(new RegoSet(['x'])), 'a set inside a set');
  t.equal(regoText(new RegoSet([])), 'set()');
  t.equal(regoText(new RegoSet([2, 1, 2])), '{2,1}', 'a member twice is kept once');
  t.equal(regoKey(new RegoSet([1, 2])), regoKey(new RegoSet([2, 1])));
  t.equal(regoKey({ b: 1, a: 2 }), regoKey({ a: 2, b: 1 }));
  t.not(regoKey([1, 2]), regoKey(new RegoSet([1, 2])), 'an array is not a set');
  t.same(parseRegoText(regoText(v)), v, 'what is written reads back the same');
  for (const bad of ['{1, 2', '[1,]x', '{"a" 1}', 'nope', '[1] 2'])
    t.throws(() => parseRegoText(bad), /rego value/, `refused: ${bad}`);
  t.throws(() => parseRegoText('['.repeat(600) + ']'.repeat(600)), /nested too deep/);
  t.end();
});

t.test("IP text as Go's net package reads and prints it", (t) => {
  const cases: [string, string][] = [
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:0db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:2:3:4:5:6:0:8', '1:2:3:4:5:6:0:8'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['10.1.2.3', '10.1.2.3'],
  ];
  for (const [given, shown] of cases) t.equal(formatIp(parseIp(given)?.value ?? -1n), shown, given);
  for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', ''])
    t.equal(parseIp(bad), undefined, `not an address: ${bad}`);
  t.equal(parseCidr('10.1.2.3/8').text, '10.0.0.0/8');
  t.equal(parseCidr('2001:db8::ff/120').text, '2001:db8::/120');
  t.throws(() => parseCidr('10.0.0.0/33'), /invalid CIDR address: 10\.0\.0\.0\/33/);
  t.throws(() => parseCidr('10.0.0.0'), /invalid CIDR address/);
  t.end();
});

t.test('hostile arguments are bounded, with a named error', (t) => {
  t.equal((call('net.cidr_expand', '10.0.0.0/16') as RegoSet).size, MAX_EXPAND);
  t.throws(
    () => call('net.cidr_expand', '10.0.0.0/15'),
    /net\.cidr_expand: 10\.0\.0\.0\/15 has more than 65536 addresses/,
  );
  t.throws(() => call('net.cidr_expand', '::/0'), /more than 65536 addresses/);
  // A ladder: every node reaches the next two, so the paths double at each rung.
  const graph: Record<string, string[]> = {};
  for (let i = 0; i < 40; i++) graph[`n${i}`] = [`n${i + 1}`, `m${i + 1}`];
  for (let i = 0; i < 40; i++) graph[`m${i}`] = [`n${i + 1}`, `m${i + 1}`];
  t.throws(
    () => call('graph.reachable_paths', graph, ['n0']),
    new RegExp(`more than ${MAX_PATHS} paths`),
  );
  t.throws(() => call('net.cidr_merge', 'x'), /net\.cidr_merge: operand must be an array/);
  t.throws(() => call('net.cidr_merge', [1]), /net\.cidr_merge: element must be string/);
  t.throws(() => call('cast_set', 'x'), /cast_set: operand 1 must be one of \{array, set\}/);
  t.same((call('cast_set', [1, 1, 2]) as RegoSet).members, [1, 2]);
  t.throws(() => objectSubset(new RegoSet([1]), [1]), /same type or array and set/);
  t.end();
});

t.test('a policy using set builtins, through the bundle the webhook evaluates', async (t) => {
  const p = policyDir({
    ...GOOD_POLICY,
    'demo/egress/policy.rego': [
      'package driftgate.demo.egress',
      'import rego.v1',
      'allowed := net.cidr_merge(["10.0.0.0/25", "10.0.0.128/25"])',
      'deny contains sprintf("%s is outside %v", [c, allowed]) if {',
      '  some c in input.request.object.spec.cidrs',
      '  count(net.cidr_contains_matches(allowed, c)) == 0',
      '}',
      'deny contains "not a set" if not is_set(net.cidr_expand(input.request.object.spec.cidrs[0]))',
      '',
    ].join('\n'),
  });
  t.teardown(p.cleanup);
  const bundle = await loadBundle(await buildBundle(p.dir, { opaPath: toolPath('opa') }));
  const outcome = (cidrs: string[]) =>
    bundle
      .evaluate({ request: { object: { kind: 'ConfigMap', spec: { cidrs } } } })
      .find((o) => o.policy.id === 'demo/egress');
  const deny = (cidrs: string[]) => {
    const o = outcome(cidrs);
    return o?.ok ? o.result.deny : o?.error;
  };
  t.same(deny(['10.0.0.8/30']), [], 'inside the merged /24: nothing to say');
  t.same(deny(['10.0.1.0/30', '10.0.0.0/30']), ['10.0.1.0/30 is outside {"10.0.0.0/24"}']);
});

t.test('cast_set, deprecated, in a v0 module as v0 templates call it', async (t) => {
  const policy = await wasmModule(
    'package p\nx = y { s := cast_set(input.a); y := [is_set(s), count(s), s] }\n',
    'p/x',
    true,
  );
  t.same(resultOf(policy, 'p/x', { a: [1, 1, 2] }), [true, 2, [1, 2]]);
});
