// The chart's values schema: the keys the chart passes to the binaries are the binaries' own
// schema nodes, so a default or a bound is written once.
import { ReconcilerConfigSchema } from '../../reconciler/config/schema.js';
import { Type, type TSchema } from '@sinclair/typebox';
import { Bool, Duration, Int, Mapping, OneOf, Str, Strings } from '../../core/schema/keywords.js';
import { EnforcementOverridesSchema } from '../../policies/engine/enforcement-schema.js';
import {
  AuditSchema,
  GateMode,
  GitSourcesRulesSchema,
  LeaderElectionSchema,
} from '../../reconciler/config/schema.js';
import { SourceSchema } from '../../reconciler/config/source-schema.js';
import { NotificationsSchema } from '../../reconciler/notify/schema.js';
import { TracingSchema } from '../../core/tracing-schema.js';
import {
  BreakGlassSchema,
  ExemptionsSchema,
  GovernedSchema,
  InventorySchema,
  WebhookConfigSchema,
} from '../../webhook/config-schema.js';

/** A mapping whose keys may each be left out (Helm merges the user's values over values.yaml). */
const Section = (props: Record<string, TSchema>, description: string, open = false) =>
  Type.Object(
    Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)])),
    open ? { description } : { additionalProperties: false, description },
  );

const W = WebhookConfigSchema.properties;
const LogLevel = OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  description: 'log level (pino)',
});
const Resources = Section(
  {
    requests: Type.Object({}, { description: 'cpu and memory requested' }),
    limits: Type.Object({}, { description: 'cpu and memory limits' }),
  },
  'container resources',
);
const Scheduling = {
  nodeSelector: Type.Object({}, { description: 'pod nodeSelector' }),
  tolerations: Type.Array(Type.Unknown(), { description: 'pod tolerations' }),
};
const NodeOptions = Type.String({ description: 'NODE_OPTIONS (heap limits)' });
const Replicas = Int(1, 100, { description: 'pods' });
const Labels = Type.Object({}, { description: 'extra labels' });

const Webhook = Section(
  {
    replicas: Replicas,
    failurePolicy: W.failurePolicy,
    watchIngresses: W.watchIngresses,
    guardGitSources: W.guardGitSources,
    denialEvents: W.denialEvents,
    inventory: Section(
      {
        enabled: Bool({
          description: "watch the kinds templates read (Gatekeeper's data.inventory)",
        }),
        sync: InventorySchema.properties.sync,
        maxObjects: InventorySchema.properties.maxObjects,
        rules: Type.Array(
          Mapping(
            {
              apiGroups: Strings({ description: 'API groups' }),
              resources: Type.Array(Type.String({ not: { const: 'secrets' } }), {
                description: 'resources it may list and watch (never secrets)',
              }),
            },
            { description: 'an RBAC rule' },
          ),
          { description: 'list/watch granted for the inventory' },
        ),
      },
      InventorySchema.description as string,
    ),
    timeoutSeconds: Int(1, 30, { description: "the webhook configurations' timeoutSeconds" }),
    evaluationWorkers: W.evaluationWorkers,
    evaluationTimeoutMs: W.evaluationTimeoutMs,
    shutdownDelaySeconds: Int(0, 25, {
      description: 'on SIGTERM: not ready, serving, for this long',
    }),
    maxContainersPerPod: W.maxContainersPerPod,
    maxIndexMiB: Int(1, 1024, {
      description: 'largest Git-state document taken from the reconciler',
    }),
    nodeOptions: NodeOptions,
    resources: Resources,
    logLevel: LogLevel,
    exemptions: ExemptionsSchema,
    breakGlass: BreakGlassSchema,
    governed: GovernedSchema,
    hub: Section(
      {
        reconcilerURL: Type.String({
          description:
            "a hub reconciler's status URL, as this cluster reaches it (empty: this release's)",
          pattern: '^(https?://.+)?$',
        }),
        cluster: Type.String({
          description: "this cluster's name in the hub's reconciler.gitSources.clusters",
          pattern: '^[a-z0-9.-]{0,253}$',
        }),
        tokenSecret: Type.String({
          description: "a Secret of this namespace whose key token is the hub's state-feed token",
        }),
        egress: Type.Array(Type.Unknown(), {
          description: 'NetworkPolicy egress rules that reach the hub (networkPolicy.enabled)',
        }),
      },
      "follow a hub cluster's reconciler for the sources applying here (hub and spoke)",
    ),
    podDisruptionBudget: Section(
      {
        minAvailable: Type.Unsafe<number | string>({
          type: ['integer', 'string'],
          description: 'pods kept during a voluntary disruption',
        }),
      },
      'the webhook PodDisruptionBudget',
    ),
    ...Scheduling,
  },
  'the admission webhook',
);

