// The webhook config, one schema: parsing, `driftgate serve --help` and the chart's values schema
// read it.
import { TracingSchema } from '../core/tracing-schema.js';
import { Type } from '@sinclair/typebox';
import { Bool, Duration, Int, Mapping, OneOf, Str, Strings } from '../core/schema/keywords.js';
import { EnforcementOverridesSchema } from '../policies/engine/enforcement-schema.js';
import { EVAL_POOL_DEFAULTS } from '../policies/engine/pool/pool.js';
import { DEFAULT_MAX_CONTAINERS } from './contract.js';
import { DEFAULT_MAX_INVENTORY } from './live-inventory.js';
import { DEFAULT_BODY_LIMIT } from './review.js';

const Optional = Type.Optional;
const KIND = '^([a-z0-9.-]+/)?v[0-9a-z]+/[A-Z][A-Za-z0-9]*$';

export const LogLevel = Str({ description: 'pino level', default: 'info' });

export const ExemptionsSchema = Mapping(
  {
    namespaces: Strings({ description: 'namespaces', default: [] }),
    users: Strings({ description: 'usernames', default: [] }),
    groups: Strings({ description: 'groups', default: [] }),
    serviceAccounts: Strings(
      { description: 'namespace/name', default: [] },
      { pattern: '^[a-z0-9-]+/[a-z0-9-]+$' },
    ),
    controllerCreated: Bool({
      description: 'objects a workload controller creates from a template (judged on the template)',
      default: true,
    }),
  },
  { description: 'never checked', default: {} },
);

export const InventorySchema = Mapping(
  {
    watch: Bool({
      description: 'follow the kinds templates ask for (needs list/watch on them)',
      default: false,
    }),
    sync: Strings(
      { description: 'more kinds to follow, as group/version/Kind (v1/Service)', default: [] },
      { pattern: KIND, errorMessage: 'must be group/version/Kind (core group: v1/Kind)' },
    ),
    maxObjects: Int(0, 1_000_000, {
      description: 'objects kept, over all kinds',
      default: DEFAULT_MAX_INVENTORY,
    }),
  },
  {
    description: "Gatekeeper's data.inventory: cluster objects of the kinds templates read",
    default: {},
  },
);

export const BreakGlassSchema = Mapping(
  {
    groups: Strings({ description: 'groups that may break glass', default: [] }),
    maxDuration: Duration({ description: 'longest break-glass', default: '4h' }),
  },
  { description: 'who may break glass, and for how long', default: {} },
);

export const GovernedSchema = Mapping(
  {
    namespaces: Strings({ description: 'namespaces', default: [] }),
    mode: OneOf(['deny', 'warn'], { description: 'deny or warn', default: 'deny' }),
  },
  { description: 'namespaces where unmanaged writes are refused', default: {} },
);

const GitStateSchema = Mapping(
  {
    reconcilerURL: Str({
      description: "the reconciler's status URL",
      pattern: '^https?://',
      errorMessage: 'must be http(s)://',
    }),
    cluster: Optional(
      Str({
        description:
          "this cluster's name in a hub reconciler's gitSources.clusters (absent: the reconciler runs here)",
        pattern: '^[a-z0-9.-]{1,253}$',
        errorMessage: 'must be a cluster name (lower-case letters, digits, . and -)',
      }),
    ),
    tokenFile: Str({ description: 'bearer token of its feed' }),
    pollInterval: Duration({ description: 'feed poll period', default: '2s' }),
    maxDocumentMiB: Int(1, 1024, {
      description: 'largest feed document taken (10,000 objects: ~15); raise with the heap',
      default: 48,
    }),
    reconciler: Mapping(
      {
        username: Str({ description: 'username' }),
        group: Str({ description: 'group' }),
        gate: OneOf(['enforce', 'warn', 'off'], {
          description:
            "its pre-apply gate (enforce|warn|off): when on, its writes are the gate's to judge",
          default: 'enforce',
        }),
      },
      { description: "the reconciler's identity (always allowed)" },
    ),
    breakGlass: BreakGlassSchema,
    governed: GovernedSchema,
  },
  { description: 'Git-declared state from the reconciler (absent: policies only)' },
);

