// A source's next commit is fetched as what is new, not as the whole history again: a real Git
// server (git http-backend), isomorphic-git's fetch, and the packs it leaves in the cache.
import t from 'tap';
import { openSync, readdirSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GitSource } from '../../../reconciler/source/git-source.js';
import { startGitServer } from '../../support/git-server.js';

/** Each pack in the cache with its object count (a pack's header: "PACK", version, count). */
function packs(gitdir: string): { name: string; objects: number }[] {
  const dir = join(gitdir, 'objects', 'pack');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pack'))
    .map((name) => {
      const header = Buffer.alloc(12);
      const fd = openSync(join(dir, name), 'r');
      readSync(fd, header, 0, 12, 0);
      closeSync(fd);
      return { name, objects: header.readUInt32BE(8), mtime: statSync(join(dir, name)).mtimeMs };
    })
    .sort((a, b) => a.mtime - b.mtime)
    .map(({ name, objects }) => ({ name, objects }));
}

const git = await startGitServer();
t.teardown(() => git.stop());

t.test('a new commit brings only its own objects', async (t) => {
  const repo = await git.createRepo('incremental');
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`apps/cm-${i}.yaml`] = `kind: ConfigMap\nindex: ${i}\n`;
  const first = await repo.commit(files);
  const src = new GitSource({ url: repo.url, ref: 'main', cacheDir: t.testdir({}) });
  t.same(await src.fetch(), { commit: first, fetched: true });
  t.ok((packs(src.gitdir)[0]?.objects ?? 0) >= 302, 'the first fetch is the whole tree');
  for (const n of [1, 2]) {
    const next = await repo.commit({ 'apps/cm-0.yaml': `kind: ConfigMap\nchanged: ${n}\n` });
    t.same(await src.fetch(), { commit: next, fetched: true });
    // The commit, the root tree, apps/ and the one changed file.
    t.equal(packs(src.gitdir).at(-1)?.objects, 4, `commit ${n}: four objects fetched`);
    const tree = await src.readTree(next, 'apps');
    t.equal(tree.size, 300);
    t.equal(tree.get('apps/cm-0.yaml')?.content.toString(), `kind: ConfigMap\nchanged: ${n}\n`);
  }
  t.same(await src.fetch(), { commit: await src.remoteHead(), fetched: false }, 'up to date');
});

t.test('a force-push that rewrites the branch still fetches what it needs', async (t) => {
  const repo = await git.createRepo('rewritten');
  const a = await repo.commit({ 'a.yaml': 'a: 1\n' });
  const b = await repo.commit({ 'b.yaml': 'b: 1\n' });
  const src = new GitSource({ url: repo.url, ref: 'main', cacheDir: t.testdir({}) });
  t.same(await src.fetch(), { commit: b, fetched: true });
  await repo.git(['reset', '-q', '--hard', a]);
  const c = await repo.commit({ 'c.yaml': 'c: 1\n' }, { force: true });
  t.same(await src.fetch(b), { commit: c, fetched: true });
  t.same([...(await src.readTree(c, '')).keys()].sort(), ['a.yaml', 'c.yaml']);
  t.notOk(await src.descendsFrom(c, b), 'and it is seen as a rewrite');
});
