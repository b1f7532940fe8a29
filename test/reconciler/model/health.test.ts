import t from 'tap';
import { aggregateHealth, assessHealth } from '../../../reconciler/model/health.js';

const deploy = (spec: object, status: object, meta: object = { generation: 1 }) => ({
  metadata: meta,
  spec,
  status: { observedGeneration: 1, ...status },
});

const table: {
  name: string;
  kind: string;
  live: Record<string, unknown> | undefined;
  want: string;
  message?: RegExp;
}[] = [
  { name: 'missing', kind: 'Deployment', live: undefined, want: 'Missing' },
  {
    name: 'deployment rolled out',
    kind: 'Deployment',
    live: deploy({ replicas: 2 }, { replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
    want: 'Healthy',
  },
  {
    name: 'deployment default one replica',
    kind: 'Deployment',
    live: deploy({}, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
    want: 'Healthy',
  },
  {
    name: 'deployment not observed yet',
    kind: 'Deployment',
    live: deploy({ replicas: 2 }, {}, { generation: 2 }),
    want: 'Progressing',
    message: /observe/,
  },
  {
    name: 'deployment updating',
    kind: 'Deployment',
    live: deploy({ replicas: 3 }, { replicas: 3, updatedReplicas: 1 }),
    want: 'Progressing',
    message: /1 of 3 replicas updated/,
  },
  {
    name: 'deployment old pods terminating',
    kind: 'Deployment',
    live: deploy({ replicas: 2 }, { replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
    want: 'Progressing',
    message: /old replicas/,
  },
  {
    name: 'deployment unavailable',
    kind: 'Deployment',
    live: deploy({ replicas: 2 }, { replicas: 2, updatedReplicas: 2, availableReplicas: 0 }),
    want: 'Progressing',
    message: /0 of 2 replicas available/,
  },
  {
    name: 'deployment deadline exceeded',
    kind: 'Deployment',
    live: deploy(
      { replicas: 1 },
      {
        conditions: [
          {
            type: 'Progressing',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "x" has timed out progressing.',
          },
        ],
      },
    ),
    want: 'Degraded',
    message: /timed out/,
  },
  {
    name: 'deployment paused',
    kind: 'Deployment',
    live: deploy({ paused: true }, {}),
    want: 'Suspended',
  },
  {
    name: 'statefulset ready',
    kind: 'StatefulSet',
    live: deploy({ replicas: 2 }, { readyReplicas: 2, currentRevision: 'a', updateRevision: 'a' }),
    want: 'Healthy',
  },
  {
    name: 'statefulset not ready',
    kind: 'StatefulSet',
    live: deploy({ replicas: 2 }, { readyReplicas: 1 }),
    want: 'Progressing',
  },
  {
    name: 'statefulset rolling',
    kind: 'StatefulSet',
    live: deploy({ replicas: 1 }, { readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' }),
    want: 'Progressing',
    message: /rolling/,
  },
  {
    name: 'statefulset stale',
    kind: 'StatefulSet',
    live: deploy({}, {}, { generation: 3 }),
    want: 'Progressing',
  },
  {
    name: 'daemonset ready',
    kind: 'DaemonSet',
    live: deploy({}, { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }),
    want: 'Healthy',
  },
  {
    name: 'daemonset partial',
    kind: 'DaemonSet',
    live: deploy({}, { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 1 }),
    want: 'Progressing',
  },
  {
    name: 'daemonset stale',
    kind: 'DaemonSet',
    live: deploy({}, {}, { generation: 2 }),
    want: 'Progressing',
  },
  {
    name: 'job complete',
    kind: 'Job',
    live: { status: { conditions: [{ type: 'Complete', status: 'True' }] } },
    want: 'Healthy',
  },
  {
    name: 'job failed',
    kind: 'Job',
    live: {
      status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] },
    },
    want: 'Degraded',
    message: /BackoffLimit/,
  },
  { name: 'job suspended', kind: 'Job', live: { spec: { suspend: true } }, want: 'Suspended' },
  { name: 'job running', kind: 'Job', live: { status: {} }, want: 'Progressing' },
  {
    name: 'cronjob suspended',
    kind: 'CronJob',
    live: { spec: { suspend: true } },
    want: 'Suspended',
  },
  { name: 'cronjob active', kind: 'CronJob', live: { spec: {} }, want: 'Healthy' },
  {
    name: 'pvc bound',
    kind: 'PersistentVolumeClaim',
    live: { status: { phase: 'Bound' } },
    want: 'Healthy',
  },
  {
    name: 'pvc pending',
    kind: 'PersistentVolumeClaim',
    live: { status: { phase: 'Pending' } },
    want: 'Progressing',
  },
  {
    name: 'pvc lost',
    kind: 'PersistentVolumeClaim',
    live: { status: { phase: 'Lost' } },
    want: 'Degraded',
  },
  {
    name: 'custom resource ready',
    kind: 'Certificate',
    live: {
      apiVersion: 'cert-manager.io/v1',
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    },
    want: 'Healthy',
  },
  {
    name: 'custom resource not ready',
    kind: 'Certificate',
    live: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Pending' }] } },
    want: 'Degraded',
    message: /Pending/,
  },
  {
    name: 'custom resource unknown',
    kind: 'Certificate',
    live: { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } },
    want: 'Progressing',
  },
  { name: 'no conditions', kind: 'ConfigMap', live: { data: {} }, want: 'Healthy' },
  {
    name: 'a built-in kind without status',
    kind: 'ClusterRole',
    live: { apiVersion: 'rbac.authorization.k8s.io/v1', rules: [] },
    want: 'Healthy',
  },
  {
    name: 'a custom resource nobody reconciles (no status)',
    kind: 'HelmRelease',
    live: { apiVersion: 'helm.toolkit.fluxcd.io/v2', spec: {} },
    want: 'Unknown',
    message: /controller running/,
  },
  {
    name: 'a custom resource stalled',
    kind: 'HelmRelease',
    live: {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'Stalled', status: 'True', message: 'install retries exhausted' },
        ],
      },
    },
    want: 'Degraded',
    message: /retries exhausted/,
  },
  {
    name: 'a custom resource reconciling',
    kind: 'Kustomization',
    live: {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      status: { conditions: [{ type: 'Reconciling', status: 'True', message: 'applying' }] },
    },
    want: 'Progressing',
    message: /applying/,
  },
  {
    name: 'a custom resource whose new spec is not observed yet',
    kind: 'Widget',
    live: {
      apiVersion: 'example.com/v1',
      metadata: { generation: 3 },
      status: { observedGeneration: 2 },
    },
    want: 'Progressing',
  },
  {
    name: 'a custom resource with a current status and no conditions',
    kind: 'Widget',
    live: {
      apiVersion: 'example.com/v1',
      metadata: { generation: 2 },
      status: { observedGeneration: 2 },
    },
    want: 'Healthy',
  },
  {
    // kstatus reads the generation first: Ready=True written for generation 2 says nothing of 3.
    name: 'a custom resource Ready for an older generation',
    kind: 'Widget',
    live: {
      apiVersion: 'example.com/v1',
      metadata: { generation: 3 },
      status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] },
    },
    want: 'Progressing',
    message: /observe the new spec/,
  },
  {
    name: 'an APIService Available',
    kind: 'APIService',
    live: {
      apiVersion: 'apiregistration.k8s.io/v1',
      status: { conditions: [{ type: 'Available', status: 'True' }] },
    },
    want: 'Healthy',
  },
  {
    name: 'an APIService not Available (its backend down)',
    kind: 'APIService',
    live: {
      apiVersion: 'apiregistration.k8s.io/v1',
      status: {
        conditions: [
          {
            type: 'Available',
            status: 'False',
            reason: 'MissingEndpoints',
            message: 'endpoints for service/metrics-server in "kube-system" have no addresses',
          },
        ],
      },
    },
    want: 'Progressing',
    message: /no addresses/,
  },
  {
    name: 'a LoadBalancer Service without an address',
    kind: 'Service',
    live: { apiVersion: 'v1', spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } },
    want: 'Progressing',
    message: /load balancer address/,
  },
  {
    name: 'a LoadBalancer Service with an address',
    kind: 'Service',
    live: {
      apiVersion: 'v1',
      spec: { type: 'LoadBalancer' },
      status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } },
    },
    want: 'Healthy',
  },
  {
    name: 'a ClusterIP Service',
    kind: 'Service',
    live: { apiVersion: 'v1', spec: {} },
    want: 'Healthy',
  },
  {
    name: 'a CRD established',
    kind: 'CustomResourceDefinition',
    live: { status: { conditions: [{ type: 'Established', status: 'True' }] } },
    want: 'Healthy',
  },
  {
    name: 'a CRD not established yet',
    kind: 'CustomResourceDefinition',
    live: { status: { conditions: [] } },
    want: 'Progressing',
  },
];

for (const c of table) {
  t.test(c.name, async (t) => {
    const h = assessHealth(c.kind, c.live);
    t.equal(h.status, c.want);
    if (c.message) t.match(h.message, c.message);
  });
}

t.test('a source is as healthy as its worst object', async (t) => {
  t.equal(aggregateHealth([]), 'Missing', 'nothing applied is not Healthy');
  t.equal(aggregateHealth(['Healthy', 'Progressing']), 'Progressing');
  t.equal(aggregateHealth(['Suspended', 'Missing', 'Healthy']), 'Missing');
  t.equal(aggregateHealth(['Progressing', 'Degraded']), 'Degraded');
});
