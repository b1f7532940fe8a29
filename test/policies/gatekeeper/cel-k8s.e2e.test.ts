// The Kubernetes CEL libraries driftgate gives Gatekeeper's K8sNativeValidation templates
// (quantity, url, ip, cidr, lists, regex, sets, format, optionals) against the real thing: the same expressions
// evaluated by the real kube-apiserver, in a ValidatingAdmissionPolicy's messageExpression
// (the apiserver's own CEL environment), must print the same values as driftgate's.
import t from 'tap';
import { isCelError } from '@bufbuild/cel';
import { stringify } from 'yaml';
import { celProgram } from '../../../policies/engine/gatekeeper/cel.js';
import { speaksOptionals } from '../../../policies/engine/gatekeeper/cel-optional/index.js';
import { startControlPlane } from '../../support/control-plane.js';
import { waitFor } from '../../support/processes.js';

/** Expressions of scalar value (bool, int, string) covering every function, edge cases too. */
const EXPRESSIONS = [
  // quantity
  'quantity("1.5Gi").isGreaterThan(quantity("1536Mi"))',
  'quantity("1.5Gi").compareTo(quantity("1536Mi"))',
  'quantity("1") == quantity("1000m")',
  'quantity("500m").isLessThan(quantity("1"))',
  'quantity("1k").add(quantity("24")).asInteger()',
  'quantity("2Ki").sub(24).asInteger()',
  'quantity("100m").isInteger()',
  'quantity("-3").isLessThan(quantity("0"))',
  'quantity("1e3").asInteger()',
  'quantity("0.5").asApproximateFloat() == 0.5',
  'isQuantity("1.5Gi")',
  'isQuantity("1.5GiB")',
  'isQuantity("1K")',
  'isQuantity("+1.")',
  // url
  'url("https://user@example.com:8443/a%20b/c?x=1&x=2&y=z#f").getScheme()',
  'url("https://user@example.com:8443/a%20b/c?x=1&x=2&y=z#f").getHost()',
  'url("https://user@example.com:8443/a%20b/c?x=1&x=2&y=z#f").getHostname()',
  'url("https://user@example.com:8443/a%20b/c?x=1&x=2&y=z#f").getPort()',
  'url("https://user@example.com:8443/a%20b/c?x=1&x=2&y=z#f").getEscapedPath()',
  'url("https://example.com/?x=1&x=2&y=z").getQuery()["x"].join(",")',
  'url("https://[::1]:80/").getHostname()',
  'url("https://[::1]:80/").getHost()',
  'url("/absolute/path").getScheme()',
  'isURL("https://example.com")',
  'isURL("relative/path")',
  'isURL("/absolute")',
  'isURL("mailto:a@example.com")',
  // ip and cidr
  'ip("10.0.0.1").family()',
  'ip("2001:db8::68").family()',
  'string(ip("2001:0db8:0:0:0:0:0:68"))',
  'ip.isCanonical("2001:db8::68")',
  'ip.isCanonical("2001:DB8::68")',
  'ip("127.0.0.1").isLoopback()',
  'ip("::1").isLoopback()',
  'ip("0.0.0.0").isUnspecified()',
  'ip("224.0.0.1").isLinkLocalMulticast()',
  'ip("ff02::1").isLinkLocalMulticast()',
  'ip("169.254.1.1").isLinkLocalUnicast()',
  'ip("fe80::1").isLinkLocalUnicast()',
  'ip("10.0.0.1").isGlobalUnicast()',
  'ip("255.255.255.255").isGlobalUnicast()',
  'isIP("1.2.3.4")',
  'isIP("01.2.3.4")',
  'isIP("::ffff:1.2.3.4")',
  'isIP("fe80::1%eth0")',
  'isIP("64:ff9b::1.2.3.4")',
  'cidr("10.0.0.0/8").containsIP("10.1.2.3")',
  'cidr("10.0.0.0/8").containsIP(ip("11.1.2.3"))',
  'cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")',
  'cidr("10.0.0.0/16").containsCIDR(cidr("10.0.0.0/8"))',
  'cidr("2001:db8::/32").containsIP("2001:db8::1")',
  'string(cidr("10.1.2.3/8").masked())',
  'string(cidr("10.1.2.3/8").ip())',
  'cidr("10.1.2.3/8").prefixLength()',
  'isCIDR("10.0.0.0/33")',
  'isCIDR("10.0.0.0/8")',
  // lists, regex, sets
  '[1, 2, 3].isSorted()',
  '["b", "a"].isSorted()',
  '[1, 2, 3].sum()',
  '[3, 1, 2].min()',
  '["a", "c", "b"].max()',
  '[1, 2, 3, 2].indexOf(2)',
  '[1, 2, 3, 2].lastIndexOf(2)',
  '[1, 2].indexOf(5)',
  '"abc 123 def 456".find("[0-9]+")',
  '"abc".find("[0-9]+")',
  '"abc 123 def 456".findAll("[0-9]+").join(",")',
  '"a1b2c3".findAll("[0-9]", 2).join(",")',
  'sets.contains([1, 2, 3], [2, 3])',
  'sets.contains([1, 2], [3])',
  'sets.equivalent([1, 2, 2], [2, 1])',
  'sets.intersects(["a"], ["b", "a"])',
  'sets.intersects([], [1])',
  // format (validate gives an optional list of apimachinery's messages)
  'format.dns1123Label().validate("my-name").hasValue()',
  'format.dns1123Label().validate("My_Name").value().join("; ")',
  'format.dns1123Label().validate("a.b").value().join("; ")',
  'format.dns1123Label().validate("' + 'a'.repeat(64) + '").value().join("; ")',
  'format.dns1123Subdomain().validate("example.com").hasValue()',
  'format.dns1123Subdomain().validate("-bad.example").value().join("; ")',
  'format.dns1035Label().validate("1abc").value().join("; ")',
  'format.qualifiedName().validate("example.com/MyName").hasValue()',
  'format.qualifiedName().validate("/x").value().join("; ")',
  'format.qualifiedName().validate("a/b/c").value().join("; ")',
  'format.qualifiedName().validate("Bad_/-x").value().join("; ")',
  'format.labelValue().validate("").hasValue()',
  'format.labelValue().validate("-x").value().join("; ")',
  'format.named("dns1123Label").hasValue()',
  'format.named("noSuchFormat").hasValue()',
  'format.named("labelValue").value().validate("ok").orValue(["none"]).join(",")',
  'format.dns1123LabelPrefix().validate("my-prefix-").orValue([]).join("; ")',
  'format.dns1123LabelPrefix().validate("contains a space-").orValue([]).join("; ")',
  'format.dns1123LabelPrefix().validate("a-").orValue([]).join("; ")',
  'format.dns1123SubdomainPrefix().validate("sub.prefix.-").orValue([]).join("; ")',
  'format.dns1035LabelPrefix().validate("1abc-").orValue([]).join("; ")',
  'format.uri().validate("http://example.com/a?b=c").orValue([]).join("; ")',
  'format.uri().validate("mailto:someone@example.com").orValue([]).join("; ")',
  'format.uri().validate("/just/a/path").orValue([]).join("; ")',
  'format.uri().validate("relative/path").orValue([]).join("; ")',
  'format.uri().validate("").orValue([]).join("; ")',
  'format.uri().validate(":nope").orValue([]).join("; ")',
  'format.uri().validate("http://host:port/").orValue([]).join("; ")',
  'format.uri().validate("http://exa mple.com/").orValue([]).join("; ")',
  'format.uri().validate("http://example.com/%zz").orValue([]).join("; ")',
  'format.uri().validate("http://[::1/").orValue([]).join("; ")',
  'format.uri().validate("http://us er@example.com/").orValue([]).join("; ")',
  'format.uri().validate("http://a/b c#frag").orValue([]).join("; ")',
  'format.uuid().validate("123e4567-e89b-12d3-a456-426614174000").orValue([]).join("; ")',
  'format.uuid().validate("123E4567E89B12D3A456426614174000").orValue([]).join("; ")',
  'format.uuid().validate("123e4567-e89b-12d3-a456").orValue([]).join("; ")',
  'format.byte().validate("aGVsbG8=").orValue([]).join("; ")',
  'format.byte().validate("aGVsbG8").orValue([]).join("; ")',
  'format.byte().validate("").orValue([]).join("; ")',
  'format.date().validate("2021-01-01").orValue([]).join("; ")',
  'format.date().validate("2021-02-29").orValue([]).join("; ")',
  'format.date().validate("2024-02-29").orValue([]).join("; ")',
  'format.date().validate("2021-1-01").orValue([]).join("; ")',
  'format.datetime().validate("2021-01-01T00:00:00Z").orValue([]).join("; ")',
  'format.datetime().validate("2021-01-01t23:59:59.123+05:30").orValue([]).join("; ")',
  'format.datetime().validate("2021-01-01T24:00:00Z").orValue([]).join("; ")',
  'format.datetime().validate("2021-01-01 00:00:00Z").orValue([]).join("; ")',
  'format.datetime().validate("2021-01-01T00:00:00ZTx").orValue([]).join("; ")',
  'format.named("uri").hasValue()',
  'format.named("portName").hasValue()',
  // optionals (cel-optional/)
  '{"a": 1}.?a.orValue(0)',
  '{"a": 1}.?b.orValue(0)',
  '{"a": {"b": "x"}}.?a.?b.orValue("none")',
  '{"a": {}}.?a.?b.hasValue()',
  '{"a": {}}.?a.b.hasValue()',
  '[1, 2][?1].value()',
  '[1, 2][?5].hasValue()',
  '{"k": 2}[?"k"].orValue(0)',
  'optional.ofNonZeroValue("").hasValue()',
  'optional.ofNonZeroValue([0]).hasValue()',
  'optional.of(3).optMap(x, x * 2).value()',
  'optional.none().optMap(x, x * 2).hasValue()',
  'optional.of({"k": 1}).optFlatMap(m, m.?k).orValue(0)',
  'optional.none().or(optional.of("b")).value()',
  'optional.of("a").or(optional.of("b")).value()',
  'size([?optional.none(), ?optional.of(1), 2])',
  'size({?"a": optional.none(), "b": 1})',
  '{?"a": optional.of(7)}["a"]',
  'optional.of(1) == optional.of(1)',
  'optional.none() != optional.of(1)',
  'has({"a": optional.none()}.a)',
  'optional.of({"c": {"i": "hi"}}).c.i.orValue("d")',
  'optional.of({"c": {}}).c.missing.orValue("d")',
  'type(optional.none()) == optional_type',
  '{"spec": {"replicas": 3}}.?spec.?replicas.orValue(1) <= 5',
  // a receiver that is no optional comes back as it is (Kyverno's policies rely on it)
  'dyn({"a": 1}).orValue({"a": 2}).a',
  'dyn([1, 2]).orValue([]).size()',
  'dyn(dyn("x").or(optional.of("y")))',
];
const SEPARATOR = '|~|';

