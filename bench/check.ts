// npm run bench:check — `driftgate check` on the built-in library's samples, beside `gator
// verify` on the Gatekeeper library's suites for the same nine policies (test/fixtures/public), in one
// run: wall time per whole command (process start to exit), min / median / max of RUNS runs.
// driftgate is timed cold (--no-cache: opa test + opa build every time, as before the cache)
// and warm (the built bundle remembered by content, as every check after the first).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPolicies } from '../policies/engine/discover.js';
import { toolPath } from '../test/support/tools.js';

const root = join(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const library = join(root, 'policies');
const work = mkdtempSync(join(tmpdir(), 'dg-bench-check-'));
const gk = join(root, 'test', 'fixtures', 'public', 'gatekeeper-library', 'library');
// The nine Gatekeeper library policies that driftgate's built-in library also has.
const suiteDirs = [
  'general/allowedrepos',
  'general/containerlimits',
  'general/containerrequests',
  'general/disallowedtags',
  'general/requiredlabels',
  'general/requiredprobes',
  'pod-security-policy/host-filesystem',
  'pod-security-policy/privileged-containers',
  'pod-security-policy/users',
];
// gator verify takes one path: the nine suites side by side in one folder.
const suites = join(work, 'gatekeeper');
for (const d of suiteDirs) cpSync(join(gk, d), join(suites, d), { recursive: true });

// Every sample of the built-in library in one folder: what one `driftgate check` judges.
const samples = join(work, 'samples');
mkdirSync(samples);
let cases = 0;
const policies = discoverPolicies(library);
for (const p of policies) {
  for (const kind of ['allowed', 'disallowed']) {
    const dir = join(library, ...p.path, 'samples', kind);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      copyFileSync(join(dir, f), join(samples, `${p.path.join('-')}-${kind}-${f}`));
      cases++;
    }
  }
}
const gatorCases = readdirSync(suites, { recursive: true }).filter((f) =>
  /samples\/.*\.yaml$/.test(String(f)),
).length;

const cli = join(root, 'dist', 'cli', 'main.js');
/** A ConstraintTemplate whose Rego calls a builtin that does not exist: it cannot compile. */
const BROKEN_TEMPLATE = `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sbroken
spec:
  crd:
    spec:
      names:
        kind: K8sBroken
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sbroken
        violation[{"msg": "x"}] {
          no.such_builtin(input.review.object)
        }
`;
const opa = toolPath('opa');
const cache = join(work, 'cache');

/** Wall time of one command; an exit status outside `ok` is an error. */
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, ok = [0]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status === null || !ok.includes(r.status))
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return ms;
}

function runs(fn: () => number): { min: number; median: number; max: number } {
  const xs = Array.from({ length: RUNS }, fn).sort((a, b) => a - b);
  return {
    min: xs[0] as number,
    median: xs[Math.floor(xs.length / 2)] as number,
    max: xs[xs.length - 1] as number,
  };
}

const check = (extra: string[]) => () =>
  // check exits 1 when a sample is denied (the disallowed ones are); 2 means it could not run.
  time('node', [cli, 'check', samples, '--opa', opa, ...extra], { XDG_CACHE_HOME: cache }, [0, 1]);

try {
  const gator = runs(() => time(toolPath('gator'), ['verify', `${suites}/...`]));
  const cold = runs(check(['--no-cache']));
  check([])(); // prime the cache once
  const warm = runs(check([]));
  const row = (name: string, r: { min: number; median: number; max: number }, n: string) =>
    `  ${name.padEnd(44)} ${r.median.toFixed(0).padStart(6)} ms  (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)})  ${n}`;
  console.log(`policy suites, ${RUNS} runs each, median wall time per command`);
  console.log(
    row('gator verify (Gatekeeper library, 9 templates)', gator, `${gatorCases} sample objects`),
  );
  console.log(
    row(
      'driftgate check, cold (--no-cache)',
      cold,
      `${cases} sample objects, ${policies.length} policies`,
    ),
  );
  console.log(row('driftgate check, warm (bundle remembered)', warm, `${cases} sample objects`));
  console.log(
    `  warm driftgate check / gator verify: ${(warm.median / gator.median).toFixed(2)}×; cold: ${(cold.median / gator.median).toFixed(2)}×`,
  );
  // The same suites on both sides: the whole library's general and pod-security folders.
  const library = gk;
  const gatorAll = runs(() => time(toolPath('gator'), ['verify', `${library}/...`]));
  const suitesRun = (extra: string[]) => () =>
    // Exit 0: every template runs (httpsonly's Go-only YAML included) and every case passes.
    time(
      'node',
      [cli, 'check', library, '--suites', '--opa', opa, ...extra],
      { XDG_CACHE_HOME: cache },
      [0],
    );
  const suitesCold = runs(suitesRun(['--no-cache']));
  suitesRun([])();
  const suitesWarm = runs(suitesRun([]));
  const libraryCases = readdirSync(library, { recursive: true }).filter((f) =>
    /suite\.yaml$/.test(String(f)),
  ).length;
  console.log(
    `the Gatekeeper library's own suites (general + pod-security-policy, ${libraryCases} suites)`,
  );
  console.log(row('gator verify', gatorAll, '49 templates'));
  console.log(row('driftgate check --suites, cold (--no-cache)', suitesCold, '49 templates run'));
  console.log(row('driftgate check --suites, warm', suitesWarm, ''));
  console.log(
    `  warm driftgate / gator: ${(suitesWarm.median / gatorAll.median).toFixed(2)}×; cold: ${(suitesCold.median / gatorAll.median).toFixed(2)}×`,
  );
  // The same library with one template that does not compile (issue 29 finding 7): check sets
  // aside the template the build names and builds the rest together again.
  const withBroken = join(work, 'library-with-a-broken-template');
  cpSync(library, withBroken, { recursive: true });
  mkdirSync(join(withBroken, 'general', 'broken'));
  writeFileSync(join(withBroken, 'general', 'broken', 'template.yaml'), BROKEN_TEMPLATE);
  const gatorBroken = runs(() =>
    time(toolPath('gator'), ['verify', `${withBroken}/...`], {}, [0, 1]),
  );
  const brokenRun = (extra: string[]) => () =>
    time(
      'node',
      [cli, 'check', withBroken, '--suites', '--opa', opa, ...extra],
      { XDG_CACHE_HOME: cache },
      [2],
    );
  const brokenCold = runs(brokenRun(['--no-cache']));
  brokenRun([])();
  const brokenWarm = runs(brokenRun([]));
  console.log('the same library with one template that does not compile');
  console.log(row('gator verify', gatorBroken, ''));
  console.log(row('driftgate check --suites, cold (--no-cache)', brokenCold, ''));
  console.log(row('driftgate check --suites, warm', brokenWarm, ''));
  console.log(
    `  warm driftgate / gator: ${(brokenWarm.median / gatorBroken.median).toFixed(2)}×; cold: ${(brokenCold.median / gatorBroken.median).toFixed(2)}×`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
