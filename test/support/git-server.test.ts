import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fs from 'node:fs';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { startGitServer } from './git-server.js';

t.test(
  'isomorphic-git clones and fetches over smart HTTP from the real git http-backend',
  async (t) => {
    const server = await startGitServer();
    t.teardown(() => server.stop());
    const repo = await server.createRepo('config');
    const first = await repo.commit({
      'apps/cm.yaml': 'kind: ConfigMap\n',
      'README.md': 'hello\n',
    });

    const dir = mkdtempSync(join(tmpdir(), 'dg-clone-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    await git.clone({ fs, http, dir, url: repo.url, ref: 'main', singleBranch: true });
    t.equal(
      await git.resolveRef({ fs, dir, ref: 'HEAD' }),
      first,
      'cloned HEAD is the pushed commit',
    );
    t.equal(
      readFileSync(join(dir, 'apps/cm.yaml'), 'utf8'),
      'kind: ConfigMap\n',
      'file content arrives',
    );

    const second = await repo.commit({ 'apps/cm.yaml': null, 'apps/new.yaml': 'kind: Secret\n' });
    await git.fetch({ fs, http, dir, url: repo.url, ref: 'main', singleBranch: true });
    t.equal(
      await git.resolveRef({ fs, dir, ref: 'refs/remotes/origin/main' }),
      second,
      'fetch sees the new commit',
    );
    const { commit } = await git.readCommit({ fs, dir, oid: second });
    t.same(commit.parent, [first], 'history is linear');
  },
);

t.test('a paused server refuses connections and serves again after resume', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.stop());
  const repo = await server.createRepo('flaky');
  const oid = await repo.commit({ 'a.yaml': 'a: 1\n' });
  await server.pause();
  const refsUrl = `${repo.url}/info/refs?service=git-upload-pack`;
  await t.rejects(fetch(refsUrl), 'no answer while paused');
  await server.resume();
  const refs = await git.listServerRefs({ http, url: repo.url, prefix: 'refs/heads/' });
  t.same(refs, [{ ref: 'refs/heads/main', oid }], 'same repo after resume');
});

t.test('stop removes the repositories', async (t) => {
  const server = await startGitServer();
  await server.createRepo('gone');
  await server.stop();
  t.notOk(existsSync(server.root), 'temp directory removed');
  await server.stop();
  t.pass('second stop is harmless');
});
