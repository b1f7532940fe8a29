import t from 'tap';
import { BundleStore } from '../../../policies/engine/store.js';
import { watchDirectory } from '../../../policies/engine/watch.js';
import { GOOD_POLICY, policyDir } from '../../support/policy-dirs.js';
import { waitFor } from '../../support/processes.js';
import { toolPath } from '../../support/tools.js';

const opaPath = toolPath('opa');
const input = (data: Record<string, string>) => ({
  request: { object: { kind: 'ConfigMap', data } },
});

t.test('a broken reload keeps the last good bundle and reports why', async (t) => {
  const p = policyDir(GOOD_POLICY);
  t.teardown(p.cleanup);
  const loaded: string[] = [];
  const errors: string[] = [];
  const store = new BundleStore(
    { opaPath },
    { onLoaded: (b) => loaded.push(b.revision), onLoadError: (e) => errors.push(e.stage) },
  );
  t.equal(store.current, undefined, 'nothing before the first load');
  const first = await store.reload(p.dir);
  t.match(first, { ok: true, policies: 1 });
  const good = store.current;

  p.write({
    'demo/no_forbidden/policy.rego': 'package driftgate.demo.no_forbidden\nthis is not rego\n',
  });
  const second = await store.reload(p.dir);
  t.match(second, { ok: false, kept: good?.revision });
  t.equal(store.current, good, 'the same bundle object stays live');
  t.match(store.lastError?.message, /rego_parse_error/);
  t.same(errors, ['test']);
  t.match(
    store.current?.evaluate(input({ forbidden: 'x' }))[0],
    { ok: true, result: { deny: ['key forbidden is not allowed'] } },
    'and still decides',
  );

  p.write(GOOD_POLICY);
  p.write({ 'demo/no_forbidden/policy.yaml': 'enforcement: warn\n' });
  t.match(await store.reload(p.dir, 'commit-2'), { ok: true, revision: 'commit-2' });
  t.equal(store.lastError, undefined, 'a good reload clears the error');
  t.equal(store.current?.policies[0]?.enforcement, 'warn');
  t.same(loaded.length, 2);
});

t.test('concurrent reloads run one at a time, last one wins', async (t) => {
  const p = policyDir(GOOD_POLICY);
  t.teardown(p.cleanup);
  const store = new BundleStore({ opaPath });
  const results = await Promise.all(['r1', 'r2', 'r3'].map((r) => store.reload(p.dir, r)));
  t.same(
    results.map((r) => r.ok && r.revision),
    ['r1', 'r2', 'r3'],
  );
  t.equal(store.current?.revision, 'r3');
});

t.test('a watched directory reloads on change', async (t) => {
  const p = policyDir(GOOD_POLICY);
  t.teardown(p.cleanup);
  const store = new BundleStore({ opaPath });
  await store.reload(p.dir);
  const w = watchDirectory(p.dir, () => void store.reload(p.dir), 100);
  t.teardown(() => w.close());
  const before = store.current?.revision;
  p.write({
    'demo/extra/policy.rego':
      'package driftgate.demo.extra\n\nimport rego.v1\n\nwarn contains "extra" if true\n',
  });
  await waitFor('a new revision', async () => store.current?.revision !== before, 15_000, 50);
  t.same(store.current?.policies.map((x) => x.id).sort(), ['demo/extra', 'demo/no_forbidden']);
});
