import t, { type Test } from 'tap';
import { buildBundle, PolicyBuildError } from '../../../policies/engine/build.js';
import { loadBundle } from '../../../policies/engine/bundle.js';
import { constraintTemplate, GOOD_POLICY, policyDir } from '../../support/policy-dirs.js';
import { toolPath } from '../../support/tools.js';

const opaPath = toolPath('opa');

async function refused(t: Test, files: Record<string, string>): Promise<PolicyBuildError> {
  const p = policyDir(files);
  t.teardown(p.cleanup);
  const err = await buildBundle(p.dir, { opaPath }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, PolicyBuildError, 'refused with a PolicyBuildError');
  return err as PolicyBuildError;
}

t.test('a good policy builds, and its revision follows its content', async (t) => {
  const p = policyDir(GOOD_POLICY);
  t.teardown(p.cleanup);
  const a = await buildBundle(p.dir, { opaPath });
  t.ok(a.wasm.subarray(0, 4).equals(Buffer.from([0, 0x61, 0x73, 0x6d])), 'a wasm module');
  t.same(
    a.policies.map((x) => x.id),
    ['demo/no_forbidden'],
  );
  t.equal(
    (await buildBundle(p.dir, { opaPath })).revision,
    a.revision,
    'same sources, same revision',
  );
  p.write({
    'demo/no_forbidden/policy.rego': GOOD_POLICY['demo/no_forbidden/policy.rego'] + '\n# changed\n',
  });
  t.not(
    (await buildBundle(p.dir, { opaPath })).revision,
    a.revision,
    'changed sources, new revision',
  );
  t.equal(
    (await buildBundle(p.dir, { opaPath, revision: 'abc123' })).revision,
    'abc123',
    'a given revision (a commit) wins',
  );
});

t.test('a syntax error is refused with the compiler message', async (t) => {
  const err = await refused(t, {
    ...GOOD_POLICY,
    'demo/no_forbidden/policy.rego':
      'package driftgate.demo.no_forbidden\n\ndeny contains msg if {\n',
  });
  t.equal(err.stage, 'test', 'opa test compiles first and reports it');
  t.match(err.message, /rego_parse_error/);
});

t.test('a failing Rego test is refused naming the test', async (t) => {
  const err = await refused(t, {
    ...GOOD_POLICY,
    'demo/no_forbidden/policy_test.rego':
      GOOD_POLICY['demo/no_forbidden/policy_test.rego'] +
      '\ntest_wrong if count(no_forbidden.deny) == 5 with input as {}\n',
  });
  t.equal(err.stage, 'test');
  t.match(err.message, /test_wrong/);
  t.match(err.message, /FAIL/);
});

t.test('a builtin the wasm runtime lacks is refused at build, naming it', async (t) => {
  const err = await refused(t, {
    'demo/net/policy.rego':
      'package driftgate.demo.net\n\nimport rego.v1\n\ndeny contains "x" if http.send({"method": "GET", "url": "http://127.0.0.1:1"}).status_code == 200\n',
  });
  // opa test compiles first, with the same capabilities as the build (so tests cannot fetch).
  t.equal(err.stage, 'test');
  t.match(err.message, /undefined function http\.send/);
});

t.test(
  'sprintf prints like OPA: %q quotes, %v writes lists and objects in Rego syntax',
  async (t) => {
    const p = policyDir({
      'demo/fmt/policy.rego':
        'package driftgate.demo.fmt\n\nimport rego.v1\n\ndeny contains sprintf("%q must have %v; %v; %d of %s", ["x", input.request.object.want, {"b": 1, "a": ["y"]}, 3, "z"]) if true\n',
    });
    t.teardown(p.cleanup);
    const bundle = await loadBundle(await buildBundle(p.dir, { opaPath }));
    const [o] = bundle.evaluate({ request: { object: { want: ['owner', 'team'] } } });
    t.same(o?.ok && o.result.deny, [
      '"x" must have ["owner", "team"]; {"a": ["y"], "b": 1}; 3 of z',
    ]);
  },
);

