// One broken template in a policy directory (issue 26 finding 6), through the real apiserver:
// it is refused alone and every other policy goes live; a webhook whose policies all fail to
// build refuses writes (WEBHOOK_NO_POLICIES) rather than letting them through unchecked.
import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createNamespace, startControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/processes.js';
import { deployment, LIBRARY_DIR, registerWebhooks, startTestWebhook } from '../support/webhook.js';

const cp = await startControlPlane();
t.teardown(() => cp.stop());
const ns = await createNamespace(cp, 'shop');

/** A ConstraintTemplate whose Rego does not compile, with a constraint of its kind. */
const broken = (dir: string) => {
  mkdirSync(join(dir, 'broken'), { recursive: true });
  writeFileSync(
    join(dir, 'broken', 'template.yaml'),
    stringify({
      apiVersion: 'templates.gatekeeper.sh/v1',
      kind: 'ConstraintTemplate',
      metadata: { name: 'k8sbroken' },
      spec: {
        crd: { spec: { names: { kind: 'K8sBroken' } } },
        targets: [
          {
            target: 'admission.k8s.gatekeeper.sh',
            rego: 'package k8sbroken\n\nviolation[{"msg": msg}] {\n  msg := undefined_function(input.review)\n}\n',
          },
        ],
      },
    }),
  );
  writeFileSync(
    join(dir, 'broken', 'constraint.yaml'),
    stringify({
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: 'K8sBroken',
      metadata: { name: 'never' },
    }),
  );
};
const work = mkdtempSync(join(tmpdir(), 'dg-broken-'));
const library = join(work, 'library');
cpSync(LIBRARY_DIR, library, {
  recursive: true,
  filter: (src) => !src.includes(`${join('policies', 'engine')}`),
});
broken(library);
const onlyBroken = join(work, 'only-broken');
broken(onlyBroken);

t.test('one broken template is refused alone; the library is live', async (t) => {
  const wh = await startTestWebhook(library, {
    enforcementOverrides: { 'images/disallow_latest': 'enforce' },
  });
  t.teardown(() => wh.stop());
  t.ok(wh.handle.store.current, 'a bundle is live');
  t.strictSame(wh.handle.refusedPolicies(), [
    join('broken', 'constraint.yaml'),
    join('broken', 'template.yaml'),
  ]);
  await registerWebhooks(cp, wh.url, wh.handle.caBundle());
  let r = { code: 0, stderr: '' };
  await waitFor(
    'the library to deny :latest',
    async () => {
      r = await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], {
        as: 'developer',
        input: deployment('latest', ns, { image: 'registry.example/shop/web:latest' }),
      });
      return r.stderr.includes('images/disallow_latest');
    },
    30_000,
    250,
  );
  t.not(r.code, 0);
});

t.test('nothing builds: writes are refused, never let through unchecked', async (t) => {
  const wh = await startTestWebhook(onlyBroken);
  t.teardown(() => wh.stop());
  t.equal(wh.handle.store.current, undefined, 'no bundle');
  await registerWebhooks(cp, wh.url, wh.handle.caBundle());
  let r = { code: 0, stderr: '' };
  await waitFor(
    'the webhook to refuse',
    async () => {
      r = await cp.kubectl(
        ['create', 'configmap', 'x', '-n', ns, '--from-literal=a=b', '--dry-run=server'],
        { as: 'developer' },
      );
      return r.stderr.includes('WEBHOOK_NO_POLICIES');
    },
    30_000,
    250,
  );
  t.not(r.code, 0, 'refused');
});
