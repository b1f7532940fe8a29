import t from 'tap';
import { stringify } from 'yaml';
import { readGatekeeperObjects } from '../../../policies/engine/gatekeeper/objects.js';

const template = (kind: string, target: Record<string, unknown>, name = kind.toLowerCase()) =>
  stringify({
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: { name, annotations: { 'metadata.gatekeeper.sh/title': `${kind} title` } },
    spec: {
      crd: { spec: { names: { kind } } },
      targets: [{ target: 'admission.k8s.gatekeeper.sh', ...target }],
    },
  });
const constraint = (kind: string, name: string, spec: Record<string, unknown> = {}) =>
  stringify({ apiVersion: 'constraints.gatekeeper.sh/v1beta1', kind, metadata: { name }, spec });

t.test('templates: v0 rego with libs, and a code entry of engine Rego v1', async (t) => {
  const problems: string[] = [];
  const o = readGatekeeperObjects(
    {
      'a.yaml': template('K8sA', { rego: 'package a\n', libs: ['package lib.x\n'] }),
      'b.yaml': template('K8sB', {
        code: [
          { engine: 'K8sNativeValidation', source: { validations: [] } },
          { engine: 'Rego', source: { rego: 'package b\n', version: 'v1' } },
        ],
      }),
      'sample.yaml': stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }),
      'policy.yaml': 'enforcement: warn\n',
    },
    problems,
  );
  t.same(problems, []);
  t.same(
    o.templates.map((x) => [x.name, x.kind, x.title, x.rego, x.libs, x.v1, x.file]),
    [
      ['k8sa', 'K8sA', 'K8sA title', 'package a\n', ['package lib.x\n'], false, 'a.yaml'],
      ['k8sb', 'K8sB', 'K8sB title', 'package b\n', [], true, 'b.yaml'],
    ],
  );
  // With CEL and Rego, its CEL runs (as in Gatekeeper); none for a Rego-only template.
  t.same(
    o.templates.map((x) => x.cel),
    [undefined, { variables: [], validations: [] }],
  );
});

t.test('a template whose CEL cannot compile here runs its Rego; CEL-only is refused', async (t) => {
  const problems: string[] = [];
  const broken = {
    engine: 'K8sNativeValidation',
    source: { validations: [{ expression: 'object.((' }] },
  };
  const o = readGatekeeperObjects(
    {
      'both.yaml': template('K8sBoth', {
        code: [broken, { engine: 'Rego', source: { rego: 'package both\n', version: 'v1' } }],
      }),
    },
    problems,
  );
  t.same(problems, [], 'not a problem: the Rego half stands in');
  // A function driftgate's CEL lacks is found when the template is read, not at a review.
  const lacking = {
    engine: 'K8sNativeValidation',
    source: { validations: [{ expression: '[1].all(i, v, v > 0)' }] },
  };
  const more: string[] = [];
  const o2 = readGatekeeperObjects(
    {
      'mixed.yaml': template('K8sMixed', {
        code: [lacking, { engine: 'Rego', source: { rego: 'package mixed\n', version: 'v1' } }],
      }),
      'celonly.yaml': template('K8sCelOnly', { code: [lacking] }),
    },
    more,
  );
  t.same(
    o2.templates.map((x) => [x.kind, x.cel]),
    [['K8sMixed', undefined]],
    'the mixed one runs its Rego',
  );
  t.match(more, [/celonly\.yaml: ConstraintTemplate k8scelonly: CEL .*not provided here: all \(/]);
  t.same(
    o.templates.map((x) => [x.kind, x.rego, x.cel]),
    [['K8sBoth', 'package both\n', undefined]],
  );
});

t.test('constraints: enforcementAction, scoped actions, match and parameters', async (t) => {
  const problems: string[] = [];
  const point = (name: string) => [{ name }];
  const o = readGatekeeperObjects(
    {
      't.yaml': template('K8sA', { rego: 'package a\n' }),
      'c.yaml': [
        constraint('K8sA', 'd', { parameters: { x: 1 }, match: { namespaces: ['a'] } }),
        constraint('K8sA', 'w', { enforcementAction: 'warn' }),
        constraint('K8sA', 'r', { enforcementAction: 'dryrun' }),
        constraint('K8sA', 's', {
          enforcementAction: 'scoped',
          scopedEnforcementActions: [
            { action: 'warn', enforcementPoints: point('validation.gatekeeper.sh') },
            { action: 'deny', enforcementPoints: point('audit.gatekeeper.sh') },
          ],
        }),
        constraint('K8sA', 'all', {
          enforcementAction: 'scoped',
          scopedEnforcementActions: [{ action: 'deny', enforcementPoints: point('*') }],
        }),
        constraint('K8sA', 'audit-only', {
          enforcementAction: 'scoped',
          scopedEnforcementActions: [
            { action: 'deny', enforcementPoints: point('audit.gatekeeper.sh') },
          ],
        }),
      ].join('---\n'),
    },
    problems,
  );
  t.same(problems, []);
  t.same(
    o.constraints.map((c) => [c.name, c.enforcement]),
    [
      ['d', 'enforce'],
      ['w', 'warn'],
      ['r', 'dryrun'],
      ['s', 'warn'],
      ['all', 'enforce'],
      ['audit-only', 'dryrun'],
    ],
  );
  t.same(o.constraints[0]?.parameters, { x: 1 });
  t.same(o.constraints[0]?.match, { namespaces: ['a'] });
});

t.test('every problem is named, with its file', async (t) => {
  const problems: string[] = [];
  const o = readGatekeeperObjects(
    {
      'cel.yaml': template('K8sCel', {
        code: [
          { engine: 'K8sNativeValidation', source: { validations: [{ expression: 'object.((' }] } },
        ],
      }),
      'none.yaml': template('K8sNothing', { code: [{ engine: 'Other', source: {} }] }),
      'name.yaml': template('K8sA', { rego: 'package a\n' }, 'wrong'),
      'one.yaml': template('K8sB', { rego: 'package b\n' }),
      'two.yaml': template('K8sB', { rego: 'package b\n' }),
      'orphan.yaml': constraint('K8sNone', 'x'),
      'dup.yaml': [constraint('K8sB', 'same'), constraint('K8sB', 'same')].join('---\n'),
      'action.yaml': constraint('K8sB', 'loud', { enforcementAction: 'shout' }),
      'broken.yaml': 'apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: "K8sB\n',
      'garbage.yaml': 'key: [unclosed\n',
    },
    problems,
  );
  const celProblem = problems.find((p) => p.startsWith('cel.yaml'));
  t.match(celProblem, /^cel\.yaml: ConstraintTemplate k8scel: CEL "object\.\(\(": /);
  t.same(problems.filter((p) => p !== celProblem).sort(), [
    'action.yaml: K8sB loud: enforcementAction must be deny, warn, dryrun or scoped',
    'broken.yaml: not valid YAML: Missing closing "quote at line 3, column 1:',
    'dup.yaml: constraint name same is already used by K8sB in dup.yaml',
    'name.yaml: ConstraintTemplate wrong: metadata.name must be k8sa (the kind in lower case)',
    'none.yaml: ConstraintTemplate k8snothing: no Rego or CEL for target admission.k8s.gatekeeper.sh',
    'orphan.yaml: no ConstraintTemplate defines kind K8sNone',
    'two.yaml: template kind K8sB is already defined by one.yaml',
  ]);
  t.same(
    o.templates.map((x) => x.kind),
    ['K8sB'],
  );
});
