import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import { waitFor } from '../support/processes.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';

// A Git server that demands basic auth; credentials come from files and never reach logs or status.
const { dir, cp, git, signer } = await gitOpsFixture(t, {
  git: { basicAuth: { username: 'driftgate', password: 'pa55-w0rd-secret' } },
  signer: ['Sam', 'sam@example.com'],
});
const repo = await git.createRepo('private');
await repo.commit({ 'app/cm.yaml': configMap('private', { v: 'ok' }) }, { signer });
const file = (name: string, content: string) => {
  writeFileSync(join(dir, name), `${content}\n`);
  return join(dir, name);
};
const base = {
  repoURL: repo.url,
  ref: 'main',
  path: 'app',
  createNamespace: true,
  verification: trustOf(signer),
};
const rec = await startTestReconciler(cp, [
  {
    ...base,
    name: 'good',
    destinationNamespace: 'good',
    credentials: {
      usernameFile: file('user', 'driftgate'),
      passwordFile: file('pass', 'pa55-w0rd-secret'),
    },
  },
  {
    ...base,
    name: 'wrong',
    destinationNamespace: 'wrong',
    credentials: {
      usernameFile: file('user2', 'driftgate'),
      passwordFile: file('pass2', 'n0t-the-pa55w0rd'),
    },
  },
  { ...base, name: 'none', destinationNamespace: 'none' },
]);
t.teardown(() => rec.stop());

t.test('credentials from files open a private repo', async (t) => {
  await rec.sync('good');
  const got = await cp.kubectl(['get', 'cm', 'private', '-n', 'good', '-o', 'jsonpath={.data.v}']);
  t.equal(got.stdout, 'ok');
});

t.test('wrong or missing credentials fail clearly and leak nothing', async (t) => {
  for (const name of ['wrong', 'none']) {
    await t.rejects(rec.sync(name), /git fetch of .* failed/);
    const st = await rec.status(name);
    t.match(st, {
      syncStatus: 'Failed',
      lastError: /git fetch of http:\/\/127\.0\.0\.1:\d+\/private\.git failed/,
    });
    t.notMatch(JSON.stringify(st), /pa55|n0t-the/, `${name}: no password in status`);
  }
});

t.test('a GitSource reads its credentials from a Secret, and shows them nowhere', async (t) => {
  const kubectl = mustKubectl(cp);
  await installGitSourceApi(cp);
  await trustingNamespace(cp, 'gs', signer);
  await kubectl([
    'create',
    'secret',
    'generic',
    'git-creds',
    '-n',
    'gs',
    '--from-literal=username=driftgate',
    '--from-literal=password=pa55-w0rd-secret',
  ]);
  const gitSource = (name: string, secret: string) =>
    gitSourceManifest('gs', name, {
      repoURL: repo.url,
      path: 'app',
      interval: '1h',
      secretRef: { name: secret },
    });
  const withSources = await startTestReconciler(
    cp,
    [],
    { gitSources: { enabled: true } },
    { autoStart: true },
  );
  t.teardown(() => withSources.stop());
  await kubectl(['apply', '-f', '-'], gitSource('private', 'git-creds'));
  await kubectl([
    'wait',
    '--for=condition=Ready',
    'gitsource/private',
    '-n',
    'gs',
    '--timeout=60s',
  ]);
  t.equal(await kubectl(['get', 'cm', 'private', '-n', 'gs', '-o', 'jsonpath={.data.v}']), 'ok');
  await kubectl([
    'create',
    'secret',
    'generic',
    'bad-creds',
    '-n',
    'gs',
    '--from-literal=username=driftgate',
    '--from-literal=password=n0t-the-pa55w0rd',
  ]);
  await kubectl(['apply', '-f', '-'], gitSource('wrong', 'bad-creds'));
  await waitFor(
    'the wrong credentials to fail',
    async () =>
      (await kubectl([
        'get',
        'gitsource',
        'wrong',
        '-n',
        'gs',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ])) === 'False',
    30_000,
    250,
  );
  const shown = await kubectl(['get', 'gitsource', '-n', 'gs', '-o', 'yaml']);
  t.match(shown, /git fetch of http:\/\/127\.0\.0\.1:\d+\/private\.git failed/);
  t.notMatch(shown, /pa55|n0t-the/, 'no password in the status');
  t.notMatch(
    await kubectl(['get', 'events', '-n', 'gs', '-o', 'yaml']),
    /pa55|n0t-the/,
    'nor in events',
  );
});
