// npm run bench:admission-peers — Gatekeeper (its real manager) and driftgate, each in turn behind
// the same ValidatingWebhookConfiguration (Pods and Deployments in one namespace, failurePolicy
// Fail; Gatekeeper judges a Deployment's pod template through an ExpansionTemplate) on one real
// control plane, with the same three rules: Gatekeeper's library templates (disallowedtags,
// privileged-containers, host-filesystem) and driftgate's built-in equivalents
// (images/disallow_latest, security/disallow_privileged, security/disallow_host_path), nothing
// else loaded in either; and a driftgate running Gatekeeper's three templates and constraints
// unchanged. The same workload for all (bench/peers/load.ts); figures side by side.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../test/support/control-plane.js';
import { mustKubectl } from '../test/support/gitsources.js';
import { waitFor } from '../test/support/processes.js';
import { startDriftgate } from './peers/driftgate.js';
import { loadConstraint, startGatekeeper } from './peers/gatekeeper.js';
import {
  deployment,
  histogramQuantile,
  OPERATIONS,
  quantile,
  runLoad,
  sender,
  shouldDeny,
  UPDATED,
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
// The Deployment every UPDATE of the workload replaces (before any webhook: nothing judges it).
await kubectl(['apply', '-n', NS, '-f', '-'], JSON.stringify(deployment('good', UPDATED)));

// Gatekeeper, with the library's templates and one constraint each, scoped to the namespace.
const gk = await startGatekeeper(cp, work);
stops.push(() => gk.child.kill('SIGKILL'));
const library = join(root, 'test', 'fixtures', 'public', 'gatekeeper-library', 'library');
const match = { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], namespaces: [NS] };
// Gatekeeper's way to judge a Deployment by Pod constraints: expand its template into a Pod.
await kubectl(
  ['apply', '-f', '-'],
  JSON.stringify({
    apiVersion: 'expansion.gatekeeper.sh/v1alpha1',
    kind: 'ExpansionTemplate',
    metadata: { name: 'expand-deployments' },
    spec: {
      applyTo: [{ groups: ['apps'], kinds: ['Deployment'], versions: ['v1'] }],
      templateSource: 'spec.template',
      generatedGVK: { kind: 'Pod', group: '', version: 'v1' },
    },
  }),
);
const constraint = (kind: string, name: string, parameters?: Record<string, unknown>) => ({
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind,
  metadata: { name },
  spec: { match, ...(parameters ? { parameters } : {}) },
});
// The three templates and their constraints: loaded into Gatekeeper, and (unchanged) into a
// driftgate whose only policies they are.
const gatekeeperPolicies: [string, Record<string, unknown>][] = [
  [
    'general/disallowedtags/template.yaml',
    constraint('K8sDisallowedTags', 'no-latest', { tags: ['latest'] }),
  ],
  [
    'pod-security-policy/privileged-containers/template.yaml',
    constraint('K8sPSPPrivilegedContainer', 'no-privileged'),
  ],
  [
    'pod-security-policy/host-filesystem/template.yaml',
    constraint('K8sPSPHostFilesystem', 'no-host-paths'),
  ],
];
const gkPolicyDir = join(work, 'gatekeeper-policies');
for (const [file, c] of gatekeeperPolicies) {
  await loadConstraint(cp, join(library, file), c);
  const name = String((c.metadata as { name: string }).name);
  mkdirSync(join(gkPolicyDir, name), { recursive: true });
  cpSync(join(library, file), join(gkPolicyDir, name, 'template.yaml'));
  writeFileSync(join(gkPolicyDir, name, 'constraint.yaml'), JSON.stringify(c));
}

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

// driftgate with the Gatekeeper templates and constraints, unchanged (no expansion: a Pod
// constraint does not judge a Deployment's template there).
const dgGatekeeper = await startDriftgate(join(work, 'driftgate-gk'), gkPolicyDir, {});
stops.push(() => dgGatekeeper.stop());

const peers = [
  {
    name: 'gatekeeper',
    kind: 'gatekeeper' as const,
    label: 'Gatekeeper v3.23.1',
    pid: gk.child.pid ?? 0,
    url: gk.url,
    caPem: gk.caPem,
  },
  {
    name: 'driftgate',
    kind: 'driftgate' as const,
    label: `driftgate (Node.js ${process.version})`,
    pid: dg.child.pid ?? 0,
    url: dg.url,
    caPem: dg.caPem,
  },
  {
    name: 'driftgate-gk',
    kind: 'driftgate-gatekeeper' as const,
    label: 'driftgate, the Gatekeeper templates',
    pid: dgGatekeeper.child.pid ?? 0,
    url: dgGatekeeper.url,
    caPem: dgGatekeeper.caPem,
  },
  {
    name: 'driftgate-index',
    kind: 'driftgate' as const,
    label: `driftgate, ${INDEX.toLocaleString('en')}-object index`,
    pid: dgIndex.child.pid ?? 0,
    url: dgIndex.url,
    caPem: dgIndex.caPem,
  },
];

