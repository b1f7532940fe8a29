import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { exec } from '../../core/exec.js';
import {
  IMAGE_MALLOC_ENV,
  RECONCILER_NODE_OPTIONS,
  WEBHOOK_NODE_OPTIONS,
} from '../../core/node-options.js';
import { parseReconcilerConfig } from '../../reconciler/config/parse.js';
import { parseWebhookConfig } from '../../webhook/config.js';
import { startControlPlane } from '../support/control-plane.js';
import { toolPath } from '../support/tools.js';

// The Helm chart with the real helm: lint, template with several value sets, the schema, and a
// server-side dry-run apply of what it renders against the real apiserver (its OpenAPI schema
// and admission chain). No container runtime runs here, so the image itself is not started.
const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'driftgate');
const helm = (args: string[]) => exec(toolPath('helm'), args, { cwd: root, timeoutMs: 60_000 });
type Doc = {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  [k: string]: unknown;
};
/** `helm template` of the chart as release driftgate in driftgate-system; the YAML text. */
const template = async (set: string[] = []): Promise<string> => {
  const r = await helm([
    'template',
    'driftgate',
    chart,
    '-n',
    'driftgate-system',
    '--kube-version',
    '1.35.4',
    ...set.flatMap((s) => ['--set', s]),
  ]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.stdout;
};
const render = async (set: string[] = []): Promise<Doc[]> =>
  parseAllDocuments(await template(set))
    .map((d) => d.toJSON() as Doc)
    .filter(Boolean);
const one = (docs: Doc[], kind: string, name?: string): Doc => {
  const d = docs.find((x) => x.kind === kind && (!name || x.metadata.name === name));
  if (!d) throw new Error(`no ${kind} ${name ?? ''}`);
  return d;
};

t.test('helm lint passes', async (t) => {
  const r = await helm(['lint', chart]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, '1 chart(s) linted, 0 chart(s) failed');
});

t.test(
  'default values: safe webhook configurations, two replicas each, least privilege',
  async (t) => {
    const docs = await render();
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const w =
        (one(docs, kind) as unknown as { webhooks: Record<string, unknown>[] }).webhooks[0] ?? {};
      t.match(
        w,
        {
          failurePolicy: 'Fail',
          timeoutSeconds: 5,
          sideEffects: 'None',
          clientConfig: { service: { name: 'driftgate-webhook', namespace: 'driftgate-system' } },
          namespaceSelector: {
            matchExpressions: [
              {
                key: 'kubernetes.io/metadata.name',
                operator: 'NotIn',
                values: ['kube-system', 'driftgate-system'],
              },
            ],
          },
        },
        kind,
      );
      t.match(
        (w.matchConditions as { expression: string }[]).map((c) => c.expression).join(' '),
        /leases.*events/,
      );
      t.ok(
        Buffer.from(String((w.clientConfig as { caBundle: string }).caBundle), 'base64')
          .toString()
          .includes('BEGIN CERTIFICATE'),
        'a generated caBundle',
      );
    }
    const tls = one(docs, 'Secret', 'driftgate-webhook-tls') as unknown as {
      data: Record<string, string>;
    };
    const vwc = one(docs, 'ValidatingWebhookConfiguration') as unknown as {
      webhooks: { clientConfig: { caBundle: string } }[];
    };
    t.equal(
      tls.data['ca.crt'],
      vwc.webhooks[0]?.clientConfig.caBundle,
      'same CA in Secret and caBundle',
    );

    const webhook = one(docs, 'Deployment', 'driftgate-webhook') as unknown as {
      spec: { replicas: number; template: { spec: Record<string, unknown> } };
    };
    const reconciler = one(docs, 'Deployment', 'driftgate-reconciler') as unknown as {
      spec: { replicas: number; template: { spec: Record<string, unknown> } };
    };
    t.equal(webhook.spec.replicas, 2);
    t.equal(reconciler.spec.replicas, 2);
    t.match(webhook.spec.template.spec, {
      // A token only for the read-only Ingress watch (webhook.watchIngresses, default on).
      automountServiceAccountToken: true,
      securityContext: { runAsNonRoot: true },
      affinity: { podAntiAffinity: {} },
      containers: [
        {
          env: [{ name: 'NODE_OPTIONS', value: WEBHOOK_NODE_OPTIONS }],
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
        },
      ],
    });
    t.match(reconciler.spec.template.spec, {
      containers: [{ env: [{ name: 'NODE_OPTIONS', value: RECONCILER_NODE_OPTIONS }] }],
    });
    t.match(one(docs, 'PodDisruptionBudget'), { spec: { minAvailable: 1 } });
    const cfg = parse(
      (
        one(docs, 'ConfigMap', 'driftgate-reconciler') as unknown as {
          data: Record<string, string>;
        }
      ).data['reconciler.yaml'] as string,
    );
    t.match(cfg, {
      leaderElection: { enabled: true, leaseDuration: '15s' },
      policies: { gate: 'enforce' },
    });
    const whCfg = parse(
      (one(docs, 'ConfigMap', 'driftgate-webhook') as unknown as { data: Record<string, string> })
        .data['webhook.yaml'] as string,
    );
    t.match(whCfg, {
      gitState: {
        reconciler: {
          username: 'system:serviceaccount:driftgate-system:driftgate-reconciler',
          group: 'system:serviceaccounts:driftgate-system',
          gate: 'enforce',
        },
      },
      watchIngresses: true,
      guardGitSources: true,
    });
    const role = one(docs, 'Role') as unknown as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    t.notOk(
      role.rules.some((r) => r.verbs.includes('*') || r.resources.includes('*')),
      'no wildcard rules',
    );
    const cr = one(docs, 'ClusterRole', 'driftgate-reconciler') as unknown as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    t.notOk(cr.rules.some((r) => r.verbs.includes('*') || r.resources.includes('*')));
    t.strictSame(
      (one(docs, 'ClusterRole', 'driftgate-webhook') as unknown as { rules: unknown[] }).rules,
      [
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list', 'watch'] },
        // Gatekeeper's data.inventory: the kinds webhook.inventory.rules names, read-only.
        { apiGroups: [''], resources: ['namespaces', 'services'], verbs: ['list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list', 'watch'] },
        {
          apiGroups: ['authorization.k8s.io'],
          resources: ['subjectaccessreviews'],
          verbs: ['create'],
        },
        // Its denials, as Events (webhook.denialEvents): create only, never read.
        { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      ],
      'the webhook may only read Ingresses, the inventory kinds, ask access reviews and record denials',
    );
    t.strictSame(
      (whCfg as { inventory: unknown }).inventory,
      { watch: true, sync: [], maxObjects: 5000 },
      "the webhook's inventory config",
    );
    const noWatch = await render([
      'webhook.watchIngresses=false',
      'webhook.guardGitSources=false',
      'webhook.inventory.enabled=false',
      'webhook.denialEvents=false',
    ]);
    t.match(one(noWatch, 'Deployment', 'driftgate-webhook'), {
      spec: { template: { spec: { automountServiceAccountToken: false } } },
    });
    t.notOk(
      noWatch.some((d) => d.kind === 'ClusterRole' && d.metadata.name === 'driftgate-webhook'),
      'no API access for the webhook then',
    );
    t.equal(docs.filter((d) => d.kind === 'NetworkPolicy').length, 2);
    t.notOk(docs.some((d) => d.kind === 'ServiceMonitor' || d.kind === 'PrometheusRule'));
  },
);

t.test('value sets: failure policy, cert-manager, monitoring and dashboards', async (t) => {
  const ignore = await render(['webhook.failurePolicy=Ignore', 'webhook.timeoutSeconds=3']);
  t.match(one(ignore, 'ValidatingWebhookConfiguration'), {
    webhooks: [{ failurePolicy: 'Ignore', timeoutSeconds: 3 }],
  });
  const cm = await render(['certificates.mode=certManager']);
  t.match(one(cm, 'ValidatingWebhookConfiguration').metadata.annotations, {
    'cert-manager.io/inject-ca-from': 'driftgate-system/driftgate-webhook',
  });
  t.match(one(cm, 'Certificate'), { spec: { secretName: 'driftgate-webhook-tls' } });
  t.notOk(cm.some((d) => d.kind === 'Secret' && d.metadata.name === 'driftgate-webhook-tls'));
  const mon = await render([
    'metrics.serviceMonitor.enabled=true',
    'metrics.prometheusRule.enabled=true',
    'metrics.dashboards.enabled=true',
  ]);
  t.match(one(mon, 'ServiceMonitor'), { spec: { endpoints: [{ port: 'metrics' }] } });
  const groups = (file: string) =>
    (parse(readFileSync(join(root, 'dashboards', file), 'utf8')) as { groups: unknown[] }).groups;
  t.same(
    (one(mon, 'PrometheusRule') as unknown as { spec: unknown }).spec,
    { groups: [...groups('alerts.yaml'), ...groups('delivery-rules.yaml')] },
    'the same rules: the alerts, then the delivery records and alerts',
  );
  const boards = mon.filter((d) => d.kind === 'ConfigMap' && d.metadata.name.includes('dashboard'));
  t.equal(boards.length, 5);
  for (const b of boards)
    t.match(b, { metadata: { labels: { grafana_dashboard: '1' } } }, b.metadata.name);
});

t.test(
  'PolicyReports: the CRDs, the reconciler writes reports, namespace viewers read them',
  async (t) => {
    const docs = await render();
    t.same(
      docs
        .filter((d) => d.kind === 'CustomResourceDefinition')
        .map((d) => d.metadata.name)
        .sort(),
      [
        'clusterpolicyreports.wgpolicyk8s.io',
        'gitsources.driftgate.io',
        'policyreports.wgpolicyk8s.io',
      ],
    );
    t.equal(
      one(docs, 'CustomResourceDefinition', 'policyreports.wgpolicyk8s.io').metadata.annotations?.[
        'helm.sh/resource-policy'
      ],
      'keep',
    );
    const without = await render(['crds.policyReports=false']);
    t.notOk(
      without.some((d) => d.metadata.name.endsWith('.wgpolicyk8s.io')),
      'crds.policyReports=false',
    );
    type Rules = { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const rule = (d: Doc) =>
      (d as unknown as Rules).rules.find((r) => r.apiGroups.includes('wgpolicyk8s.io'));
    t.same(rule(one(docs, 'ClusterRole', 'driftgate-reconciler-api')), {
      apiGroups: ['wgpolicyk8s.io'],
      resources: ['policyreports', 'clusterpolicyreports'],
      verbs: ['get', 'list', 'create', 'patch', 'delete'],
    });
    const viewer = one(docs, 'ClusterRole', 'driftgate-gitsource-viewer');
    t.match(viewer.metadata, { labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } });
    t.same(rule(viewer), {
      apiGroups: ['wgpolicyk8s.io'],
      resources: ['policyreports'],
      verbs: ['get', 'list', 'watch'],
    });
  },
);

t.test('the schema refuses bad values with the reason', async (t) => {
  for (const [set, why] of [
    [
      'webhook.failurePolicy=Maybe',
      "'/webhook/failurePolicy': value must be one of 'Fail', 'Ignore'",
    ],
    ['webhook.timeoutSeconds=60', '/webhook/timeoutSeconds'],
    ['reconciler.policies.gate=sometimes', '/reconciler/policies/gate'],
  ] as const) {
    const r = await helm(['template', 'x', chart, '--kube-version', '1.35.4', '--set', set]);
    t.not(r.code, 0, set);
    t.match(r.stderr, why);
  }
});

t.test('a server-side dry-run apply of the rendered chart passes the real apiserver', async (t) => {
  const cp = await startControlPlane();
  t.teardown(() => cp.stop());
  const rendered = await template(['metrics.dashboards.enabled=true']);
  const applied = await cp.kubectl(
    ['apply', '--dry-run=server', '-n', 'driftgate-system', '-f', '-'],
    { input: rendered },
  );
  t.equal(applied.code, 0, applied.stderr);
  t.match(
    applied.stdout,
    'validatingwebhookconfiguration.admissionregistration.k8s.io/driftgate created (server dry run)',
  );
  t.match(applied.stdout, 'deployment.apps/driftgate-reconciler created (server dry run)');
  t.equal(
    applied.stdout.trim().split('\n').length,
    (await render(['metrics.dashboards.enabled=true'])).length,
  );
});

// A real helm install and uninstall against the real apiserver. No node runs the pods, so the
// webhook has no endpoints: every call to it fails and failurePolicy Fail refuses the write,
// which is exactly the state helm uninstall is in once it has deleted the webhook's Service.
t.test(
  'helm uninstall always succeeds and leaves nothing, though the webhook is down',
  async (t) => {
    const cp = await startControlPlane();
    t.teardown(() => cp.stop());
    // Its own release and namespace (the test control plane has a driftgate-system already).
    const as = ['--kubeconfig', cp.kubeconfigs.admin, '-n', 'trial-system'];
    const ours = async () =>
      (
        await cp.kubectl([
          'get',
          'clusterroles,clusterrolebindings,validatingwebhookconfigurations,mutatingwebhookconfigurations',
          '-l',
          'app.kubernetes.io/instance=trial',
          '-o',
          'name',
        ])
      ).stdout.trim();
    await cp.kubectl(['create', 'clusterrole', 'someone-else', '--verb=get', '--resource=pods']);
    for (let i = 1; i <= 5; i++) {
      const inst = await helm(['install', 'trial', chart, ...as, '--create-namespace']);
      t.equal(inst.code, 0, `install ${i}: ${inst.stderr}`);
      if (i === 1) {
        // The webhook is really in the way for everything else.
        const other = await cp.kubectl(['delete', 'clusterrole', 'someone-else']);
        t.not(other.code, 0, 'another ClusterRole is still guarded');
        t.match(other.stderr, 'failed calling webhook "validate.driftgate.io"');
      }
      const un = await helm(['uninstall', 'trial', ...as, '--wait', '--timeout', '60s']);
      t.equal(un.code, 0, `uninstall ${i}: ${un.stderr}`);
      t.equal(await ours(), '', `uninstall ${i}: nothing of the release is left`);
    }
    t.equal((await cp.kubectl(['get', 'clusterrole', 'someone-else'])).code, 0, 'never touched');
  },
);

t.test('the Dockerfile: the pinned tool versions, non-root, the library inside', async (t) => {
  const docker = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const pins = Object.fromEntries(
    [...readFileSync(join(root, 'tools', 'versions.env'), 'utf8').matchAll(/^(\w+)=(\S+)$/gm)].map(
      (m) => [m[1], m[2]],
    ),
  );
  for (const tool of ['NODE_VERSION', 'OPA_VERSION', 'KUSTOMIZE_VERSION', 'HELM_VERSION'])
    t.match(docker, `ARG ${tool}=${pins[tool]}\n`, `${tool} as tools/versions.env pins it`);
  t.match(docker, /^USER 65532:65532$/m, 'non-root (the chart runs as 65532 too)');
  // One definition for docker build and scripts/image/build.sh: the root filesystem script, and
  // a final stage of config only (scripts/image/dockerfile-config.mjs refuses anything else).
  t.match(docker, 'RUN bash /rootfs.sh /rootfs /app /node/bin/node /tools');
  t.match(docker, /FROM scratch\nCOPY --from=build \/rootfs \/\n/);
  const config = await exec(process.execPath, [
    join(root, 'scripts', 'image', 'dockerfile-config.mjs'),
    join(root, 'Dockerfile'),
  ]);
  t.same(config.stdout.trim().split('\n'), [
    '--config.user=65532:65532',
    '--config.workingdir=/app',
    '--config.env=NODE_ENV=production',
    '--config.env=PATH=/usr/local/bin:/usr/bin',
    ...Object.entries(IMAGE_MALLOC_ENV).map(([k, v]) => `--config.env=${k}=${v}`),
    '--config.entrypoint=/usr/local/bin/node',
    '--config.entrypoint=/app/dist/cli/main.js',
    '--config.cmd=help',
  ]);
  const rootfs = readFileSync(join(root, 'scripts', 'image', 'rootfs.sh'), 'utf8');
  t.match(rootfs, '"$tools/opa" "$tools/kustomize" "$tools/helm" "$rootfs/usr/local/bin/"');
  t.match(rootfs, '"$app/policies"', 'the Rego library inside');
  // OPA's own builtins beside opa, where go-builtins.ts looks, built from the pinned OPA.
  t.match(rootfs, '"$tools/opa-builtins.wasm" "$rootfs/usr/local/bin/"');
  t.match(docker, 'go mod edit -require="github.com/open-policy-agent/opa@${OPA_VERSION}"');
  t.match(docker, '-o /out/opa-builtins.wasm');
  const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as {
    webhook: { nodeOptions: string };
    reconciler: { nodeOptions: string };
  };
  t.equal(values.webhook.nodeOptions, WEBHOOK_NODE_OPTIONS, 'chart and benchmark agree');
  t.equal(values.reconciler.nodeOptions, RECONCILER_NODE_OPTIONS);
});

t.test('the status Service routes to the leader; every replica is scraped', async (t) => {
  const docs = await render();
  t.match(one(docs, 'Service', 'driftgate-reconciler'), {
    spec: {
      selector: { 'app.kubernetes.io/component': 'reconciler', 'driftgate.io/leader': 'true' },
      ports: [{ name: 'http', port: 8080 }],
    },
  });
  const metrics = one(docs, 'Service', 'driftgate-reconciler-metrics') as unknown as {
    spec: { selector: Record<string, string>; ports: { name: string }[] };
  };
  t.equal(metrics.spec.selector['driftgate.io/leader'], undefined, 'followers too');
  t.same(
    metrics.spec.ports.map((p) => p.name),
    ['metrics'],
  );
  t.match(one(docs, 'Role', 'driftgate-reconciler'), {
    rules: [{}, { apiGroups: [''], resources: ['pods'], verbs: ['patch'] }],
  });
  t.match(one(docs, 'Deployment', 'driftgate-webhook'), {
    spec: { strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } },
  });
});

