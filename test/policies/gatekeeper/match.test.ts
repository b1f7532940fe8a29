import t from 'tap';
import {
  gkMatches,
  parseMatch,
  selectorMatches,
  wildcardMatches,
  type MatchObject,
} from '../../../policies/engine/gatekeeper/match.js';

const pod = (over: Partial<MatchObject> = {}): MatchObject => ({
  group: '',
  kind: 'Pod',
  name: 'web-1',
  namespace: 'shop',
  labels: { app: 'web' },
  ...over,
});

t.test("wildcards: exact, prefix, suffix and both, as Gatekeeper's", async (t) => {
  t.ok(wildcardMatches('shop', 'shop'));
  t.notOk(wildcardMatches('shop', 'shop-2'));
  t.ok(wildcardMatches('team-*', 'team-a'));
  t.notOk(wildcardMatches('team-*', 'a-team'));
  t.ok(wildcardMatches('*-system', 'kube-system'));
  t.ok(wildcardMatches('*sys*', 'kube-system'));
  t.ok(wildcardMatches('*', 'anything'));
});

t.test('label selectors: matchLabels and every operator', async (t) => {
  const labels = { tier: 'web', env: 'prod' };
  t.ok(selectorMatches({ matchLabels: { tier: 'web' } }, labels));
  t.notOk(selectorMatches({ matchLabels: { tier: 'db' } }, labels));
  t.ok(
    selectorMatches(
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
      labels,
    ),
  );
  t.notOk(
    selectorMatches(
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      labels,
    ),
  );
  t.ok(
    selectorMatches({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] }, labels),
  );
  t.ok(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels));
  t.notOk(
    selectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels),
  );
  t.notOk(
    selectorMatches({ matchExpressions: [{ key: 'x', operator: 'In', values: [''] }] }, labels),
  );
});

t.test('kinds: group and kind, empty lists and * match all', async (t) => {
  t.ok(gkMatches({ kinds: [{ apiGroups: [''], kinds: ['Pod'] }] }, [pod()]));
  t.notOk(gkMatches({ kinds: [{ apiGroups: ['apps'], kinds: ['Pod'] }] }, [pod()]));
  t.ok(gkMatches({ kinds: [{ apiGroups: ['*'], kinds: [] }] }, [pod()]));
  t.notOk(gkMatches({ kinds: [{ kinds: ['Deployment'] }] }, [pod()]));
});

t.test('namespaces, excludedNamespaces and scope', async (t) => {
  t.ok(gkMatches({ namespaces: ['sh*'] }, [pod()]));
  t.notOk(gkMatches({ namespaces: ['prod'] }, [pod()]));
  t.notOk(gkMatches({ excludedNamespaces: ['shop'] }, [pod()]));
  const ns = pod({ kind: 'Namespace', name: 'shop', namespace: undefined });
  t.notOk(gkMatches({ excludedNamespaces: ['shop'] }, [ns]), 'a Namespace is matched by its name');
  const node = pod({ kind: 'Node', name: 'n1', namespace: undefined });
  t.ok(
    gkMatches({ namespaces: ['prod'] }, [node]),
    'a cluster-scoped object has no namespace to fail',
  );
  t.ok(gkMatches({ scope: 'Cluster' }, [node]));
  t.notOk(gkMatches({ scope: 'Cluster' }, [pod()]));
  t.ok(gkMatches({ scope: 'Namespaced' }, [pod()]));
  t.notOk(gkMatches({ scope: 'Namespaced' }, [ns]));
});

t.test('name and generateName', async (t) => {
  t.ok(gkMatches({ name: 'web-*' }, [pod()]));
  t.notOk(gkMatches({ name: 'db' }, [pod()]));
  t.ok(gkMatches({ name: 'web-*' }, [pod({ name: '', generateName: 'web-' })]));
  t.notOk(gkMatches({ name: '*-1' }, [pod({ name: '', generateName: 'web-' })]));
});

t.test('labelSelector: the object or the old object', async (t) => {
  const m = { labelSelector: { matchLabels: { app: 'db' } } };
  t.notOk(gkMatches(m, [pod()]));
  t.ok(gkMatches(m, [pod(), pod({ labels: { app: 'db' } })]), 'the old object matched');
});

t.test('namespaceSelector: by the namespace labels; unknown labels apply', async (t) => {
  const m = { namespaceSelector: { matchLabels: { env: 'prod' } } };
  t.ok(gkMatches(m, [pod()], { env: 'prod' }));
  t.notOk(gkMatches(m, [pod()], { env: 'dev' }));
  t.ok(gkMatches(m, [pod()]), 'labels not known: the constraint applies (fail closed)');
  const ns = pod({ kind: 'Namespace', name: 'shop', namespace: undefined, labels: { env: 'dev' } });
  t.notOk(gkMatches(m, [ns]), 'a Namespace by its own labels');
});

t.test('parseMatch names every problem', async (t) => {
  const problems: string[] = [];
  parseMatch(
    {
      kinds: 'Pod',
      namespaces: [1],
      scope: 'Everywhere',
      labelSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] },
      name: 3,
      colour: 'blue',
    },
    'c.yaml: spec.match',
    problems,
  );
  t.same(problems, [
    'c.yaml: spec.match.kinds must be a list of { apiGroups, kinds }',
    'c.yaml: spec.match.namespaces must be a list of names',
    'c.yaml: spec.match.scope must be *, Cluster or Namespaced',
    'c.yaml: spec.match.labelSelector: matchLabels must map keys to strings and matchExpressions use In, NotIn, Exists or DoesNotExist',
    'c.yaml: spec.match.name must be a string',
    'unknown key c.yaml: spec.match.colour',
  ]);
  const none: string[] = [];
  t.same(parseMatch({ kinds: [{ apiGroups: [''], kinds: ['Pod'] }], source: 'All' }, 'm', none), {
    kinds: [{ apiGroups: [''], kinds: ['Pod'] }],
    source: 'All',
  });
  t.same(none, []);
  const bad: string[] = [];
  parseMatch({ source: 'Fake' }, 'm', bad);
  t.same(bad, ['m.source must be All, Generated or Original']);
});
