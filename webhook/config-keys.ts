// The webhook config's keys and defaults (help text and unknown-key checks come from here).
import type { KeyDoc } from '../core/config-reader.js';
import { DEFAULT_MAX_CONTAINERS } from './contract.js';
import { EVAL_POOL_DEFAULTS } from '../policies/engine/pool/pool.js';
import { DEFAULT_BODY_LIMIT } from './review.js';
import { DEFAULT_MAX_INVENTORY } from './live-inventory.js';

/** Defaults in one place. */
export const WEBHOOK_DEFAULTS = {
  host: '0.0.0.0',
  port: 9443,
  metricsHost: '0.0.0.0',
  metricsPort: 9090,
  namespace: 'driftgate-system',
  policyDir: '/policies',
  watchPolicies: true,
  watchIngresses: false,
  guardGitSources: false,
  opaPath: 'opa',
  bodyLimitBytes: DEFAULT_BODY_LIMIT,
  bodyBudgetBytes: 16 * 1024 * 1024,
  maxConnections: 512,
  maxContainersPerPod: DEFAULT_MAX_CONTAINERS,
  evaluationWorkers: EVAL_POOL_DEFAULTS.size,
  evaluationTimeoutMs: EVAL_POOL_DEFAULTS.timeoutMs,
  failurePolicy: 'Fail',
  shutdownDelaySeconds: 0,
  logLevel: 'info',
} as const;

const D = WEBHOOK_DEFAULTS;

/** Every key of the webhook config; `driftgate serve --help` prints this table. */
export const WEBHOOK_KEYS: readonly KeyDoc[] = [
  { key: 'host', default: D.host, doc: 'HTTPS listen address' },
  { key: 'port', default: D.port, doc: 'HTTPS port' },
  { key: 'metricsHost', default: D.metricsHost, doc: 'metrics listen address' },
  { key: 'metricsPort', default: D.metricsPort, doc: 'Prometheus metrics port' },
  { key: 'namespace', default: D.namespace, doc: "driftgate's namespace (always exempt)" },
  { key: 'policyDir', default: D.policyDir, doc: 'the built-in policy library' },
  { key: 'watchPolicies', default: D.watchPolicies, doc: 'reload policyDir on change' },
  {
    key: 'watchIngresses',
    default: D.watchIngresses,
    doc: 'watch Ingress hosts in the cluster (unique-host policy)',
  },
  {
    key: 'guardGitSources',
    default: D.guardGitSources,
    doc: 'a GitSource may name only a ServiceAccount its author may impersonate',
  },
  { key: 'kubeconfig', doc: 'kubeconfig for the watch and reviews (default: in-cluster)' },
  { key: 'opaPath', default: D.opaPath, doc: 'opa binary' },
  { key: 'logLevel', default: D.logLevel, doc: 'pino level' },
  { key: 'bodyLimitBytes', default: D.bodyLimitBytes, doc: 'largest AdmissionReview body' },
  {
    key: 'bodyBudgetBytes',
    default: D.bodyBudgetBytes,
    doc: 'request bytes held at once (503 past it)',
  },
  { key: 'maxConnections', default: D.maxConnections, doc: 'open client connections' },
  {
    key: 'maxContainersPerPod',
    default: D.maxContainersPerPod,
    doc: 'denied unevaluated above it',
  },
  { key: 'evaluationWorkers', default: D.evaluationWorkers, doc: 'policy worker threads' },
  { key: 'evaluationTimeoutMs', default: D.evaluationTimeoutMs, doc: 'deadline of one evaluation' },
  {
    key: 'failurePolicy',
    default: D.failurePolicy,
    doc: 'Fail or Ignore, as the webhook configurations',
  },
  {
    key: 'shutdownDelaySeconds',
    default: D.shutdownDelaySeconds,
    doc: 'on SIGTERM: not ready, serving, for this long',
  },
  {
    key: 'tls',
    doc: 'serving certificate: files, or generated',
    children: [
      { key: 'certFile', doc: 'PEM certificate (with keyFile)' },
      { key: 'keyFile', doc: 'PEM key' },
      { key: 'caFile', doc: 'CA bundle' },
      { key: 'generateDir', default: '/var/run/driftgate/tls', doc: 'where a generated pair goes' },
      { key: 'dnsNames', doc: 'names of a generated certificate' },
      { key: 'ipAddresses', default: '127.0.0.1', doc: 'addresses of a generated certificate' },
    ],
  },
  {
    key: 'inventory',
    doc: "Gatekeeper's data.inventory: cluster objects of the kinds templates read",
    children: [
      {
        key: 'watch',
        default: false,
        doc: 'follow the kinds templates ask for (needs list/watch on them)',
      },
      { key: 'sync', doc: 'more kinds to follow, as group/version/Kind (v1/Service)' },
      { key: 'maxObjects', default: DEFAULT_MAX_INVENTORY, doc: 'objects kept, over all kinds' },
    ],
  },
  {
    key: 'exemptions',
    doc: 'never checked',
    children: [
      { key: 'namespaces', doc: 'namespaces' },
      { key: 'users', doc: 'usernames' },
      { key: 'groups', doc: 'groups' },
      { key: 'serviceAccounts', doc: 'namespace/name' },
      {
        key: 'controllerCreated',
        default: true,
        doc: 'objects a workload controller creates from a template (judged on the template)',
      },
    ],
  },
  {
    key: 'enforcementOverrides',
    doc: '<policy id>: enforce|warn|dryrun, or { action, scope, parameters } (same in the reconciler)',
  },
  {
    key: 'gitState',
    doc: 'Git-declared state from the reconciler (absent: policies only)',
    children: [
      { key: 'reconcilerURL', doc: "the reconciler's status URL" },
      { key: 'tokenFile', doc: 'bearer token of its feed' },
      { key: 'pollInterval', default: '2s', doc: 'feed poll period' },
      {
        key: 'maxDocumentMiB',
        default: 48,
        doc: 'largest feed document taken (10,000 objects: ~15); raise with the heap',
      },
      {
        key: 'reconciler',
        doc: "the reconciler's identity (always allowed)",
        children: [
          { key: 'username', doc: 'username' },
          { key: 'group', doc: 'group' },
          {
            key: 'gate',
            default: 'enforce',
            doc: "its pre-apply gate (enforce|warn|off): when on, its writes are the gate's to judge",
          },
        ],
      },
      {
        key: 'breakGlass',
        doc: 'who may break glass, and for how long',
        children: [
          { key: 'groups', doc: 'groups' },
          { key: 'maxDuration', default: '4h', doc: 'longest break-glass' },
        ],
      },
      {
        key: 'governed',
        doc: 'namespaces where unmanaged writes are refused',
        children: [
          { key: 'namespaces', doc: 'namespaces' },
          { key: 'mode', default: 'deny', doc: 'deny or warn' },
        ],
      },
    ],
  },
];
