import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';

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
