// npm run bench:policy-commit — how long from a signed commit of a Gatekeeper constraint to the
// webhook enforcing it (issue 29 finding 8): the real control plane, Git server, reconciler and
// webhook; the public library's requiredlabels template. Each round commits a constraint that
// asks for a different label, asks the reconciler to sync (as a push hook does), and times:
// the reconciler's sync (fetch, verify, test, build), the webhook taking the policies from the
// reconciler's feed (its poll, then its own build), and the first kubectl write it denies. The
// reference beside the figures is the webhook's feed poll interval (the floor of the second
// part), at the production default (2 s) and at 500 ms.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import { configMap, startTestReconciler, trustOf } from '../test/support/reconciler.js';
import { createSshSigner } from '../test/support/signing.js';
import { toolPath } from '../test/support/tools.js';
import {
  followReconciler,
  metricValue,
  registerGitGuard,
  startTestWebhook,
} from '../test/support/webhook.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'dg-bench-policy-'));
const library = join(import.meta.dirname, '..', 'test/fixtures/public/gatekeeper-library/library');
const constraint = (label: string) =>
  stringify({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'K8sRequiredLabels',
    metadata: { name: 'configmaps-need-a-label' },
    spec: {
      match: { kinds: [{ apiGroups: [''], kinds: ['ConfigMap'] }], namespaces: ['team-a'] },
      parameters: { labels: [{ key: label }] },
    },
  });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (xs: number[]) =>
  `min ${Math.min(...xs)} · median ${median(xs)} · max ${Math.max(...xs)} ms`;

const cp = await startControlPlane();
const git = await startGitServer();
const signer = await createSshSigner(join(work, 'ssh'), 'Sam Ops', 'sam@example.com');
const repo = await git.createRepo('platform');
await repo.commit(
  {
    'apps/settings.yaml': configMap('settings', { mode: 'strict' }),
    'policies/requiredlabels.yaml': readFileSync(
      join(library, 'general/requiredlabels/template.yaml'),
      'utf8',
    ),
    'policies/constraint.yaml': constraint('label-0'),
  },
  { signer },
);
const token = join(work, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const rec = await startTestReconciler(
  cp,
  [
    {
      name: 'team',
      repoURL: repo.url,
      path: 'apps',
      policyPath: 'policies',
      destinationNamespace: 'team-a',
      createNamespace: true,
      verification: { mode: 'head', ...trustOf(signer) },
    },
  ],
  { stateTokenFile: token, policies: { opaPath: toolPath('opa'), gate: 'enforce' } },
);
await rec.sync('team');
const empty = join(work, 'no-local-policies');
mkdirSync(empty);

async function run(
  pollInterval: string,
): Promise<{ sync: number[]; feed: number[]; denied: number[] }> {
  const wh = await startTestWebhook(empty, {
    kubeconfig: cp.kubeconfigs.admin,
    gitState: { ...followReconciler(rec.url, token), pollInterval },
  });
  await registerGitGuard(cp, wh.url, wh.handle.caBundle(), 'driftgate:sre');
  const loadedMs = async () =>
    (metricValue(await wh.metrics(), 'driftgate_policy_bundle_last_load_timestamp_seconds') ?? 0) *
    1000;
  const out = { sync: [] as number[], feed: [] as number[], denied: [] as number[] };
  for (let i = 1; i <= ROUNDS; i++) {
    const label = `label-${pollInterval}-${i}`;
    await repo.commit({ 'policies/constraint.yaml': constraint(label) }, { signer });
    const t0 = Date.now();
    await rec.sync('team');
    const synced = Date.now();
    while ((await loadedMs()) < synced) await new Promise((r) => setTimeout(r, 20));
    const loaded = Date.now();
    for (;;) {
      const r = await cp.kubectl(['apply', '--dry-run=server', '-n', 'team-a', '-f', '-'], {
        as: 'developer',
        input: configMap('probe', { a: 'b' }),
      });
      if (r.code !== 0 && r.stderr.includes(label)) break;
    }
    out.sync.push(synced - t0);
    out.feed.push(loaded - synced);
    out.denied.push(Date.now() - t0);
  }
  await wh.stop();
  return out;
}

console.log(`bench:policy-commit — ${ROUNDS} commits of a Gatekeeper constraint each way`);
for (const poll of ['2s', '500ms']) {
  const r = await run(poll);
  console.log(`\nwebhook feed poll ${poll} (the reference: the floor of the webhook's part)`);
  console.log(`  reconciler sync (fetch, verify, opa test, opa build): ${fmt(r.sync)}`);
  console.log(`  webhook takes it (poll, then its own build):          ${fmt(r.feed)}`);
  console.log(`  commit → first kubectl write denied:                   ${fmt(r.denied)}`);
}
await rec.stop();
await git.stop();
await cp.stop();
rmSync(work, { recursive: true, force: true });
