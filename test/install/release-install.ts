// The release as a platform team takes it: `npm run release` pushed to a real registry, then
// "verify, then install": cosign checks the chart's and the image's signatures with the release
// key, and helm installs the chart by the digest that was verified. Nothing is installed when
// either check fails.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import { STATE_DIR } from '../support/node/configs.js';
import { toolPath } from '../support/tools.js';

const root = join(import.meta.dirname, '..', '..');

export interface Release {
  readonly version: string;
  readonly dir: string;
  /** The release's public key (cosign.pub). */
  readonly pub: string;
  readonly files: Readonly<Record<string, string>>;
  /** registry/driftgate@sha256:… and registry/charts/driftgate@sha256:… as pushed. */
  readonly image: string;
  readonly chart: string;
}

/** Go clients (cosign, helm) trust the test registry's CA. */
const goEnv = (caFile: string) => ({
  ...process.env,
  ...(caFile ? { SSL_CERT_FILE: caFile } : {}),
  COSIGN_PASSWORD: '',
});

/** `npm run release -- --registry …` into `work`, with a key made there. */
export async function publishRelease(work: string, host: string, caFile: string): Promise<Release> {
  const dir = join(work, 'release');
  const r = await exec(
    'bash',
    [
      join(root, 'scripts', 'release', 'release.sh'),
      '--registry',
      host,
      '--ca-file',
      caFile,
      '--key',
      join(work, 'keys', 'cosign.key'),
      '--out',
      dir,
    ],
    { cwd: root, env: goEnv(caFile), timeoutMs: 900_000 },
  );
  if (r.code !== 0) throw new Error(`npm run release failed: ${r.stderr}`);
  const manifest = JSON.parse(readFileSync(join(dir, 'release.json'), 'utf8')) as Omit<
    Release,
    'dir' | 'pub'
  >;
  return { ...manifest, dir, pub: join(dir, 'cosign.pub') };
}

/** containerd on the node trusts the registry's CA (hosts.toml under the CRI config_path). */
export function trustRegistryOnNode(host: string, caFile: string): void {
  const dir = join(STATE_DIR, 'certs.d', host);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ca.crt'), readFileSync(caFile));
  writeFileSync(
    join(dir, 'hosts.toml'),
    `server = "https://${host}"\n\n[host."https://${host}"]\n  capabilities = ["pull", "resolve"]\n  ca = "${join(dir, 'ca.crt')}"\n`,
  );
}

/** `cosign verify-blob` of `file` against the release's SHA256SUMS signature. */
export async function verifyBlob(
  release: Release,
  file: string,
): Promise<{ code: number; stderr: string }> {
  return exec(
    toolPath('cosign'),
    [
      'verify-blob',
      '--key',
      release.pub,
      '--insecure-ignore-tlog=true',
      '--signature',
      join(release.dir, 'SHA256SUMS.sig'),
      file,
    ],
    { env: goEnv(''), timeoutMs: 120_000 },
  );
}

export type Verified = { ok: true; digest: string } | { ok: false; reason: string };

/** `cosign verify --key pub ref`: the digest whose signature the key made, or why not. */
export async function cosignVerify(ref: string, pub: string, caFile: string): Promise<Verified> {
  const r = await exec(
    toolPath('cosign'),
    ['verify', '--key', pub, '--insecure-ignore-tlog=true', '--output', 'json', ref],
    { env: goEnv(caFile), timeoutMs: 120_000 },
  );
  if (r.code !== 0)
    return {
      ok: false,
      reason: r.stderr.split('\n').filter((l) => l.startsWith('Error'))[0] ?? r.stderr,
    };
  const payloads = JSON.parse(r.stdout) as {
    critical: { image: { 'docker-manifest-digest': string } };
  }[];
  const digest = payloads[0]?.critical.image['docker-manifest-digest'];
  return digest ? { ok: true, digest } : { ok: false, reason: 'no signed digest in the output' };
}

export interface VerifiedInstall {
  readonly code: number;
  readonly refused?: string;
  readonly chartDigest?: string;
  readonly imageDigest?: string;
  readonly stderr: string;
}

/**
 * Verify the chart and the image at `registry`/`prefix` (tags of `version`), then, only if both
 * verify, `helm install` the chart by its verified digest with the image pinned to its own.
 */
export async function installVerified(o: {
  readonly helm: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  readonly repo: string;
  readonly version: string;
  readonly pub: string;
  readonly caFile: string;
  readonly release: string;
  readonly namespace: string;
  readonly set: readonly string[];
}): Promise<VerifiedInstall> {
  const chart = await cosignVerify(`${o.repo}/charts/driftgate:${o.version}`, o.pub, o.caFile);
  if (!chart.ok) return { code: 1, refused: `chart: ${chart.reason}`, stderr: '' };
  const image = await cosignVerify(`${o.repo}/driftgate:${o.version}`, o.pub, o.caFile);
  if (!image.ok) return { code: 1, refused: `image: ${image.reason}`, stderr: '' };
  const r = await o.helm([
    'install',
    o.release,
    `oci://${o.repo}/charts/driftgate@${chart.digest}`,
    '--ca-file',
    o.caFile,
    '-n',
    o.namespace,
    '--create-namespace',
    '--wait',
    '--timeout',
    '240s',
    '--set',
    `image.repository=${o.repo}/driftgate`,
    '--set',
    `image.digest=${image.digest}`,
    ...o.set.flatMap((s) => ['--set', s]),
  ]);
  return { code: r.code, stderr: r.stderr, chartDigest: chart.digest, imageDigest: image.digest };
}
