// `driftgate check` remembers built bundles by content: the real opa builds once; the same
// Rego, metadata and opa give the remembered bundle; any change builds afresh.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildBundle } from '../../policies/engine/build.js';
import { builtKey } from '../../policies/engine/built-cache.js';
import { discoverPolicies, regoFiles } from '../../policies/engine/discover.js';
import { GOOD_POLICY, policyDir } from '../support/policy-dirs.js';
import { toolPath } from '../support/tools.js';

const opaPath = toolPath('opa');

t.test('a second build of unchanged policies runs neither opa test nor opa build', async (t) => {
  const p = policyDir(GOOD_POLICY);
  const cache = mkdtempSync(join(tmpdir(), 'dg-built-'));
  t.teardown(() => {
    p.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });
  const first = await buildBundle(p.dir, { opaPath, builtCacheDir: cache });
  t.strictSame(readdirSync(cache).length, 2, 'the wasm and its metadata');
  // A 1 ms deadline: any opa run would fail, so success means nothing ran.
  const again = await buildBundle(p.dir, { opaPath, builtCacheDir: cache, timeoutMs: 1 });
  t.ok(again.wasm.equals(first.wasm));
  t.strictSame(again.policies, first.policies);
  t.equal(again.revision, first.revision);
  p.write({ 'demo/no_forbidden/policy.yaml': 'enforcement: warn\n' });
  await t.rejects(
    buildBundle(p.dir, { opaPath, builtCacheDir: cache, timeoutMs: 1 }),
    'changed metadata is a different bundle: built (and here, timed out)',
  );
});

t.test('the key covers the Rego, the metadata and the opa binary', async (t) => {
  const p = policyDir(GOOD_POLICY);
  t.teardown(() => p.cleanup());
  const key = (opa = opaPath) => builtKey(p.dir, regoFiles(p.dir), discoverPolicies(p.dir), opa);
  const before = key();
  t.equal(key(), before, 'stable');
  t.not(key('/other/opa'), before);
  p.write({ 'demo/no_forbidden/policy.yaml': 'parameters: { x: 1 }\n' });
  const withParams = key();
  t.not(withParams, before);
  p.write({ 'demo/no_forbidden/extra.rego': 'package driftgate.demo.no_forbidden\n' });
  t.not(key(), withParams);
});

t.test(
  'a remembered bundle keeps its Gatekeeper templates (their suites run from them)',
  async (t) => {
    const template = [
      'apiVersion: templates.gatekeeper.sh/v1',
      'kind: ConstraintTemplate',
      'metadata: { name: k8sx }',
      'spec:',
      '  crd: { spec: { names: { kind: K8sX } } }',
      '  targets:',
      '    - target: admission.k8s.gatekeeper.sh',
      '      rego: |',
      '        package k8sx',
      '        violation[{"msg": "x"}] { input.review.object.x }',
      '',
    ].join('\n');
    const p = policyDir({ 'x/template.yaml': template });
    const cache = mkdtempSync(join(tmpdir(), 'dg-built-'));
    t.teardown(() => {
      p.cleanup();
      rmSync(cache, { recursive: true, force: true });
    });
    const first = await buildBundle(p.dir, { opaPath, builtCacheDir: cache });
    t.strictSame(first.templates, [
      { name: 'k8sx', kind: 'K8sX', file: 'x/template.yaml', sync: [] },
    ]);
    const again = await buildBundle(p.dir, { opaPath, builtCacheDir: cache, timeoutMs: 1 });
    t.strictSame(again.templates, first.templates);
    p.write({
      'x/template.yaml': template.replace('input.review.object.x', 'input.review.object.y'),
    });
    await t.rejects(
      buildBundle(p.dir, { opaPath, builtCacheDir: cache, timeoutMs: 1 }),
      'a changed template is a different bundle',
    );
  },
);
