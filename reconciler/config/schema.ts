// The reconciler config, one schema: parsing, `driftgate reconcile --help` and the chart's values
// schema read it.
import { Type } from '@sinclair/typebox';
import { Bool, Duration, Int, Mapping, OneOf, Str, Strings } from '../../core/schema/keywords.js';
import { EnforcementOverridesSchema } from '../../policies/engine/enforcement-schema.js';
import { SourceSchema } from './source-schema.js';
import { NotificationsSchema } from '../notify/schema.js';
import { TracingSchema } from '../../core/tracing-schema.js';

const Optional = Type.Optional;

export const DEFAULT_AUDIT_KINDS = [
  'v1/Pod',
  'v1/Service',
  'v1/ConfigMap',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'networking.k8s.io/v1/Ingress',
];

export const GateMode = OneOf(['enforce', 'warn', 'off'], {
  description: 'enforce, warn or off',
  default: 'enforce',
});

export const AuditSchema = Mapping(
  {
    interval: Duration({ description: '0 turns it off', default: '5m' }, true),
    kinds: Strings(
      { description: 'apiVersion/Kind to list', default: DEFAULT_AUDIT_KINDS },
      {
        pattern: '^([a-z0-9.-]+/)?v[0-9a-z]+/[A-Z]\\w*$',
        errorMessage: 'must be apiVersion/Kind, e.g. apps/v1/Deployment',
      },
    ),
    excludedNamespaces: Strings({
      description: 'never audited (kube-system and driftgate are always skipped)',
      default: [],
    }),
    evaluationTimeout: Duration({
      description: "one object's evaluation; past it the object is reported, not judged",
      default: '2s',
    }),
    tenantBudget: Duration({
      description: "what a tenant's policies may cost one run; past it they are skipped",
      default: '30s',
    }),
    policyReports: Bool({
      description:
        "write the audit's and the gate's results as wgpolicyk8s.io PolicyReports (one per namespace) where the API is served",
      default: true,
    }),
  },
  { description: 'periodic audit of existing objects', default: {} },
);

export const LeaderElectionSchema = Mapping(
  {
    enabled: Bool({ description: 'turn it on', default: false }),
    leaseName: Str({ description: 'the Lease', default: 'driftgate-reconciler' }),
    identity: Optional(Str({ description: 'default: the pod name' })),
    leaseDuration: Duration({ description: 'lease length', default: '15s' }),
    renewEvery: Duration({ description: 'renew period', default: '5s' }),
    labelPod: Bool({
      description: 'label the leading pod driftgate.io/leader=true (its Service routes to it)',
      default: false,
    }),
    shards: Mapping(
      {
        enabled: Bool({
          description:
            'every replica reconciles the GitSources the ring gives it (rendezvous hashing over one membership Lease per replica); the leader keeps the file sources, GitSources with a policyPath, the audit and the webhooks feed',
          default: false,
        }),
        address: Optional(
          Str({
            description:
              "this replica's status server as the leader reaches it; default: http://$POD_IP:<statusPort>",
          }),
        ),
        podSelector: Optional(
          Str({
            description:
              "label selector of the replicas' pods (the chart sets it): a membership Lease counts only when a pod of it, named as its holder, has the Lease's address as its IP",
            pattern: '^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*(,[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*)*$',
            maxLength: 1024,
            errorMessage: 'must be a label selector key=value[,key=value…]',
          }),
        ),
      },
      { description: 'split GitSources across replicas', default: {} },
    ),
  },
  { description: 'only the Lease holder reconciles', default: {} },
);

