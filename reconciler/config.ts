import { RECONCILER_DEFAULTS, RECONCILER_KEYS } from './config-keys.js';
import type { TenancyRules } from './gitsource/spec.js';
import type { ObjectRef } from './objects.js';
import { parseEnforcement, type EnforcementConfig } from '../policies/engine/enforcement.js';
import { ConfigError, ConfigReader, type KeyDoc } from '../core/config-reader.js';
import { parseSource } from './config-source.js';
import type { TrustConfig } from './verify/verifier.js';

export interface RetryConfig {
  readonly limit: number;
  readonly backoffMs: number;
  readonly factor: number;
  readonly maxMs: number;
}

export interface IgnoreDifference {
  readonly group: string;
  readonly kind: string;
  readonly jsonPointers: readonly string[];
}

export interface SourceConfig {
  readonly name: string;
  readonly repoURL: string;
  readonly ref: string;
  readonly path: string;
  readonly destinationNamespace: string;
  readonly intervalMs: number;
  /** Deadline of each Git network call (ls-remote, fetch), like Flux's spec.timeout. */
  readonly timeoutMs: number;
  readonly prune: boolean;
  readonly selfHeal: boolean;
  readonly createNamespace: boolean;
  readonly suspend: boolean;
  readonly allowForcePush: boolean;
  readonly maxPruneFraction: number;
  /**
   * Delete a CRD Git no longer declares. Off: deleting a CRD deletes every object of its kind in
   * the cluster, other sources' and people's included, so it is kept and said so.
   */
  readonly pruneCRDs: boolean;
  readonly retry: RetryConfig;
  readonly ignoreDifferences: readonly IgnoreDifference[];
  /** More namespaces it may write in besides destinationNamespace ("*": any). */
  readonly allowedNamespaces: readonly string[];
  /** Cluster-scoped kinds it may write (Kind or group/Kind; "*": any). */
  readonly clusterScopedKinds: readonly string[];
  /** Files holding the credentials: read at fetch time, never logged. */
  readonly credentials?: {
    readonly usernameFile?: string;
    readonly passwordFile?: string;
    readonly tokenFile?: string;
  };
  readonly verification: { readonly mode: 'head' | 'strict'; readonly trust: TrustConfig };
  readonly helm?: {
    readonly releaseName: string;
    /** The release namespace (default: destinationNamespace). */
    readonly namespace?: string;
    readonly valuesFiles: readonly string[];
    /**
     * A GitSource's spec.helm.valuesFrom, as read from its ConfigMaps and Secrets (mappings, in
     * order), over the values files. Never shown.
     */
    readonly valuesFrom?: readonly Readonly<Record<string, unknown>>[];
    /** Inline values, applied last (over the values files), like Flux's spec.values. */
    readonly values?: Readonly<Record<string, unknown>>;
    /** Leave out the chart's crds/ folder. */
    readonly skipCRDs: boolean;
  };
  /** Reverts of one object within a minute past which driftgate stops and reports a fight. */
  readonly fightThreshold: number;
  /** A folder of Rego policies (with tests) in the same repository, live from verified commits. */
  readonly policyPath?: string;
  /**
   * How far the enforcement.yaml at the root of policyPath reaches: `own` (the policies this
   * source carries) or `all` (any policy: the platform's policy repository). @default own
   */
  readonly policyEnforcement?: 'own' | 'all';
  /**
   * A tenant's policies speak only inside these namespaces (a GitSource: its own namespace and its
   * destination); undefined for the platform's sources, whose policies speak cluster-wide.
   */
  readonly policyNamespaces?: readonly string[];
  /**
   * Whether the repoURL may be at a private or loopback address (link-local and metadata
   * addresses never may). @default true; a GitSource's comes from gitSources.allowPrivateNetworks
   */
  readonly privateNetworks?: boolean;
  /** Git credentials read from a GitSource's Secret (never logged, never in status). */
  readonly secretAuth?: { readonly username: string; readonly password: string };
  /** Apply as this user (impersonation: a GitSource's serviceAccountName). */
  readonly impersonate?: string;
  /** Where the source's Events go (a GitSource); default its inventory ConfigMap. */
  readonly eventTarget?: ObjectRef & { readonly uid?: string };
}

