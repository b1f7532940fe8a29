// The Git guard per source, across restarts (issue 26 findings 16 and 4), through the real
// apiserver: a source whose first sync is stuck (its Git remote drips one byte a second) switches
// off no other source's guard; a reconciler and webhook restarted while Git is unreachable guard
// from what the last run recorded in the cluster; and an object a tenant's RBAC refused guards
// nothing, so its real owner may create it. Real apiserver, Git server, kubectl, webhook.
import { gitRelay } from '../support/git-relay.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import {
  configMap,
  startTestReconciler,
  trustOf,
  type TestReconciler,
} from '../support/reconciler.js';
import {
  deployment,
  followReconciler,
  registerGitGuard,
  startTestWebhook,
  type TestWebhook,
} from '../support/webhook.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';

const { dir, cp, git, signer } = await gitOpsFixture(t);
const must = mustKubectl(cp);
await installGitSourceApi(cp);
const repo = await git.createRepo('apps');
await repo.commit(
  {
    'fast/web.yaml': deployment('web', 'fast'),
    'tenant/mine.yaml': configMap('mine', { team: 'b' }),
    'tenant/theirs.yaml': JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'theirs', namespace: 'other' },
      data: { x: '1' },
    }),
  },
  { signer },
);

const fastGit = await gitRelay(git.port, repo.url);
const slowGit = await gitRelay(git.port, repo.url);
t.teardown(() => {
  fastGit.close();
  slowGit.close();
});
slowGit.hang = true;

// A tenant GitSource applying as a ServiceAccount that may write ConfigMaps in team-b only.
await trustingNamespace(cp, 'team-b', signer);
await must(['create', 'namespace', 'other']);
await must(['create', 'serviceaccount', 'deployer', '-n', 'team-b']);
await must([
  'create',
  'role',
  'deployer',
  '-n',
  'team-b',
  '--verb=get,list,watch,create,update,patch,delete',
  '--resource=configmaps',
]);
await must([
  'create',
  'rolebinding',
  'deployer',
  '-n',
  'team-b',
  '--role=deployer',
  '--serviceaccount=team-b:deployer',
]);

const verification = { mode: 'head', ...trustOf(signer) };
const token = join(dir, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const startRec = () =>
  startTestReconciler(
    cp,
    [
      {
        name: 'fast',
        repoURL: fastGit.url,
        ref: 'main',
        path: 'fast',
        destinationNamespace: 'fast',
        createNamespace: true,
        timeout: '10m',
        verification,
      },
      // Its first fetch never ends within the test: a stuck remote, or a hook waiting minutes.
      {
        name: 'slow',
        repoURL: slowGit.url,
        ref: 'main',
        path: 'fast',
        destinationNamespace: 'slow',
        createNamespace: true,
        timeout: '10m',
        verification,
      },
    ],
    { stateTokenFile: token, gitSources: { enabled: true } },
    { autoStart: true },
  );
const empty = join(dir, 'no-local-policies');
mkdirSync(empty);
const startWh = () => startTestWebhook(empty, { gitState: followReconciler(rec.url, token) });
let rec: TestReconciler = await startRec();
t.teardown(() => rec.stop());
let wh: TestWebhook = await startWh();
t.teardown(() => wh.stop());
await registerGitGuard(cp, wh.url, wh.handle.caBundle(), 'driftgate:sre');
const alice = (args: string[], input?: string) =>
  cp.kubectl(args, { as: 'developer', ...(input ? { input } : {}) });
const scaleDenied = async (what: string) => {
  let r = { code: 0, stderr: '' };
  await waitFor(
    what,
    async () => {
      r = await alice(['scale', 'deploy/web', '-n', 'fast', '--replicas=3', '--dry-run=server']);
      return r.code !== 0 && r.stderr.includes('is managed from Git');
    },
    60_000,
    250,
  );
  return r.stderr;
};

t.test('one stuck source does not switch off the guard of another (finding 16)', async (t) => {
  await waitFor(
    'fast synced',
    async () => (await rec.status('fast')).syncStatus === 'Synced',
    60_000,
    250,
  );
  const why = await scaleDenied("the webhook to guard fast's Deployment while slow is stuck");
  t.match(why, 'is managed from Git by source "fast"');
  t.equal((await rec.status('slow')).revision, null, 'slow is still in its first fetch');
});

t.test(
  'a restart of reconciler and webhook while Git is unreachable opens no window (finding 16)',
  async (t) => {
    await waitFor(
      'the guard recorded in the cluster',
      async () =>
        (await cp.kubectl(['get', 'configmap', 'driftgate-guard-fast', '-n', 'driftgate-system']))
          .code === 0,
      30_000,
      250,
    );
    fastGit.stall();
    await wh.stop();
    await rec.stop();
    rec = await startRec();
    wh = await startWh();
    await registerGitGuard(cp, wh.url, wh.handle.caBundle(), 'driftgate:sre');
    const why = await scaleDenied('the restarted webhook to guard from the recorded entries');
    t.match(why, 'is managed from Git by source "fast"');
    t.equal((await rec.status('fast')).revision, null, 'fast has not synced since the restart');
  },
);

t.test(
  "an object the tenant's RBAC refused guards nothing; its owner creates it (finding 4)",
  async (t) => {
    fastGit.hang = false;
    await must(
      ['apply', '-f', '-'],
      gitSourceManifest('team-b', 'tenant', {
        repoURL: repo.url,
        path: 'tenant',
        interval: '1h',
        serviceAccountName: 'deployer',
      }),
    );
    let guarded = { code: 0, stderr: '' };
    await waitFor(
      "the tenant's own ConfigMap guarded",
      async () => {
        guarded = await alice([
          'patch',
          'configmap',
          'mine',
          '-n',
          'team-b',
          '--type=merge',
          '-p',
          '{"data":{"team":"c"}}',
          '--dry-run=server',
        ]);
        return guarded.stderr.includes('is managed from Git by source "team-b.tenant"');
      },
      60_000,
      250,
    );
    t.match(
      await rec.status('team-b.tenant'),
      { errors: [{ code: 'RECONCILE_FORBIDDEN' }] },
      'RBAC refused theirs',
    );
    const owner = await alice([
      'create',
      'configmap',
      'theirs',
      '-n',
      'other',
      '--from-literal=x=2',
    ]);
    t.equal(
      owner.code,
      0,
      `the real owner's create is not refused in the tenant's name: ${owner.stderr}`,
    );
  },
);
