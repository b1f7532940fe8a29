// CEL optionals, matchCondition and failurePolicy in K8sNativeValidation templates:
// one gator suite that the real `gator verify` (Gatekeeper's own CEL, cel-go) passes, and that
// driftgate's `check --suites` passes case for case.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { exec } from '../../../core/exec.js';
import { celViolations, readCel } from '../../../policies/engine/gatekeeper/cel.js';
import { toolPath } from '../../support/tools.js';
import { bothPass } from '../../support/gator-verify.js';
import { constraintTemplate } from '../../support/policy-dirs.js';

const cel = (source: Record<string, unknown>) => ({
  code: [{ engine: 'K8sNativeValidation', source }],
});
const constraint = (kind: string, parameters?: Record<string, unknown>) =>
  stringify({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind,
    metadata: { name: kind.toLowerCase() },
    spec: {
      match: { kinds: [{ apiGroups: ['apps'], kinds: ['Deployment'] }] },
      ...(parameters ? { parameters } : {}),
    },
  });

interface Shape {
  readonly labels?: Record<string, string>;
  readonly replicas?: number;
  readonly paused?: boolean;
  readonly limits?: boolean;
}
const deployment = (name: string, s: Shape) =>
  stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', ...(s.labels ? { labels: s.labels } : {}) },
    spec: {
      ...(s.replicas === undefined ? {} : { replicas: s.replicas }),
      ...(s.paused === undefined ? {} : { paused: s.paused }),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx',
              ...(s.limits ? { resources: { limits: { memory: '64Mi' } } } : {}),
            },
          ],
        },
      },
    },
  });

const OPTIONALS = cel({
  variables: [{ name: 'team', expression: "variables.anyObject.metadata.?labels[?'team']" }],
  matchCondition: [
    { name: 'not-system', expression: "object.metadata.?labels[?'tier'].orValue('') != 'system'" },
  ],
  validations: [
    {
      expression: "variables.team.orValue('') != ''",
      messageExpression: "'team label missing on ' + object.metadata.name",
    },
    {
      expression: 'object.spec.?replicas.orValue(1) <= variables.params.max',
      messageExpression:
        "'replicas ' + string(object.spec.?replicas.orValue(1)) + ' over ' + string(variables.params.max)",
    },
    {
      expression:
        "object.spec.template.spec.containers.all(c, c.?resources.?limits.optMap(l, 'memory' in l).orValue(false))",
      message: 'every container needs a memory limit',
    },
    {
      expression:
        "[?object.metadata.?annotations[?'owner'], ?optional.ofNonZeroValue(object.metadata.name)].size() >= 1",
      message: 'no owner and no name',
    },
  ],
});