export type GateMode = 'enforce' | 'warn' | 'off';

export interface PolicyConfig {
  readonly opaPath: string;
  /** The built-in policy library (optional). */
  readonly dir?: string;
  /** Pre-apply gate: hold back (enforce) or only report (warn) desired objects that violate. */
  readonly gate: GateMode;
  /** The platform's action and scope per policy: the same key, and values, as the webhook's. */
  readonly enforcementOverrides: EnforcementConfig;
  readonly audit: {
    /** 0 turns the audit off. */
    readonly intervalMs: number;
    /** `apiVersion/Kind` of what the audit lists. */
    readonly kinds: readonly string[];
    /** Namespaces never audited (kube-system and driftgate's own are always skipped). */
    readonly excludedNamespaces: readonly string[];
    /** Deadline of one object's evaluation. */
    readonly evaluationTimeoutMs: number;
    /** What one tenant's policies may cost one run beyond the platform's (AuditBudget). */
    readonly tenantBudgetMs: number;
  };
}

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
] as const;

export interface ReconcilerConfig {
  readonly namespace: string;
  readonly cacheDir: string;
  readonly host: string;
  readonly statusPort: number;
  readonly metricsPort: number;
  readonly kustomizePath: string;
  readonly helmPath: string;
  readonly logLevel: string;
  /** HMAC secret file for the push webhook receiver. */
  readonly webhookSecretFile?: string;
  /** Bearer token file guarding GET /v1/desired and /v1/policies (the webhooks' feed). */
  readonly stateTokenFile?: string;
  /** Bearer token for the control routes (POST suspend/resume/sync, POST /audit); unset: off. */
  readonly controlTokenFile?: string;
  readonly policies: PolicyConfig;
  /**
   * GitSource objects (CRD driftgate.io/v1alpha1) as sources, beside the file's, and the
   * platform's rules for them. Absent: the file's sources only.
   */
  readonly gitSources?: TenancyRules;
  /** Only the holder of the Lease reconciles, so several replicas are safe. */
  readonly leaderElection?: {
    readonly leaseName: string;
    readonly identity: string;
    readonly leaseDurationMs: number;
    readonly renewEveryMs: number;
    /**
     * The leading pod (named by identity, in `namespace`) carries driftgate.io/leader=true, so a
     * Service selecting it sends the webhooks' feed and the control API to the leader only.
     */
    readonly labelPod: boolean;
  };
  readonly sources: readonly SourceConfig[];
}

/** What the composition root read for the config: referenced files, and who this pod is. */
export interface ConfigInputs {
  /** Path → text of every file the config names (configFiles()); absent: could not be read. */
  readonly files?: ReadonlyMap<string, string>;
  /** Default leader-election identity (the pod name, else the hostname). */
  readonly identity?: string;
}

/** A reconciler config that cannot be used; `problems` lists every problem at once. */
export class ReconcilerConfigError extends ConfigError {
  constructor(problems: readonly string[]) {
    super(problems, 'reconciler configuration');
    this.name = 'ReconcilerConfigError';
  }
}

export { RECONCILER_DEFAULTS, RECONCILER_KEYS };

const D = RECONCILER_DEFAULTS;

const childKeys = (key: string, of: readonly KeyDoc[] = RECONCILER_KEYS): readonly KeyDoc[] =>
  of.find((k) => k.key === key)?.children ?? [];

function leaderElection(
  r: ConfigReader,
  inputs: ConfigInputs,
): Pick<ReconcilerConfig, 'leaderElection'> {
  const le = r.child('leaderElection');
  le.known(childKeys('leaderElection'));
  if (le.raw.enabled !== true) return {};
  const leaseDurationMs = le.duration('leaseDuration', D.leaderElection.leaseDuration, true);
  const renewEveryMs = le.duration('renewEvery', D.leaderElection.renewEvery, true);
  if (renewEveryMs >= leaseDurationMs)
    r.problems.push('leaderElection.renewEvery must be shorter than leaderElection.leaseDuration');
  return {
    leaderElection: {
      leaseName: le.str('leaseName', D.leaderElection.leaseName),
      identity: le.optStr('identity') ?? inputs.identity ?? D.leaderElection.identity,
      leaseDurationMs,
      renewEveryMs,
      labelPod: le.bool('labelPod', false),
    },
  };
}

