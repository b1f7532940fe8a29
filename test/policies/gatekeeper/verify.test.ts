// check --suites sets aside only the template a build names: the rest are built together once
// more (not each alone), and their suites run.
import t from 'tap';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { verifySuites } from '../../../policies/engine/gatekeeper/verify.js';
import { constraintTemplate, expandDeployments } from '../../support/policy-dirs.js';
import { bothPass } from '../../support/gator-verify.js';
import { toolPath } from '../../support/tools.js';

const library = join(import.meta.dirname, '..', '..', 'fixtures', 'public', 'gatekeeper-library');

t.test('a template that does not compile is named alone; the others still run', async (t) => {
  const root = t.testdir({});
  for (const name of ['requiredlabels', 'allowedrepos'])
    cpSync(join(library, 'library/general', name), join(root, name), { recursive: true });
  mkdirSync(join(root, 'broken'));
  writeFileSync(
    join(root, 'broken/template.yaml'),
    constraintTemplate(
      'K8sBroken',
      'package k8sbroken\n\nviolation[{"msg": "x"}] {\n  no.such_builtin(input.review.object)\n}\n',
    ),
  );
  const report = await verifySuites(root, { opaPath: toolPath('opa') });
  t.same([...report.unsupported.keys()], ['broken/template.yaml']);
  t.match(report.unsupported.get('broken/template.yaml'), /no\.such_builtin/);
  const ran = report.results.filter((r) => r.unsupported === undefined && !r.skipped);
  t.ok(ran.length >= 10, `${ran.length} cases of the two good templates ran`);
  t.ok(
    ran.every((r) => r.ok),
    'and passed',
  );
});

t.test('a suite test with expansion: the same verdicts as gator verify', async (t) => {
  const root = t.testdir({});
  const doc = (o: unknown) => stringify(o);
  // Rego only: the library's templates also carry CEL, which gator runs instead (issue 29 item 3).
  writeFileSync(
    join(root, 'template.yaml'),
    constraintTemplate(
      'K8sRequiredLabels',
      'package k8srequiredlabels\n\nviolation[{"msg": msg}] {\n  l := input.parameters.labels[_].key\n  not input.review.object.metadata.labels[l]\n  msg := sprintf("you must provide labels: %v", [l])\n}\n',
      {
        type: 'object',
        properties: {
          labels: {
            type: 'array',
            items: { type: 'object', properties: { key: { type: 'string' } } },
          },
        },
      },
    ),
  );
  writeFileSync(
    join(root, 'constraint.yaml'),
    doc({
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: 'K8sRequiredLabels',
      metadata: { name: 'pods-need-team' },
      spec: {
        match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }] },
        parameters: { labels: [{ key: 'team' }] },
      },
    }),
  );
  writeFileSync(join(root, 'expansion.yaml'), expandDeployments());
  const deployment = (labels: Record<string, string>) =>
    doc({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels }, spec: { containers: [{ name: 'api', image: 'api:1' }] } },
      },
    });
  writeFileSync(join(root, 'bad.yaml'), deployment({ app: 'api' }));
  writeFileSync(join(root, 'good.yaml'), deployment({ app: 'api', team: 'a' }));
  writeFileSync(
    join(root, 'suite.yaml'),
    doc({
      kind: 'Suite',
      apiVersion: 'test.gatekeeper.sh/v1alpha1',
      tests: [
        {
          name: 'expanded',
          template: 'template.yaml',
          constraint: 'constraint.yaml',
          expansion: 'expansion.yaml',
          cases: [
            {
              name: 'pod-template-without-team',
              object: 'bad.yaml',
              assertions: [
                { violations: 1, message: 'Implied by expand-deployments' },
                { violations: 'yes', message: 'you must provide labels' },
              ],
            },
            {
              name: 'pod-template-with-team',
              object: 'good.yaml',
              assertions: [{ violations: 'no' }],
            },
          ],
        },
      ],
    }),
  );
  await bothPass(t, root, ['pod-template-without-team', 'pod-template-with-team']);
});

