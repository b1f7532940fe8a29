// The pre-apply gate evaluates in a worker of its own: a policy from a commit that runs for
// ever costs one deadline, its object is judged "could not be evaluated" (an enforce policy
// holds it back), and the reconciler's main thread keeps running meanwhile.
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { buildBundle } from '../../../policies/engine/build.js';
import { loadBundle } from '../../../policies/engine/bundle.js';
import { findings, objectInput } from '../../../policies/engine/findings.js';
import { TENANCY_FILE, tenancyText } from '../../../policies/engine/tenancy.js';
import { GatePool } from '../../../reconciler/policy/gate-pool.js';
import { GOOD_POLICY, policyDir } from '../../support/policy-dirs.js';
import { toolPath } from '../../support/tools.js';

// A regular expression that backtracks for ever (JavaScript's engine backtracks; 2^40 steps).
const SLOW =
  'package driftgate.demo.slow\n\nimport rego.v1\n\n' +
  'deny contains "slow" if {\n' +
  '  s := concat("", [concat("", ["a" | some _ in numbers.range(1, 40)]), "!"])\n' +
  '  regex.replace(s, "(a+)+$", "") == ""\n' +
  '}\n';

t.test(
  'a policy that will not finish costs one deadline, and the main thread runs on',
  async (t) => {
    const p = policyDir({ ...GOOD_POLICY, 'demo/slow/policy.rego': SLOW });
    t.teardown(p.cleanup);
    const bundle = await loadBundle(await buildBundle(p.dir, { opaPath: toolPath('opa') }));
    const gate = new GatePool(pino({ level: 'silent' }), 500);
    t.teardown(() => gate.close());
    const input = { request: { object: { kind: 'ConfigMap', data: { forbidden: 'x' } } } };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const outcomes = await gate.judge(bundle, input);
    clearInterval(timer);
    t.ok(ticks >= 10, `the main thread ran meanwhile (${ticks} ticks of 20 ms)`);
    const slow = outcomes.find((o) => o.policy.id === 'demo/slow');
    t.match(slow, { ok: false, error: /not evaluated: the 500 ms deadline passed/ });
    t.match(findings(outcomes, input.request.object), [
      { policy: 'demo/no_forbidden', action: 'enforce', message: /could not be evaluated/ },
      { policy: 'demo/slow', action: 'enforce', message: /could not be evaluated/ },
    ]);
  },
);

t.test(
  'a policy that answers in time is judged in the worker; a new bundle is loaded first',
  async (t) => {
    const p = policyDir(GOOD_POLICY);
    t.teardown(p.cleanup);
    const bundle = await loadBundle(await buildBundle(p.dir, { opaPath: toolPath('opa') }));
    const gate = new GatePool(pino({ level: 'silent' }));
    t.teardown(() => gate.close());
    const judge = (data: Record<string, string>) =>
      gate.judge(bundle, { request: { object: { kind: 'ConfigMap', data } } });
    t.match(await judge({ forbidden: 'x' }), [
      { ok: true, result: { deny: ['key forbidden is not allowed'] } },
    ]);
    const clean = (await judge({ fine: 'y' }))[0];
    t.same(clean?.ok ? clean.result.deny : clean, [], 'a clean object: nothing found');
    // A new bundle (a new commit of policies) is loaded before it judges.
    const next = await loadBundle(await buildBundle(p.dir, { opaPath: toolPath('opa') }));
    const again = (
      await gate.judge(next, {
        request: { object: { kind: 'ConfigMap', data: { forbidden: 'x' } } },
      })
    )[0];
    t.match(again, { ok: true, result: { deny: ['key forbidden is not allowed'] } });
  },
);

/**
 * A gate over the platform's GOOD_POLICY, team-a's slow policy and `extra` tenants' files, with a
 * 500 ms deadline: `judged(namespace, data)` is what it finds about a ConfigMap there.
 */
async function tenantGate(
  t: Test,
  extra: {
    files: Record<string, string>;
    tenants: { source: string; namespace: string; file: string }[];
  },
) {
  const p = policyDir({
    ...GOOD_POLICY,
    'team/slow/policy.rego': SLOW.replace('driftgate.demo.slow', 'driftgate.team.slow'),
    ...extra.files,
    [TENANCY_FILE]: tenancyText([
      { source: 'team-a.web', namespaces: ['team-a'], files: ['team/slow/policy.rego'] },
      ...extra.tenants.map((x) => ({
        source: x.source,
        namespaces: [x.namespace],
        files: [x.file],
      })),
    ]),
  });
  t.teardown(p.cleanup);
  const bundle = await loadBundle(await buildBundle(p.dir, { opaPath: toolPath('opa') }));
  const gate = new GatePool(pino({ level: 'silent' }), 500);
  t.teardown(() => gate.close());
  return async (namespace: string, data: Record<string, string>) => {
    const object = { kind: 'ConfigMap', metadata: { name: 'c', namespace }, data };
    const input = objectInput(object, { username: 'driftgate' }, { managed: true });
    return findings(await gate.judge(bundle, input), object);
  };
}

t.test(
  "a tenant's policy that will not finish holds back only that tenant's objects",
  async (t) => {
    const gated = await tenantGate(t, { files: {}, tenants: [] });
    const judged = (namespace: string) => gated(namespace, { forbidden: 'x' });
    // Another team's object: the platform's policy judges it; the tenant's does not speak there.
    t.same(await judged('team-b'), [
      { policy: 'demo/no_forbidden', action: 'enforce', message: 'key forbidden is not allowed' },
    ]);
    // The tenant's own object: the platform's finding, and its own policy "could not be evaluated".
    t.match(await judged('team-a'), [
      { policy: 'demo/no_forbidden', message: 'key forbidden is not allowed' },
      { policy: 'team/slow', message: /could not be evaluated: .*a tenant's policies missed/ },
    ]);
  },
);

t.test("one tenant's slow policy leaves another tenant's policies speaking", async (t) => {
  const teamB =
    'package driftgate.teamb.no_debug\n\nimport rego.v1\n\n' +
    'deny contains "no debug" if input.request.object.data.debug\n';
  const gated = await tenantGate(t, {
    files: { 'teamb/no_debug/policy.rego': teamB },
    tenants: [{ source: 'team-b.web', namespace: 'team-b', file: 'teamb/no_debug/policy.rego' }],
  });
  const judged = (namespace: string) => gated(namespace, { debug: 'y' });
  t.match(await judged('team-a'), [{ policy: 'team/slow', message: /could not be evaluated/ }]);
  // team-a is now left out; team-b's own policy still judges team-b's object.
  t.same(await judged('team-b'), [
    { policy: 'teamb/no_debug', action: 'enforce', message: 'no debug' },
  ]);
});
