import t, { type Test } from 'tap';
import { checkSuites } from '../support/check-suites.js';
import { publicFixture } from '../support/public-fixtures.js';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { exec } from '../../core/exec.js';
import { runCli } from '../support/run-cli.js';
import { toolPath } from '../support/tools.js';

// Gatekeeper's own gator test fixtures (test/fixtures/public/gatekeeper/test/gator/test/fixtures,
// Apache-2.0), in the combinations its own test (test/gator/test/test.bats) runs `gator test`
// with: `driftgate check` over the same files (only their templates and constraints, no
// built-in policies) finds the same violations, with the same messages, and exits alike (the
// stated differences below).
const fixtures = publicFixture('gatekeeper', 'test', 'gator', 'test', 'fixtures');
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
  // gator test gives templates no namespaceObject (CEL sees null, Rego an empty object), so
  // a ConfigMap's namespace labels are never read; Gatekeeper's webhook gives the Namespace, and
  // its own e2e test (test.bats) expects cm_in_unlabeled_ns denied with "does not have required
  // label". check gives a Namespace among the manifests as the webhook does: that verdict.
  'templates/k8snamespacelabelcheck_template_cel.yaml + constraints/ns_must_have_env_label_cel.yaml':
    {
      why: 'namespaceObject is the Namespace among the manifests, as at admission',
      found: [
        "ns-must-have-env-label-cel: Namespace 'ns-without-env-label' does not have required label: environment",
      ],
      code: 1,
    },
  'templates/k8snamespacelabelcheck_template_rego.yaml + constraints/ns_must_have_env_label_rego.yaml':
    {
      why: 'namespaceObject is the Namespace among the manifests, as at admission',
      found: [
        "ns-must-have-env-label-rego: Namespace 'ns-without-env-label' does not have required label: environment",
      ],
      code: 1,
    },
};

/** `gator test -o json` → "constraint: message" per violation, sorted; and its exit code. */
async function gator(
  files: readonly string[],
  base = fixtures,
): Promise<{ code: number; found: string[] }> {
  const r = await exec(
    toolPath('gator'),
    ['test', '-o', 'json', ...files.map((f) => `--filename=${join(base, f)}`)],
    { timeoutMs: 60_000 },
  );
  const out = JSON.parse(r.stdout || '[]') as {
    msg: string;
    enforcementAction: string;
    constraint: { metadata: { name: string } };
  }[];
  // check prints what would deny or warn; a dryrun violation is for the audit only.
  return {
    code: r.code,
    found: (out ?? [])
      .filter((v) => v.enforcementAction !== 'dryrun')
      .map((v) => `${v.constraint.metadata.name}: ${v.msg}`)
      .sort(),
  };
}

/** The same files in one directory, checked by `driftgate check` with no other policies. */
async function driftgate(
  files: readonly string[],
  base = fixtures,
): Promise<{ code: number; found: string[]; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-gator-'));
  try {
    const manifests = join(dir, 'manifests');
    const none = join(dir, 'no-policies');
    mkdirSync(none);
    for (const [i, f] of files.entries())
      cpSync(join(base, f), join(manifests, `${i}-${basename(f)}`), { recursive: true });
    const r = await runCli([
      'check',
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
    return { code: r.code, found: found.sort(), stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Verdicts = { code: number; found: string[] };
/** The same violations and exit code as gator, or the stated difference (exactly). */
function compare(t: Test, scenario: string, ours: Verdicts, theirs: Verdicts): void {
  const different = DIFFERENT[scenario];
  if (different) {
    t.not(ours.found.join('\n'), theirs.found.join('\n'), `still differs: ${different.why}`);
    t.same(ours.found, different.found, 'what driftgate finds instead');
    t.equal(ours.code, different.code);
    return;
  }
  t.same(ours.found, theirs.found, 'the same violations');
  t.equal(ours.code, theirs.code, 'the same exit code');
}

for (const files of SCENARIOS)
  t.test(files.join(' + '), async (t) => {
    const theirs = await gator(files);
    const ours = await driftgate(files);
    compare(t, files.join(' + '), ours, theirs);
  });

// Gatekeeper's own gator verify suite (test/gator/verify): scoped enforcement actions and
// ExpansionTemplates in suites, the same verdicts as gator verify.
t.test("Gatekeeper's gator verify suite: the same verdicts", async (t) => {
  const suite = join(fixtures, '..', '..', 'verify');
  const theirs = await exec(toolPath('gator'), ['verify', '-v', suite], { timeoutMs: 60_000 });
  t.equal(theirs.code, 0, 'gator passes every case');
  const cases = [...(theirs.stdout + theirs.stderr).matchAll(/^ {4}--- PASS: (\S+)/gm)].length;
  const { run: ran, report } = await checkSuites(suite);
  t.equal(report.results.length, cases, `the same ${cases} cases`);
  t.same(
    report.results.filter((r) => !r.ok).map((r) => `${r.test}/${r.case}`),
    [],
    'every case passes, as under gator',
  );
  t.equal(ran.code, 0);
});

// Gatekeeper's e2e test material (test/bats/tests): each template with each constraint of its
// kind, over every good and bad object at once, under `gator test` and `driftgate check`.
const bats = join(fixtures, '..', '..', '..', 'bats', 'tests');
const kindOf = (file: string): string =>
  /^\s+kind: (\S+)/m.exec(readFileSync(join(bats, file), 'utf8'))?.[1] ?? '';
const constraintKind = (file: string): string =>
  /^kind: (\S+)/m.exec(readFileSync(join(bats, file), 'utf8'))?.[1] ?? '';
// bad_http_send.yaml is the constraint of the http.send template, not an object.
const HTTP_SEND = 'bad/bad_http_send.yaml';
const objects = ['good', 'bad']
  .flatMap((d) => readdirSync(join(bats, d)).map((f) => `${d}/${f}`))
  .filter((f) => f !== HTTP_SEND);
for (const template of readdirSync(join(bats, 'templates')).map((f) => `templates/${f}`))
  for (const constraint of readdirSync(join(bats, 'constraints'))
    .map((f) => `constraints/${f}`)
    .filter((c) => constraintKind(c) === kindOf(template)))
    t.test(`${template} + ${constraint}`, async (t) => {
      const files = [template, constraint, ...objects];
      const ours = await driftgate(files, bats);
      const theirs = await gator(files, bats);
      compare(t, `${template} + ${constraint}`, ours, theirs);
    });

t.test('a template calling http.send is refused, with the reason', async (t) => {
  // http.send reaches outside the evaluation: never allowed in a driftgate bundle (Gatekeeper
  // runs it; its e2e test expects the request denied either way).
  const ours = await driftgate(['templates/use_http_send_template.yaml', HTTP_SEND], bats);
  t.equal(ours.code, 2);
  t.match(ours.stderr, /http\.send/);
});