const TlsSchema = Mapping(
  {
    certFile: Optional(Str({ description: 'PEM certificate (with keyFile)' })),
    keyFile: Optional(Str({ description: 'PEM key' })),
    caFile: Optional(Str({ description: 'CA bundle' })),
    generateDir: Str({
      description: 'where a generated pair goes',
      default: '/var/run/driftgate/tls',
    }),
    dnsNames: Strings({ description: 'names of a generated certificate', default: [] }),
    ipAddresses: Strings({
      description: 'addresses of a generated certificate',
      default: ['127.0.0.1'],
    }),
  },
  { description: 'serving certificate: files, or generated', default: {} },
);

/** Every key of the webhook config. */
export const WebhookConfigSchema = Mapping(
  {
    host: Str({ description: 'HTTPS listen address', default: '0.0.0.0' }),
    port: Int(0, 65535, { description: 'HTTPS port', default: 9443 }),
    metricsHost: Str({ description: 'metrics listen address', default: '0.0.0.0' }),
    metricsPort: Int(0, 65535, { description: 'Prometheus metrics port', default: 9090 }),
    namespace: Str({
      description: "driftgate's namespace (always exempt)",
      default: 'driftgate-system',
    }),
    policyDir: Str({ description: 'the built-in policy library', default: '/policies' }),
    watchPolicies: Bool({ description: 'reload policyDir on change', default: true }),
    watchIngresses: Bool({
      description: 'watch Ingress hosts in the cluster (unique-host policy)',
      default: false,
    }),
    guardGitSources: Bool({
      description: 'a GitSource may name only a ServiceAccount its author may impersonate',
      default: false,
    }),
    denialEvents: Bool({
      description: 'record each denied admission as an Event (reason AdmissionDenied)',
      default: false,
    }),
    kubeconfig: Optional(
      Str({ description: 'kubeconfig for the watch and reviews (default: in-cluster)' }),
    ),
    opaPath: Str({ description: 'opa binary', default: 'opa' }),
    opaBuiltins: Bool({
      description: "allow the builtins answered by OPA's own code (opa-builtins.wasm beside opa)",
      default: false,
    }),
    logLevel: LogLevel,
    bodyLimitBytes: Int(1024, 64 * 1024 * 1024, {
      description: 'largest AdmissionReview body',
      default: DEFAULT_BODY_LIMIT,
    }),
    bodyBudgetBytes: Int(1024 * 1024, 1024 ** 3, {
      description: 'request bytes held at once (503 past it)',
      default: 16 * 1024 * 1024,
    }),
    maxConnections: Int(1, 100_000, { description: 'open client connections', default: 512 }),
    maxContainersPerPod: Int(1, 10_000, {
      description: 'denied unevaluated above it',
      default: DEFAULT_MAX_CONTAINERS,
    }),
    evaluationWorkers: Int(1, 32, {
      description: 'policy worker threads',
      default: EVAL_POOL_DEFAULTS.size,
    }),
    evaluationTimeoutMs: Int(50, 30_000, {
      description: 'deadline of one evaluation',
      default: EVAL_POOL_DEFAULTS.timeoutMs,
    }),
    failurePolicy: OneOf(['Fail', 'Ignore'], {
      description: 'Fail or Ignore, as the webhook configurations',
      default: 'Fail',
    }),
    shutdownDelaySeconds: Int(0, 120, {
      description: 'on SIGTERM: not ready, serving, for this long',
      default: 0,
    }),
    tls: TlsSchema,
    inventory: InventorySchema,
    tracing: TracingSchema,
    exemptions: ExemptionsSchema,
    enforcementOverrides: Optional(EnforcementOverridesSchema),
    gitState: Optional(GitStateSchema),
  },
  { description: 'the webhook configuration' },
);