t.test('the configs the chart renders are valid for the binaries', async (t) => {
  const docs = await render([
    'webhook.breakGlass.groups={sre}',
    'webhook.governed.namespaces={shop}',
    'reconciler.sources[0].name=prod',
    'reconciler.sources[0].repoURL=https://git.example/platform.git',
    'reconciler.sources[0].path=envs/prod',
    'reconciler.sources[0].verification.sshAllowedSigners=sam@example.com ssh-ed25519 AAAA',
    'tracing.endpoint=http://otel.observability:4318',
    'networkPolicy.enabled=true',
    'reconciler.notifications.providers[0].name=ops',
    'reconciler.notifications.providers[0].type=webhook',
    'reconciler.notifications.providers[0].addressFile=/etc/notify/url',
    'reconciler.notifications.alerts[0].providers={ops}',
  ]);
  const data = (name: string, key: string): unknown =>
    parse(
      (one(docs, 'ConfigMap', name) as unknown as { data: Record<string, string> }).data[
        key
      ] as string,
    );
  const wh = parseWebhookConfig(data('driftgate-webhook', 'webhook.yaml'));
  t.match(wh, {
    port: 9443,
    tls: { mode: 'files', certFile: '/tls/tls.crt' },
    gitState: {
      reconcilerURL: 'http://driftgate-reconciler.driftgate-system.svc:8080',
      breakGlass: { groups: ['sre'] },
      governed: { namespaces: ['shop'], mode: 'deny' },
    },
  });
  const rec = parseReconcilerConfig(data('driftgate-reconciler', 'reconciler.yaml'));
  t.match(rec, {
    statusPort: 8080,
    leaderElection: {
      leaseName: 'driftgate-reconciler',
      leaseDurationMs: 15_000,
      labelPod: true,
    },
    sources: [{ name: 'prod', path: 'envs/prod' }],
    // GitSources on, tenants bound to a ServiceAccount by default.
    gitSources: { requireServiceAccount: true, crossNamespace: false },
    tracing: { endpoint: 'http://otel.observability:4318', sampleRatio: 1 },
    notifications: {
      providers: [{ name: 'ops', type: 'webhook', addressFile: '/etc/notify/url' }],
      alerts: [{ providers: ['ops'], sources: ['*'] }],
    },
  });
  t.match(wh, { tracing: { endpoint: 'http://otel.observability:4318' } });
  // OPA's own builtins are off unless asked for, in both binaries alike.
  t.equal(wh.opaBuiltins, false);
  t.equal(rec.policies.opaBuiltins, false);
  const on = await render([
    'policies.opaBuiltins=true',
    'reconciler.ui.proxyAuth.userHeader=x-auth-request-user',
    'reconciler.ui.proxyAuth.trustedProxies={127.0.0.1}',
  ]);
  const onData = (name: string, key: string): unknown =>
    parse(
      (one(on, 'ConfigMap', name) as unknown as { data: Record<string, string> }).data[
        key
      ] as string,
    );
  t.equal(parseWebhookConfig(onData('driftgate-webhook', 'webhook.yaml')).opaBuiltins, true);
  const recOn = parseReconcilerConfig(onData('driftgate-reconciler', 'reconciler.yaml'));
  t.equal(recOn.policies.opaBuiltins, true);
  t.same(
    recOn.ui.proxyAuth,
    {
      userHeader: 'x-auth-request-user',
      groupsHeader: 'x-forwarded-groups',
      trustedProxies: ['127.0.0.1'],
    },
    "the status page's proxy, as the chart passes it",
  );
  t.same(rec.ui, {}, 'no proxy unless asked: Kubernetes tokens only');
  // The webhook's egress is closed but for the reconciler and DNS: the collector is let in.
  const whPolicy = docs.find(
    (d) => d.kind === 'NetworkPolicy' && d.metadata.name === 'driftgate-webhook',
  ) as unknown as { spec: { egress: { ports: { port: number }[] }[] } };
  t.ok(
    whPolicy.spec.egress.some((e) => e.ports.some((p) => p.port === 4318)),
    'egress to the OTLP port',
  );
  const api = one(docs, 'ClusterRole', 'driftgate-reconciler-api') as unknown as {
    rules: { resources: string[]; verbs: string[] }[];
  };
  t.ok(
    api.rules.some(
      (r) => r.resources.includes('serviceaccounts') && r.verbs.join() === 'impersonate',
    ),
  );
  t.ok(api.rules.some((r) => r.resources.includes('tokenreviews')));
  t.match(one(docs, 'ClusterRole', 'driftgate-gitsource-editor'), {
    metadata: { labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } },
  });
  t.same(
    parseReconcilerConfig(
      parse(
        (
          one(await render(), 'ConfigMap', 'driftgate-reconciler') as unknown as {
            data: Record<string, string>;
          }
        ).data['reconciler.yaml'] as string,
      ),
    ).sources,
    [],
    'the default install (no sources yet) starts',
  );
});

