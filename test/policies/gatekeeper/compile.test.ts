import t from 'tap';
import {
  constraintModule,
  constraintPolicy,
  namespaceModule,
  regoRef,
  unchainBodies,
} from '../../../policies/engine/gatekeeper/compile.js';
import {
  inventoryOf,
  namespaceLabels,
  requiredSync,
} from '../../../policies/engine/gatekeeper/inventory.js';
import { messagePattern } from '../../../policies/engine/gatekeeper/assertions.js';

t.test('v0 chained bodies become rules with the same head (opa fmt cannot)', async (t) => {
  const v0 = [
    'package x',
    '',
    'violation[{"msg": msg}] {',
    '  a',
    '  msg := "a"',
    '} {',
    '  b',
    '  msg := "b"',
    '}',
  ].join('\n');
  t.equal(
    unchainBodies(v0),
    [
      'package x',
      '',
      'violation[{"msg": msg}] {',
      '  a',
      '  msg := "a"',
      '}',
      '',
      'violation[{"msg": msg}] {',
      '  b',
      '  msg := "b"',
      '}',
    ].join('\n'),
  );
  t.equal(
    unchainBodies('package x\n\np { true }\n'),
    'package x\n\np { true }\n',
    'nothing to split',
  );
});

t.test("a template's modules move under gatekeeper_templates.<name>", async (t) => {
  const problems: string[] = [];
  const rego = [
    'package k8sthing',
    '',
    'import data.lib.helpers.ok',
    '# data.secret in a comment is fine',
    'violation contains {"msg": msg} if {',
    '  ok(data.inventory.cluster)',
    '  input.review.object.data.lib == input.review.object.data.other',
    '  msg := sprintf("bad %v", ["data.other in a string"])',
    '}',
  ].join('\n');
  t.equal(
    namespaceModule(rego, 'k8sthing', false, 't.yaml', problems),
    [
      'package gatekeeper_templates.k8sthing',
      '',
      'import data.gatekeeper_templates.k8sthing.lib.helpers.ok',
      '# data.secret in a comment is fine',
      'violation contains {"msg": msg} if {',
      '  ok(data.inventory.cluster)',
      '  input.review.object.data.lib == input.review.object.data.other',
      '  msg := data.gatekeeper_templates.driftgate_fmt.format("bad %v", ["data.other in a string"])',
      '}',
    ].join('\n'),
  );
  t.equal(
    namespaceModule('package lib.helpers\n', 'k8sthing', true, 't.yaml (libs[0])', problems),
    'package gatekeeper_templates.k8sthing.lib.helpers\n',
  );
  t.same(problems, []);
  namespaceModule('package x\n\np if data.parameters.x\n', 'k', false, 'a.yaml', problems);
  namespaceModule('package helpers\n', 'k', true, 'a.yaml (libs[0])', problems);
  namespaceModule('# no package\n', 'k', false, 'b.yaml', problems);
  t.same(problems, [
    "a.yaml: only data.lib and data.inventory may be read (Gatekeeper's rule)",
    "a.yaml (libs[0]): a lib's package must start with lib. (found helpers)",
    'b.yaml: no package',
  ]);
});

t.test('a constraint becomes a policy named as Gatekeeper names it', async (t) => {
  const p = constraintPolicy(
    {
      kind: 'K8sRequiredLabels',
      name: 'must-have-owner',
      parameters: { labels: [{ key: 'owner' }] },
      enforcement: 'warn',
      file: 'c.yaml',
    },
    {
      name: 'k8srequiredlabels',
      kind: 'K8sRequiredLabels',
      title: 'Required Labels',
      rego: '',
      libs: [],
      v1: false,
      file: 't.yaml',
      sync: [],
    },
  );
  t.same(p, {
    id: 'must-have-owner',
    path: ['gatekeeper', 'k8srequiredlabels', 'must-have-owner'],
    description: 'Required Labels',
    enforcement: 'warn',
    parameters: { labels: [{ key: 'owner' }] },
    allowExistingViolations: false,
    gatekeeper: { kind: 'K8sRequiredLabels', template: 'k8srequiredlabels' },
  });
  t.equal(regoRef('data.x', ['a', 'must-have-owner']), 'data.x.a["must-have-owner"]');
  t.match(constraintModule(p), 'package driftgate.gatekeeper.k8srequiredlabels["must-have-owner"]');
  t.match(
    constraintModule(p),
    'with input as {"review": review, "parameters": data.parameters.gatekeeper.k8srequiredlabels["must-have-owner"]}',
  );
});

t.test('requires-sync-data and the inventory layout', async (t) => {
  // As the library writes it: the JSON inside quotes.
  const annotation = `"[
    [
      {"groups": ["extensions"], "versions": ["v1beta1"], "kinds": ["Ingress"]},
      {"groups": ["networking.k8s.io"], "versions": ["v1beta1", "v1"], "kinds": ["Ingress"]}
    ]
  ]"`;
  t.same(requiredSync(annotation), [
    { group: 'extensions', version: 'v1beta1', kind: 'Ingress' },
    { group: 'networking.k8s.io', version: 'v1beta1', kind: 'Ingress' },
    { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
  ]);
  t.same(requiredSync('not json'), []);
  t.same(requiredSync(undefined), []);
  const inv = inventoryOf([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { env: 'prod' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } },
    { kind: 'NoVersion', metadata: { name: 'x' } },
  ]);
  t.same(Object.keys(inv.cluster.v1?.Namespace ?? {}), ['shop', 'bare']);
  t.same(Object.keys(inv.namespace.shop?.['apps/v1']?.Deployment ?? {}), ['web']);
  t.same(namespaceLabels(inv, 'shop'), { env: 'prod' });
  t.same(namespaceLabels(inv, 'bare'), {});
  t.equal(namespaceLabels(inv, 'nowhere'), undefined);
});

t.test('suite message patterns: what could backtrack without end is refused', async (t) => {
  t.ok(
    messagePattern("Seccomp profile 'unconfined' is not allowed").test(
      "Seccomp profile 'unconfined' is not allowed for x",
    ),
  );
  t.ok(messagePattern('^container <(\\w+)> has').test('container <nginx> has an invalid image'));
  for (const bad of ['(a+)+$', '(x*)*y', '(\\w+\\s?)+$', '(a{1,9}){2,}', '(.)\\1'])
    t.throws(() => messagePattern(bad), /could backtrack without end/, bad);
  t.throws(() => messagePattern('x'.repeat(501)), /longer than 500 characters/);
});

t.test("a tenant's template reads the tenant's view of data.inventory", async (t) => {
  const problems: string[] = [];
  const rego = 'package x\n\nviolation contains {"msg": "m"} if data.inventory.namespace[_]\n';
  t.match(
    namespaceModule(rego, 'k', false, 'k.yaml', problems, 'team-a.web'),
    'violation contains {"msg": "m"} if data.tenant_inventories["team-a.web"].namespace[_]',
  );
  t.match(namespaceModule(rego, 'k', false, 'k.yaml', problems), 'if data.inventory.namespace[_]');
  t.strictSame(problems, []);
});
