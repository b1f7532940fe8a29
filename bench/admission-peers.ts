// npm run bench:admission-peers — Gatekeeper (its real manager) and driftgate, each in turn behind
// the same ValidatingWebhookConfiguration (Pods in one namespace, failurePolicy Fail) on one real
// control plane, with the same three rules: Gatekeeper's library templates (disallowedtags,
// privileged-containers, host-filesystem) and driftgate's built-in equivalents
// (images/disallow_latest, security/disallow_privileged, security/disallow_host_path), nothing
// else loaded in either. The same workload for both (bench/peers/load.ts); figures side by side.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { WEBHOOK_NODE_OPTIONS } from '../core/node-options.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/processes.js';
import { toolPath } from '../test/support/tools.js';
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
import { waitReady, writeServingCert } from './support.js';

const root = join(import.meta.dirname, '..');
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const NS = 'bench';
const work = mkdtempSync(join(tmpdir(), 'dg-bench-peers-'));
const cp = await startControlPlane({ workloads: true });
const stops: (() => void)[] = [];
process.on('exit', () => {
  for (const stop of stops) stop();
  rmSync(work, { recursive: true, force: true });
});
const kubectl = async (args: string[], input?: string) => {
  const r = await cp.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
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
const dgDir = join(work, 'driftgate');
mkdirSync(dgDir);
const dgTls = writeServingCert(dgDir);
const dgPort = await freePort();
writeFileSync(
  join(dgDir, 'webhook.yaml'),
  stringify({
    host: '127.0.0.1',
    port: dgPort,
    metricsHost: '127.0.0.1',
    metricsPort: await freePort(),
    policyDir,
    watchPolicies: false,
    opaPath: toolPath('opa'),
    logLevel: 'warn',
    tls: { certFile: dgTls.certFile, keyFile: dgTls.keyFile },
    enforcementOverrides: Object.fromEntries(
      ['images/disallow_latest', 'security/disallow_privileged', 'security/disallow_host_path'].map(
        (id) => [id, 'enforce'],
      ),
    ),
  }),
);
const dg = spawn(
  process.execPath,
  [join(root, 'dist/cli/main.js'), 'serve', '--config', join(dgDir, 'webhook.yaml')],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: WEBHOOK_NODE_OPTIONS },
  },
);
stops.push(() => dg.kill('SIGKILL'));
await waitReady(`https://127.0.0.1:${dgPort}/readyz`);

const peers = [
  {
    name: 'gatekeeper',
    version: 'Gatekeeper v3.23.1',
    pid: gk.child.pid ?? 0,
    url: gk.url,
    caPem: gk.caPem,
  },
  {
    name: 'driftgate',
    version: `driftgate (Node.js ${process.version})`,
    pid: dg.pid ?? 0,
    url: `https://127.0.0.1:${dgPort}/validate`,
    caPem: dgTls.caPem,
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
  const judged = async (variant: (typeof VARIANTS)[number]) =>
    (
      await cp.kubectl(['create', '--dry-run=server', '-n', NS, '-f', '-'], {
        input: JSON.stringify(pod(variant, 0)),
      })
    ).stderr.includes(`"${name}" denied`);
  await waitFor(
    `${peer.name} judging every variant`,
    async () =>
      !(await judged('good')) &&
      (await judged('privileged')) &&
      (await judged('latest-tag')) &&
      (await judged('host-path')),
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
  const ms = (s: number) => `≤ ${s * 1000} ms`;
  rows.push(
    [
      peer.version.padEnd(36),
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
  '(apiserver→webhook: apiserver_admission_webhook_admission_duration_seconds, bucket bounds)',
);
for (const stop of stops.splice(0)) stop();
await cp.stop();
process.exit(0);
