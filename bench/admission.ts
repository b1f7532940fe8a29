// npm run bench:admission — HTTPS load on loopback against driftgate's /validate and, in the
// same run, against `opa run --server` serving the same Rego (the whole built-in library) for
// the same input. wrk drives both; figures are printed side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { execOk } from '../core/exec.js';
import { IMAGE_MALLOC_ENV, WEBHOOK_NODE_OPTIONS } from '../core/node-options.js';
import { discoverPolicies, parametersData, regoFiles } from '../policies/engine/discover.js';
import { entryModule } from '../policies/engine/entry.js';
import { freePort } from '../test/support/ports.js';
import { toolPath } from '../test/support/tools.js';
import { waitReady, writeServingCert } from './support.js';

const root = join(import.meta.dirname, '..');
const DURATION = process.env.BENCH_DURATION ?? '10s';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const work = mkdtempSync(join(tmpdir(), 'dg-bench-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

// A realistic request: the Deployment CREATE the real apiserver sent (test fixture).
const review = JSON.parse(readFileSync(join(root, 'test/webhook/fixtures/create.json'), 'utf8'));
const input = { request: review.request, driftgate: { managed: false } };

const tls = writeServingCert(work);

// driftgate: the CLI in its own process.
const dgPort = await freePort();
const dgMetricsPort = await freePort();
const dgConfig = join(work, 'driftgate.yaml');
writeFileSync(
  dgConfig,
  stringify({
    host: '127.0.0.1',
    port: dgPort,
    metricsHost: '127.0.0.1',
    metricsPort: dgMetricsPort,
    policyDir: join(root, 'policies'),
    watchPolicies: false,
    opaPath: toolPath('opa'),
    logLevel: 'warn',
    tls: { certFile: tls.certFile, keyFile: tls.keyFile },
  }),
);
// Compiled JS, as the container image runs it (npm run bench:admission builds first).
const dg = spawn(
  process.execPath,
  [join(root, 'dist/cli/main.js'), 'serve', '--config', dgConfig],
  // The deployed heap bounds (the chart's NODE_OPTIONS for the webhook).
  {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...IMAGE_MALLOC_ENV, NODE_OPTIONS: WEBHOOK_NODE_OPTIONS },
  },
);
children.push(dg);

// OPA: the same .rego (tests excluded), the same generated entry module, the same parameters.
const policies = discoverPolicies(join(root, 'policies'));
const opaDir = join(work, 'opa-bundle');
for (const f of regoFiles(join(root, 'policies')).filter((f) => !f.endsWith('_test.rego'))) {
  mkdirSync(join(opaDir, f, '..'), { recursive: true });
  cpSync(join(root, 'policies', f), join(opaDir, f));
}
writeFileSync(join(opaDir, '__driftgate_entry.rego'), entryModule(policies));
writeFileSync(join(opaDir, 'data.json'), JSON.stringify(parametersData(policies)));
const opaPort = await freePort();
const opa = spawn(
  toolPath('opa'),
  [
    'run',
    '--server',
    '--addr',
    `127.0.0.1:${opaPort}`,
    '--tls-cert-file',
    tls.certFile,
    '--tls-private-key-file',
    tls.keyFile,
    '--log-level',
    'error',
    opaDir,
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
children.push(opa);

await waitReady(`https://127.0.0.1:${dgPort}/readyz`);
await waitReady(`https://127.0.0.1:${opaPort}/health`);

// Both must give the same verdict before we time them.
const dgAnswer = JSON.parse(
  await execOk('curl', [
    '-sk',
    '-H',
    'content-type: application/json',
    '--data-binary',
    JSON.stringify(review),
    `https://127.0.0.1:${dgPort}/validate`,
  ]),
);
const opaAnswer = JSON.parse(
  await execOk('curl', [
    '-sk',
    '-H',
    'content-type: application/json',
    '--data-binary',
    JSON.stringify({ input }),
    `https://127.0.0.1:${opaPort}/v1/data/driftgate_entry/results`,
  ]),
);
const opaDenies = Object.values(opaAnswer.result as Record<string, { deny: string[] }>).reduce(
  (n, r) => n + r.deny.length,
  0,
);
console.log(
  `verdicts: driftgate allowed=${dgAnswer.response.allowed}; opa deny messages=${opaDenies}`,
);

interface Figures {
  rps: number;
  p50: string;
  p99: string;
  rssMiB: number;
}

function rss(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function wrk(
  name: string,
  url: string,
  body: string,
  pid: number | undefined,
  connections = CONNECTIONS,
): Promise<Figures> {
  const lua = join(work, `${name}.lua`);
  writeFileSync(
    lua,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${body}]==]\n`,
  );
  await execOk('wrk', ['-t1', `-c${connections}`, '-d3s', '-s', lua, url], { timeoutMs: 60_000 }); // warm-up
  const out = await execOk(
    'wrk',
    ['-t1', `-c${connections}`, `-d${DURATION}`, '--latency', '-s', lua, url],
    { timeoutMs: 120_000 },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const pct = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '?';
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx) throw new Error(`${name}: ${non2xx} non-2xx responses`);
  return { rps, p50: pct('50'), p99: pct('99'), rssMiB: pid === undefined ? 0 : rss(pid) };
}

console.log(
  `load: wrk, 1 thread, ${CONNECTIONS} connections, ${DURATION} after a 3 s warm-up, HTTPS on 127.0.0.1, ${policies.length} policies; driftgate NODE_OPTIONS=${WEBHOOK_NODE_OPTIONS}`,
);
const d = await wrk(
  'driftgate',
  `https://127.0.0.1:${dgPort}/validate`,
  JSON.stringify(review),
  dg.pid,
);
const o = await wrk(
  'opa',
  `https://127.0.0.1:${opaPort}/v1/data/driftgate_entry/results`,
  JSON.stringify({ input }),
  opa.pid,
);
const row = (n: string, f: Figures) =>
  `${n.padEnd(24)} ${f.rps.toFixed(0).padStart(9)} ${f.p50.padStart(9)} ${f.p99.padStart(9)} ${String(f.rssMiB).padStart(9)}`;
console.log(
  `${'server'.padEnd(24)} ${'req/s'.padStart(9)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'peak MiB'.padStart(9)}`,
);
console.log(row('driftgate /validate', d));
console.log(row('opa run --server', o));
console.log(`driftgate/opa throughput: ${(d.rps / o.rps).toFixed(2)}x`);

// Isolation: ordinary requests while one connection keeps sending a wide Deployment (the
// issue-9 finding: 4,000 containers; and 200, the widest driftgate evaluates).
const wide = (n: number) => {
  const r = structuredClone(review.request);
  r.uid = `wide-${n}`;
  r.object.spec.template.spec.containers = Array.from({ length: n }, (_, i) => ({
    name: `c${i}`,
    image: `registry.example/app:${i}`,
  }));
  return r;
};
/** The webhook's own duration histogram for one endpoint: cumulative counts by upper bound. */
async function histogram(endpoint: string): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${dgMetricsPort}/metrics`)).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(
    /^driftgate_admission_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm,
  )) {
    const labels = m[1] ?? '';
    const le = /le="([^"]+)"/.exec(labels)?.[1];
    if (!labels.includes(`endpoint="${endpoint}"`) || le === undefined) continue;
    out.set(le === '+Inf' ? Infinity : Number(le), Number(m[2]));
  }
  return out;
}

/** Server-side p99 between two histogram snapshots: the bucket bound it falls under. */
function serverP99(before: Map<number, number>, after: Map<number, number>): string {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  const le = bounds.find((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0) >= 0.99 * total);
  return le === undefined || !Number.isFinite(le) ? '> 10s' : `<= ${le * 1000}ms`;
}

/** A second wrk on 1 connection sending `body` back to back until stopped; its own figures. */
const hostileLoop = (name: string, url: string, body: string, pauseMs = 0) => {
  const lua = join(work, `${name}.lua`);
  writeFileSync(
    lua,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${body}]==]\n${pauseMs ? `function delay() return ${pauseMs} end\n` : ''}`,
  );
  const out = execOk(
    'wrk',
    ['-t1', '-c1', `-d${Number.parseInt(DURATION) + 6}s`, '--latency', '-s', lua, url],
    {
      timeoutMs: 120_000,
    },
  );
  return async () => {
    const text = await out;
    return {
      sent: Number(/(\d+) requests in/.exec(text)?.[1] ?? 0),
      p50: /^\s+50%\s+(\S+)/m.exec(text)?.[1] ?? '?',
    };
  };
};
// driftgate's ordinary requests go to /mutate, the wide ones to /validate: the webhook's own
// histogram for /mutate then holds the ordinary requests alone (server-side p99).
const ordinary = {
  driftgate: { url: `https://127.0.0.1:${dgPort}/mutate`, body: JSON.stringify(review) },
  opa: {
    url: `https://127.0.0.1:${opaPort}/v1/data/driftgate_entry/results`,
    body: JSON.stringify({ input }),
  },
};
const measure = async (name: 'driftgate' | 'opa', label: string): Promise<string> => {
  const before = name === 'driftgate' ? await histogram('mutate') : undefined;
  const f = await wrk(`${name}-ordinary`, ordinary[name].url, ordinary[name].body, undefined, 4);
  const server = before ? serverP99(before, await histogram('mutate')) : 'n/a';
  return `${`${name}, ${label}`.padEnd(34)} ${f.rps.toFixed(0).padStart(8)} ${f.p99.padStart(9)} ${server.padStart(12)}`;
};
console.log(
  `\nordinary requests (wrk, 4 connections, ${DURATION}) while a second wrk sends a wide Deployment on 1 connection, back to back or paced`,
);
console.log(
  `${'server, wide object'.padEnd(34)} ${'req/s'.padStart(8)} ${'wrk p99'.padStart(9)} ${'server p99'.padStart(12)} ${'wide sent'.padStart(10)} ${'wide p50'.padStart(10)}`,
);
for (const name of ['driftgate', 'opa'] as const)
  console.log(await measure(name, 'none (baseline)'));
for (const [n, pauseMs] of [
  [4000, 0],
  [4000, 50],
  [200, 0],
] as const) {
  const wideBody = {
    driftgate: JSON.stringify({ ...review, request: wide(n) }),
    opa: JSON.stringify({ input: { ...input, request: wide(n) } }),
  };
  const wideUrl = {
    driftgate: `https://127.0.0.1:${dgPort}/validate`,
    opa: ordinary.opa.url,
  };
  for (const name of ['driftgate', 'opa'] as const) {
    const stopHostile = hostileLoop(`${name}-wide-${n}`, wideUrl[name], wideBody[name], pauseMs);
    const row = await measure(name, `${n} containers${pauseMs ? `, 1/${pauseMs}ms` : ''}`);
    const h = await stopHostile();
    console.log(`${row} ${String(h.sent).padStart(10)} ${h.p50.padStart(10)}`);
  }
}
console.log(
  'target: driftgate p99 of ordinary requests under 10 ms with a wide object in flight (server p99: the webhook histogram; wrk p99 adds the client and 2-core contention)',
);
process.exit(0);
