import { isObject } from '../core/object.js';
import type { Enforcement } from '../policies/engine/discover.js';
import { parseDuration } from '../core/duration.js';
import { DEFAULT_MAX_CONTAINERS } from './contract.js';
import { EVAL_POOL_DEFAULTS } from './engine/pool.js';
import { DEFAULT_BODY_LIMIT } from './review.js';

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
  readonly opaPath: string;
  readonly tls: TlsConfig;
  readonly exemptions: {
    readonly namespaces: readonly string[];
    readonly users: readonly string[];
    readonly groups: readonly string[];
    /** `namespace/name` */
    readonly serviceAccounts: readonly string[];
  };
  readonly enforcementOverrides: Readonly<Record<string, Enforcement>>;
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
  readonly logLevel: string;
  /** Git-declared state from the reconciler; absent: policies only. */
  readonly gitState?: GitStateConfig;
}

export interface GitStateConfig {
  /** The reconciler's status URL, e.g. http://driftgate-reconciler.driftgate-system:8080 */
  readonly reconcilerURL: string;
  readonly tokenFile: string;
  readonly pollIntervalMs: number;
  readonly reconciler: { readonly username: string; readonly group: string };
  readonly breakGlass: { readonly groups: readonly string[]; readonly maxDurationMs: number };
  readonly governed: { readonly namespaces: readonly string[]; readonly mode: 'deny' | 'warn' };
}

