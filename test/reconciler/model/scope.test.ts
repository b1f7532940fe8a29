import t from 'tap';
import { ownershipProblem, placementProblem } from '../../../reconciler/model/scope.js';
import { kustomizeScope } from '../../../reconciler/render/guard.js';
import { renderPlain } from '../../../reconciler/render/render.js';
import type { TreeFile } from '../../../reconciler/source/git-source.js';

const scope = {
  destinationNamespace: 'team-a',
  allowedNamespaces: ['jobs'],
  clusterScopedKinds: ['Namespace', 'rbac.authorization.k8s.io/ClusterRole'],
};
const obj = (apiVersion: string, kind: string, namespace?: string) => ({
  apiVersion,
  kind,
  metadata: { name: 'x', ...(namespace ? { namespace } : {}) },
});

const placements = [
  { name: 'own namespace', given: [obj('v1', 'ConfigMap', 'team-a'), true], want: undefined },
  {
    name: 'no namespace means the destination',
    given: [obj('v1', 'ConfigMap'), true],
    want: undefined,
  },
  { name: 'an allowed namespace', given: [obj('v1', 'ConfigMap', 'jobs'), true], want: undefined },
  {
    name: 'another namespace',
    given: [obj('v1', 'Secret', 'kube-system'), true],
    want: /namespace kube-system is outside/,
  },
  {
    name: 'an allowed core cluster-scoped kind',
    given: [obj('v1', 'Namespace'), false],
    want: undefined,
  },
  {
    name: 'an allowed group/Kind',
    given: [obj('rbac.authorization.k8s.io/v1', 'ClusterRole'), false],
    want: undefined,
  },
  {
    name: 'a cluster-scoped kind not allowed',
    given: [obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'), false],
    want: /rbac\.authorization\.k8s\.io\/ClusterRoleBinding is cluster-scoped/,
  },
] as const;
for (const c of placements) {
  const got = placementProblem(c.given[0], c.given[1], scope);
  if (c.want === undefined) t.equal(got, undefined, c.name);
  else t.match(got, c.want, c.name);
}
t.equal(
  placementProblem(obj('v1', 'Secret', 'any'), true, { ...scope, allowedNamespaces: ['*'] }),
  undefined,
  '"*" allows any namespace',
);
t.equal(
  placementProblem(obj('x.io/v1', 'Thing'), false, { ...scope, clusterScopedKinds: ['*'] }),
  undefined,
  '"*" allows any kind',
);

const live = (labels?: Record<string, string>) => ({
  metadata: { name: 'x', ...(labels ? { labels } : {}) },
});
t.equal(ownershipProblem(undefined, 'a'), undefined, 'absent: nothing to take over');
t.equal(ownershipProblem(live({ 'driftgate.io/source': 'a' }), 'a'), undefined, 'ours');
t.match(ownershipProblem(live({ 'driftgate.io/source': 'b' }), 'a'), /belongs to source b/);
t.match(
  ownershipProblem(live(), 'a'),
  /not created by driftgate \(to adopt it, label it driftgate\.io\/source=a\)/,
);

const tree = (files: Record<string, string>): Map<string, TreeFile> =>
  new Map(Object.entries(files).map(([p, c]) => [p, { oid: p, content: Buffer.from(c) }]));
const repo = tree({
  'base/kustomization.yaml': 'resources: [cm.yaml]\n',
  'base/cm.yaml': 'x',
  'common/extra.yaml': 'x',
  'overlay/kustomization.yaml':
    'resources: [../base, ../common/extra.yaml]\ncommonAnnotations: { docs: "https://docs.example/x" }\nconfigMapGenerator: [{ name: g, literals: ["url=https://a.example"] }]\n',
  'other/kustomization.yaml': 'resources: [https://evil.example/x.yaml]\n',
  'other/big.yaml': 'x',
});
const s = kustomizeScope(repo, 'overlay');
t.same(s.remote, [], 'URLs in annotations and literals are data, not references');
t.same(
  [...s.files.keys()].sort(),
  ['base/cm.yaml', 'base/kustomization.yaml', 'common/extra.yaml', 'overlay/kustomization.yaml'],
  'only what the overlay reaches',
);
const remote = tree({
  'k/kustomization.yaml':
    'resources:\n  - https://a.example/x.yaml\n  - github.com/org/repo//base?ref=v1\n  - git@github.com:org/repo.git\n  - missing\npatches:\n  - path: http://a.example/p.yaml\n',
});
t.same(kustomizeScope(remote, 'k').remote, [
  'k/kustomization.yaml: resources names https://a.example/x.yaml',
  'k/kustomization.yaml: resources names github.com/org/repo//base?ref=v1',
  'k/kustomization.yaml: resources names git@github.com:org/repo.git',
  'k/kustomization.yaml: resources names missing, which is not in the commit',
  'k/kustomization.yaml: patches names http://a.example/p.yaml',
]);

t.test(
  'a remote resource behind a YAML alias, anchor or merge key is found (issue 26 finding 13)',
  async (t) => {
    const k = (text: string) =>
      kustomizeScope(tree({ 'k/kustomization.yaml': text, 'k/cm.yaml': 'a: b\n' }), 'k').remote;
    t.strictSame(
      k(
        'x-hidden: &remote https://evil.example/steal.yaml\nresources:\n  - cm.yaml\n  - *remote\n',
      ),
      ['k/kustomization.yaml: resources names https://evil.example/steal.yaml'],
      'an alias in a list',
    );
    t.strictSame(
      k('x-list: &list [github.com/org/repo//base?ref=v1]\nresources: *list\n'),
      ['k/kustomization.yaml: resources names github.com/org/repo//base?ref=v1'],
      'the whole list an alias',
    );
    t.strictSame(
      k('x-base: &base\n  resources: [https://evil.example/a.yaml]\n<<: *base\n'),
      ['k/kustomization.yaml: resources names https://evil.example/a.yaml'],
      'a merge key',
    );
    t.strictSame(
      k('x-key: &field resources\n*field : [https://evil.example/b.yaml]\n'),
      ['k/kustomization.yaml: resources names https://evil.example/b.yaml'],
      'the field name an alias',
    );
    t.strictSame(
      k('x: &a [cm.yaml]\nresources: *a\ncomponents: []\n'),
      [],
      'a local file through an alias',
    );
  },
);

t.test('plain YAML: an alias bomb is refused as it is parsed, naming the file', async (t) => {
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    laughs.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  t.throws(() => renderPlain(tree({ 'app/bomb.yaml': laughs.join('\n') })), {
    name: 'RenderError',
    message: 'refused: app/bomb.yaml expands YAML aliases past 100 references (an expansion bomb)',
  });
});

t.test('an oversize kustomization is sized, not parsed', async (t) => {
  const big = tree({
    'k/kustomization.yaml': `resources: [https://a.example/x.yaml]\n# ${'x'.repeat(100)}`,
  });
  t.same(kustomizeScope(big, 'k', 50).remote, [], 'not parsed');
  t.same(
    [...kustomizeScope(big, 'k', 50).files.keys()],
    ['k/kustomization.yaml'],
    'still checked for size',
  );
});
