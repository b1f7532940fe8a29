// npm run bench:admission-peers — Gatekeeper (its real manager) and driftgate, each in turn behind
// the same ValidatingWebhookConfiguration (Pods in one namespace, failurePolicy Fail) on one real
// control plane, with the same three rules: Gatekeeper's library templates (disallowedtags,
// privileged-containers, host-filesystem) and driftgate's built-in equivalents
// (images/disallow_latest, security/disallow_privileged, security/disallow_host_path), nothing
// else loaded in either. The same workload for both (bench/peers/load.ts); figures side by side.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../test/support/control-plane.js';
import { mustKubectl } from '../test/support/gitsources.js';
import { waitFor } from '../test/support/processes.js';
import { startDriftgate } from './peers/driftgate.js';
import { loadConstraint, startGatekeeper } from './peers/gatekeeper.js';
import {
  histogramQuantile,
  pod,
  quantile,
  runLoad,
  VARIANTS,
  webhookHistogram,
} from './peers/load.js';
import { cpuSeconds, memoryMiB } from './peers/proc.js';
import { benchWork } from './support.js';

const root = join(import.meta.dirname, '..');
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const NS = 'bench';
const INDEX = Number(process.env.BENCH_INDEX ?? 10_000);
const { work, stops } = benchWork('dg-bench-peers-');
const cp = await startControlPlane({ workloads: true });
const kubectl = mustKubectl(cp);
await kubectl(['create', 'namespace', NS]);
await kubectl(['label', 'namespace', NS, 'bench=peers']);

// Gatekeeper, with the library's templates and one constraint each, scoped to the namespace.
const gk = await startGatekeeper(cp, work);
stops.push(() => gk.child.kill('SIGKILL'));
const library = join(root, 'bench', 'fixtures', 'gatekeeper-library', 'library');
const match = { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], namespaces: [NS] };
const constraint = (kind: string, name: string, parameters?: Record<string, unknown>) => ({
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind,
  metadata: { name },
  spec: { match, ...(parameters ? { parameters } : {}) },
});
await loadConstraint(
  cp,
  join(library, 'general', 'disallowedtags', 'template.yaml'),
  constraint('K8sDisallowedTags', 'no-latest', { tags: ['latest'] }),
);
await loadConstraint(
  cp,
  join(library, 'pod-security-policy', 'privileged-containers', 'template.yaml'),
  constraint('K8sPSPPrivilegedContainer', 'no-privileged'),
);
await loadConstraint(
  cp,
  join(library, 'pod-security-policy', 'host-filesystem', 'template.yaml'),
  constraint('K8sPSPHostFilesystem', 'no-host-paths'),
);

// driftgate's webhook (compiled, the chart's heap bounds) with the same three policies only.
const policyDir = join(work, 'policies');
for (const dir of [
  'lib',
  'images/disallow_latest',
  'security/disallow_privileged',
  'security/disallow_host_path',
])
  cpSync(join(root, 'policies', dir), join(policyDir, dir), { recursive: true });
const enforce = Object.fromEntries(
  ['images/disallow_latest', 'security/disallow_privileged', 'security/disallow_host_path'].map(
    (id) => [id, 'enforce'],
  ),
);
const dg = await startDriftgate(join(work, 'driftgate'), policyDir, enforce);
stops.push(() => dg.stop());
// The same, with a 10,000-object desired-state index loaded (every Pod is looked up in it).
const dgIndex = await startDriftgate(join(work, 'driftgate-index'), policyDir, enforce, INDEX);
stops.push(() => dgIndex.stop());

const peers = [
  {
    name: 'gatekeeper',
    label: 'Gatekeeper v3.23.1',
    pid: gk.child.pid ?? 0,
    url: gk.url,
    caPem: gk.caPem,
  },
  {
    name: 'driftgate',
    label: `driftgate (Node.js ${process.version})`,
    pid: dg.child.pid ?? 0,
    url: dg.url,
    caPem: dg.caPem,
  },
  {
    name: 'driftgate-index',
    label: `driftgate, ${INDEX.toLocaleString('en')}-object index`,
    pid: dgIndex.child.pid ?? 0,
    url: dgIndex.url,
    caPem: dgIndex.caPem,
  },
];