const Reconciler = Section(
  {
    replicas: Replicas,
    maxConcurrentReconciles: ReconcilerConfigSchema.properties.maxConcurrentReconciles,
    gitSources: GitSourcesRulesSchema,
    leaderElection: Section(
      {
        leaseDuration: LeaderElectionSchema.properties.leaseDuration,
        renewEvery: LeaderElectionSchema.properties.renewEvery,
        shards: Section(
          { enabled: LeaderElectionSchema.properties.shards.properties.enabled },
          'split GitSources across the replicas',
        ),
      },
      'leader election (always on in the chart)',
    ),
    nodeOptions: NodeOptions,
    resources: Resources,
    logLevel: LogLevel,
    policies: Section({ gate: GateMode, audit: AuditSchema }, 'the pre-apply gate and the audit'),
    notifications: NotificationsSchema,
    ui: ReconcilerConfigSchema.properties.ui,
    sources: Type.Array(SourceSchema, { description: 'Git sources from the config file' }),
    extraSecretMounts: Type.Array(
      Type.Object(
        {
          name: Type.String({ description: 'the Secret' }),
          mountPath: Type.String({ description: 'where it is mounted' }),
        },
        { description: 'a Secret mounted read-only' },
      ),
      { description: 'Secrets the sources read (credentials, trust files)' },
    ),
    clusterRules: Type.Array(Type.Object({}), {
      description: 'what the reconciler may write (ClusterRole rules)',
    }),
    ...Scheduling,
  },
  'the reconciler',
);

/** The chart's values.schema.json. */
export const ChartValuesSchema = Type.Object(
  {
    image: Mapping(
      {
        repository: Str({ description: 'the image' }),
        tag: Type.Optional(
          Type.String({ description: "its tag (default: the chart's appVersion)" }),
        ),
        digest: Type.Optional(
          Type.String({
            pattern: '^(sha256:[0-9a-f]{64})?$',
            description: 'its digest (sha256:…): when set, the image is pulled by digest',
          }),
        ),
        pullPolicy: Type.Optional(
          OneOf(['Always', 'IfNotPresent', 'Never'], { description: 'pull policy' }),
        ),
      },
      { description: 'the driftgate image' },
    ),
    imagePullSecrets: Type.Optional(Type.Array(Type.Unknown(), { description: 'pull secrets' })),
    crds: Type.Optional(
      Section(
        {
          install: Bool({ description: 'install and upgrade the GitSource CRD with the release' }),
          keep: Bool({
            description: 'helm.sh/resource-policy: keep, so uninstall never deletes GitSources',
          }),
          policyReports: Bool({
            description: 'install the wgpolicyk8s.io PolicyReport CRDs unless another tool did',
          }),
        },
        'the GitSource CustomResourceDefinition',
      ),
    ),
    tracing: TracingSchema,
    webhook: Webhook,
    reconciler: Reconciler,
    certificates: Section(
      {
        mode: OneOf(['selfSigned', 'certManager'], {
          description: 'who issues the serving certificates',
        }),
        validityDays: Type.Integer({ minimum: 1, description: 'self-signed validity' }),
        certManager: Section(
          { issuerRef: Type.Object({}, { description: 'cert-manager issuerRef' }) },
          'with mode certManager',
          true,
        ),
      },
      'TLS between the apiserver and the webhook',
    ),
    networkPolicy: Type.Optional(
      Section(
        { enabled: Bool({ description: 'install NetworkPolicies' }) },
        'NetworkPolicies',
        true,
      ),
    ),
    metrics: Type.Optional(
      Section(
        {
          serviceMonitor: Section(
            {
              enabled: Bool({ description: 'install ServiceMonitors' }),
              interval: Duration({ description: 'scrape interval' }),
              labels: Labels,
            },
            'Prometheus Operator ServiceMonitors',
            true,
          ),
          prometheusRule: Section(
            { enabled: Bool({ description: 'install the alert rules' }), labels: Labels },
            'Prometheus Operator PrometheusRule',
            true,
          ),
          dashboards: Section(
            { enabled: Bool({ description: 'install the Grafana dashboards' }), labels: Labels },
            'Grafana dashboards as ConfigMaps',
            true,
          ),
        },
        'metrics integrations',
        true,
      ),
    ),
    policies: Type.Optional(
      Section(
        {
          enforcementOverrides: EnforcementOverridesSchema,
          opaBuiltins: Bool({
            description:
              "allow the builtins answered by OPA's own code (crypto.x509.*, graphql.*, json.match_schema, strings.render_template, rego.parse_module …): about 220 MiB more memory where called",
          }),
          externalData: Section(
            {
              clientCertSecret: Type.String({
                description:
                  'a kubernetes.io/tls Secret: the client certificate presented to external data providers that verify callers (mutual TLS)',
              }),
              egress: Type.Array(Type.Unknown(), {
                description:
                  'NetworkPolicy egress rules letting the webhook reach external data providers',
              }),
            },
            'Gatekeeper external data providers',
          ),
        },
        'policy actions and external data, both binaries',
      ),
    ),
  },
  { additionalProperties: false, description: 'driftgate chart values' },
);
