// One tenant's worst template against everyone else's admission latency (issue 26 finding 5).
// The real webhook (HTTPS, evaluation workers) follows a stand-in reconciler feed serving the
// policies exactly as the reconciler's hub does: a platform policy, plus a tenant's expensive
// ConstraintTemplate and constraint bound to namespace team-a (tenancy.yaml). Five runs, side
// by side: without the template; with it bound to team-a (today); bound, while two clients of
// team-a keep sending harmless reviews; the same, but reviews that trip a runaway policy of the
// tenant's (past the 2 s evaluation deadline); with the template unbound, as every policy was
// before tenancy reached the policy plane (the reference the issue measured).
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
// A runaway for what the tenant labels slow: far past the webhook's 2 s evaluation deadline.
const runaway = {
  'tenant/slow/policy.rego':
    'package driftgate.tenant.slow\n\nimport rego.v1\n\ndeny contains "slow" if {\n\tinput.request.object.metadata.labels.slow == "yes"\n\txs := numbers.range(1, 40000)\n\tsome a in xs\n\tsome b in xs\n\ta > b\n\tb > a\n}\n',
};
const bound = tenancyText([
  { source: 'team-a.policies', namespaces: ['team-a'], files: Object.keys(expensive) },
]);
const boundRunaway = tenancyText([
  {
    source: 'team-a.policies',
    namespaces: ['team-a'],
    files: [...Object.keys(expensive), ...Object.keys(runaway)],
  },
]);
/** One ConfigMap CREATE review in `ns`. */
const review = (ns: string, i: number, labels: Record<string, string>): string =>
  JSON.stringify({
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
        metadata: { name: `c${i}`, namespace: ns, labels },
      },
    },
  });

/**
 * Start the webhook on `files` (as the reconciler serves them); p50/p99 per namespace of
 * `requests` sequential reviews; with `hammer`, two clients keep sending team-a reviews that
 * trip the tenant's runaway policy all along.
 */
async function measure(
  run: string,
  files: Record<string, string>,
  requests: number,
  hammer?: Record<string, string>,
): Promise<Record<string, [number, number]>> {
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
    let hammering = hammer !== undefined;
    const hammers = hammer
      ? [1, 2].map(async (h) => {
          for (let i = 0; hammering; i++)
            await postToWebhook(
              `${wh.url}/validate`,
              wh.handle.caBundle(),
              review('team-a', h * 1_000_000 + i, { ...hammer, owner: 'x' }),
            );
        })
      : [];
    for (const ns of hammer ? ['team-b'] : ['team-b', 'team-a']) {
      const ms: number[] = [];
      for (let i = 0; i < requests; i++) {
        if (process.env.BENCH_DEBUG) console.error(run, ns, i);
        const a = await postToWebhook(
          `${wh.url}/validate`,
          wh.handle.caBundle(),
          review(ns, i, { owner: 'x' }),
        );
        if (a.status !== 200) throw new Error(`HTTP ${a.status}`);
        const response = (a.json as { response?: { allowed?: boolean } }).response;
        if (response?.allowed !== true)
          refused[`${run}: ${ns}`] = (refused[`${run}: ${ns}`] ?? 0) + 1;
        ms.push(a.ms);
      }
      ms.sort((x, y) => x - y);
      const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] as number;
      out[ns] = [at(0.5), at(0.99)];
    }
    hammering = false;
    await Promise.all(hammers);
    return out;
  } finally {
    await wh.stop();
    feed.close();
  }
}

const runaway2 = { ...platform, ...expensive, ...runaway, 'tenancy.yaml': boundRunaway };
const runs: [string, Record<string, string>, number, Record<string, string>?][] = [
  ['platform policy only', platform, REQUESTS],
  [
    "+ tenant's template, bound to team-a",
    { ...platform, ...expensive, 'tenancy.yaml': bound },
    REQUESTS,
  ],
  // The same load from team-a twice: harmless requests, then ones that trip its runaway policy.
  ['+ team-a hammering, harmless', runaway2, REQUESTS, {}],
  ['+ team-a hammering its runaway policy', runaway2, REQUESTS, { slow: 'yes' }],
  // The reference the issue measured; about 1.4 s a review, so fewer of them.
  ['+ the template unbound (before)', { ...platform, ...expensive }, Math.ceil(REQUESTS / 10)],
];
const results: [string, Record<string, [number, number]>][] = [];
/** Reviews answered other than allowed (a missed deadline, overload), per namespace. */
const refused: Record<string, number> = {};
const q = (r: Record<string, [number, number]> | undefined, ns: string, i: 0 | 1): number =>
  r?.[ns]?.[i] ?? NaN;
// BENCH_RUNS=1,3 runs only those (1-based), e.g. while working on one.
const only = process.env.BENCH_RUNS?.split(',').map(Number);
for (const [i, [name, files, n, hammer]] of runs.entries())
  results.push([name, only && !only.includes(i + 1) ? {} : await measure(name, files, n, hammer)]);
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
const harmlessP99 = q(results[2]?.[1], 'team-b', 1);
const hammeredP99 = q(results[3]?.[1], 'team-b', 1);
const over = (p: number) => `${((p / base - 1) * 100).toFixed(1)} %`;
console.log(
  `\nanother namespace's p99 with the tenant's template: ${over(boundP99)} over the platform-only run (target: at most +20 %)`,
);
console.log(
  `another namespace's p99 while the tenant hammers its runaway policy: ${((hammeredP99 / harmlessP99 - 1) * 100).toFixed(1)} % over the same load of harmless requests (target: at most +20 %)`,
);
console.log('\nreviews not allowed (a missed deadline or overload), by run and namespace:');
for (const [k, n] of Object.entries(refused)) console.log(`  ${k}: ${n}`);
