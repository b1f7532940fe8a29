/**
 * Images for the real node, made here without a registry: scripts/image/build.sh (driftgate, from
 * the Dockerfile's definition) and the pause image from the kubernetes build's static pause binary,
 * each packed with umoci + skopeo and imported into the node's containerd.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { toolPath } from '../tools.js';
import { CONTAINERD_SOCK, PAUSE_IMAGE } from './configs.js';

const exec = promisify(execFile);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function script(name: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await exec('bash', [join(repoRoot, 'scripts', 'image', name), ...args], {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/image/${name} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Build driftgate's image as a docker-archive tar (`ref` is its name:tag inside). */
export async function buildDriftgateImage(out: string, ref: string): Promise<string> {
  await script('build.sh', [out, ref]);
  return out;
}

/** The sandbox image: one static binary, /pause, as its entrypoint. */
export async function buildPauseImage(out: string): Promise<string> {
  const rootfs = join(mkdtempSync(join(tmpdir(), 'driftgate-pause-')), 'rootfs');
  mkdirSync(rootfs);
  copyFileSync(toolPath('pause'), join(rootfs, 'pause'));
  chmodSync(join(rootfs, 'pause'), 0o755);
  await script('oci.sh', [rootfs, PAUSE_IMAGE, out, '--config.entrypoint=/pause']);
  return out;
}

/** Import a docker-archive tar into the node's containerd (the namespace the kubelet uses). */
export async function importImage(tar: string): Promise<void> {
  await exec('ctr', ['--address', CONTAINERD_SOCK, '-n', 'k8s.io', 'images', 'import', tar], {
    timeout: 120_000,
  });
}

/** Give an imported image a second name (a "changed image" for an upgrade). */
export async function tagImage(source: string, target: string): Promise<void> {
  await exec('ctr', [
    '--address',
    CONTAINERD_SOCK,
    '-n',
    'k8s.io',
    'images',
    'tag',
    '--force',
    source,
    target,
  ]);
}
