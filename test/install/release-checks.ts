// The release's own checks in the real-node test: its files, SBOM and signatures, and the
// refusal of a tampered image and a tampered chart before anything is installed.
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import { buildPauseImage } from '../support/node/images.js';
import type { Registry } from '../support/registry.js';
import { readVersions, toolPath } from '../support/tools.js';
import { installVerified, verifyBlob, type Release } from './release-install.js';

type Run = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Every file's SHA-256 as release.json says, the SBOM's parts, SHA256SUMS's signature. */
export async function checkRelease(t: Test, release: Release, work: string): Promise<void> {
  for (const [file, sum] of Object.entries(release.files))
    t.equal(
      createHash('sha256')
        .update(readFileSync(join(release.dir, file)))
        .digest('hex'),
      sum,
      file,
    );
  t.same(Object.keys(release.files).sort(), [
    `driftgate-${release.version}.cdx.json`,
    `driftgate-${release.version}.tgz`,
    `driftgate-chart-${release.version}.tgz`,
    `driftgate-image-${release.version}.tar`,
  ]);
  const sbom = JSON.parse(
    readFileSync(join(release.dir, `driftgate-${release.version}.cdx.json`), 'utf8'),
  ) as {
    bomFormat: string;
    metadata: { component: { name: string } };
    components: { name: string; version: string }[];
  };
  t.equal(sbom.bomFormat, 'CycloneDX');
  t.equal(sbom.metadata.component.name, 'driftgate');
  const pins = readVersions();
  for (const [name, key] of <[string, string][]>[
    ['node', 'NODE_VERSION'],
    ['opa', 'OPA_VERSION'],
    ['helm', 'HELM_VERSION'],
    ['kustomize', 'KUSTOMIZE_VERSION'],
  ])
    t.ok(
      sbom.components.some((c) => c.name === name && c.version === pins[key]),
      `the SBOM lists ${name}`,
    );
  t.ok(
    sbom.components.some((c) => c.name === 'express'),
    'and the npm dependencies',
  );
  const sums = await verifyBlob(release, join(release.dir, 'SHA256SUMS'));
  t.equal(sums.code, 0, `SHA256SUMS verifies: ${sums.stderr}`);
  const forged = join(work, 'SHA256SUMS.forged');
  writeFileSync(
    forged,
    readFileSync(join(release.dir, 'SHA256SUMS'), 'utf8').replace(/^[0-9a-f]/, (c) =>
      c === '0' ? '1' : '0',
    ),
  );
  t.not((await verifyBlob(release, forged)).code, 0, 'a changed SHA256SUMS does not');
}

/**
 * Two mirrors of the release (cosign copy: signatures too), one with another image under the
 * release's tag carrying a copy of the release's image signature, one with a changed chart under
 * the release's version: "verify, then install" refuses both and installs nothing.
 */
export async function refuseTampered(
  t: Test,
  o: {
    readonly work: string;
    readonly registry: Registry;
    readonly release: Release;
    readonly helm: Run;
    readonly kc: Run;
    readonly releaseName: string;
    readonly namespace: string;
  },
): Promise<void> {
  const env = { ...process.env, SSL_CERT_FILE: o.registry.caFile };
  const cosign = (args: string[]) => exec(toolPath('cosign'), args, { env, timeoutMs: 120_000 });
  const skopeo = (args: string[]) =>
    exec(
      'skopeo',
      [
        'copy',
        '-q',
        '--src-cert-dir',
        o.registry.certDir,
        '--dest-cert-dir',
        o.registry.certDir,
        ...args,
      ],
      { timeoutMs: 120_000 },
    );
  const v = o.release.version;
  // Two mirrors of the release, signatures and all (cosign copy), one part of each then replaced.
  for (const m of ['mirror-image', 'mirror-chart'])
    for (const part of ['driftgate', 'charts/driftgate']) {
      const c = await cosign([
        'copy',
        `${o.registry.host}/${part}:${v}`,
        `${o.registry.host}/${m}/${part}:${v}`,
      ]);
      t.equal(c.code, 0, `cosign copy: ${c.stderr}`);
    }
  // The image: another image under the release's tag, with the release's signature copied to it.
  const other = await buildPauseImage(join(o.work, 'other.tar'));
  const pushed = await skopeo([
    '--digestfile',
    join(o.work, 'other.digest'),
    `docker-archive:${other}`,
    `docker://${o.registry.host}/mirror-image/driftgate:${v}`,
  ]);
  t.equal(pushed.code, 0, pushed.stderr);
  const tag = (d: string) => `${d.replace(':', '-')}.sig`;
  const real = o.release.image.split('@')[1] as string;
  const fake = readFileSync(join(o.work, 'other.digest'), 'utf8').trim();
  const sig = await skopeo([
    '--preserve-digests',
    `docker://${o.registry.host}/mirror-image/driftgate:${tag(real)}`,
    `docker://${o.registry.host}/mirror-image/driftgate:${tag(fake)}`,
  ]);
  t.equal(sig.code, 0, sig.stderr);
  // The chart: the same chart with failurePolicy Ignore, pushed under the release's version.
  const unpacked = join(o.work, 'tampered-chart');
  mkdirSync(unpacked);
  await exec('tar', ['-xzf', join(o.release.dir, `driftgate-chart-${v}.tgz`), '-C', unpacked]);
  const values = join(unpacked, 'driftgate', 'values.yaml');
  writeFileSync(
    values,
    readFileSync(values, 'utf8').replace('failurePolicy: Fail', 'failurePolicy: Ignore'),
  );
  const pkg = await o.helm(['package', join(unpacked, 'driftgate'), '-d', unpacked]);
  t.equal(pkg.code, 0, pkg.stderr);
  const push = await o.helm([
    'push',
    join(unpacked, `driftgate-${v}.tgz`),
    `oci://${o.registry.host}/mirror-chart/charts`,
    '--ca-file',
    o.registry.caFile,
  ]);
  t.equal(push.code, 0, push.stderr);
  for (const [m, part] of [
    ['mirror-image', 'image'],
    ['mirror-chart', 'chart'],
  ]) {
    const r = await installVerified({
      helm: o.helm,
      repo: `${o.registry.host}/${m}`,
      version: v,
      pub: o.release.pub,
      caFile: o.registry.caFile,
      release: o.releaseName,
      namespace: o.namespace,
      set: [],
    });
    t.equal(r.code, 1, `${m}: refused`);
    t.match(
      r.refused,
      new RegExp(`^${part}: .*(no matching signatures|no signatures found)`),
      `${m}: ${r.refused}`,
    );
  }
  t.same(
    JSON.parse((await o.helm(['list', '-A', '-o', 'json'])).stdout),
    [],
    'no release installed',
  );
  t.not((await o.kc(['get', 'namespace', o.namespace])).code, 0, 'not even its namespace');
}
