// One tenant's worst template against everyone else's admission latency (issue 26 finding 5).
// The real webhook (HTTPS, evaluation workers) follows a stand-in reconciler feed serving the
// policies exactly as the reconciler's hub does: a platform policy, plus a tenant's expensive
// ConstraintTemplate and constraint bound to namespace team-a (tenancy.yaml). Three runs, side
// by side: without the template; with it bound to team-a (today); with it unbound, as every
// policy was before tenancy reached the policy plane (the reference the issue measured).
// Sequential ConfigMap CREATE reviews; p50/p99 in ms. Run: npm run bench:tenant-cost
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { tenancyText } from '../policies/engine/tenancy.js';
import { followReconciler, postToWebhook, startTestWebhook } from '../test/support/webhook.js';
import { benchWork } from './support.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const { work } = benchWork('dg-tenant-cost-');
const platform = {
  'platform/labels/policy.rego':
    'package driftgate.platform.labels\n\nimport rego.v1\n\ndeny contains "needs an owner" if {\n\tinput.request.object.kind == "ConfigMap"\n\tnot input.request.object.metadata.labels.owner\n}\n',
};
const expensive = {
  'tenant/template.yaml': stringify({
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: { name: 'k8sexpensive' },
    spec: {
      crd: { spec: { names: { kind: 'K8sExpensive' } } },
      targets: [
        {
          target: 'admission.k8s.gatekeeper.sh',
          rego: [
            'package k8sexpensive',
            'violation[{"msg": msg}] {',
            '  n := count([x | x := numbers.range(1, 60000)[_]; x % 7 == 3])',
            '  n < 0',
            '  msg := "never"',
            '}',
            '',
          ].join('\n'),
        },
      ],
    },
  }),
  'tenant/constraint.yaml': stringify({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'K8sExpensive',
    metadata: { name: 'expensive' },
    spec: { match: { kinds: [{ apiGroups: [''], kinds: ['ConfigMap'] }] } },
  }),
};
const bound = tenancyText([
  { source: 'team-a.policies', namespaces: ['team-a'], files: Object.keys(expensive) },
]);

/** Start the webhook on `files` (as the reconciler serves them); p50/p99 per namespace. */
async function measure(files: Record<string, string>): Promise<Record<string, [number, number]>> {
  const feed = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify(
        req.url === '/v1/policies'
          ? { version: 1, revision: String(Object.keys(files).length), files }
          : { version: 1, generation: 'g', sources: [] },
      ),
    );
  });
  await new Promise<void>((r) => feed.listen(0, '127.0.0.1', r));
  const token = join(work, 'token');
  writeFileSync(token, 't\n');
  const empty = join(work, 'empty');
  mkdirSync(empty, { recursive: true });
  const url = `http://127.0.0.1:${(feed.address() as AddressInfo).port}`;
  const wh = await startTestWebhook(empty, { gitState: followReconciler(url, token) });
  try {
    await wh.handle.gitStateFetched;
    for (let i = 0; i < 600 && wh.handle.store.current?.revision === undefined; i++)
      await new Promise((r) => setTimeout(r, 100));
    const out: Record<string, [number, number]> = {};
    for (const ns of ['team-b', 'team-a']) {
      const ms: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const review = JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: {
            uid: `u${i}`,
            operation: 'CREATE',
            kind: { group: '', version: 'v1', kind: 'ConfigMap' },
            resource: { group: '', version: 'v1', resource: 'configmaps' },
            namespace: ns,
            name: `c${i}`,
            userInfo: { username: 'alice' },
            object: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: `c${i}`, namespace: ns, labels: { owner: 'x' } },
            },
          },
        });
        const a = await postToWebhook(`${wh.url}/validate`, wh.handle.caBundle(), review);
        if (a.status !== 200) throw new Error(`HTTP ${a.status}`);
        ms.push(a.ms);
      }
      ms.sort((x, y) => x - y);
      const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] as number;
      out[ns] = [at(0.5), at(0.99)];
    }
    return out;
  } finally {
    await wh.stop();
    feed.close();
  }
}

const runs: [string, Record<string, string>][] = [
  ['platform policy only', platform],
  ["+ tenant's template, bound to team-a", { ...platform, ...expensive, 'tenancy.yaml': bound }],
  ['+ the same template, unbound (before)', { ...platform, ...expensive }],
];
const results: [string, Record<string, [number, number]>][] = [];
const q = (r: Record<string, [number, number]> | undefined, ns: string, i: 0 | 1): number =>
  r?.[ns]?.[i] ?? NaN;
for (const [name, files] of runs) results.push([name, await measure(files)]);
const f = (n: number) => n.toFixed(2).padStart(8);
console.log(`\n${REQUESTS} sequential ConfigMap reviews per namespace; latency in ms\n`);
console.log(
  `${'run'.padEnd(40)} ${'team-b p50'.padStart(10)} ${'team-b p99'.padStart(10)} ${'team-a p50'.padStart(10)} ${'team-a p99'.padStart(10)}`,
);
for (const [name, r] of results)
  console.log(
    `${name.padEnd(40)} ${f(q(r, 'team-b', 0))}   ${f(q(r, 'team-b', 1))}   ${f(q(r, 'team-a', 0))}   ${f(q(r, 'team-a', 1))}`,
  );
const base = q(results[0]?.[1], 'team-b', 1);
const boundP99 = q(results[1]?.[1], 'team-b', 1);
console.log(
  `\nanother namespace's p99 with the tenant's template: ${((boundP99 / base - 1) * 100).toFixed(1)} % over the platform-only run (target: at most +20 %)`,
);
