import t from 'tap';
import { stringify } from 'yaml';
import { BundleStore } from '../../../policies/engine/store.js';
import { constraintTemplate, GOOD_POLICY, policyDir } from '../../support/policy-dirs.js';
import { toolPath } from '../../support/tools.js';

const opaPath = toolPath('opa');
const template = (rego: string) => constraintTemplate('K8sNoDebug', { rego });
const NO_DEBUG = `package k8snodebug

violation[{"msg": msg}] {
  input.review.object.data.debug == input.parameters.value
  msg := sprintf("debug is %v", [input.parameters.value])
}
`;
const constraint = stringify({
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind: 'K8sNoDebug',
  metadata: { name: 'no-debug' },
  spec: { parameters: { value: 'on' } },
});
const suite = (want: string) =>
  stringify({
    kind: 'Suite',
    apiVersion: 'test.gatekeeper.sh/v1alpha1',
    tests: [
      {
        name: 'no-debug',
        template: 'template.yaml',
        constraint: 'samples/constraint.yaml',
        cases: [
          { name: 'debug-on', object: 'samples/cm.yaml', assertions: [{ violations: want }] },
        ],
      },
    ],
  });
const files = (want: string) => ({
  'gk/template.yaml': template(NO_DEBUG),
  'gk/constraint.yaml': constraint,
  'gk/suite.yaml': suite(want),
  'gk/samples/constraint.yaml': constraint,
  'gk/samples/cm.yaml': stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'x' },
    data: { debug: 'on' },
  }),
});

t.test(
  "a template's suite runs before it goes live; a failing one keeps the last good",
  async (t) => {
    const p = policyDir({ ...GOOD_POLICY, ...files('yes') });
    t.teardown(p.cleanup);
    const store = new BundleStore({ opaPath });
    const first = await store.reload(p.dir);
    t.match(first, { ok: true, policies: 2 }, 'the native policy and the live constraint');
    t.same(
      store.current?.policies.map((x) => x.id),
      ['demo/no_forbidden', 'no-debug'],
      'the suite’s own constraint file is test material, not a policy',
    );
    const [, gk] =
      store.current?.evaluate({
        request: { operation: 'CREATE', object: { kind: 'ConfigMap', data: { debug: 'on' } } },
      }) ?? [];
    t.same(gk?.ok && gk.result.deny, ['debug is on']);
    p.write(files('no'));
    const second = await store.reload(p.dir);
    t.equal(second.ok, false);
    t.match(second, {
      error: {
        stage: 'test',
        message: /gk\/suite\.yaml no-debug\/debug-on: got 1 violations but want none/,
      },
      kept: first.ok ? first.revision : '',
    });
  },
);

t.test(
  'a template that reads other data, or whose v0 cannot be converted, is refused',
  async (t) => {
    const reads = policyDir({
      't.yaml': template('package k8snodebug\n\nviolation[{"msg": "x"}] { data.parameters.x }\n'),
    });
    t.teardown(reads.cleanup);
    const r1 = await new BundleStore({ opaPath }).reload(reads.dir);
    t.match(r1, {
      ok: false,
      error: {
        stage: 'layout',
        message: /t\.yaml: only data\.lib and data\.inventory may be read/,
      },
    });
    const broken = policyDir({
      't.yaml': template('package k8snodebug\n\nviolation[{"msg": msg}] {\n'),
    });
    t.teardown(broken.cleanup);
    const r2 = await new BundleStore({ opaPath }).reload(broken.dir);
    t.match(r2, { ok: false, error: { stage: 'compile', message: /opa fmt --v0-v1: .*t\.yaml/s } });
  },
);

t.test(
  'a suite from Git reads nothing outside the tree, and a broken one refuses the commit',
  async (t) => {
    const escape = stringify({
      kind: 'Suite',
      apiVersion: 'test.gatekeeper.sh/v1alpha1',
      tests: [
        {
          name: 'peek',
          template: 'template.yaml',
          constraint: 'samples/constraint.yaml',
          cases: [
            {
              name: 'up',
              object: '../../../../../../../../etc/hostname',
              assertions: [{ violations: 'no' }],
            },
            { name: 'abs', object: '/etc/hostname', assertions: [{ violations: 'no' }] },
          ],
        },
      ],
    });
    const p = policyDir({ ...files('yes'), 'gk/suite.yaml': escape });
    t.teardown(p.cleanup);
    const r = await new BundleStore({ opaPath }).reload(p.dir);
    t.match(r, {
      ok: false,
      error: {
        stage: 'test',
        message:
          'gk/suite.yaml peek/up: ../../../../../../../../etc/hostname is outside the policy tree; gk/suite.yaml peek/abs: /etc/hostname is outside the policy tree',
      },
    });
    p.write({ 'gk/suite.yaml': 'tests: [unclosed\n' });
    const broken = await new BundleStore({ opaPath }).reload(p.dir);
    t.match(broken, {
      ok: false,
      error: {
        stage: 'layout',
        message: /^policy layout failed: gk\/suite\.yaml: not valid YAML: /,
      },
    });
  },
);

