// npm run bench:git-state — admission latency and memory of the webhook guarding Git-declared
// state. Two webhook processes (the compiled CLI, whole built-in library) in one run: one with a
// 10,000-object desired-state index loaded, one without (policies only, the reference). wrk sends
// the same UPDATE of a managed Deployment (the real request the apiserver sent, from the test
// fixtures) to both. The index is served by this script in the reconciler's wire format
// (core/desired-index.ts) so the figure does not depend on syncing 10,000 objects first.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { execOk } from '../core/exec.js';
import { IMAGE_MALLOC_ENV, WEBHOOK_NODE_OPTIONS } from '../core/node-options.js';
import type { IndexEntry } from '../core/desired-index.js';
import { freePort } from '../test/support/ports.js';
import { toolPath } from '../test/support/tools.js';
import { histogramQuantile } from './peers/load.js';
import { serveIndex, waitReady, writeServingCert } from './support.js';
import { DesiredState } from '../webhook/desired-state.js';
import { checkGit } from '../webhook/drift.js';

const root = join(import.meta.dirname, '..');
const N = Number(process.env.BENCH_INDEX ?? 10_000);
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? WEBHOOK_NODE_OPTIONS;
const DURATION = process.env.BENCH_DURATION ?? '10s';
const work = mkdtempSync(join(tmpdir(), 'dg-bench-git-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const review = JSON.parse(readFileSync(join(root, 'test/webhook/fixtures/update.json'), 'utf8'));
const req = review.request;
const old = req.oldObject;
const declaredOf = (o: Record<string, unknown>): Record<string, unknown> => {
  const meta = o.metadata as { name: string; namespace: string; labels: Record<string, string> };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    spec: o.spec,
  };
};
const entry = (i: number): IndexEntry => {
  const name = i === 0 ? req.name : `obj-${i}`;
  if (i % 2 === 1)
    return {
      group: '',
      resource: 'configmaps',
      kind: 'ConfigMap',
      namespace: req.namespace,
      name,
      path: `apps/${name}.yaml`,
      declared: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: req.namespace },
        data: { index: String(i), payload: 'x'.repeat(200) },
      },
      ignore: [],
    };
  const d = declaredOf(old);
  return {
    group: 'apps',
    resource: 'deployments',
    kind: 'Deployment',
    namespace: req.namespace,
    name,
    path: `apps/${name}.yaml`,
    declared: { ...d, metadata: { ...(d.metadata as object), name } },
    ignore: [],
  };
};
const feed = await serveIndex(Array.from({ length: N }, (_, i) => entry(i)));
const feedURL = feed.url;
writeFileSync(join(work, 'token'), 'bench\n');

const tls = writeServingCert(work);

interface Webhook {
  readonly port: number;
  readonly metricsPort: number;
  readonly pid: number;
}

async function webhook(name: string, gitState: boolean): Promise<Webhook> {
  const port = await freePort();
  const metricsPort = await freePort();
  const cfg = join(work, `${name}.yaml`);
  writeFileSync(
    cfg,
    stringify({
      host: '127.0.0.1',
      port,
      metricsHost: '127.0.0.1',
      metricsPort,
      policyDir: join(root, 'policies'),
      watchPolicies: false,
      opaPath: toolPath('opa'),
      logLevel: 'warn',
      tls: { certFile: tls.certFile, keyFile: tls.keyFile },
      ...(gitState
        ? {
            gitState: {
              reconcilerURL: feedURL,
              tokenFile: join(work, 'token'),
              reconciler: {
                username: 'system:serviceaccount:dg:rec',
                group: 'system:serviceaccounts:dg',
              },
            },
          }
        : {}),
    }),
  );
  const child = spawn(
    process.execPath,
    [join(root, 'dist/cli/main.js'), 'serve', '--config', cfg],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      // The deployed heap bounds (the chart's NODE_OPTIONS for the webhook), the image's malloc env.
      env: { ...process.env, ...IMAGE_MALLOC_ENV, NODE_OPTIONS: NODE_OPTIONS },
    },
  );
  children.push(child);
  await waitReady(
    `https://127.0.0.1:${port}/readyz`,
    async () =>
      !gitState ||
      new RegExp(`^driftgate_desired_index_objects ${N}$`, 'm').test(
        await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      ),
    120_000,
  );
  return { port, metricsPort, pid: child.pid ?? 0 };
}