t.test(
  'external data: the client certificate in both binaries, the egress to providers',
  async (t) => {
    type Container = {
      env: { name: string; value?: string }[];
      volumeMounts: { name: string; mountPath: string }[];
    };
    type Pod = {
      spec: {
        template: {
          spec: {
            containers: Container[];
            volumes: { name: string; secret?: { secretName: string } }[];
          };
        };
      };
    };
    const pod = (docs: Doc[], name: string) =>
      (one(docs, 'Deployment', name) as unknown as Pod).spec.template.spec;
    const plain = await render();
    for (const name of ['driftgate-webhook', 'driftgate-reconciler']) {
      const spec = pod(plain, name);
      t.same(
        spec.containers[0]?.env.filter((e) => e.name.startsWith('DRIFTGATE_PROVIDER')),
        [],
        `${name}: no client certificate unless one is named`,
      );
      t.same(
        spec.volumes.filter((v) => v.name === 'provider-client'),
        [],
      );
    }
    const docs = await render([
      'policies.externalData.clientCertSecret=provider-client-tls',
      'policies.externalData.egress[0].ports[0].port=6001',
    ]);
    for (const name of ['driftgate-webhook', 'driftgate-reconciler']) {
      const spec = pod(docs, name);
      const c = spec.containers[0];
      const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
      const mount = c?.volumeMounts.find((m) => m.name === 'provider-client')?.mountPath;
      t.equal(env.DRIFTGATE_PROVIDER_CLIENT_CERT, `${mount}/tls.crt`, `${name}: the certificate`);
      t.equal(env.DRIFTGATE_PROVIDER_CLIENT_KEY, `${mount}/tls.key`, `${name}: its key`);
      t.same(spec.volumes.find((v) => v.name === 'provider-client')?.secret, {
        secretName: 'provider-client-tls',
      });
    }
    const egress = (
      one(docs, 'NetworkPolicy', 'driftgate-webhook') as unknown as {
        spec: { egress: { ports?: { port: number }[] }[] };
      }
    ).spec.egress;
    t.same(egress.at(-1), { ports: [{ port: 6001 }] }, 'the providers reachable from the webhook');
    t.equal(
      (
        one(plain, 'NetworkPolicy', 'driftgate-webhook') as unknown as {
          spec: { egress: unknown[] };
        }
      ).spec.egress.length,
      egress.length - 1,
    );
  },
);

