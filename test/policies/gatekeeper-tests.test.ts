import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { check } from '../../cli/check.js';
import { exec } from '../../core/exec.js';
import { runCli } from '../support/run-cli.js';
import { toolPath } from '../support/tools.js';

// Gatekeeper's own gator test fixtures (test/fixtures/public/gatekeeper/test/gator/test/fixtures,
// Apache-2.0), in the combinations its own test (test/gator/test/test.bats) runs `gator test`
// with: `driftgate check` over the same files (only their templates and constraints, no
// built-in policies) finds the same violations, with the same messages, and exits alike (two
// stated differences below).
const fixtures = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'public',
  'gatekeeper',
  'test',
  'gator',
  'test',
  'fixtures',
);
const probes = 'policies/default/template_k8srequiredprobes.yaml';
const SCENARIOS: readonly (readonly string[])[] = [
  ['manifests/with-policies/no-violations.yaml'],
  ['manifests/with-policies/with-violations.yaml'],
  ['manifests/with-policies/with-violations-rego-v1.yaml'],
  ['manifests/with-policies/no-violations-2.yaml'],
  ['manifests/with-policies/with-violations-2.yaml'],
  ['manifests/with-policies/with-violations-and-defaults.yaml'],
  ['manifests/no-policies/with-violations.yaml', 'policies/default'],
  ['policies/default', 'manifests/no-policies/no-violations.yaml'],
  ['policies/default', 'manifests/no-policies/violating-ns.yaml'],
  ['manifests/different-extensions'],
  [
    probes,
    'policies/enforcement_action/k8srequiredprobes/deny.yaml',
    'manifests/no-policies/with-violations.yaml',
  ],
  ['policies/default', 'manifests/referential-data'],
  ['manifests/expansion/expansion-w-ns-selector.yaml'],
  ['manifests/expansion/expansion-w-ns-selector.yaml', 'manifests/expansion/ns.yaml'],
];

/**
 * Where driftgate parts from gator v3.23.1 on purpose or for now, with what driftgate finds
 * instead (asserted exactly, so a change either way is seen).
 */
const DIFFERENT: Readonly<Record<string, { why: string; found: string[]; code: number }>> = {
  // A Pod without metadata.namespace under `namespaces: ["default"]`: gator v3.23.1 does not
  // match it; driftgate matches it as Gatekeeper's webhook matches an object whose namespace
  // is unknown ("we can't disqualify the match", pkg/mutation/match/match.go). It is also where
  // the reconciler would put it: in its destination namespace, often default.
  'manifests/with-policies/with-violations-2.yaml': {
    why: 'a namespace-less object is not disqualified by a namespaces list',
    found: [
      'repo-is-openpolicyagent: container <nginx> has an invalid image repo <nginx>, allowed repos are ["openpolicyagent/"]',
    ],
    code: 1,
  },
  // A namespaceSelector over a Pod generated in a namespace no manifest declares: gator reports
  // its match error as the violation; driftgate's check, not knowing the labels, judges the
  // Pod (check --suites reports gator's error, as gator verify does). Denied either way.
  'manifests/expansion/expansion-w-ns-selector.yaml': {
    why: "a namespace whose labels are unknown: the object is judged, not gator's match error",
    found: [
      'all-must-have-owner: [Implied by expand-deployments] All pods must have an `owner` label that points to your company username',
    ],
    code: 1,
  },
};

/** `gator test -o json` → "constraint: message" per violation, sorted; and its exit code. */
async function gator(files: readonly string[]): Promise<{ code: number; found: string[] }> {
  const r = await exec(
    toolPath('gator'),
    ['test', '-o', 'json', ...files.map((f) => `--filename=${join(fixtures, f)}`)],
    { timeoutMs: 60_000 },
  );
  const out = JSON.parse(r.stdout || '[]') as {
    msg: string;
    constraint: { metadata: { name: string } };
  }[];
  return {
    code: r.code,
    found: (out ?? []).map((v) => `${v.constraint.metadata.name}: ${v.msg}`).sort(),
  };
}

/** The same files in one directory, checked by `driftgate check` with no other policies. */
async function driftgate(files: readonly string[]): Promise<{ code: number; found: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-gator-'));
  try {
    const manifests = join(dir, 'manifests');
    const none = join(dir, 'no-policies');
    mkdirSync(none);
    for (const [i, f] of files.entries())
      cpSync(join(fixtures, f), join(manifests, `${i}-${basename(f)}`), { recursive: true });
    const r = await runCli(check, [
      manifests,
      '--policies',
      none,
      '--output',
      'json',
      '--opa',
      toolPath('opa'),
      '--no-cache',
    ]);
    const report = JSON.parse(r.stdout || '{}') as {
      results?: { findings: { policy: string; message: string }[] }[];
    };
    const found = (report.results ?? []).flatMap((o) =>
      o.findings.map((f) => `${f.policy}: ${f.message}`),
    );
    return { code: r.code, found: found.sort() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const files of SCENARIOS)
  t.test(files.join(' + '), async (t) => {
    const theirs = await gator(files);
    const ours = await driftgate(files);
    const different = DIFFERENT[files.join(' + ')];
    if (different) {
      t.not(ours.found.join('\n'), theirs.found.join('\n'), `still differs: ${different.why}`);
      t.same(ours.found, different.found, 'what driftgate finds instead');
      t.equal(ours.code, different.code);
      return;
    }
    t.same(ours.found, theirs.found, 'the same violations');
    t.equal(ours.code, theirs.code, 'the same exit code');
  });

// Gatekeeper's own gator verify suite (test/gator/verify): scoped enforcement actions and
// ExpansionTemplates in suites, the same verdicts as gator verify.
t.test("Gatekeeper's gator verify suite: the same verdicts", async (t) => {
  const suite = join(fixtures, '..', '..', 'verify');
  const theirs = await exec(toolPath('gator'), ['verify', '-v', suite], { timeoutMs: 60_000 });
  t.equal(theirs.code, 0, 'gator passes every case');
  const cases = [...(theirs.stdout + theirs.stderr).matchAll(/^ {4}--- PASS: (\S+)/gm)].length;
  const ran = await runCli(check, [
    suite,
    '--suites',
    '--output',
    'json',
    '--opa',
    toolPath('opa'),
    '--no-cache',
  ]);
  const report = JSON.parse(ran.stdout) as {
    results: { ok: boolean; test: string; case: string }[];
  };
  t.equal(report.results.length, cases, `the same ${cases} cases`);
  t.same(
    report.results.filter((r) => !r.ok).map((r) => `${r.test}/${r.case}`),
    [],
    'every case passes, as under gator',
  );
  t.equal(ran.code, 0);
});