t.test('layout problems are listed together', async (t) => {
  const err = await refused(t, {
    'a/one/policy.rego': 'package driftgate.a.wrong\n',
    'b/two/policy.rego': 'package driftgate.b.two\n',
    'b/two/policy.yaml': 'enforcement: sometimes\n',
  });
  t.equal(err.stage, 'layout');
  t.match(err.message, /a\/one\/policy\.rego: package must be "driftgate\.a\.one"/);
  t.match(err.message, /enforcement must be enforce, warn or dryrun/);
});

t.test('the custom builtins work through the compiled wasm', async (t) => {
  const p = policyDir({
    'demo/builtins/policy.rego': `package driftgate.demo.builtins

import rego.v1

warn contains sprintf("now=%d", [time.now_ns()]) if true

warn contains regex.replace("registry.example/web:1.2", ":[0-9.]+$", ":pinned") if true

warn contains sprintf("bytes=%d", [units.parse_bytes("2Gi")]) if true

warn contains sprintf("semver=%d,%d", [semver.compare("1.10.0", "1.9.3"), semver.compare("1.0.0-rc.1", "1.0.0")]) if true

warn contains "prefix" if strings.any_prefix_match({"ghcr.io/acme/app:1", "nginx:1"}, ["docker.io/", "ghcr.io/"])

warn contains "no-suffix" if not strings.any_suffix_match("app:latest", {":1", ":2"})

warn contains "suffix" if strings.any_suffix_match(["a:latest"], ":latest")
`,
  });
  t.teardown(p.cleanup);
  const bundle = await loadBundle(await buildBundle(p.dir, { opaPath }), () => 1_700_000_000_000);
  const [outcome] = bundle.evaluate({ request: {} });
  t.ok(outcome?.ok, 'evaluated');
  t.same(
    outcome?.ok && [...outcome.result.warn].sort(),
    [
      'bytes=2147483648',
      'now=1700000000000000000',
      'registry.example/web:pinned',
      'semver=1,-1',
      'prefix',
      'no-suffix',
      'suffix',
    ].sort(),
  );
});

t.test('an error in one policy is pinned on that policy alone', async (t) => {
  const p = policyDir({
    ...GOOD_POLICY,
    // A builtin's error in driftgate's own policy fails it (closed), as policies/README.md says.
    'demo/broken/policy.rego':
      'package driftgate.demo.broken\n\nimport rego.v1\n\ndeny contains "never" if semver.compare(input.request.object.data.v, "1.0.0") > 0\n',
    // Past driftgate's own bound (65,536 addresses): the evaluation fails, it does not pass.
    'demo/huge/policy.rego':
      'package driftgate.demo.huge\n\nimport rego.v1\n\ndeny contains "never" if count(net.cidr_expand(input.request.object.data.cidr)) < 0\n',
    // The same builtin error in a Gatekeeper template is undefined, as Gatekeeper's OPA reads it.
    'gk/template.yaml': constraintTemplate(
      'K8sNewer',
      'package k8snewer\n\nviolation[{"msg": "newer"}] { semver.compare(input.review.object.data.v, "1.0.0") > 0 }\n',
    ),
    'gk/constraint.yaml':
      'apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sNewer\nmetadata:\n  name: newer\n',
  });
  t.teardown(p.cleanup);
  const bundle = await loadBundle(await buildBundle(p.dir, { opaPath }));
  const data = { forbidden: 'x', v: 'not-a-version', cidr: '10.0.0.0/8' };
  const outcomes = bundle.evaluate({ request: { object: { kind: 'ConfigMap', data } } });
  const byId = Object.fromEntries(outcomes.map((o) => [o.policy.id, o]));
  t.match(byId['demo/broken'], { ok: false, error: /not a valid SemVer/ });
  t.match(byId['demo/huge'], { ok: false, error: /has more than 65536 addresses/ });
  const gk = outcomes.find((o) => o.policy.gatekeeper?.kind === 'K8sNewer');
  t.same(gk?.ok ? gk.result.deny : gk, [], 'the constraint: no violation, no error');
  const newer = bundle
    .evaluate({ request: { object: { kind: 'ConfigMap', data: { v: '2.0.0' } } } })
    .find((o) => o.policy.gatekeeper?.kind === 'K8sNewer');
  t.match(newer, { ok: true, result: { deny: [/newer/] } }, 'and it judges a valid version');
  t.match(
    byId['demo/no_forbidden'],
    { ok: true, result: { deny: ['key forbidden is not allowed'] } },
    'the other policy still answers',
  );
});
