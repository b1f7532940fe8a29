import type { TracingConfig } from '../core/tracing-schema.js';
import type { Static } from '@sinclair/typebox';
import { WebhookConfigSchema } from './config-schema.js';
import type { GitGuardConfig } from './drift.js';
import { ConfigError } from '../core/schema/problems.js';
import { positiveMs } from '../core/duration.js';
import { readSchema } from '../core/schema/check.js';
import { parseEnforcement, type EnforcementConfig } from '../policies/engine/enforcement.js';
import type { SyncKind } from '../policies/engine/gatekeeper/inventory.js';

/** Everything the webhook binary needs, parsed once at boot and frozen. */
export interface WebhookConfig {
  readonly host: string;
  readonly port: number;
  readonly metricsHost: string;
  readonly metricsPort: number;
  /** driftgate's own namespace: always exempt. */
  readonly namespace: string;
  readonly policyDir: string;
  /** Watch policyDir and reload on change. */
  readonly watchPolicies: boolean;
  /**
   * Watch the cluster's Ingresses (hosts only) for the unique-host policy. Needs list and
   * watch on ingresses.networking.k8s.io (the chart grants it).
   */
  readonly watchIngresses: boolean;
  /**
   * Refuse a GitSource whose serviceAccountName its author may not impersonate
   * (SubjectAccessReview; the chart grants the webhook `create` on them).
   */
  readonly guardGitSources: boolean;
  /** Record each denied admission as an Event (denial-events.ts). */
  readonly denialEvents: boolean;
  /** A kubeconfig file for that watch and those reviews. @default in-cluster */
  readonly kubeconfig?: string;
  readonly opaPath: string;
  /** Allow the builtins answered by opa-builtins.wasm (BuildOptions.opaBuiltins). */
  readonly opaBuiltins: boolean;
  readonly tls: TlsConfig;
  readonly exemptions: {
    readonly namespaces: readonly string[];
    readonly users: readonly string[];
    readonly groups: readonly string[];
    /** `namespace/name` */
    readonly serviceAccounts: readonly string[];
    /** Objects a workload controller creates from a template are judged on the template. */
    readonly controllerCreated: boolean;
  };
  /** The platform's action and scope per policy (the reconciler reads the same key). */
  readonly enforcementOverrides: EnforcementConfig;
  readonly bodyLimitBytes: number;
  /** Request body bytes (and their parse weight) held at once across all requests. */
  readonly bodyBudgetBytes: number;
  /** Open client connections at once. */
  readonly maxConnections: number;
  /** Containers in one pod spec above which a workload is denied unevaluated. */
  readonly maxContainersPerPod: number;
  /** Policy-evaluation worker threads, each with its own wasm instance. */
  readonly evaluationWorkers: number;
  /** Deadline of one evaluation; past it the request is answered by failurePolicy. */
  readonly evaluationTimeoutMs: number;
  /** The same value as the webhook configurations' failurePolicy (the chart sets both). */
  readonly failurePolicy: 'Fail' | 'Ignore';
  /** On SIGTERM: answer not-ready (and serve, closing connections) this long, then stop. */
  readonly shutdownDelaySeconds: number;
  readonly logLevel: string;
  /** Git-declared state from the reconciler; absent: policies only. */
  readonly gitState?: GitStateConfig;
  /** Gatekeeper's data.inventory from the cluster. */
  readonly inventory: InventoryConfig;
  /** OpenTelemetry traces (off without an endpoint). */
  readonly tracing: TracingConfig;
}

export interface InventoryConfig {
  /** Follow the kinds the live templates ask for (requires-sync-data), and `sync`. */
  readonly watch: boolean;
  readonly sync: readonly SyncKind[];
  readonly maxObjects: number;
}

export interface GitStateConfig {
  /** The reconciler's status URL, e.g. http://driftgate-reconciler.driftgate-system:8080 */
  readonly reconcilerURL: string;
  /**
   * This cluster's name in the reconciler's gitSources.clusters, when the reconciler runs in
   * another (a hub): the feed then holds only the sources that apply here.
   */
  readonly cluster?: string;
  readonly tokenFile: string;
  readonly pollIntervalMs: number;
  /** Largest index or policy document taken from the reconciler; a larger one is refused. */
  readonly maxDocumentBytes: number;
  readonly reconciler: GitGuardConfig['reconciler'];
  readonly breakGlass: { readonly groups: readonly string[]; readonly maxDurationMs: number };
  readonly governed: { readonly namespaces: readonly string[]; readonly mode: 'deny' | 'warn' };
}

export type TlsConfig =
  | {
      readonly mode: 'files';
      readonly certFile: string;
      readonly keyFile: string;
      readonly caFile?: string;
    }
  | {
      readonly mode: 'generate';
      readonly dir: string;
      readonly dnsNames: readonly string[];
      readonly ipAddresses: readonly string[];
    };

export { ConfigError };

type Raw = Static<typeof WebhookConfigSchema>;

/** `group/version/Kind` (the core group: `v1/Kind`); the schema checked its form. */
function syncKind(text: string): SyncKind {
  const parts = text.split('/');
  const [group, version, kind] = parts.length === 2 ? ['', ...parts] : parts;
  return { group: group ?? '', version: version ?? '', kind: kind ?? '' };
}

function gitState(g: NonNullable<Raw['gitState']>, problems: string[]): GitStateConfig {
  const positive = (v: string | 0, at: string) => positiveMs(v, `gitState.${at}`, problems);
  return {
    reconcilerURL: g.reconcilerURL.replace(/\/+$/, ''),
    ...(g.cluster ? { cluster: g.cluster } : {}),
    tokenFile: g.tokenFile,
    pollIntervalMs: positive(g.pollInterval, 'pollInterval'),
    maxDocumentBytes: g.maxDocumentMiB * 1024 * 1024,
    reconciler: g.reconciler,
    breakGlass: {
      groups: g.breakGlass.groups,
      maxDurationMs: positive(g.breakGlass.maxDuration, 'breakGlass.maxDuration'),
    },
    governed: g.governed,
  };
}

function tls(t: Raw['tls'], problems: string[]): TlsConfig {
  if (t.certFile !== undefined || t.keyFile !== undefined) {
    if (t.certFile === undefined || t.keyFile === undefined)
      problems.push('tls.certFile and tls.keyFile go together');
    return {
      mode: 'files',
      certFile: String(t.certFile),
      keyFile: String(t.keyFile),
      ...(t.caFile ? { caFile: t.caFile } : {}),
    };
  }
  return { mode: 'generate', dir: t.generateDir, dnsNames: t.dnsNames, ipAddresses: t.ipAddresses };
}

/**
 * Validate a raw config (from YAML) against WebhookConfigSchema. Throws ConfigError listing
 * every problem; the result is frozen.
 */
export function parseWebhookConfig(input: unknown): WebhookConfig {
  const problems: string[] = [];
  const r = readSchema(WebhookConfigSchema, input, '', problems);
  const { gitState: git, tls: t, inventory, enforcementOverrides, ...plain } = r;
  const cfg: WebhookConfig = {
    ...plain,
    tls: tls(t, problems),
    inventory: { ...inventory, sync: inventory.sync.map(syncKind) },
    enforcementOverrides: parseEnforcement(enforcementOverrides, 'enforcementOverrides', problems),
    ...(git ? { gitState: gitState(git, problems) } : {}),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(cfg);
}
