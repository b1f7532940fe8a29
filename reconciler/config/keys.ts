import type { KeyDoc } from '../../core/config-reader.js';
import { SOURCE_KEYS } from './source.js';

/** The reconciler's defaults, in one place. */
export const RECONCILER_DEFAULTS = {
  namespace: 'driftgate-system',
  cacheDir: '/var/cache/driftgate',
  host: '0.0.0.0',
  statusPort: 8080,
  metricsPort: 9091,
  kustomizePath: 'kustomize',
  helmPath: 'helm',
  logLevel: 'info',
  policies: {
    opaPath: 'opa',
    gate: 'enforce',
    auditInterval: '5m',
    auditEvaluationTimeout: '2s',
    auditTenantBudget: '30s',
  },
  leaderElection: {
    leaseName: 'driftgate-reconciler',
    leaseDuration: '15s',
    renewEvery: '5s',
    identity: 'driftgate-reconciler',
  },
} as const;

const D = RECONCILER_DEFAULTS;

/** Every key of the reconciler config; `driftgate reconcile --help` prints this table. */
export const RECONCILER_KEYS: readonly KeyDoc[] = [
  { key: 'namespace', default: D.namespace, doc: "driftgate's namespace (inventories, events)" },
  { key: 'cacheDir', default: D.cacheDir, doc: 'Git object stores' },
  { key: 'host', default: D.host, doc: 'listen address' },
  { key: 'statusPort', default: D.statusPort, doc: 'status, control and push-hook API' },
  { key: 'metricsPort', default: D.metricsPort, doc: 'Prometheus metrics' },
  { key: 'kustomizePath', default: D.kustomizePath, doc: 'kustomize binary' },
  { key: 'helmPath', default: D.helmPath, doc: 'helm binary' },
  { key: 'logLevel', default: D.logLevel, doc: 'pino level' },
  { key: 'webhookSecretFile', doc: 'HMAC secret of the Git push hook' },
  {
    key: 'stateTokenFile',
    doc: "bearer token of the webhooks' feed (GET /v1/desired, /v1/policies)",
  },
  { key: 'controlTokenFile', doc: 'bearer token of the control routes (unset: control off)' },
  {
    key: 'policies',
    doc: 'Rego policies: the built-in library, the pre-apply gate, the audit',
    children: [
      { key: 'opaPath', default: D.policies.opaPath, doc: 'opa binary' },
      { key: 'dir', doc: 'the built-in policy library' },
      { key: 'gate', default: D.policies.gate, doc: 'enforce, warn or off' },
      {
        key: 'enforcementOverrides',
        doc: "<policy id>: enforce|warn|dryrun, or { action, scope, parameters } (the webhook's, same values)",
      },
      {
        key: 'audit',
        doc: 'periodic audit of existing objects',
        children: [
          { key: 'interval', default: D.policies.auditInterval, doc: '0 turns it off' },
          { key: 'kinds', doc: 'apiVersion/Kind to list (default: workloads, services, config)' },
          {
            key: 'excludedNamespaces',
            doc: 'never audited (kube-system and driftgate are always skipped)',
          },
          {
            key: 'evaluationTimeout',
            default: D.policies.auditEvaluationTimeout,
            doc: "one object's evaluation; past it the object is reported, not judged",
          },
          {
            key: 'tenantBudget',
            default: D.policies.auditTenantBudget,
            doc: "what a tenant's policies may cost one run; past it they are skipped",
          },
        ],
      },
    ],
  },
  {
    key: 'leaderElection',
    doc: 'only the Lease holder reconciles',
    children: [
      { key: 'enabled', default: false, doc: 'turn it on' },
      { key: 'leaseName', default: D.leaderElection.leaseName, doc: 'the Lease' },
      { key: 'identity', doc: 'default: the pod name' },
      { key: 'leaseDuration', default: D.leaderElection.leaseDuration, doc: 'lease length' },
      { key: 'renewEvery', default: D.leaderElection.renewEvery, doc: 'renew period' },
      {
        key: 'labelPod',
        default: false,
        doc: 'label the leading pod driftgate.io/leader=true (its Service routes to it)',
      },
    ],
  },
  {
    key: 'gitSources',
    doc: 'GitSource objects (CRD) as sources, and the rules for tenants',
    children: [
      { key: 'enabled', default: false, doc: 'watch GitSources (the chart installs the CRD)' },
      {
        key: 'requireServiceAccount',
        default: false,
        doc: 'every GitSource must apply as a serviceAccountName',
      },
      {
        key: 'crossNamespace',
        default: false,
        doc: 'a GitSource may send objects outside its own namespace',
      },
      {
        key: 'allowPrivateNetworks',
        default: true,
        doc: 'a GitSource repoURL may be at a private or loopback address (link-local and metadata addresses never)',
      },
    ],
  },
  { key: 'sources', doc: 'a list of Git sources', children: SOURCE_KEYS },
];