const kc = cp.kubeConfig();
/** Send the workload through the apiserver to this peer only; wait until it judges them as expected. */
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
            {
              apiGroups: ['apps'],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['deployments'],
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
  // Every variant of every operation judged as it should be, by this peer; else the error.
  const send = sender(kc, NS);
  const judged = async (i: number): Promise<void> => {
    const { variant, op, send: go } = send(i);
    const denied = await go().then(
      () => false,
      (e: { code?: number; body?: string }) => {
        const message = (JSON.parse(String(e.body ?? '{}')) as { message?: string }).message;
        if (e.code === 403 && message?.includes(`"${name}" denied`)) return true;
        throw new Error(`${op} ${variant}: ${String(e.code)} ${String(e.body ?? e)}`);
      },
    );
    if (denied !== shouldDeny(peer.kind, op, variant))
      throw new Error(`${op} ${variant}: ${denied ? 'denied' : 'allowed'}`);
  };
  await waitFor(
    `${peer.name} judging every variant`,
    async () => {
      for (let i = 0; i < OPERATIONS.length * VARIANTS.length; i++) await judged(i);
      return true;
    },
    60_000,
    250,
  );
  return name;
}

const rows: string[] = [];
const figs: {
  label: string;
  rps: number;
  e2eP99: number;
  hookP99: number;
  cpu: number;
  rss: number;
}[] = [];
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
  figs.push({
    label: peer.label,
    rps: r.requests / r.seconds,
    e2eP99: quantile(r.latencies, 0.99),
    hookP99: histogramQuantile(after, before, 0.99),
    cpu: cpu / r.requests,
    rss: mem.rss,
  });
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
  const combos = OPERATIONS.flatMap((op) => VARIANTS.map((v) => [op, v] as const));
  const tallyOf = (op: string, v: string) => r.verdicts[`${op}/${v}`] ?? { allowed: 0, denied: 0 };
  verdicts[peer.name] = combos
    .map(([op, v]) => `${op} ${v} ${tallyOf(op, v).allowed}✓/${tallyOf(op, v).denied}✗`)
    .join(', ');
  const wrong = combos.filter(([op, v]) =>
    shouldDeny(peer.kind, op, v) ? tallyOf(op, v).allowed > 0 : tallyOf(op, v).denied > 0,
  );
  if (wrong.length > 0 || r.errors.length > 0)
    verdicts[peer.name] +=
      `  WRONG on ${wrong.map((c) => c.join(' ')).join(', ') || 'none'}; errors: ${r.errors.slice(0, 3).join(' | ')}`;
}

console.log(
  `\nadmission through the apiserver: ${CLIENTS} clients for ${SECONDS} s sending in turn a Pod CREATE, a Deployment CREATE and a Deployment UPDATE (dry-run=server), ` +
    `each a good object and three bad ones; webhook scope, failurePolicy and rules identical`,
);
console.log(
  `${'peer'.padEnd(36)}  req/s  e2e p50    e2e p99    apiserver→webhook p50 / p99   CPU     RSS (peak) MiB  errors`,
);
for (const row of rows) console.log(row);
for (const [peer, text] of Object.entries(verdicts)) console.log(`verdicts ${peer}: ${text}`);
const [gkFig, ...dgFigs] = figs;
if (gkFig)
  for (const d of dgFigs) {
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(
      `${d.label} ÷ Gatekeeper: throughput ${x(d.rps, gkFig.rps)}, end-to-end p99 ${x(d.e2eP99, gkFig.e2eP99)}, webhook p99 ${x(d.hookP99, gkFig.hookP99)}, CPU per request ${x(d.cpu, gkFig.cpu)}, RSS ${x(d.rss, gkFig.rss)}`,
    );
  }
console.log(
  "(apiserver→webhook: the apiserver's apiserver_admission_webhook_admission_duration_seconds, interpolated in its buckets as histogram_quantile() does)",
);
for (const stop of stops.splice(0)) stop();
await cp.stop();
process.exit(0);
