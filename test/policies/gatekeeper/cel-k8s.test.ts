// What the Kubernetes CEL libraries refuse, and how a template sees it: an error, never a value.
import t from 'tap';
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { kubernetesCelFuncs } from '../../../policies/engine/gatekeeper/cel-k8s/index.js';
import { parseQuantity } from '../../../policies/engine/gatekeeper/cel-k8s/quantity.js';
import { formatIp, parseCidr, parseIp } from '../../../policies/engine/gatekeeper/cel-k8s/ip.js';
import { celViolations } from '../../../policies/engine/gatekeeper/cel.js';

const env = celEnv({ funcs: [...strings, ...kubernetesCelFuncs] });
const run = (e: string): unknown => {
  const r = plan(env, parse(e))({} as never);
  return isCelError(r) ? `error: ${r.message}` : r;
};

t.test('malformed input to a constructor is an error with the apiserver’s words', async (t) => {
  t.match(run('quantity("1.5GiB")'), /^error: quantities must match the regular expression/);
  t.match(run('ip("01.2.3.4")'), /^error: IP Address "01.2.3.4" parse error/);
  t.match(run('cidr("10.0.0.0/33")'), /^error: network address "10.0.0.0\/33" parse error/);
  t.match(run('url("relative/path")'), /^error: URL parse error during conversion from string/);
  t.match(run('quantity("0.5").asInteger()'), /^error: cannot convert value to integer/);
  t.match(run('quantity("9223372036854775808").asInteger()'), /cannot convert value to integer/);
  t.match(run('[].min()'), /^error: min called on an empty list/);
  t.match(run('[1, "a"].isSorted()'), /not comparable/);
  t.match(run('"a".find("(")'), /^error: invalid regular expression/);
});

t.test('a map is not a quantity, an address or a URL', async (t) => {
  t.match(run('{"x": 1}.isLessThan(quantity("1"))'), /^error: no such overload/);
  t.match(run('{"x": 1}.family()'), /^error: no such overload/);
  t.match(run('{"x": 1}.getHost()'), /^error: no such overload/);
  t.match(run('ip("1.2.3.4").prefixLength()'), /^error: no such overload/);
});

t.test('the parsers: exact amounts, canonical addresses, bounded input', async (t) => {
  t.same(parseQuantity('1.5Gi'), { n: 1610612736n, d: 1n });
  t.same(parseQuantity('100m'), { n: 1n, d: 10n });
  t.same(parseQuantity('1e-3'), { n: 1n, d: 1000n });
  t.equal(parseQuantity('1e999'), undefined, 'an exponent beyond reason');
  t.equal(parseQuantity(`1${'0'.repeat(80)}`), undefined, 'a quantity longer than 64 characters');
  t.equal(
    formatIp(parseIp('2001:db8:0:0:1:0:0:1') ?? { v6: false, value: 0n }),
    '2001:db8::1:0:0:1',
  );
  t.equal(formatIp(parseIp('::') ?? { v6: false, value: 1n }), '::');
  t.equal(parseIp('1:2:3:4:5:6:7:8:9'), undefined);
  t.equal(parseIp('1::2::3'), undefined);
  t.same(parseCidr('10.1.2.3/8')?.bits, 8);
  t.equal(parseCidr('10.1.2.3/08'), undefined, 'no leading zero in a prefix length');
});

t.test('a template’s CEL uses them on the object under review', async (t) => {
  const cel = {
    variables: [],
    validations: [
      {
        expression:
          'object.spec.containers.all(c, quantity(c.resources.limits.memory).isLessThan(quantity(variables.params.max)))',
        messageExpression: '"memory limit above " + variables.params.max',
      },
    ],
  };
  const pod = (memory: string) => ({
    object: { spec: { containers: [{ name: 'a', resources: { limits: { memory } } }] } },
  });
  t.same(celViolations(cel, pod('1Gi'), { max: '2Gi' }), []);
  t.same(celViolations(cel, pod('3Gi'), { max: '2Gi' }), [{ msg: 'memory limit above 2Gi' }]);
});