t.test('optionals and match conditions: the same verdicts as gator verify', async (t) => {
  const root = t.testdir({});
  const max = { type: 'object', properties: { max: { type: 'integer' } } };
  writeFileSync(
    join(root, 'optionals.yaml'),
    constraintTemplate('K8sCelOptionals', OPTIONALS, max),
  );
  writeFileSync(join(root, 'optionals-c.yaml'), constraint('K8sCelOptionals', { max: 3 }));
  const paused = { expression: 'object.spec.paused == false', message: 'paused' };
  for (const policy of ['Fail', 'Ignore']) {
    const kind = `K8sCelPaused${policy}`;
    const tpl = cel({ validations: [paused], failurePolicy: policy });
    writeFileSync(join(root, `${policy}.yaml`), constraintTemplate(kind, tpl));
    writeFileSync(join(root, `${policy}-c.yaml`), constraint(kind));
  }
  const objects: Record<string, Shape> = {
    good: { labels: { team: 'web' }, replicas: 2, limits: true, paused: false },
    'no-team': { replicas: 2, limits: true, paused: false },
    system: { labels: { tier: 'system' }, replicas: 9, paused: false },
    big: { labels: { team: 'web' }, replicas: 5, limits: true, paused: false },
    'no-limits': { labels: { team: 'web' }, paused: true },
    'unpaused-unsaid': { labels: { team: 'web' }, limits: true },
  };
  for (const [name, shape] of Object.entries(objects))
    writeFileSync(join(root, `${name}.yaml`), deployment(name, shape));
  const test = (name: string, template: string, cases: object[]) => ({
    name,
    template,
    constraint: template.replace('.yaml', '-c.yaml'),
    cases,
  });
  const none = (object: string) => ({
    name: `${object}-ok`,
    object: `${object}.yaml`,
    assertions: [{ violations: 'no' }],
  });
  const one = (object: string, message: string) => ({
    name: `${object}-denied`,
    object: `${object}.yaml`,
    assertions: [{ violations: 1, message }],
  });
  writeFileSync(
    join(root, 'suite.yaml'),
    stringify({
      kind: 'Suite',
      apiVersion: 'test.gatekeeper.sh/v1alpha1',
      tests: [
        test('optionals', 'optionals.yaml', [
          none('good'),
          one('no-team', 'team label missing on no-team'),
          none('system'),
          one('big', 'replicas 5 over 3'),
          one('no-limits', 'every container needs a memory limit'),
        ]),
        test('fail', 'Fail.yaml', [
          none('good'),
          one('no-limits', 'paused'),
          one('unpaused-unsaid', 'no such key: paused'),
        ]),
        test('ignore', 'Ignore.yaml', [none('good'), none('unpaused-unsaid')]),
      ],
    }),
  );
  await bothPass(t, root, [
    'good-ok',
    'no-team-denied',
    'system-ok',
    'big-denied',
    'no-limits-denied',
    'good-ok',
    'no-limits-denied',
    'unpaused-unsaid-denied',
    'good-ok',
    'unpaused-unsaid-ok',
  ]);
});

/** What `gator test -o json` says of `object` under a template and its constraint, sorted. */
async function gatorMessages(t: Test, files: string[]): Promise<string[]> {
  const root = t.testdir({});
  writeFileSync(join(root, 'all.yaml'), files.join('---\n'));
  const run = await exec(toolPath('gator'), ['test', '-f', join(root, 'all.yaml'), '-o', 'json'], {
    timeoutMs: 120_000,
  });
  const results = JSON.parse(run.stdout || '[]') as { msg: string }[];
  return results.map((r) => r.msg).sort();
}

t.test('messages of errors, blank and multi-line messageExpressions: gator’s words', async (t) => {
  const source = {
    matchCondition: [{ name: 'labelled', expression: 'has(object.metadata.labels)' }],
    validations: [
      { expression: 'object.spec.paused == false', message: 'paused' },
      {
        expression: "object.spec.template.spec.containers[5].name == 'x'",
        messageExpression: "'idx'",
      },
      { expression: "object.metadata.labels.nope == 'x'", messageExpression: "'labels'" },
      { expression: "object.metadata.name == 'y'", messageExpression: 'object.spec.nothere' },
      { expression: "object.metadata.name == 'y'", messageExpression: "''", message: 'fallback' },
      {
        expression: "object.metadata.name == 'y'",
        messageExpression: "'two\\nlines'",
        message: 'fallback2',
      },
      { expression: "object.metadata.name == 'z'", messageExpression: "'   '" },
      {
        expression: "object.metadata.name == 'w'",
        messageExpression: "'from ' + object.metadata.name",
      },
    ],
  };
  const erring = {
    matchCondition: [
      { name: 'reads-missing', expression: 'object.spec.replicas > 1' },
      { name: 'also-missing', expression: 'object.spec.foo == 1' },
    ],
    validations: [{ expression: 'false', message: 'denied' }],
  };
  const object = deployment('web', { labels: { a: 'b' } });
  for (const [kind, src] of [
    ['K8sCelMessages', source],
    ['K8sCelMatchErrors', erring],
  ] as const) {
    const theirs = await gatorMessages(t, [
      constraintTemplate(kind, cel(src)),
      constraint(kind),
      object,
    ]);
    const problems: string[] = [];
    const ours = readCel(cel(src), kind, problems);
    t.same(problems, []);
    const review = { operation: 'CREATE', object: parse(object) as object };
    const mine = ours ? celViolations(ours, review, {}).map((v) => v.msg) : [];
    t.ok(theirs.length > 0, `${kind}: gator reports ${theirs.length}`);
    t.same(mine.sort(), theirs, `${kind}: the same messages`);
  }
});
