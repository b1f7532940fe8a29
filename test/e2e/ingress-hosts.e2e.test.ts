// Unique Ingress hosts, against Git's desired state and the live cluster, with the policy raised
// to enforce: the webhook (watching live Ingresses), the reconciler's pre-apply gate and the
// audit all find a host another Ingress already routes. Real apiserver, Git server and kubectl.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOpsFixture, ingress } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { startTestReconciler, trustOf } from '../support/reconciler.js';
import { toolPath } from '../support/tools.js';
import {
  followReconciler,
  LIBRARY_DIR,
  metricValue,
  registerGitGuard,
  startTestWebhook,
} from '../support/webhook.js';

const { dir, cp, git, signer } = await gitOpsFixture(t);
const admin = (args: string[], input?: string) =>
  cp.kubectl(args, input === undefined ? {} : { input });
const alice = (args: string[], input: string) => cp.kubectl(args, { as: 'developer', input });
const must = async (r: Promise<{ code: number; stderr: string }>) => {
  const x = await r;
  if (x.code !== 0) throw new Error(x.stderr);
};
// Before driftgate: a live Ingress, and two that already share a host (for the audit).
for (const ns of ['blog', 'legacy', 'other']) await must(admin(['create', 'namespace', ns]));
await must(admin(['apply', '-f', '-'], ingress('blog', 'site', 'blog.example.com')));
await must(admin(['apply', '-f', '-'], ingress('legacy', 'a', 'legacy.example.com')));
await must(admin(['apply', '-f', '-'], ingress('legacy', 'b', 'legacy.example.com')));

const RAISED = { 'networking/unique_ingress_host': 'enforce' };
const repo = await git.createRepo('platform');
await repo.commit({ 'apps/web.yaml': ingress('shop', 'web', 'shop.example.com') }, { signer });
const token = join(dir, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const rec = await startTestReconciler(
  cp,
  [
    {
      name: 'shop',
      repoURL: repo.url,
      ref: 'main',
      path: 'apps',
      destinationNamespace: 'shop',
      createNamespace: true,
      verification: { mode: 'head', ...trustOf(signer) },
    },
  ],
  {
    stateTokenFile: token,
    policies: {
      opaPath: toolPath('opa'),
      dir: LIBRARY_DIR,
      gate: 'enforce',
      enforcementOverrides: RAISED,
      audit: { kinds: ['networking.k8s.io/v1/Ingress'] },
    },
  },
);
t.teardown(() => rec.stop());
await rec.sync('shop');
const wh = await startTestWebhook(LIBRARY_DIR, {
  enforcementOverrides: RAISED,
  watchIngresses: true,
  kubeconfig: cp.kubeconfigs.admin,
  gitState: followReconciler(rec.url, token),
});
t.teardown(() => wh.stop());
await wh.handle.gitStateFetched;
await registerGitGuard(cp, wh.url, wh.handle.caBundle(), 'driftgate:sre');

t.test('the webhook denies a host a live Ingress routes, naming it', async (t) => {
  let r = { code: 0, stderr: '' };
  await waitFor(
    'the webhook to be called',
    async () => {
      r = await alice(['apply', '-f', '-'], ingress('other', 'copy', 'blog.example.com'));
      return r.code !== 0;
    },
    30_000,
    250,
  );
  t.match(
    r.stderr,
    '[networking/unique_ingress_host] Ingress "copy" routes host blog.example.com, which blog/site already routes',
  );
  t.ok(
    (metricValue(await wh.metrics(), 'driftgate_webhook_live_ingresses', {}) ?? 0) >= 4,
    'the live Ingresses are watched',
  );
});

t.test('the webhook denies a host Git declares, and allows a free one', async (t) => {
  const r = await alice(['apply', '-f', '-'], ingress('other', 'shop-copy', 'shop.example.com'));
  t.not(r.code, 0);
  t.match(r.stderr, 'routes host shop.example.com, which shop/web already routes');
  const free = await alice(['apply', '-f', '-'], ingress('other', 'mine', 'mine.example.com'));
  t.equal(free.code, 0, free.stderr);
  // A new live Ingress is seen by the watch: its host is taken from now on.
  await waitFor(
    'the watch to see other/mine',
    async () =>
      (await alice(['apply', '-f', '-'], ingress('other', 'mine2', 'mine.example.com'))).code !== 0,
    10_000,
    200,
  );
  // Updating an Ingress keeps its own host: it is never its own rival.
  const again = await alice(['label', 'ingress', 'mine', '-n', 'other', 'team=web'], '');
  t.equal(again.code, 0, again.stderr);
});

t.test('the pre-apply gate holds back a declared Ingress whose host is taken', async (t) => {
  await repo.commit({ 'apps/dup.yaml': ingress('shop', 'dup', 'blog.example.com') }, { signer });
  await rec.sync('shop');
  t.match(await rec.status('shop'), {
    policyViolations: [
      {
        object: 'Ingress shop/dup',
        policy: 'networking/unique_ingress_host',
        action: 'enforce',
        applied: false,
        message: /routes host blog\.example\.com, which blog\/site already routes/,
      },
    ],
  });
  t.not((await admin(['get', 'ingress', 'dup', '-n', 'shop'])).code, 0, 'not applied');
  t.equal((await admin(['get', 'ingress', 'web', '-n', 'shop'])).code, 0, 'the rest synced');
});

t.test('the audit reports Ingresses that already share a host', async (t) => {
  const audit = (await (await rec.control('/audit')).json()) as {
    violations: { object: string; policy: string; action: string }[];
  };
  const found = audit.violations
    .filter((v) => v.policy === 'networking/unique_ingress_host')
    .map((v) => `${v.object} ${v.action}`)
    .sort();
  t.strictSame(found, ['Ingress legacy/a enforce', 'Ingress legacy/b enforce']);
});
