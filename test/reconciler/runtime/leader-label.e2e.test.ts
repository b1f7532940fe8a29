import t from 'tap';
import { pino } from 'pino';
import { labelLeader, LEADER_LABEL } from '../../../reconciler/runtime/leader-label.js';
import { DRIFTGATE_NAMESPACE, startControlPlane } from '../../support/control-plane.js';
import { mustKubectl } from '../../support/gitsources.js';

// The leading reconciler pod labels itself (the chart's status Service selects the label, so the
// webhooks' feed reaches the leader only). Real apiserver; the pod is only an object here.
const cp = await startControlPlane();
t.teardown(() => cp.stop());
const kubectl = mustKubectl(cp);
await kubectl(
  ['apply', '-f', '-'],
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'reconciler-0', namespace: DRIFTGATE_NAMESPACE, labels: { app: 'r' } },
    spec: {
      serviceAccountName: 'driftgate-reconciler',
      automountServiceAccountToken: false,
      containers: [{ name: 'r', image: 'registry.example/driftgate:1' }],
    },
  }),
);
const pod = { namespace: DRIFTGATE_NAMESPACE, name: 'reconciler-0' };
const labels = async () =>
  JSON.parse(
    await kubectl([
      'get',
      'pod',
      pod.name,
      '-n',
      pod.namespace,
      '-o',
      'jsonpath={.metadata.labels}',
    ]),
  ) as Record<string, string>;
const warnings: string[] = [];
const logger = pino(
  { level: 'info' },
  { write: (line: string) => void warnings.push(...(line.includes('"level":40') ? [line] : [])) },
);

t.test('leading sets the label, following removes it, other labels stay', async (t) => {
  const kc = cp.kubeConfig('reconciler');
  await labelLeader(kc, pod, true, logger);
  t.same(await labels(), { app: 'r', [LEADER_LABEL]: 'true' });
  await labelLeader(kc, pod, false, logger);
  t.same(await labels(), { app: 'r' });
  await labelLeader(kc, pod, false, logger);
  t.same(await labels(), { app: 'r' }, 'removing an absent label is a no-op');
  t.same(warnings, [], 'nothing to warn about');
});

t.test('a pod that cannot be labelled is a warning, never a crash', async (t) => {
  await labelLeader(cp.kubeConfig('reconciler'), { ...pod, name: 'gone' }, true, logger);
  t.equal(warnings.length, 1);
  t.match(warnings[0], /leader label not updated/);
  t.match(warnings[0], /"pod":"gone"/);
});
