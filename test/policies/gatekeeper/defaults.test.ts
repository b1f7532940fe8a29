import t from 'tap';
import { stringify } from 'yaml';
import { constraintPolicies } from '../../../policies/engine/gatekeeper/compile.js';
import { withDefaults } from '../../../policies/engine/gatekeeper/defaults.js';
import { readGatekeeperObjects } from '../../../policies/engine/gatekeeper/objects.js';
import { inScope, requestTarget } from '../../../policies/engine/scope.js';

const template = stringify({
  apiVersion: 'templates.gatekeeper.sh/v1',
  kind: 'ConstraintTemplate',
  metadata: { name: 'k8sreplicalimits' },
  spec: {
    crd: {
      spec: {
        names: { kind: 'K8sReplicaLimits' },
        validation: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              ranges: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    min_replicas: { type: 'integer', default: 1 },
                    max_replicas: { type: 'integer', default: 50 },
                  },
                },
              },
              message: { type: 'string', default: 'replicas out of range' },
              exempt: { type: 'object', properties: { names: { type: 'array', default: [] } } },
            },
          },
        },
      },
    },
    targets: [
      {
        target: 'admission.k8s.gatekeeper.sh',
        operations: ['CREATE', 'UPDATE'],
        rego: 'package k8sreplicalimits\n\nviolation[{"msg": "x"}] { false }\n',
      },
    ],
  },
});
const constraint = (name: string, spec: Record<string, unknown>) =>
  stringify({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'K8sReplicaLimits',
    metadata: { name },
    spec,
  });

t.test(
  "a constraint's parameters get its template's schema defaults, as the apiserver's",
  async (t) => {
    const problems: string[] = [];
    const objects = readGatekeeperObjects(
      {
        't.yaml': template,
        'a.yaml': constraint('given', { parameters: { ranges: [{ max_replicas: 3 }, {}] } }),
        'b.yaml': constraint('absent', {}),
      },
      problems,
    );
    t.same(problems, []);
    const byId = new Map(constraintPolicies(objects).map((p) => [p.id, p]));
    const given = byId.get('given');
    const absent = byId.get('absent');
    t.same(given?.parameters, {
      ranges: [
        { min_replicas: 1, max_replicas: 3 },
        { min_replicas: 1, max_replicas: 50 },
      ],
      message: 'replicas out of range',
    });
    t.same(absent?.parameters, {}, 'no spec.parameters: nothing to default, as a custom resource');
    t.same(withDefaults({ type: 'string', default: 'x' }, undefined), 'x');
    t.same(withDefaults({ properties: { a: { default: 1 } } }, 'not an object'), 'not an object');
  },
);

t.test("a template's targets[].operations: the operations it judges at admission", async (t) => {
  const [p] = constraintPolicies(
    readGatekeeperObjects({ 't.yaml': template, 'a.yaml': constraint('c', {}) }, []),
  );
  if (!p) throw new Error('no policy');
  const request = (operation: string) =>
    requestTarget({
      operation,
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } },
    });
  t.equal(inScope(p, request('CREATE')), true);
  t.equal(inScope(p, request('UPDATE')), true);
  t.equal(inScope(p, request('DELETE')), false, 'DELETE is not among its operations');
  t.equal(
    inScope(p, requestTarget({ object: { kind: 'Deployment' } })),
    true,
    'outside admission: judged',
  );
});
