import { WEBHOOK_DEFAULTS, WEBHOOK_KEYS } from './config-keys.js';
import type { GitGuardConfig } from './drift.js';
import { ConfigError, ConfigReader, type KeyDoc } from '../core/config-reader.js';
import { parseEnforcement, type EnforcementConfig } from '../policies/engine/enforcement.js';
import type { SyncKind } from '../policies/engine/gatekeeper/inventory.js';
import { DEFAULT_MAX_INVENTORY } from './live-inventory.js';

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
  /** A kubeconfig file for that watch and those reviews. @default in-cluster */
  readonly kubeconfig?: string;
  readonly opaPath: string;
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
}

export interface InventoryConfig {
  /** Follow the kinds the live templates ask for (requires-sync-data), and `sync`. */
  readonly watch: boolean;
  readonly sync: readonly SyncKind[];
  readonly maxObjects: number;
}

/** `group/version/Kind` (the core group: `v1/Kind`). */
function parseSyncKind(text: string, problems: string[]): SyncKind | undefined {
  const parts = text.split('/');
  const [group, version, kind] = parts.length === 2 ? ['', ...parts] : parts;
  if (parts.length > 3 || !version || !kind || !/^[A-Z]/.test(kind)) {
    problems.push(`inventory.sync: ${text} must be group/version/Kind (core group: v1/Kind)`);
    return undefined;
  }
  return { group: group ?? '', version, kind };
}

function parseInventory(r: ConfigReader): InventoryConfig {
  const i = r.child('inventory');
  i.known(childKeys('inventory'));
  return {
    watch: i.bool('watch', false),
    sync: i.list('sync').flatMap((s) => parseSyncKind(s, r.problems) ?? []),
    maxObjects: i.int('maxObjects', DEFAULT_MAX_INVENTORY, 0, 1_000_000),
  };
}

export interface GitStateConfig {
  /** The reconciler's status URL, e.g. http://driftgate-reconciler.driftgate-system:8080 */
  readonly reconcilerURL: string;
  readonly tokenFile: string;
  readonly pollIntervalMs: number;
  /** Largest index or policy document taken from the reconciler; a larger one is refused. */
  readonly maxDocumentBytes: number;
  readonly reconciler: GitGuardConfig['reconciler'];
  readonly breakGlass: { readonly groups: readonly string[]; readonly maxDurationMs: number };
  readonly governed: { readonly namespaces: readonly string[]; readonly mode: 'deny' | 'warn' };
}