function parseGitState(r: Reader, raw: unknown): GitStateConfig | undefined {
  if (raw === undefined) return undefined;
  const g = isRaw(raw) ? raw : {};
  const need = (k: string, v: unknown): string => {
    if (typeof v !== 'string' || v === '')
      r.problems.push(`gitState.${k} must be a non-empty string`);
    return String(v ?? '');
  };
  const dur = (k: string, v: unknown, def: string): number => {
    const ms = parseDuration(String(v ?? def));
    if (ms === undefined || ms <= 0)
      r.problems.push(`gitState.${k} must be a duration such as 2s or 4h`);
    return ms ?? 0;
  };
  const rec = isRaw(g.reconciler) ? g.reconciler : {};
  const bg = isRaw(g.breakGlass) ? g.breakGlass : {};
  const gov = isRaw(g.governed) ? g.governed : {};
  const mode = gov.mode ?? 'deny';
  if (mode !== 'deny' && mode !== 'warn')
    r.problems.push('gitState.governed.mode must be deny or warn');
  const url = need('reconcilerURL', g.reconcilerURL);
  if (url && !/^https?:\/\//.test(url))
    r.problems.push('gitState.reconcilerURL must be http(s)://');
  return {
    reconcilerURL: url.replace(/\/+$/, ''),
    tokenFile: need('tokenFile', g.tokenFile),
    pollIntervalMs: dur('pollInterval', g.pollInterval, '2s'),
    reconciler: {
      username: need('reconciler.username', rec.username),
      group: need('reconciler.group', rec.group),
    },
    breakGlass: {
      groups: r.list(bg, 'groups', 'gitState.breakGlass'),
      maxDurationMs: dur('breakGlass.maxDuration', bg.maxDuration, '4h'),
    },
    governed: {
      namespaces: r.list(gov, 'namespaces', 'gitState.governed'),
      mode: mode === 'warn' ? 'warn' : 'deny',
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

/** A config that cannot be used; `problems` lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Defaults in one place. */
export const WEBHOOK_DEFAULTS = {
  host: '0.0.0.0',
  port: 9443,
  metricsHost: '0.0.0.0',
  metricsPort: 9090,
  namespace: 'driftgate-system',
  policyDir: '/policies',
  watchPolicies: true,
  opaPath: 'opa',
  bodyLimitBytes: DEFAULT_BODY_LIMIT,
  bodyBudgetBytes: 16 * 1024 * 1024,
  maxConnections: 512,
  maxContainersPerPod: DEFAULT_MAX_CONTAINERS,
  evaluationWorkers: EVAL_POOL_DEFAULTS.size,
  evaluationTimeoutMs: EVAL_POOL_DEFAULTS.timeoutMs,
  failurePolicy: 'Fail',
  logLevel: 'info',
} as const;

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => isObject(v);

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly raw: Raw) {}
  str(key: string, def: string): string {
    const v = this.raw[key] ?? def;
    if (typeof v !== 'string' || v === '') this.problems.push(`${key} must be a non-empty string`);
    return String(v);
  }
  num(key: string, def: number, min: number, max: number): number {
    const v = this.raw[key] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.problems.push(`${key} must be an integer from ${min} to ${max}`);
    return Number(v);
  }
  oneOf<T extends string>(key: string, def: T, allowed: readonly T[]): T {
    const v = this.raw[key] ?? def;
    if (!allowed.includes(v as T))
      this.problems.push(`${key} must be one of ${allowed.join(', ')}`);
    return v as T;
  }
  bool(key: string, def: boolean): boolean {
    const v = this.raw[key] ?? def;
    if (typeof v !== 'boolean') this.problems.push(`${key} must be true or false`);
    return Boolean(v);
  }
  list(obj: Raw, key: string, where: string): string[] {
    const v = obj[key] ?? [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      this.problems.push(`${where}.${key} must be a list of strings`);
      return [];
    }
    return v as string[];
  }
}

function parseTls(r: Reader, raw: unknown): TlsConfig {
  const tls = isRaw(raw) ? raw : {};
  if (typeof tls.certFile === 'string' || typeof tls.keyFile === 'string') {
    if (typeof tls.certFile !== 'string' || typeof tls.keyFile !== 'string')
      r.problems.push('tls.certFile and tls.keyFile go together');
    return {
      mode: 'files',
      certFile: String(tls.certFile),
      keyFile: String(tls.keyFile),
      ...(typeof tls.caFile === 'string' ? { caFile: tls.caFile } : {}),
    };
  }
  return {
    mode: 'generate',
    dir: typeof tls.generateDir === 'string' ? tls.generateDir : '/var/run/driftgate/tls',
    dnsNames: r.list(tls, 'dnsNames', 'tls'),
    ipAddresses:
      isRaw(raw) && 'ipAddresses' in tls ? r.list(tls, 'ipAddresses', 'tls') : ['127.0.0.1'],
  };
}

/**
 * Validate a raw config (from YAML) against the defaults. Throws ConfigError listing every
 * problem; the result is frozen.
 */
export function parseWebhookConfig(input: unknown): WebhookConfig {
  const raw = isRaw(input) ? input : {};
  const r = new Reader(raw);
  if (input !== undefined && input !== null && !isRaw(input))
    r.problems.push('config must be a mapping');
  const ex = isRaw(raw.exemptions) ? raw.exemptions : {};
  const overrides = isRaw(raw.enforcementOverrides) ? raw.enforcementOverrides : {};
  for (const [id, action] of Object.entries(overrides)) {
    if (!['enforce', 'warn', 'dryrun'].includes(String(action)))
      r.problems.push(`enforcementOverrides.${id} must be enforce, warn or dryrun`);
  }
  const d = WEBHOOK_DEFAULTS;
  const cfg: WebhookConfig = {
    host: r.str('host', d.host),
    port: r.num('port', d.port, 0, 65535),
    metricsHost: r.str('metricsHost', d.metricsHost),
    metricsPort: r.num('metricsPort', d.metricsPort, 0, 65535),
    namespace: r.str('namespace', d.namespace),
    policyDir: r.str('policyDir', d.policyDir),
    watchPolicies: r.bool('watchPolicies', d.watchPolicies),
    opaPath: r.str('opaPath', d.opaPath),
    tls: parseTls(r, raw.tls),
    exemptions: {
      namespaces: r.list(ex, 'namespaces', 'exemptions'),
      users: r.list(ex, 'users', 'exemptions'),
      groups: r.list(ex, 'groups', 'exemptions'),
      serviceAccounts: r.list(ex, 'serviceAccounts', 'exemptions'),
    },
    enforcementOverrides: overrides as Record<string, Enforcement>,
    bodyLimitBytes: r.num('bodyLimitBytes', d.bodyLimitBytes, 1024, 64 * 1024 * 1024),
    bodyBudgetBytes: r.num('bodyBudgetBytes', d.bodyBudgetBytes, 1024 * 1024, 1024 ** 3),
    maxConnections: r.num('maxConnections', d.maxConnections, 1, 100_000),
    maxContainersPerPod: r.num('maxContainersPerPod', d.maxContainersPerPod, 1, 10_000),
    evaluationWorkers: r.num('evaluationWorkers', d.evaluationWorkers, 1, 32),
    evaluationTimeoutMs: r.num('evaluationTimeoutMs', d.evaluationTimeoutMs, 50, 30_000),
    failurePolicy: r.oneOf('failurePolicy', d.failurePolicy, ['Fail', 'Ignore'] as const),
    logLevel: r.str('logLevel', d.logLevel),
  };
  const git = parseGitState(r, raw.gitState);
  if (git) Object.assign(cfg, { gitState: git });
  const known = new Set([
    ...Object.keys(d),
    'tls',
    'exemptions',
    'enforcementOverrides',
    'gitState',
  ]);
  for (const key of Object.keys(raw)) if (!known.has(key)) r.problems.push(`unknown key ${key}`);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(cfg);
}