t.test(
  'a store told not to run suites (a webhook the reconciler feeds) loads without them',
  async (t) => {
    const p = policyDir(files('no'));
    t.teardown(p.cleanup);
    t.match(await new BundleStore({ opaPath }).reload(p.dir), {
      ok: false,
      error: { stage: 'test' },
    });
    t.match(await new BundleStore({ opaPath }, { runSuites: false }).reload(p.dir), { ok: true });
  },
);

t.test(
  'a v0 template calling deprecated builtins (re_match, any) runs as OPA runs it, beside converted ones',
  async (t) => {
    const DEPRECATED = `package k8snodebug

violation[{"msg": msg}] {
  re_match("^o", input.review.object.data.debug)
  any([input.review.object.data.debug == input.parameters.value])
  msg := sprintf("debug is %v", [input.parameters.value])
}
`;
    const other = constraintTemplate(
      'K8sNoLabel',
      'package k8snolabel\n\nviolation[{"msg": "labelled"}] {\n  input.review.object.metadata.labels.x\n}\n',
    );
    const p = policyDir({
      ...files('yes'),
      'gk/template.yaml': template(DEPRECATED),
      'gk/other.yaml': other,
      'gk/other-constraint.yaml': stringify({
        apiVersion: 'constraints.gatekeeper.sh/v1beta1',
        kind: 'K8sNoLabel',
        metadata: { name: 'no-label' },
      }),
    });
    t.teardown(p.cleanup);
    const store = new BundleStore({ opaPath });
    t.match(await store.reload(p.dir), { ok: true, policies: 2 }, 'built; its suite passed');
    const judge = (debug: string, labels?: Record<string, string>) =>
      (
        store.current?.evaluate({
          request: {
            operation: 'CREATE',
            object: { kind: 'ConfigMap', metadata: { labels }, data: { debug } },
          },
        }) ?? []
      ).flatMap((r) => (r.ok ? r.result.deny : []));
    t.same(judge('on'), ['debug is on'], 're_match and any as OPA evaluates them');
    t.same(judge('off'), [], 'not matching the parameter');
    t.same(judge('x', { x: 'y' }), ['labelled'], 'the converted template beside it');
  },
);

t.test('input.review.namespaceObject: the Namespace, when the caller has it', async (t) => {
  const nsTemplate = constraintTemplate(
    'K8sNsOwner',
    'package k8snsowner\n\nviolation[{"msg": msg}] {\n  ns := input.review.namespaceObject\n  not ns.metadata.labels.owner\n  msg := sprintf("namespace %v has no owner", [ns.metadata.name])\n}\n',
  );
  const p = policyDir({
    'gk/t.yaml': nsTemplate,
    'gk/c.yaml': stringify({
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: 'K8sNsOwner',
      metadata: { name: 'ns-owner' },
    }),
  });
  t.teardown(p.cleanup);
  const store = new BundleStore({ opaPath });
  t.match(await store.reload(p.dir), { ok: true });
  const judge = (namespaceObject?: unknown) =>
    (
      store.current?.evaluate({
        request: {
          operation: 'CREATE',
          namespace: 'shop',
          object: { kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } },
        },
        driftgate: namespaceObject ? { namespaceObject } : {},
      }) ?? []
    ).flatMap((r) => (r.ok ? r.result.deny : []));
  t.same(judge({ metadata: { name: 'shop', labels: {} } }), ['namespace shop has no owner']);
  t.same(judge({ metadata: { name: 'shop', labels: { owner: 'sam' } } }), []);
  t.same(judge(), [], 'unknown: the template sees no namespaceObject, as in Gatekeeper');
});

t.test('a CEL-only template judges at admission, beside Rego ones', async (t) => {
  const celTemplate = constraintTemplate('K8sNoLatest', {
    code: [
      {
        engine: 'K8sNativeValidation',
        source: {
          validations: [
            {
              expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))",
              messageExpression: '"no :latest in " + object.metadata.name',
            },
          ],
        },
      },
    ],
  });
  const p = policyDir({
    ...files('yes'),
    'gk/cel.yaml': celTemplate,
    'gk/cel-constraint.yaml': stringify({
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: 'K8sNoLatest',
      metadata: { name: 'no-latest' },
      spec: { match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }] } },
    }),
  });
  t.teardown(p.cleanup);
  const store = new BundleStore({ opaPath });
  t.match(await store.reload(p.dir), { ok: true, policies: 2 });
  const judge = (image: string) =>
    (
      store.current?.evaluate({
        request: {
          operation: 'CREATE',
          object: { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ image }] } },
        },
      }) ?? []
    ).flatMap((r) => (r.ok ? r.result.deny.map((m) => `${r.policy.id}: ${m}`) : []));
  t.same(judge('nginx:latest'), ['no-latest: no :latest in p']);
  t.same(judge('nginx:1.25'), []);
});
