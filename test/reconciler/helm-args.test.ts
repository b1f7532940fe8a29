import t from 'tap';
import { helmArgs } from '../../reconciler/render/render.js';

t.test('helm template: CRDs in, tests out, the live cluster’s capabilities', async (t) => {
  t.strictSame(
    helmArgs('/tmp/x/chart', ['/tmp/x/chart/values-prod.yaml'], {
      releaseName: 'web',
      namespace: 'shop',
      capabilities: { kubeVersion: 'v1.35.4', apiVersions: ['v1', 'apps/v1'] },
    }),
    [
      'template',
      'web',
      '/tmp/x/chart',
      '--namespace',
      'shop',
      '--include-crds',
      '--skip-tests',
      '--kube-version',
      'v1.35.4',
      '--api-versions',
      'v1,apps/v1',
      '-f',
      '/tmp/x/chart/values-prod.yaml',
    ],
  );
  t.strictSame(
    helmArgs('/c', [], { releaseName: 'r', namespace: 'n' }),
    ['template', 'r', '/c', '--namespace', 'n', '--include-crds', '--skip-tests'],
    'no capabilities known: helm decides',
  );
  t.strictSame(
    helmArgs('/c', [], { releaseName: 'r', namespace: 'n', skipCRDs: true }),
    ['template', 'r', '/c', '--namespace', 'n', '--skip-crds', '--skip-tests'],
    "skipCRDs: the chart's crds/ left out",
  );
});
