import type { RemoteKubeConfig } from '../kube/remote-kubeconfig.js';
import type { TracingConfig } from '../../core/tracing-schema.js';
import type { NotificationsConfig } from '../notify/config.js';
import type { ObjectRef } from '../model/objects.js';
import type { EnforcementConfig } from '../../policies/engine/enforcement.js';
import type { TrustConfig } from '../verify/verifier.js';

/** The platform's rules for GitSources (reconciler config `gitSources`). */
export interface TenancyRules {
  /** Every GitSource must name a serviceAccountName (Flux's --default-service-account spirit). */
  readonly requireServiceAccount: boolean;
  /** A GitSource may send objects to a namespace other than its own. */
  readonly crossNamespace: boolean;
  /** A repoURL may be at a private or loopback address. @default true */
  readonly allowPrivateNetworks?: boolean;
  /**
   * The remote clusters GitSources may target through a kubeconfig Secret, each by its server
   * URL and the namespaces whose GitSources may (none listed: no GitSource targets another
   * cluster).
   */
  readonly clusters?: readonly RemoteClusterRule[];
}

/** A remote cluster the platform lets tenants target. */
export interface RemoteClusterRule {
  /** The name the spoke's webhook asks the feed for (`gitState.cluster`). */
  readonly name: string;
  /** Its API server URL, as tenants' kubeconfigs must name it. */
  readonly server: string;
  /** Namespaces whose GitSources may target it ("*": any). */
  readonly namespaces: readonly string[];
}

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
  /**
   * Apply to a remote cluster (a GitSource's kubeConfig Secret, allowed by gitSources.clusters)
   * rather than the reconciler's own. The credentials are never logged, never in status.
   */
  readonly remote?: { readonly cluster: string; readonly kubeConfig: RemoteKubeConfig };
  /** Where the source's Events go (a GitSource); default its inventory ConfigMap. */
  readonly eventTarget?: ObjectRef & { readonly uid?: string };
}

export type GateMode = 'enforce' | 'warn' | 'off';

export interface PolicyConfig {
  readonly opaPath: string;
  /** Allow the builtins answered by opa-builtins.wasm (BuildOptions.opaBuiltins). */
  readonly opaBuiltins: boolean;
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
    /** Write the results as PolicyReports where the wgpolicyk8s.io API is served. */
    readonly policyReports: boolean;
  };
}

/** Who a trusted proxy says the viewer is (its headers), checked by SubjectAccessReview. */
export interface ProxyAuthConfig {
  readonly userHeader: string;
  readonly groupsHeader: string;
  readonly trustedProxies: readonly string[];
}

export interface ReconcilerConfig {
  readonly namespace: string;
  readonly cacheDir: string;
  readonly host: string;
  readonly statusPort: number;
  readonly metricsPort: number;
  /** Sources reconciled at once (self-heal is apart). */
  readonly maxConcurrentReconciles: number;
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
  /** The status page: sign-in by Kubernetes token, or by an authenticating proxy's headers. */
  readonly ui: { readonly proxyAuth?: ProxyAuthConfig };
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
    /**
     * Shards: every replica runs the GitSources the ring gives it among the live members (one
     * Lease each, `<leaseName>-shard-<identity>`); the leader runs the rest and serves the feed.
     */
    readonly shards?: {
      /** Where the leader reads this replica's own index (`http://$POD_IP:<statusPort>`). */
      readonly address: string;
      /** Members are Leases held by pods of this label selector, at their own IP (chart). */
      readonly podSelector?: string;
    };
  };
  readonly sources: readonly SourceConfig[];
  /** Where events go beside Kubernetes Events (empty: nowhere). */
  readonly notifications: NotificationsConfig;
  /** OpenTelemetry traces (off without an endpoint). */
  readonly tracing: TracingConfig;
}

/** What the composition root read for the config: referenced files, and who this pod is. */
export interface ConfigInputs {
  /** Path → text of every file the config names (configFiles()); absent: could not be read. */
  readonly files?: ReadonlyMap<string, string>;
  /** Default leader-election identity (the pod name, else the hostname). */
  readonly identity?: string;
  /** The pod's IP (shards' default address). */
  readonly podIP?: string;
}