/** CEL's string() of a scalar, as the apiserver prints it. */
const celString = (v: unknown): string =>
  typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'string'
    ? String(v)
    : `unexpected ${typeof v}: ${String(v)}`;

const ours = EXPRESSIONS.map((e) => {
  const r = celProgram(e, speaksOptionals(e))({} as never);
  return isCelError(r) ? `error: ${r.message}` : celString(r);
});

const cp = await startControlPlane();
t.teardown(() => cp.stop());

t.test('the apiserver and driftgate evaluate every expression alike', async (t) => {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'cel-reference' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['configmaps'],
          },
        ],
      },
      validations: [
        {
          expression: 'false',
          // A list joined, not a chain of +: the parser's recursion depth is bounded.
          messageExpression: `[${EXPRESSIONS.map((e) => `string(${e})`).join(', ')}].join("${SEPARATOR}")`,
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'cel-reference' },
    spec: { policyName: 'cel-reference', validationActions: ['Deny'] },
  };
  const applied = await cp.kubectl(['apply', '-f', '-'], {
    input: [policy, binding].map((d) => stringify(d)).join('---\n'),
  });
  t.equal(applied.code, 0, applied.stderr);
  // The policy takes effect when the apiserver has compiled it: wait for the denial.
  let message = '';
  await waitFor(
    'the apiserver to enforce the ValidatingAdmissionPolicy',
    async () => {
      const r = await cp.kubectl(['create', 'configmap', 'probe', '--dry-run=server']);
      const m = /denied request: (.*)$/s.exec(r.stderr);
      if (m?.[1]?.includes(SEPARATOR)) message = m[1].trim();
      return message !== '';
    },
    120_000,
    250,
  );
  const theirs = message.split(SEPARATOR);
  t.equal(theirs.length, EXPRESSIONS.length, 'every expression printed');
  const value = (e: string) => theirs[EXPRESSIONS.indexOf(e)];
  t.equal(value('cidr("10.1.2.3/8").prefixLength()'), '8', 'the apiserver printed real values');
  t.equal(value('string(ip("2001:0db8:0:0:0:0:0:68"))'), '2001:db8::68');
  const differ = EXPRESSIONS.flatMap((e, i) =>
    ours[i] === theirs[i] ? [] : [{ expression: e, apiserver: theirs[i], driftgate: ours[i] }],
  );
  t.same(differ, [], 'the same values');
});
