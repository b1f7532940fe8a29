// The release before this one, as it shipped: the tree of its commit, its image built by its own
// scripts and pushed to the test registry, and its chart folder (it had no OCI release).
// Releases are named by commit, not only by tag: CI clones the branch without its tags.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import type { Registry } from '../support/registry.js';

const root = join(import.meta.dirname, '..', '..');

export interface TaggedRelease {
  readonly version: string;
  readonly chartDir: string;
  /** registry/driftgate@sha256:… */
  readonly image: string;
}

async function must(what: string, p: Promise<{ code: number; stderr: string }>): Promise<void> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr.slice(-2000)}`);
}

/** Each release's tag and the commit it points to. */
export const RELEASES: Readonly<Record<string, string>> = {
  'v0.1.0': '8b2da1ccf3bb8a0ca8ce6264efd7930064a0df66',
};

/** The commit of a release: from the pinned list; a clone with the tag must agree with it. */
export async function releaseCommit(tag: string): Promise<string> {
  const commit = RELEASES[tag];
  if (!commit) throw new Error(`release ${tag} is not in RELEASES`);
  const r = await exec('git', ['-C', root, 'rev-parse', '-q', '--verify', `${tag}^{commit}`]);
  if (r.code === 0 && r.stdout.trim() !== commit)
    throw new Error(`tag ${tag} is ${r.stdout.trim()}, RELEASES says ${commit}`);
  return commit;
}

/** Build the release tagged `tag` (e.g. v0.1.0) in `work` and push its image to `registry`. */
export async function buildTaggedRelease(
  work: string,
  tag: string,
  registry: Registry,
): Promise<TaggedRelease> {
  const tree = join(work, tag);
  mkdirSync(tree, { recursive: true });
  const commit = await releaseCommit(tag);
  await must(
    `git archive ${commit} (${tag}; a shallow clone lacks it)`,
    exec('bash', ['-c', `git -C '${root}' archive '${commit}' | tar -x -C '${tree}'`], {
      timeoutMs: 120_000,
    }),
  );
  const version = (
    JSON.parse(readFileSync(join(tree, 'package.json'), 'utf8')) as { version: string }
  ).version;
  await must(
    `npm ci in ${tag}`,
    exec('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: tree,
      timeoutMs: 600_000,
    }),
  );
  const tar = join(work, `driftgate-${version}.tar`);
  await must(
    `the ${tag} image`,
    exec('bash', [join(tree, 'scripts', 'image', 'build.sh'), tar, `driftgate:${version}`], {
      cwd: tree,
      timeoutMs: 600_000,
    }),
  );
  const digestFile = join(work, `driftgate-${version}.digest`);
  await must(
    `pushing the ${tag} image`,
    exec(
      'skopeo',
      [
        'copy',
        '-q',
        '--dest-cert-dir',
        registry.certDir,
        '--digestfile',
        digestFile,
        `docker-archive:${tar}`,
        `docker://${registry.host}/driftgate:${version}`,
      ],
      { timeoutMs: 300_000 },
    ),
  );
  const digest = readFileSync(digestFile, 'utf8').trim();
  return {
    version,
    chartDir: join(tree, 'charts', 'driftgate'),
    image: `${registry.host}/driftgate@${digest}`,
  };
}