t.test(
  'a CEL-only template (K8sNativeValidation): the same verdicts as gator verify',
  async (t) => {
    const root = t.testdir({});
    const doc = (o: unknown) => stringify(o);
    writeFileSync(
      join(root, 'template.yaml'),
      constraintTemplate(
        'K8sMaxReplicas',
        {
          code: [
            {
              engine: 'K8sNativeValidation',
              source: {
                variables: [
                  {
                    name: 'replicas',
                    expression:
                      'has(variables.anyObject.spec.replicas) ? variables.anyObject.spec.replicas : 1',
                  },
                ],
                validations: [
                  {
                    expression: 'variables.replicas <= variables.params.max',
                    messageExpression:
                      '"replicas " + string(variables.replicas) + " over " + string(variables.params.max)',
                  },
                  {
                    expression: 'object.metadata.name.startsWith(variables.params.prefix)',
                    message: 'the name must start with the prefix',
                  },
                ],
              },
            },
          ],
        },
        { type: 'object', properties: { max: { type: 'integer' }, prefix: { type: 'string' } } },
      ),
    );
    writeFileSync(
      join(root, 'constraint.yaml'),
      doc({
        apiVersion: 'constraints.gatekeeper.sh/v1beta1',
        kind: 'K8sMaxReplicas',
        metadata: { name: 'max-replicas' },
        spec: {
          match: { kinds: [{ apiGroups: ['apps'], kinds: ['Deployment'] }] },
          parameters: { max: 3, prefix: 'team-' },
        },
      }),
    );
    const deployment = (name: string, replicas?: number) =>
      doc({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: 'shop' },
        spec: {
          ...(replicas === undefined ? {} : { replicas }),
          selector: { matchLabels: { a: 'b' } },
        },
      });
    writeFileSync(join(root, 'ok.yaml'), deployment('team-api', 2));
    writeFileSync(join(root, 'default.yaml'), deployment('team-web'));
    writeFileSync(join(root, 'many.yaml'), deployment('team-big', 5));
    writeFileSync(join(root, 'both.yaml'), deployment('api', 9));
    const ok = (object: string) => ({ name: object, object, assertions: [{ violations: 'no' }] });
    writeFileSync(
      join(root, 'suite.yaml'),
      doc({
        kind: 'Suite',
        apiVersion: 'test.gatekeeper.sh/v1alpha1',
        tests: [
          {
            name: 'cel',
            template: 'template.yaml',
            constraint: 'constraint.yaml',
            cases: [
              ok('ok.yaml'),
              ok('default.yaml'),
              {
                name: 'many',
                object: 'many.yaml',
                assertions: [{ violations: 1, message: 'replicas 5 over 3' }],
              },
              {
                name: 'both',
                object: 'both.yaml',
                assertions: [
                  { violations: 2 },
                  { violations: 1, message: 'the name must start with the prefix' },
                ],
              },
            ],
          },
        ],
      }),
    );
    await bothPass(t, root, ['ok.yaml', 'default.yaml', 'many', 'both']);
  },
);

t.test('a namespaceSelector and a case without its Namespace: gator’s verdict', async (t) => {
  const root = t.testdir({});
  const doc = (o: unknown) => stringify(o);
  writeFileSync(
    join(root, 'template.yaml'),
    constraintTemplate('K8sAlways', 'package k8salways\n\nviolation[{"msg": "always"}] { true }\n'),
  );
  writeFileSync(
    join(root, 'constraint.yaml'),
    doc({
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: 'K8sAlways',
      metadata: { name: 'always' },
      spec: {
        match: {
          kinds: [{ apiGroups: [''], kinds: ['ConfigMap'] }],
          namespaceSelector: { matchLabels: { env: 'prod' } },
        },
      },
    }),
  );
  const object = (kind: string) =>
    doc({ apiVersion: 'v1', kind, metadata: { name: 'x', namespace: 'elsewhere' } });
  writeFileSync(join(root, 'cm.yaml'), object('ConfigMap'));
  writeFileSync(join(root, 'secret.yaml'), object('Secret'));
  writeFileSync(
    join(root, 'ns.yaml'),
    doc({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'elsewhere', labels: { env: 'prod' } },
    }),
  );
  writeFileSync(
    join(root, 'suite.yaml'),
    doc({
      kind: 'Suite',
      apiVersion: 'test.gatekeeper.sh/v1alpha1',
      tests: [
        {
          name: 'nssel',
          template: 'template.yaml',
          constraint: 'constraint.yaml',
          cases: [
            {
              name: 'unknown-namespace',
              object: 'cm.yaml',
              assertions: [
                {
                  violations: 1,
                  message: 'namespace selector for namespace-scoped object but missing Namespace',
                },
              ],
            },
            {
              name: 'known-namespace',
              object: 'cm.yaml',
              inventory: ['ns.yaml'],
              assertions: [{ violations: 1, message: 'always' }],
            },
            { name: 'other-kind', object: 'secret.yaml', assertions: [{ violations: 'no' }] },
          ],
        },
      ],
    }),
  );
  await bothPass(t, root, ['unknown-namespace', 'known-namespace', 'other-kind']);
});

t.test(
  'an evaluation error (a rule with two values) is one violation, as gator counts it',
  async (t) => {
    const root = t.testdir({});
    writeFileSync(
      join(root, 'template.yaml'),
      constraintTemplate(
        'K8sConflict',
        'package k8sconflict\n\nx = 1 { true }\nx = 2 { true }\nviolation[{"msg": msg}] { msg := sprintf("x is %v", [x]) }\n',
      ),
    );
    writeFileSync(
      join(root, 'constraint.yaml'),
      stringify({
        apiVersion: 'constraints.gatekeeper.sh/v1beta1',
        kind: 'K8sConflict',
        metadata: { name: 'conflict' },
      }),
    );
    writeFileSync(
      join(root, 'cm.yaml'),
      stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
    );
    writeFileSync(
      join(root, 'suite.yaml'),
      stringify({
        kind: 'Suite',
        apiVersion: 'test.gatekeeper.sh/v1alpha1',
        tests: [
          {
            name: 'conflict',
            template: 'template.yaml',
            constraint: 'constraint.yaml',
            cases: [
              {
                name: 'c',
                object: 'cm.yaml',
                assertions: [
                  {
                    violations: 1,
                    message:
                      'eval_conflict_error: complete rules must not produce multiple outputs',
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    await bothPass(t, root, ['c']);
  },
);
