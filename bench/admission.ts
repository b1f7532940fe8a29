// npm run bench:admission — HTTPS load on loopback against driftgate's /validate and, in the
// same run, against `opa run --server` serving the same Rego (the whole built-in library) for
// the same input. wrk drives both; figures are printed side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpsRequest } from 'node:https';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { execOk } from '../core/exec.js';
import { WEBHOOK_NODE_OPTIONS } from '../core/node-options.js';
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
const dgConfig = join(work, 'driftgate.yaml');
writeFileSync(
  dgConfig,
  stringify({
    host: '127.0.0.1',
    port: dgPort,
    metricsHost: '127.0.0.1',
    metricsPort: await freePort(),
    policyDir: join(root, 'policies'),
    watchPolicies: false,
    opaPath: toolPath('opa'),
    logLevel: 'warn',
    tls,
  }),
);
// Compiled JS, as the container image runs it (npm run bench:admission builds first).
const dg = spawn(
  process.execPath,
  [join(root, 'dist/cli/main.js'), 'serve', '--config', dgConfig],
  // The deployed heap bounds (the chart's NODE_OPTIONS for the webhook).
  {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: WEBHOOK_NODE_OPTIONS },
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
const hostileLoop = (url: string, body: string) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let stop = false;
  const times: number[] = [];
  const done = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const req = httpsRequest(
          url,
          {
            method: 'POST',
            agent,
            rejectUnauthorized: false,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', () => resolve());
        req.end(body);
      });
      times.push(performance.now() - t0);
    }
  })();
  return async () => {
    stop = true;
    await done;
    agent.destroy();
    const sorted = times.sort((a, b) => a - b);
    return { sent: sorted.length, p50: sorted[Math.floor(sorted.length / 2)] ?? NaN };
  };
};
console.log(
  `\nordinary requests (wrk, 4 connections, ${DURATION}) while 1 connection sends a wide Deployment back to back`,
);
console.log(
  `${'server, wide object'.padEnd(32)} ${'req/s'.padStart(8)} ${'p99'.padStart(9)} ${'wide sent'.padStart(10)} ${'wide p50'.padStart(10)}`,
);
for (const n of [4000, 200]) {
  for (const [name, url, body] of [
    [
      'driftgate',
      `https://127.0.0.1:${dgPort}/validate`,
      JSON.stringify({ ...review, request: wide(n) }),
    ],
    [
      'opa',
      `https://127.0.0.1:${opaPort}/v1/data/driftgate_entry/results`,
      JSON.stringify({ input: { ...input, request: wide(n) } }),
    ],
  ] as const) {
    const ordinaryUrl =
      name === 'driftgate'
        ? `https://127.0.0.1:${dgPort}/validate`
        : `https://127.0.0.1:${opaPort}/v1/data/driftgate_entry/results`;
    const ordinaryBody = name === 'driftgate' ? JSON.stringify(review) : JSON.stringify({ input });
    const stopHostile = hostileLoop(url, body);
    const f = await wrk(`${name}-iso`, ordinaryUrl, ordinaryBody, undefined, 4);
    const h = await stopHostile();
    console.log(
      `${`${name}, ${n} containers`.padEnd(32)} ${f.rps.toFixed(0).padStart(8)} ${f.p99.padStart(9)} ${String(h.sent).padStart(10)} ${`${h.p50.toFixed(1)}ms`.padStart(10)}`,
    );
  }
}
console.log('target: driftgate p99 of ordinary requests under 10 ms with a wide object in flight');
process.exit(0);