/** Send Pods through the apiserver to this peer only; wait until it judges them as expected. */
async function register(peer: (typeof peers)[number]): Promise<string> {
  const name = `${peer.name}.bench.driftgate.io`;
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'bench-peer' },
      webhooks: [
        {
          name,
          clientConfig: { url: peer.url, caBundle: Buffer.from(peer.caPem).toString('base64') },
          rules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['pods'],
              scope: 'Namespaced',
            },
          ],
          namespaceSelector: { matchLabels: { bench: 'peers' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    }),
  );
  // Every variant judged as it should be, by this peer; otherwise the answer is the error.
  const judged = async (variant: (typeof VARIANTS)[number]): Promise<void> => {
    const r = await cp.kubectl(['create', '--dry-run=server', '-n', NS, '-f', '-'], {
      input: JSON.stringify(pod(variant, 0)),
    });
    const denied = r.stderr.includes(`"${name}" denied`);
    if (denied !== (variant !== 'good'))
      throw new Error(`${variant}: ${r.stderr.trim() || r.stdout.trim()}`);
  };
  await waitFor(
    `${peer.name} judging every variant`,
    async () => {
      for (const v of VARIANTS) await judged(v);
      return true;
    },
    60_000,
    250,
  );
  return name;
}

const kc = cp.kubeConfig();
const rows: string[] = [];
const verdicts: Record<string, string> = {};
for (const peer of peers) {
  const webhook = await register(peer);
  await runLoad(kc, NS, CLIENTS, 3); // warm-up
  const before = await webhookHistogram(cp, webhook);
  const cpu0 = cpuSeconds(peer.pid);
  const r = await runLoad(kc, NS, CLIENTS, SECONDS);
  const cpu = cpuSeconds(peer.pid) - cpu0;
  const after = await webhookHistogram(cp, webhook);
  const mem = memoryMiB(peer.pid);
  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  rows.push(
    [
      peer.label.padEnd(36),
      String(Math.round(r.requests / r.seconds)).padStart(6),
      `${quantile(r.latencies, 0.5).toFixed(1)} ms`.padStart(10),
      `${quantile(r.latencies, 0.99).toFixed(1)} ms`.padStart(10),
      ms(histogramQuantile(after, before, 0.5)).padStart(10),
      ms(histogramQuantile(after, before, 0.99)).padStart(10),
      `${cpu.toFixed(1)} s`.padStart(8),
      `${mem.rss} (${mem.peak})`.padStart(12),
      String(r.errors.length).padStart(7),
    ].join(' '),
  );
  verdicts[peer.name] = VARIANTS.map(
    (v) => `${v}: ${r.verdicts[v].allowed} allowed / ${r.verdicts[v].denied} denied`,
  ).join(', ');
  const wrong = VARIANTS.filter(
    (v) => (v === 'good' ? r.verdicts[v].denied : r.verdicts[v].allowed) > 0,
  );
  if (wrong.length > 0 || r.errors.length > 0)
    verdicts[peer.name] +=
      `  DISAGREES on ${wrong.join(', ') || 'none'}; errors: ${r.errors.slice(0, 3).join(' | ')}`;
}

console.log(
  `\nadmission through the apiserver: ${CLIENTS} clients creating Pods (dry-run=server) for ${SECONDS} s, ` +
    `a good Pod and three bad ones in turn; webhook scope, failurePolicy and rules identical`,
);
console.log(
  `${'peer'.padEnd(36)}  req/s  e2e p50    e2e p99    apiserver→webhook p50 / p99   CPU     RSS (peak) MiB  errors`,
);
for (const row of rows) console.log(row);
for (const [peer, text] of Object.entries(verdicts)) console.log(`verdicts ${peer}: ${text}`);
console.log(
  "(apiserver→webhook: the apiserver's apiserver_admission_webhook_admission_duration_seconds, interpolated in its buckets as histogram_quantile() does)",
);
for (const stop of stops.splice(0)) stop();
await cp.stop();
process.exit(0);
