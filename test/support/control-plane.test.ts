import t from 'tap';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import {
  createNamespace,
  DEVELOPER_USER,
  KWOK_NODE,
  RECONCILER_USER,
  startControlPlane,
} from './control-plane.js';

// One real control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) for this file.
const cp = await startControlPlane({ workloads: true });
t.teardown(() => cp.stop());

t.test('a Deployment rolls out and reaches Available on the simulated node', async (t) => {
  const ns = await createNamespace(cp, 'rollout');
  const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: registry.example/web:1.0
        readinessProbe: { httpGet: { path: /, port: 80 } }
`;
  const applied = await cp.kubectl(['apply', '-f', '-'], { input: manifest });
  t.equal(applied.code, 0, applied.stderr);
  const waited = await cp.kubectl([
    'wait',
    '-n',
    ns,
    '--for=condition=Available',
    'deploy/web',
    '--timeout=120s',
  ]);
  t.equal(waited.code, 0, `Deployment Available: ${waited.stderr}`);
  const pods = await cp.kubectl([
    'get',
    'pods',
    '-n',
    ns,
    '-o',
    'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{"\\n"}{end}',
  ]);
  const lines = pods.stdout.trim().split('\n');
  t.equal(lines.length, 2, 'two pods');
  for (const line of lines)
    t.equal(line, `${KWOK_NODE} Running`, 'scheduled to the kwok node and running');
});

t.test('client-node lists namespaces and server-side applies a ConfigMap', async (t) => {
  const ns = await createNamespace(cp, 'ssa');
  const kc = cp.kubeConfig();
  const names = (await kc.makeApiClient(CoreV1Api).listNamespace()).items.map(
    (n) => n.metadata?.name,
  );
  t.ok(names.includes('kube-system') && names.includes(ns), 'lists namespaces');

  const objects = KubernetesObjectApi.makeApiClient(kc);
  const desired: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: ns },
    data: { mode: 'strict' },
  };
  await objects.patch(
    desired,
    undefined,
    undefined,
    'driftgate',
    true,
    PatchStrategy.ServerSideApply,
  );
  const live = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedConfigMap({ name: 'settings', namespace: ns });
  t.same(live.data, { mode: 'strict' });
  const managers = (live.metadata?.managedFields ?? []).map((f) => [f.manager, f.operation]);
  t.same(managers, [['driftgate', 'Apply']], 'field manager driftgate owns it through Apply');
});

t.test('kubectl as the non-admin developer is allowed and forbidden as RBAC says', async (t) => {
  const ns = await createNamespace(cp, 'rbac');
  const cm = await cp.kubectl(['create', 'configmap', 'dev-cm', '-n', ns, '--from-literal=a=b'], {
    as: 'developer',
  });
  t.equal(cm.code, 0, `developer may create a ConfigMap: ${cm.stderr}`);
  const nsCreate = await cp.kubectl(['create', 'namespace', 'not-allowed'], { as: 'developer' });
  t.not(nsCreate.code, 0, 'developer may not create a namespace');
  t.match(
    nsCreate.stderr,
    new RegExp(`User "${DEVELOPER_USER}" cannot create resource "namespaces"`),
  );
  const role = await cp.kubectl(['create', 'clusterrole', 'x', '--verb=get', '--resource=pods'], {
    as: 'developer',
  });
  t.match(role.stderr, /forbidden/, 'developer may not write RBAC');
  const who = await cp.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
    as: 'reconciler',
  });
  t.equal(
    who.stdout,
    RECONCILER_USER,
    'the reconciler authenticates as its ServiceAccount with a real token',
  );
});

t.test('a CRD is served and a custom object is stored and read back', async (t) => {
  const ns = await createNamespace(cp, 'crd');
  const kc = cp.kubeConfig();
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
    body: {
      metadata: { name: 'widgets.example.driftgate.io' },
      spec: {
        group: 'example.driftgate.io',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    },
  });
  const established = await cp.kubectl([
    'wait',
    '--for=condition=Established',
    'crd/widgets.example.driftgate.io',
    '--timeout=60s',
  ]);
  t.equal(established.code, 0, established.stderr);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const target = { group: 'example.driftgate.io', version: 'v1', namespace: ns, plural: 'widgets' };
  await custom.createNamespacedCustomObject({
    ...target,
    body: {
      apiVersion: 'example.driftgate.io/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 3, junk: 'x' },
    },
  });
  const back = (await custom.getNamespacedCustomObject({ ...target, name: 'w1' })) as {
    spec: unknown;
  };
  t.same(back.spec, { size: 3 }, 'stored through the structural schema (unknown fields pruned)');
});
