// A GitSource renders a chart (issue 27 finding 4): the vendored public podinfo chart (see
// test/fixtures/public/SOURCES.md) with spec.helm: the release named after the GitSource (not
// its `namespace.name` source name), inline values and values from a Secret, whose content never
// reaches status. Real apiserver, Git server, helm, kubectl.
import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { fixtureTree } from '../support/fixture-tree.js';
import { waitFor } from '../support/processes.js';
import { startTestReconciler } from '../support/reconciler.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';

const { cp, git, signer } = await gitOpsFixture(t);
const must = mustKubectl(cp);
await installGitSourceApi(cp);
await trustingNamespace(cp, 'team-a', signer);
const repo = await git.createRepo('podinfo');
await repo.commit(fixtureTree(['podinfo']), { signer });
const secretValues = 'ui:\n  message: hello-from-a-secret\n';
await must([
  'create',
  'secret',
  'generic',
  'podinfo-values',
  '-n',
  'team-a',
  `--from-literal=values.yaml=${secretValues}`,
]);
const rec = await startTestReconciler(
  cp,
  [],
  { gitSources: { enabled: true } },
  { autoStart: true },
);
t.teardown(() => rec.stop());

/** A GitSource's Ready message, once it has one (why it is not ready). */
async function readyMessage(name: string): Promise<string> {
  let message = '';
  await waitFor(
    `GitSource ${name} to say why it is not ready`,
    async () => {
      message = await must([
        'get',
        'gitsource',
        name,
        '-n',
        'team-a',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].message}',
      ]);
      return message !== '';
    },
    60_000,
    250,
  );
  return message;
}

const deployment = (jsonpath: string) =>
  must(['get', 'deployment', 'podinfo', '-n', 'team-a', '-o', `jsonpath=${jsonpath}`]);

t.test('a chart with its release name, inline values and values from a Secret', async (t) => {
  await must(
    ['apply', '-f', '-'],
    gitSourceManifest('team-a', 'podinfo', {
      repoURL: repo.url,
      path: 'podinfo/charts/podinfo',
      interval: '1h',
      helm: {
        values: { replicaCount: 2 },
        valuesFrom: [{ kind: 'Secret', name: 'podinfo-values' }],
      },
    }),
  );
  const waited = await cp.kubectl([
    'wait',
    // No controller-manager here: the Deployment never becomes Healthy, so Synced, not Ready.
    '--for=condition=Synced',
    'gitsource/podinfo',
    '-n',
    'team-a',
    '--timeout=90s',
  ]);
  t.equal(waited.code, 0, waited.stderr);
  // The release is the GitSource's name: Service and Deployment are "podinfo", valid names.
  t.equal(
    (await must(['get', 'service', 'podinfo', '-n', 'team-a', '-o', 'name'])).trim(),
    'service/podinfo',
  );
  t.equal(await deployment('{.spec.replicas}'), '2', 'inline values');
  t.match(
    await deployment('{.spec.template.spec.containers[0].env}'),
    /"name":"PODINFO_UI_MESSAGE","value":"hello-from-a-secret"/,
    'values from the Secret',
  );
  const status = await must(['get', 'gitsource', 'podinfo', '-n', 'team-a', '-o', 'json']);
  t.notMatch(status, /hello-from-a-secret/, 'the Secret content is in no status');
});

t.test('a valuesFrom that cannot be read stalls the GitSource, naming it', async (t) => {
  await must(
    ['apply', '-f', '-'],
    gitSourceManifest('team-a', 'broken', {
      repoURL: repo.url,
      path: 'podinfo/charts/podinfo',
      interval: '1h',
      helm: { valuesFrom: [{ kind: 'ConfigMap', name: 'nowhere' }] },
    }),
  );
  const message = await readyMessage('broken');
  t.match(message, 'spec.helm.valuesFrom: ConfigMap team-a/nowhere key values.yaml: not found');
  const none = await cp.kubectl(['get', 'deployment', 'broken', '-n', 'team-a']);
  t.not(none.code, 0, 'nothing applied');
});

t.test("valuesFrom is read as the GitSource's ServiceAccount", async (t) => {
  // A ServiceAccount that may write the chart's kinds but not read Secrets.
  await must(['create', 'serviceaccount', 'no-secrets', '-n', 'team-a']);
  await must([
    'create',
    'role',
    'chart-writer',
    '-n',
    'team-a',
    '--verb=get,list,watch,create,update,patch,delete',
    '--resource=configmaps,services,deployments,horizontalpodautoscalers',
  ]);
  await must([
    'create',
    'rolebinding',
    'chart-writer',
    '-n',
    'team-a',
    '--role=chart-writer',
    '--serviceaccount=team-a:no-secrets',
  ]);
  await must(
    ['apply', '-f', '-'],
    gitSourceManifest('team-a', 'borrowing', {
      repoURL: repo.url,
      path: 'podinfo/charts/podinfo',
      interval: '1h',
      serviceAccountName: 'no-secrets',
      helm: { valuesFrom: [{ kind: 'Secret', name: 'podinfo-values' }] },
    }),
  );
  const message = await readyMessage('borrowing');
  t.match(
    message,
    /spec\.helm\.valuesFrom: Secret team-a\/podinfo-values key values\.yaml: .*forbidden/i,
  );
  t.notMatch(message, /hello-from-a-secret/);
});
