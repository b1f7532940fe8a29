// The release before this one, as it shipped: the tree of its commit, its image built by its own
// scripts and pushed to the test registry, and its chart folder (it had no OCI release).
// Releases are named by commit, not only by tag: CI clones the branch without its tags. A
// release's commit never changes, so its chart and image archive are built once and kept beside
// the tools (`<tools>/../releases/<tag>-<commit>`), as scripts/tools.sh keeps tools.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import type { Registry } from '../support/registry.js';
import { toolsDir } from '../support/tools.js';

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

/** A release's chart folder (symlinks resolved) and image archive, kept between runs. */
interface BuiltRelease {
  readonly version: string;
  readonly chartDir: string;
  readonly tar: string;
}

const releasesDir = (): string => join(toolsDir(), '..', 'releases');

/** Build `tag` at `commit` from its own tree in `work`: its npm ci and image scripts. */
async function build(work: string, tag: string, commit: string): Promise<BuiltRelease> {
  const tree = join(work, tag);
  mkdirSync(tree, { recursive: true });
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
  return { version, chartDir: join(tree, 'charts', 'driftgate'), tar };
}

/**
 * `tag`'s chart and image archive from the cache, built and stored there the first time (in a
 * temporary folder renamed into place, so a run that dies halfway leaves nothing half-kept).
 */
async function cached(work: string, tag: string, commit: string): Promise<BuiltRelease> {
  const dir = join(releasesDir(), `${tag}-${commit.slice(0, 12)}`);
  const kept = (version: string): BuiltRelease => ({
    version,
    chartDir: join(dir, 'chart'),
    tar: join(dir, 'image.tar'),
  });
  const manifest = join(dir, 'release.json');
  if (existsSync(manifest))
    return kept((JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version);
  const built = await build(work, tag, commit);
  mkdirSync(releasesDir(), { recursive: true });
  const tmp = mkdtempSync(join(releasesDir(), `.${tag}-`));
  await must(
    `keeping ${tag}`,
    exec('bash', [
      '-c',
      `cp -RL '${built.chartDir}' '${tmp}/chart' && cp '${built.tar}' '${tmp}/image.tar'`,
    ]),
  );
  writeFileSync(join(tmp, 'release.json'), JSON.stringify({ tag, commit, version: built.version }));
  try {
    renameSync(tmp, dir);
  } catch {
    // Another run kept it first.
    rmSync(tmp, { recursive: true, force: true });
  }
  return existsSync(manifest) ? kept(built.version) : built;
}

/** The release tagged `tag` (e.g. v0.1.0): its chart, and its image pushed to `registry`. */
export async function buildTaggedRelease(
  work: string,
  tag: string,
  registry: Registry,
): Promise<TaggedRelease> {
  const commit = await releaseCommit(tag);
  const { version, chartDir, tar } = await cached(work, tag, commit);
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
  return { version, chartDir, image: `${registry.host}/driftgate@${digest}` };
}