/** RSS now and at its peak; `file`: the part that is mapped files (node's own code, shared). */
const rssMiB = (pid: number): { now: number; peak: number; file: number } => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  const mib = (k: string) => Math.round(kb(k) / 1024);
  return { now: mib('VmRSS'), peak: mib('VmHWM'), file: mib('RssFile') };
};

/** Cumulative counts of the webhook's own request-duration histogram (/validate), by bucket. */
async function buckets(w: Webhook): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(
    /^driftgate_admission_request_duration_seconds_bucket\{le="([^"]+)",endpoint="validate"\} (\d+)$/gm,
  ))
    out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}

interface Figures {
  rps: number;
  p50: string;
  p99: string;
  /** From the webhook's own histogram: time from request received to response sent. */
  serverP99Ms: number;
  within2ms: number;
}

async function load(name: string, w: Webhook, connections: number): Promise<Figures> {
  const lua = join(work, `${name}.lua`);
  writeFileSync(
    lua,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${JSON.stringify(review)}]==]\n`,
  );
  const url = `https://127.0.0.1:${w.port}/validate`;
  const run = (d: string, latency: boolean) =>
    execOk(
      'wrk',
      ['-t1', `-c${connections}`, `-d${d}`, ...(latency ? ['--latency'] : []), '-s', lua, url],
      { timeoutMs: 120_000 },
    );
  await run('3s', false);
  const before = await buckets(w);
  const out = await run(DURATION, true);
  const after = await buckets(w);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx) throw new Error(`${name}: ${non2xx} non-2xx responses`);
  const pct = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '?';
  const n = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: pct('50'),
    p99: pct('99'),
    serverP99Ms: histogramQuantile(after, before, 0.99) * 1000,
    within2ms: ((after.get(0.002) ?? 0) - (before.get(0.002) ?? 0)) / Math.max(1, n),
  };
}

const guarded = await webhook('guarded', true);
const plain = await webhook('plain', false);
const answer = JSON.parse(
  await execOk('curl', [
    '-sk',
    '-H',
    'content-type: application/json',
    '--data-binary',
    JSON.stringify(review),
    `https://127.0.0.1:${guarded.port}/validate`,
  ]),
);
console.log(
  `the UPDATE (adds an undeclared label to a managed Deployment): allowed=${answer.response.allowed}; ${N} objects in the index; NODE_OPTIONS=${NODE_OPTIONS}`,
);

// The Git check alone, in this process, over the same index (no HTTP, no policies).
const index = new DesiredState();
index.load(feed.doc);
const cfg = {
  reconciler: { username: 'x', group: 'y', gate: 'enforce' as const },
  breakGlass: { groups: new Set<string>(), maxDurationMs: 1 },
  governed: { namespaces: new Set<string>(), mode: 'deny' as const },
};
const times: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const t0 = performance.now();
  checkGit(req, index, cfg, Date.now());
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const q = (p: number) => (times[Math.floor(p * times.length)] ?? NaN) * 1000;

console.log(
  `wrk, 1 thread, HTTPS on 127.0.0.1, ${DURATION} after a 3 s warm-up; whole built-in library; 2 cores shared by wrk and both webhooks`,
);
console.log(
  `${'webhook'.padEnd(32)} ${'conns'.padStart(5)} ${'req/s'.padStart(7)} ${'wrk p50'.padStart(9)} ${'wrk p99'.padStart(9)} ${'server p99'.padStart(10)} ${'≤2 ms'.padStart(7)} ${'RSS MiB (peak)'.padStart(15)} ${'of it files'.padStart(11)}`,
);
for (const c of [1, 16]) {
  for (const [label, w] of [
    [`with a ${N}-object index`, guarded],
    ['no index (reference)', plain],
  ] as const) {
    const f = await load(`${label}-${c}`, w, c);
    const m = rssMiB(w.pid);
    console.log(
      `${label.padEnd(32)} ${String(c).padStart(5)} ${f.rps.toFixed(0).padStart(7)} ${f.p50.padStart(9)} ${f.p99.padStart(9)} ${`${f.serverP99Ms.toFixed(2)}ms`.padStart(10)} ${`${(f.within2ms * 100).toFixed(1)}%`.padStart(7)} ${`${m.now} (${m.peak})`.padStart(15)} ${String(m.file).padStart(11)}`,
    );
  }
}
console.log(
  `Git check alone (index lookup + declared-field diff), 20,000 calls: p50 ${q(0.5).toFixed(1)} µs, p99 ${q(0.99).toFixed(1)} µs`,
);
console.log('targets: p99 ≤ 2 ms webhook-side, RSS ≤ 175 MiB with the 10,000-object index');
feed.close();
process.exit(0);
