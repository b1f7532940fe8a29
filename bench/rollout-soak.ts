// npm run bench:rollout-soak — webhook rollouts under steady writes, on the real node (root):
// the chart installed with the image from a real registry, a client writing ConfigMaps through
// the apiserver (every write admitted by the webhook, failurePolicy Fail) while the webhook
// Deployment is rolled ROLLOUTS times (kubectl rollout restart, waiting each out, old pods
// drained). Side by side in one run: this tree, and the last release (tag v0.1.0, built from
// its own tree) as the reference. Prints rollouts, writes admitted and writes failed per version.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { exec } from '../core/exec.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { mustKubectl } from '../test/support/gitsources.js';
import { NODE_IP, realNodeSkipReason, startNode } from '../test/support/node/node.js';
import { waitFor } from '../test/support/processes.js';
import { startRegistry } from '../test/support/registry.js';
import { toolPath } from '../test/support/tools.js';
import { trustRegistryOnNode } from '../test/install/release-install.js';
import { buildTaggedRelease } from '../test/install/tagged-release.js';
import { admissionWriter } from '../test/install/writer.js';

const ROLLOUTS = Number(process.env.ROLLOUTS ?? 20);
const NS = 'dg-soak';
const skip = realNodeSkipReason();
if (skip) {
  console.error(`bench:rollout-soak needs a real node: ${skip}`);
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'dg-bench-soak-'));
const stops: (() => Promise<void>)[] = [];
const cp = await startControlPlane({ workloads: true, nodeIP: NODE_IP });
stops.push(() => cp.stop());

interface Row {
  readonly version: string;
  readonly rollouts: number;
  readonly ok: number;
  readonly failed: number;
  readonly failedRollouts: number;
  readonly examples: readonly string[];
}

/** This tree's image, built and pushed (no signing: the release test does that). */
async function headImage(host: string, certDir: string): Promise<string> {
  const tar = join(work, 'head.tar');
  const b = await exec('bash', [join(root, 'scripts/image/build.sh'), tar, 'driftgate:head'], {
    timeoutMs: 900_000,
  });
  if (b.code !== 0) throw new Error(b.stderr);
  const p = await exec(
    'skopeo',
    [
      'copy',
      '-q',
      '--dest-cert-dir',
      certDir,
      `docker-archive:${tar}`,
      `docker://${host}/driftgate:head`,
    ],
    { timeoutMs: 300_000 },
  );
  if (p.code !== 0) throw new Error(p.stderr);
  return 'head';
}

async function soak(version: string, chart: string, repository: string, tag: string): Promise<Row> {
  const kubectl = mustKubectl(cp);
  const helm = (args: string[]) =>
    exec(toolPath('helm'), [...args, '--kubeconfig', cp.kubeconfigs.admin], { timeoutMs: 600_000 });
  const inst = await helm([
    'install',
    'soak',
    chart,
    '-n',
    NS,
    '--create-namespace',
    '--wait',
    '--timeout',
    '300s',
    '--set',
    `image.repository=${repository}`,
    '--set',
    `image.tag=${tag}`,
  ]);
  if (inst.code !== 0) throw new Error(`helm install ${version}: ${inst.stderr}`);
  await waitFor(
    'the webhook answering through its Service',
    async () =>
      (await cp.kubectl(['create', 'configmap', 'probe', '-n', 'default', '--dry-run=server']))
        .code === 0,
    60_000,
    250,
  );
  const writes = `writes-${tag.replace(/[^a-z0-9-]/g, '-')}`;
  await kubectl(['create', 'namespace', writes]);
  const writer = admissionWriter(cp.kubeConfig().makeApiClient(CoreV1Api), writes);
  await writer.until(5);
  let failedRollouts = 0;
  const pods = async () =>
    (
      await kubectl([
        'get',
        'pods',
        '-n',
        NS,
        '-l',
        'app.kubernetes.io/component=webhook',
        '-o',
        'name',
      ])
    )
      .trim()
      .split('\n')
      .filter(Boolean).length;
  for (let i = 1; i <= ROLLOUTS; i++) {
    await kubectl(['rollout', 'restart', 'deploy/soak-driftgate-webhook', '-n', NS]);
    const st = await cp.kubectl([
      'rollout',
      'status',
      'deploy/soak-driftgate-webhook',
      '-n',
      NS,
      '--timeout=300s',
    ]);
    if (st.code !== 0) failedRollouts++;
    await waitFor('the old webhook pods gone', async () => (await pods()) === 2, 120_000, 250);
    process.stderr.write(`[soak] ${version}: rollout ${i}/${ROLLOUTS} done\n`);
  }
  const r = await writer.stop();
  await helm(['uninstall', 'soak', '-n', NS, '--wait']);
  process.stderr.write(`[soak] ${version}: ${r.ok} writes admitted, ${r.failures.length} failed\n`);
  return {
    version,
    rollouts: ROLLOUTS,
    ok: r.ok,
    failed: r.failures.length,
    failedRollouts,
    examples: r.failures.slice(0, 3),
  };
}

const rows: Row[] = [];
try {
  const node = await startNode(cp);
  stops.push(() => node.stop());
  const registry = await startRegistry(NODE_IP);
  stops.push(() => registry.stop());
  trustRegistryOnNode(registry.host, registry.caFile);
  const last = await buildTaggedRelease(work, 'v0.1.0', registry);
  await headImage(registry.host, registry.certDir);
  const version = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  ).version;
  rows.push(
    await soak(
      `this tree (${version})`,
      join(root, 'charts/driftgate'),
      `${registry.host}/driftgate`,
      'head',
    ),
  );
  rows.push(
    await soak(
      `last release (${last.version})`,
      last.chartDir,
      `${registry.host}/driftgate`,
      last.version,
    ),
  );
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `\nwebhook rollouts under steady writes (failurePolicy Fail), ${ROLLOUTS} per version\n`,
);
console.log(
  `${'version'.padEnd(26)} ${'rollouts'.padStart(8)} ${'writes admitted'.padStart(16)} ${'writes failed'.padStart(14)}`,
);
for (const r of rows)
  console.log(
    `${r.version.padEnd(26)} ${String(r.rollouts - r.failedRollouts).padStart(8)} ${String(r.ok).padStart(16)} ${String(r.failed).padStart(14)}`,
  );
for (const r of rows) for (const e of r.examples) console.log(`  ${r.version}: ${e}`);
