// The last release must be buildable from any full clone of main, tags or not (CI clones the
// branch alone): its commit is pinned, reachable from HEAD, and agrees with the tag where present.
import t from 'tap';
import { exec } from '../../core/exec.js';
import { RELEASES, releaseCommit } from './tagged-release.js';

for (const tag of Object.keys(RELEASES)) {
  t.test(`${tag} is built from a commit every clone of main has`, async (t) => {
    const commit = await releaseCommit(tag);
    t.equal(commit, RELEASES[tag]);
    const ancestor = await exec('git', ['merge-base', '--is-ancestor', commit, 'HEAD']);
    t.equal(ancestor.code, 0, `${commit} is an ancestor of HEAD`);
    const pkg = await exec('git', ['show', `${commit}:package.json`]);
    t.equal(pkg.code, 0);
    t.equal((JSON.parse(pkg.stdout) as { version: string }).version, tag.slice(1));
  });
}

t.test('an unknown release is refused by name', async (t) => {
  await t.rejects(releaseCommit('v9.9.9'), /release v9\.9\.9 is not in RELEASES/);
});