function gitSources(r: ConfigReader): Pick<ReconcilerConfig, 'gitSources'> {
  const g = r.child('gitSources');
  g.known(childKeys('gitSources'));
  if (g.raw.enabled !== true) return {};
  return {
    gitSources: {
      requireServiceAccount: g.bool('requireServiceAccount', false),
      crossNamespace: g.bool('crossNamespace', false),
      allowPrivateNetworks: g.bool('allowPrivateNetworks', true),
    },
  };
}

function policyConfig(r: ConfigReader): PolicyConfig {
  const p = r.child('policies');
  p.known(childKeys('policies'));
  const audit = p.child('audit');
  audit.known(childKeys('audit', childKeys('policies')));
  const kinds = audit.list('kinds', DEFAULT_AUDIT_KINDS);
  for (const k of kinds)
    if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+\/[A-Z]\w*$/.test(k))
      r.problems.push(
        `policies.audit.kinds: ${k} must be apiVersion/Kind, e.g. apps/v1/Deployment`,
      );
  const dir = p.optStr('dir');
  return {
    opaPath: p.str('opaPath', D.policies.opaPath),
    ...(dir ? { dir } : {}),
    gate: p.oneOf('gate', D.policies.gate, ['enforce', 'warn', 'off'] as const),
    enforcementOverrides: parseEnforcement(
      p.raw.enforcementOverrides,
      p.at('enforcementOverrides'),
      r.problems,
    ),
    audit: {
      intervalMs: audit.duration('interval', D.policies.auditInterval),
      kinds,
      excludedNamespaces: audit.list('excludedNamespaces'),
      evaluationTimeoutMs: audit.duration(
        'evaluationTimeout',
        D.policies.auditEvaluationTimeout,
        true,
      ),
      tenantBudgetMs: audit.duration('tenantBudget', D.policies.auditTenantBudget, true),
    },
  };
}

/**
 * Validate the reconciler config (parsed YAML). Pure: files it names come already read in
 * `inputs` (see configFiles / readConfigInputs). Throws ReconcilerConfigError listing every
 * problem, unknown keys with a suggestion; the result is frozen.
 */
export function parseReconcilerConfig(input: unknown, inputs: ConfigInputs = {}): ReconcilerConfig {
  const r = ConfigReader.of(input);
  r.known(RECONCILER_KEYS);
  const names = new Set<string>();
  // No sources is a valid start (admission policies and the audit only): the chart's default.
  if (r.has('sources') && !Array.isArray(r.raw.sources))
    r.problems.push('sources must be a list of sources');
  const sources = (Array.isArray(r.raw.sources) ? r.raw.sources : []).map((s, i) => {
    const name = (s as { name?: unknown } | null)?.name;
    const where = `sources[${i}]${typeof name === 'string' ? ` (${name})` : ''}`;
    return parseSource(ConfigReader.of(s, where, r.problems), names, inputs);
  });
  const optional = (k: 'webhookSecretFile' | 'stateTokenFile' | 'controlTokenFile') => {
    const v = r.optStr(k);
    return v ? { [k]: v } : {};
  };
  const cfg: ReconcilerConfig = {
    namespace: r.str('namespace', D.namespace),
    cacheDir: r.str('cacheDir', D.cacheDir),
    host: r.str('host', D.host),
    statusPort: r.int('statusPort', D.statusPort, 0, 65535),
    metricsPort: r.int('metricsPort', D.metricsPort, 0, 65535),
    kustomizePath: r.str('kustomizePath', D.kustomizePath),
    helmPath: r.str('helmPath', D.helmPath),
    logLevel: r.str('logLevel', D.logLevel),
    ...optional('webhookSecretFile'),
    ...optional('stateTokenFile'),
    ...optional('controlTokenFile'),
    policies: policyConfig(r),
    ...leaderElection(r, inputs),
    ...gitSources(r),
    sources,
  };
  if (r.problems.length > 0) throw new ReconcilerConfigError(r.problems);
  return Object.freeze(cfg);
}
