// npm run bench:opa-builtins — what OPA's own builtins (opa-builtins.wasm, go-builtins.ts) cost
// the webhook: its evaluation pool as deployed (2 workers, the chart's NODE_OPTIONS), the bundle
// loaded on the main thread as the webhook's store does, then 500 admissions of a TLS Secret.
// Each variant runs in a process of its own:
//   a. a bundle that calls no OPA builtin (the same check on the Secret's annotations);
//   b. a bundle that reads the certificate with crypto.x509.parse_certificates.
// Figures: peak RSS against the chart's webhook limit, and evaluation time per admission (p50)
// beside `opa bench` of the same policy and input (OPA's Go evaluator: the reference).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { WEBHOOK_NODE_OPTIONS } from '../core/node-options.js';
import { buildBundle } from '../policies/engine/build.js';
import { loadBundle, wellFormedJson } from '../policies/engine/bundle.js';
import { EvalPool } from '../policies/engine/pool/pool.js';
import { createCertificate } from '../webhook/tls/pki.js';
import { GOOD_POLICY, policyDir } from '../test/support/policy-dirs.js';
import { toolPath } from '../test/support/tools.js';

const ADMISSIONS = 500;
const cert = createCertificate({ commonName: 'web.example', usage: 'server', validityDays: 7 });
const input = {
  request: {
    object: {
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'web', annotations: { 'expires-in-days': '7' } },
      data: { 'tls.crt': Buffer.from(cert.certPem).toString('base64') },
    },
  },
};
const RULES = {
  plain: [
    'deny contains sprintf("%s expires in under 30 days", [input.request.object.metadata.name]) if {',
    '  to_number(input.request.object.metadata.annotations["expires-in-days"]) < 30',
    '}',
  ],
  x509: [
    'deny contains sprintf("%s: %s expires in under 30 days", [input.request.object.metadata.name, c.Subject.CommonName]) if {',
    '  some c in crypto.x509.parse_certificates(base64.decode(input.request.object.data["tls.crt"]))',
    '  time.parse_rfc3339_ns(c.NotAfter) < time.now_ns() + (30 * 24 * 3600 * 1e9)',
    '}',
  ],
};
type Variant = keyof typeof RULES;
const policy = (v: Variant) =>
  ['package driftgate.demo.tls', 'import rego.v1', ...RULES[v], ''].join('\n');

const rssNow = () => Math.round(process.memoryUsage().rss / 2 ** 20);

/** One variant in this process: peak RSS (MiB) and evaluation ms per admission (p50). */
async function child(v: Variant): Promise<void> {
  const p = policyDir({ ...GOOD_POLICY, 'demo/tls/policy.rego': policy(v) });
  const bundle = await loadBundle(
    await buildBundle(p.dir, { opaPath: toolPath('opa'), opaBuiltins: true }),
  );
  const pool = new EvalPool({
    size: Number(process.env.BENCH_WORKERS ?? 2),
    timeoutMs: 10_000,
    maxQueue: 64,
    heapMb: 48,
    logger: pino({ level: 'silent' }),
  });
  if (process.env.BENCH_TRACE) console.error('loaded main', rssNow());
  await pool.load(bundle);
  if (process.env.BENCH_TRACE) console.error('pool loaded', rssNow());
  const times: number[] = [];
  for (let i = 0; i < ADMISSIONS; i++) {
    const t0 = performance.now();
    const a = await pool.evaluate(wellFormedJson(input));
    times.push(performance.now() - t0);
    if (a.kind !== 'ok') throw new Error(`admission ${i}: ${a.kind}`);
  }
  if (process.env.BENCH_TRACE) console.error('evaluated', rssNow());
  times.sort((a, b) => a - b);
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  console.log(
    JSON.stringify({ peakMiB: Math.round(Number(hwm) / 1024), p50: times[ADMISSIONS >> 1] }),
  );
  await pool.close();
  p.cleanup();
  process.exit(0);
}

/** `opa bench` of the variant's policy on the same input: median ns per evaluation. */
function opaBench(v: Variant, dir: string): number {
  const rego = join(dir, `${v}.rego`);
  const inputFile = join(dir, 'input.json');
  writeFileSync(rego, policy(v));
  writeFileSync(inputFile, JSON.stringify(input));
  const out = execFileSync(
    toolPath('opa'),
    ['bench', '--format', 'json', '-d', rego, '-i', inputFile, 'data.driftgate.demo.tls.deny'],
    { encoding: 'utf8' },
  );
  const extra = (JSON.parse(out) as { Extra: Record<string, number> }).Extra;
  return extra['histogram_timer_rego_query_eval_ns_median'] as number;
}

const chartLimit = (): string => {
  const values = parse(readFileSync('charts/driftgate/values.yaml', 'utf8')) as {
    webhook: { resources: { limits: { memory: string } } };
  };
  return values.webhook.resources.limits.memory;
};

const mode = process.argv[2] as Variant | undefined;
if (mode) await child(mode);
else {
  const dir = policyDir({}).dir;
  const row = (label: string, value: string, ref = '') =>
    console.log(`${label.padEnd(52)} ${value.padStart(10)}   ${ref}`);
  console.log(
    `\nOPA's own builtins in the webhook: its pool (2 workers, NODE_OPTIONS=${WEBHOOK_NODE_OPTIONS}), ${ADMISSIONS} admissions of a TLS Secret`,
  );
  const runs: Record<string, { peakMiB: number; p50: number }> = {};
  for (const v of ['plain', 'x509'] as const) {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, process.argv[1] as string, v],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: WEBHOOK_NODE_OPTIONS },
      },
    );
    runs[v] = JSON.parse(out.trim().split('\n').at(-1) as string) as {
      peakMiB: number;
      p50: number;
    };
  }
  const [plain, x509] = [runs.plain, runs.x509] as { peakMiB: number; p50: number }[];
  if (!plain || !x509) throw new Error('a variant did not report');
  row('peak RSS, no OPA builtin called', `${plain.peakMiB} MiB`, `chart limit ${chartLimit()}`);
  row(
    'peak RSS, crypto.x509.parse_certificates',
    `${x509.peakMiB} MiB`,
    `+${x509.peakMiB - plain.peakMiB} MiB; chart limit ${chartLimit()}`,
  );
  const ms = (ns: number) => `${(ns / 1e6).toFixed(3)} ms`;
  row(
    'evaluation p50, no OPA builtin',
    `${plain.p50.toFixed(3)} ms`,
    `opa bench median ${ms(opaBench('plain', dir))}`,
  );
  row(
    'evaluation p50, crypto.x509.parse_certificates',
    `${x509.p50.toFixed(3)} ms`,
    `opa bench median ${ms(opaBench('x509', dir))}`,
  );
  console.log(
    '(driftgate p50 includes the hop to a worker thread; opa bench is one evaluation in Go)',
  );
}