export const GitSourcesRulesSchema = Mapping(
  {
    enabled: Bool({ description: 'watch GitSources (the chart installs the CRD)', default: false }),
    requireServiceAccount: Bool({
      description: 'every GitSource must apply as a serviceAccountName',
      default: false,
    }),
    crossNamespace: Bool({
      description: 'a GitSource may send objects outside its own namespace',
      default: false,
    }),
    allowPrivateNetworks: Bool({
      description:
        'a GitSource repoURL may be at a private or loopback address (link-local and metadata addresses never)',
      default: true,
    }),
    clusters: Type.Array(
      Mapping(
        {
          name: Str({ description: "the cluster's name (a spoke webhook's gitState.cluster)" }),
          server: Str({
            description: 'its API server URL, as the kubeconfig Secret names it',
          }),
          namespaces: Strings({
            description: 'namespaces whose GitSources may target it ("*": any)',
            default: [],
          }),
        },
        { description: 'a remote cluster' },
      ),
      {
        description:
          'remote clusters a GitSource may target with spec.kubeConfig (none: only this one)',
        default: [],
        itemLabel: 'name',
        errorMessage: 'must be a list of clusters',
      },
    ),
  },
  { description: 'GitSource objects (CRD) as sources, and the rules for tenants', default: {} },
);

/** Every key of the reconciler config. */
export const ReconcilerConfigSchema = Mapping(
  {
    namespace: Str({
      description: "driftgate's namespace (inventories, events)",
      default: 'driftgate-system',
    }),
    cacheDir: Str({ description: 'Git object stores', default: '/var/cache/driftgate' }),
    host: Str({ description: 'listen address', default: '0.0.0.0' }),
    statusPort: Int(0, 65535, { description: 'status, control and push-hook API', default: 8080 }),
    metricsPort: Int(0, 65535, { description: 'Prometheus metrics', default: 9091 }),
    maxConcurrentReconciles: Int(1, 64, {
      description:
        'sources fetched, rendered and applied at once (as Flux --concurrent); the others wait their turn. Self-heal is not limited',
      default: 4,
    }),
    kustomizePath: Str({ description: 'kustomize binary', default: 'kustomize' }),
    helmPath: Str({ description: 'helm binary', default: 'helm' }),
    logLevel: Str({ description: 'pino level', default: 'info' }),
    webhookSecretFile: Optional(Str({ description: 'HMAC secret of the Git push hook' })),
    stateTokenFile: Optional(
      Str({ description: "bearer token of the webhooks' feed (GET /v1/desired, /v1/policies)" }),
    ),
    controlTokenFile: Optional(
      Str({ description: 'bearer token of the control routes (unset: control off)' }),
    ),
    sources: Type.Array(SourceSchema, {
      description: 'a list of Git sources',
      default: [],
      itemLabel: 'name',
      errorMessage: 'must be a list of sources',
    }),
    policies: Mapping(
      {
        opaPath: Str({ description: 'opa binary', default: 'opa' }),
        opaBuiltins: Bool({
          description:
            "allow the builtins answered by OPA's own code (opa-builtins.wasm beside opa)",
          default: false,
        }),
        dir: Optional(Str({ description: 'the built-in policy library' })),
        gate: GateMode,
        enforcementOverrides: Optional(EnforcementOverridesSchema),
        audit: AuditSchema,
      },
      {
        description: 'Rego policies: the built-in library, the pre-apply gate, the audit',
        default: {},
      },
    ),
    ui: Mapping(
      {
        proxyAuth: Optional(
          Mapping(
            {
              userHeader: Str({
                description: 'the header the proxy names the user in',
                default: 'x-forwarded-user',
              }),
              groupsHeader: Str({
                description: "the header of the user's groups (comma-separated)",
                default: 'x-forwarded-groups',
              }),
              trustedProxies: Strings({
                description: 'addresses the proxy connects from (a sidecar: loopback)',
                default: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
              }),
            },
            {
              description:
                "an authenticating proxy (the platform's OIDC proxy) in front of /ui: its user and groups are trusted from these addresses only",
            },
          ),
        ),
      },
      { description: 'the status page (/ui)', default: {} },
    ),
    leaderElection: LeaderElectionSchema,
    gitSources: GitSourcesRulesSchema,
    notifications: NotificationsSchema,
    tracing: TracingSchema,
  },
  { description: 'the reconciler configuration' },
);