function parseGitState(r: ConfigReader): GitStateConfig | undefined {
  if (!r.has('gitState')) return undefined;
  const g = r.child('gitState');
  g.known(childKeys('gitState'));
  const rec = g.child('reconciler');
  rec.known(childKeys('reconciler', childKeys('gitState')));
  const bg = g.child('breakGlass');
  bg.known(childKeys('breakGlass', childKeys('gitState')));
  const gov = g.child('governed');
  gov.known(childKeys('governed', childKeys('gitState')));
  const url = g.str('reconcilerURL');
  if (url && !/^https?:\/\//.test(url))
    r.problems.push('gitState.reconcilerURL must be http(s)://');
  return {
    reconcilerURL: url.replace(/\/+$/, ''),
    tokenFile: g.str('tokenFile'),
    pollIntervalMs: g.duration('pollInterval', '2s', true),
    maxDocumentBytes: g.int('maxDocumentMiB', 48, 1, 1024) * 1024 * 1024,
    reconciler: {
      username: rec.str('username'),
      group: rec.str('group'),
      gate: rec.oneOf('gate', 'enforce', ['enforce', 'warn', 'off'] as const),
    },
    breakGlass: {
      groups: bg.list('groups'),
      maxDurationMs: bg.duration('maxDuration', '4h', true),
    },
    governed: {
      namespaces: gov.list('namespaces'),
      mode: gov.oneOf('mode', 'deny', ['deny', 'warn'] as const),
    },
  };
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

export { WEBHOOK_DEFAULTS, WEBHOOK_KEYS };

const childKeys = (key: string, of: readonly KeyDoc[] = WEBHOOK_KEYS): readonly KeyDoc[] =>
  of.find((k) => k.key === key)?.children ?? [];

function parseTls(r: ConfigReader): TlsConfig {
  const tls = r.child('tls');
  tls.known(childKeys('tls'));
  if (tls.has('certFile') || tls.has('keyFile')) {
    if (typeof tls.raw.certFile !== 'string' || typeof tls.raw.keyFile !== 'string')
      r.problems.push('tls.certFile and tls.keyFile go together');
    const caFile = tls.optStr('caFile');
    return {
      mode: 'files',
      certFile: String(tls.raw.certFile),
      keyFile: String(tls.raw.keyFile),
      ...(caFile ? { caFile } : {}),
    };
  }
  return {
    mode: 'generate',
    dir: tls.optStr('generateDir') ?? '/var/run/driftgate/tls',
    dnsNames: tls.list('dnsNames'),
    ipAddresses: tls.list('ipAddresses', ['127.0.0.1']),
  };
}

/**
 * Validate a raw config (from YAML) against the defaults. Throws ConfigError listing every
 * problem; the result is frozen.
 */
export function parseWebhookConfig(input: unknown): WebhookConfig {
  const r = ConfigReader.of(input);
  r.known(WEBHOOK_KEYS);
  const ex = r.child('exemptions');
  ex.known(childKeys('exemptions'));
  const overrides = parseEnforcement(
    r.raw.enforcementOverrides,
    'enforcementOverrides',
    r.problems,
  );
  const d = WEBHOOK_DEFAULTS;
  const cfg: WebhookConfig = {
    host: r.str('host', d.host),
    port: r.int('port', d.port, 0, 65535),
    metricsHost: r.str('metricsHost', d.metricsHost),
    metricsPort: r.int('metricsPort', d.metricsPort, 0, 65535),
    namespace: r.str('namespace', d.namespace),
    policyDir: r.str('policyDir', d.policyDir),
    watchPolicies: r.bool('watchPolicies', d.watchPolicies),
    watchIngresses: r.bool('watchIngresses', d.watchIngresses),
    guardGitSources: r.bool('guardGitSources', d.guardGitSources),
    ...(r.optStr('kubeconfig') ? { kubeconfig: r.optStr('kubeconfig') as string } : {}),
    opaPath: r.str('opaPath', d.opaPath),
    tls: parseTls(r),
    exemptions: {
      namespaces: ex.list('namespaces'),
      users: ex.list('users'),
      groups: ex.list('groups'),
      serviceAccounts: ex.list('serviceAccounts'),
      controllerCreated: ex.bool('controllerCreated', true),
    },
    enforcementOverrides: overrides,
    bodyLimitBytes: r.int('bodyLimitBytes', d.bodyLimitBytes, 1024, 64 * 1024 * 1024),
    bodyBudgetBytes: r.int('bodyBudgetBytes', d.bodyBudgetBytes, 1024 * 1024, 1024 ** 3),
    maxConnections: r.int('maxConnections', d.maxConnections, 1, 100_000),
    maxContainersPerPod: r.int('maxContainersPerPod', d.maxContainersPerPod, 1, 10_000),
    evaluationWorkers: r.int('evaluationWorkers', d.evaluationWorkers, 1, 32),
    evaluationTimeoutMs: r.int('evaluationTimeoutMs', d.evaluationTimeoutMs, 50, 30_000),
    failurePolicy: r.oneOf('failurePolicy', d.failurePolicy, ['Fail', 'Ignore'] as const),
    shutdownDelaySeconds: r.int('shutdownDelaySeconds', d.shutdownDelaySeconds, 0, 120),
    logLevel: r.str('logLevel', d.logLevel),
    inventory: parseInventory(r),
  };
  const git = parseGitState(r);
  if (git) Object.assign(cfg, { gitState: git });
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(cfg);
}