t.test(
  "hub and spoke: a spoke's webhook follows the hub's reconciler for this cluster",
  async (t) => {
    const hub = [
      'webhook.hub.reconcilerURL=https://driftgate-hub.example:8443',
      'webhook.hub.cluster=spoke-eu',
      'webhook.hub.tokenSecret=hub-state-token',
      'networkPolicy.enabled=true',
    ];
    const docs = await render([
      ...hub,
      'webhook.hub.egress[0].to[0].ipBlock.cidr=203.0.113.10/32',
      'webhook.hub.egress[0].ports[0].port=8443',
      // The hub: the clusters its GitSources may target.
      'reconciler.gitSources.clusters[0].name=spoke-eu',
      'reconciler.gitSources.clusters[0].server=https://spoke-eu.example:6443',
      'reconciler.gitSources.clusters[0].namespaces={team-a}',
    ]);
    const cm = one(docs, 'ConfigMap', 'driftgate-webhook') as unknown as {
      data: Record<string, string>;
    };
    const wh = parseWebhookConfig(parse(cm.data['webhook.yaml'] ?? ''));
    t.strictSame(
      [wh.gitState?.reconcilerURL, wh.gitState?.cluster, wh.gitState?.tokenFile],
      ['https://driftgate-hub.example:8443', 'spoke-eu', '/var/run/driftgate/state-token/token'],
    );
    const deploy = one(docs, 'Deployment', 'driftgate-webhook') as unknown as {
      spec: {
        template: { spec: { volumes: { name: string; secret?: { secretName: string } }[] } };
      };
    };
    t.strictSame(
      deploy.spec.template.spec.volumes.find((v) => v.name === 'state-token')?.secret,
      { secretName: 'hub-state-token' },
      "the hub's token, not this release's",
    );
    const np = one(docs, 'NetworkPolicy', 'driftgate-webhook') as unknown as {
      spec: { egress: unknown[] };
    };
    t.match(np.spec.egress, [
      {},
      {},
      { to: [{ ipBlock: { cidr: '203.0.113.10/32' } }], ports: [{ port: 8443 }] },
    ]);
    const rec = parseReconcilerConfig(
      parse(
        (
          one(docs, 'ConfigMap', 'driftgate-reconciler') as unknown as {
            data: Record<string, string>;
          }
        ).data['reconciler.yaml'] ?? '',
      ),
    );
    t.strictSame(rec.gitSources?.clusters, [
      { name: 'spoke-eu', server: 'https://spoke-eu.example:6443', namespaces: ['team-a'] },
    ]);
    // Without the cluster's name, or the token, the chart refuses to render.
    for (const [drop, why] of [
      ['webhook.hub.cluster', /webhook\.hub\.cluster names this cluster/],
      ['webhook.hub.tokenSecret', /webhook\.hub\.tokenSecret holds the hub's state-feed token/],
    ] as const) {
      const r = await helm([
        'template',
        'driftgate',
        chart,
        '--kube-version',
        '1.35.4',
        ...hub.filter((s) => !s.startsWith(drop)).flatMap((s) => ['--set', s]),
      ]);
      t.not(r.code, 0);
      t.match(r.stderr, why);
    }
  },
);

t.test(
  'shards: each replica joins the ring with its pod IP; Leases and the peer feed allowed',
  async (t) => {
    const docs = await render([
      'reconciler.leaderElection.shards.enabled=true',
      'networkPolicy.enabled=true',
    ]);
    const cm = one(docs, 'ConfigMap', 'driftgate-reconciler') as unknown as {
      data: Record<string, string>;
    };
    const rec = parseReconcilerConfig(parse(cm.data['reconciler.yaml'] ?? ''), {
      identity: 'driftgate-reconciler-0',
      podIP: '10.1.2.3',
    });
    const deploy = one(docs, 'Deployment', 'driftgate-reconciler') as unknown as {
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: { env: { name: string; valueFrom?: unknown }[] }[] };
        };
      };
    };
    const shards = rec.leaderElection?.shards;
    t.equal(shards?.address, 'http://10.1.2.3:8080');
    // Members are pinned to the reconciler's own pods: the selector picks exactly its template.
    const selector = Object.fromEntries(
      (shards?.podSelector ?? '').split(',').map((kv) => kv.split('=')),
    );
    t.strictSame(selector, {
      'app.kubernetes.io/name': 'driftgate',
      'app.kubernetes.io/instance':
        deploy.spec.template.metadata.labels['app.kubernetes.io/instance'],
      'app.kubernetes.io/component': 'reconciler',
    });
    t.match(deploy.spec.template.metadata.labels, selector, "the pods carry the selector's labels");
    t.strictSame(
      deploy.spec.template.spec.containers[0]?.env.find((e) => e.name === 'POD_IP')?.valueFrom,
      { fieldRef: { fieldPath: 'status.podIP' } },
    );
    const role = one(docs, 'Role', 'driftgate-reconciler') as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    t.strictSame(
      role.rules
        .filter((r) => r.resources.includes('leases'))
        .flatMap((r) => r.verbs)
        .sort(),
      ['create', 'delete', 'get', 'list', 'patch', 'update'],
    );
    const podVerbs = (rules: typeof role.rules) =>
      rules
        .filter((r) => r.resources.includes('pods'))
        .flatMap((r) => r.verbs)
        .sort();
    t.strictSame(podVerbs(role.rules), ['list', 'patch'], 'pods listed (pinning), not read');
    const np = one(docs, 'NetworkPolicy', 'driftgate-reconciler') as unknown as {
      spec: { ingress: { from?: { podSelector: { matchLabels: Record<string, string> } }[] }[] };
    };
    t.strictSame(
      np.spec.ingress[0]?.from?.map(
        (f) => f.podSelector.matchLabels['app.kubernetes.io/component'],
      ),
      ['webhook', 'reconciler'],
    );
    // Off (the default): no POD_IP, no list or delete of Leases, no shards in the config.
    const off = await render();
    const recOff = parseReconcilerConfig(
      parse(
        (
          one(off, 'ConfigMap', 'driftgate-reconciler') as unknown as {
            data: Record<string, string>;
          }
        ).data['reconciler.yaml'] ?? '',
      ),
      { podIP: '10.1.2.3' },
    );
    t.equal(recOff.leaderElection?.shards, undefined);
    const roleOff = one(off, 'Role', 'driftgate-reconciler') as unknown as typeof role;
    t.strictSame(podVerbs(roleOff.rules), ['patch'], 'no pod list without shards');
  },
);
