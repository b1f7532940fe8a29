import { isObject } from '../core/object.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseDuration } from '../core/duration.js';
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
  readonly prune: boolean;
  readonly selfHeal: boolean;
  readonly createNamespace: boolean;
  readonly suspend: boolean;
  readonly allowForcePush: boolean;
  readonly maxPruneFraction: number;
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
  readonly helm?: { readonly releaseName: string; readonly valuesFiles: readonly string[] };
  /** Reverts of one object within a minute past which driftgate stops and reports a fight. */
  readonly fightThreshold: number;
  /** A folder of Rego policies (with tests) in the same repository, live from verified commits. */
  readonly policyPath?: string;
}

export type GateMode = 'enforce' | 'warn' | 'off';

export interface PolicyConfig {
  readonly opaPath: string;
  /** The built-in policy library (optional). */
  readonly dir?: string;
  /** Pre-apply gate: hold back (enforce) or only report (warn) desired objects that violate. */
  readonly gate: GateMode;
  readonly audit: {
    /** 0 turns the audit off. */
    readonly intervalMs: number;
    /** `apiVersion/Kind` of what the audit lists. */
    readonly kinds: readonly string[];
    /** Namespaces never audited (kube-system and driftgate's own are always skipped). */
    readonly excludedNamespaces: readonly string[];
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
  /** Only the holder of the Lease reconciles, so several replicas are safe. */
  readonly leaderElection?: {
    readonly leaseName: string;
    readonly identity: string;
    readonly leaseDurationMs: number;
    readonly renewEveryMs: number;
  };
  readonly sources: readonly SourceConfig[];
}

export class ReconcilerConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid reconciler configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ReconcilerConfigError';
  }
}

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => isObject(v);
const NAME = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;

function readFileOr(problems: string[], where: string, file: unknown): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(String(file), 'utf8');
  } catch {
    problems.push(`${where}: cannot read ${String(file)}`);
    return undefined;
  }
}

/** Trusted signers from config (the `verification` block); problems are pushed to `problems`. */
export function trust(problems: string[], where: string, v: unknown): TrustConfig {
  const raw = isRaw(v) ? v : {};
  const ssh =
    typeof raw.sshAllowedSigners === 'string'
      ? raw.sshAllowedSigners
      : readFileOr(problems, `${where}.sshAllowedSignersFile`, raw.sshAllowedSignersFile);
  const pgp = Array.isArray(raw.openpgp)
    ? raw.openpgp.map((k: unknown, i) => {
        const e = isRaw(k) ? k : {};
        const publicKey =
          typeof e.publicKey === 'string'
            ? e.publicKey
            : readFileOr(problems, `${where}.openpgp[${i}].publicKeyFile`, e.publicKeyFile);
        if (!publicKey) problems.push(`${where}.openpgp[${i}] needs publicKey or publicKeyFile`);
        return {
          publicKey: publicKey ?? '',
          ...(Array.isArray(e.identities) ? { identities: e.identities.map(String) } : {}),
        };
      })
    : undefined;
  const x = isRaw(raw.x509) ? raw.x509 : undefined;
  const cas = x
    ? [
        ...(Array.isArray(x.cas) ? x.cas.map(String) : []),
        ...(Array.isArray(x.caFiles)
          ? x.caFiles.map((f: unknown) => readFileOr(problems, `${where}.x509.caFiles`, f) ?? '')
          : []),
      ]
    : [];
  const out: TrustConfig = {
    ...(ssh ? { sshAllowedSigners: ssh } : {}),
    ...(pgp ? { openpgp: pgp } : {}),
    ...(x
      ? {
          x509: {
            cas,
            ...(Array.isArray(x.identities) ? { identities: x.identities.map(String) } : {}),
          },
        }
      : {}),
  };
  if (!out.sshAllowedSigners && !out.openpgp?.length && !out.x509?.cas.length)
    problems.push(
      `${where}: no trusted signers (sshAllowedSigners, openpgp or x509): unsigned Git is never applied`,
    );
  return out;
}

function source(problems: string[], v: unknown, i: number, names: Set<string>): SourceConfig {
  const s = isRaw(v) ? v : {};
  const where = `sources[${i}]${typeof s.name === 'string' ? ` (${s.name})` : ''}`;
  const str = (k: string, def?: string): string => {
    const x = s[k] ?? def;
    if (typeof x !== 'string' || x === '')
      problems.push(`${where}.${k} must be a non-empty string`);
    return String(x ?? '');
  };
  const bool = (k: string, def: boolean): boolean => {
    const x = s[k] ?? def;
    if (typeof x !== 'boolean') problems.push(`${where}.${k} must be true or false`);
    return Boolean(x);
  };
  const dur = (obj: Raw, k: string, def: string, at: string): number => {
    const ms = parseDuration(String(obj[k] ?? def));
    if (ms === undefined) problems.push(`${at}.${k} must be a duration such as 30s or 5m`);
    return ms ?? 0;
  };
  const strings = (k: string): string[] => {
    const x = s[k] ?? [];
    if (!Array.isArray(x) || !x.every((e) => typeof e === 'string')) {
      problems.push(`${where}.${k} must be a list of strings`);
      return [];
    }
    return x as string[];
  };
  const name = str('name');
  if (name && !NAME.test(name))
    problems.push(`${where}.name must be a DNS label (lowercase, digits, dashes)`);
  if (names.has(name)) problems.push(`${where}.name is used twice`);
  names.add(name);
  const repoURL = str('repoURL');
  if (repoURL && !/^https?:\/\//.test(repoURL))
    problems.push(
      `${where}.repoURL must be http:// or https:// (isomorphic-git speaks smart HTTP)`,
    );
  const retry = isRaw(s.retry) ? s.retry : {};
  const verification = isRaw(s.verification) ? s.verification : {};
  const mode = verification.mode ?? 'head';
  if (mode !== 'head' && mode !== 'strict')
    problems.push(`${where}.verification.mode must be head or strict`);
  const ignore = Array.isArray(s.ignoreDifferences) ? s.ignoreDifferences : [];
  const creds = isRaw(s.credentials) ? s.credentials : undefined;
  const helm = isRaw(s.helm) ? s.helm : undefined;
  const fraction = s.maxPruneFraction ?? 0.5;
  if (typeof fraction !== 'number' || fraction <= 0 || fraction > 1)
    problems.push(`${where}.maxPruneFraction must be a number in (0, 1]`);
  return {
    name,
    repoURL,
    ref: str('ref', 'main'),
    path: String(s.path ?? '.'),
    destinationNamespace: str('destinationNamespace', 'default'),
    intervalMs: dur(s, 'interval', '3m', where),
    prune: bool('prune', true),
    selfHeal: bool('selfHeal', true),
    createNamespace: bool('createNamespace', false),
    suspend: bool('suspend', false),
    allowForcePush: bool('allowForcePush', false),
    maxPruneFraction: Number(fraction),
    allowedNamespaces: strings('allowedNamespaces'),
    clusterScopedKinds: strings('clusterScopedKinds'),
    fightThreshold: typeof s.fightThreshold === 'number' ? s.fightThreshold : 5,
    retry: {
      limit: typeof retry.limit === 'number' ? retry.limit : 5,
      backoffMs: dur(retry, 'backoff', '5s', `${where}.retry`),
      factor: typeof retry.factor === 'number' ? retry.factor : 2,
      maxMs: dur(retry, 'maxDuration', '3m', `${where}.retry`),
    },
    ignoreDifferences: ignore.map((d: unknown, j) => {
      const e = isRaw(d) ? d : {};
      const ptrs = Array.isArray(e.jsonPointers) ? e.jsonPointers.map(String) : [];
      if (typeof e.kind !== 'string' || ptrs.some((p) => !p.startsWith('/')))
        problems.push(
          `${where}.ignoreDifferences[${j}] needs kind and jsonPointers starting with /`,
        );
      return { group: String(e.group ?? ''), kind: String(e.kind ?? ''), jsonPointers: ptrs };
    }),
    ...(creds
      ? {
          credentials: {
            ...(creds.usernameFile ? { usernameFile: String(creds.usernameFile) } : {}),
            ...(creds.passwordFile ? { passwordFile: String(creds.passwordFile) } : {}),
            ...(creds.tokenFile ? { tokenFile: String(creds.tokenFile) } : {}),
          },
        }
      : {}),
    verification: {
      mode: mode === 'strict' ? 'strict' : 'head',
      trust: trust(problems, `${where}.verification`, verification),
    },
    ...(typeof s.policyPath === 'string' && s.policyPath !== ''
      ? { policyPath: s.policyPath }
      : {}),
    ...(helm
      ? {
          helm: {
            releaseName: String(helm.releaseName ?? name),
            valuesFiles: Array.isArray(helm.valuesFiles) ? helm.valuesFiles.map(String) : [],
          },
        }
      : {}),
  };
}

function leaderElection(problems: string[], v: unknown): Pick<ReconcilerConfig, 'leaderElection'> {
  const le = isRaw(v) ? v : {};
  if (le.enabled !== true) return {};
  const dur = (k: string, def: string): number => {
    const ms = parseDuration(String(le[k] ?? def));
    if (ms === undefined || ms <= 0)
      problems.push(`leaderElection.${k} must be a duration such as 15s`);
    return ms ?? 0;
  };
  const leaseDurationMs = dur('leaseDuration', '15s');
  const renewEveryMs = dur('renewEvery', '5s');
  if (renewEveryMs >= leaseDurationMs)
    problems.push('leaderElection.renewEvery must be shorter than leaderElection.leaseDuration');
  const identity = String(le.identity ?? process.env.POD_NAME ?? hostname());
  return {
    leaderElection: {
      leaseName: String(le.leaseName ?? 'driftgate-reconciler'),
      identity,
      leaseDurationMs,
      renewEveryMs,
    },
  };
}

function policyConfig(problems: string[], p: Raw): PolicyConfig {
  const gate = p.gate ?? 'enforce';
  if (gate !== 'enforce' && gate !== 'warn' && gate !== 'off')
    problems.push('policies.gate must be enforce, warn or off');
  const audit = isRaw(p.audit) ? p.audit : {};
  const interval = parseDuration(String(audit.interval ?? '5m'));
  if (interval === undefined)
    problems.push('policies.audit.interval must be a duration such as 5m');
  const kinds = Array.isArray(audit.kinds) ? audit.kinds.map(String) : [...DEFAULT_AUDIT_KINDS];
  for (const k of kinds)
    if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+\/[A-Z]\w*$/.test(k))
      problems.push(`policies.audit.kinds: ${k} must be apiVersion/Kind, e.g. apps/v1/Deployment`);
  return {
    opaPath: String(p.opaPath ?? 'opa'),
    ...(typeof p.dir === 'string' ? { dir: p.dir } : {}),
    gate: gate as GateMode,
    audit: {
      intervalMs: interval ?? 0,
      kinds,
      excludedNamespaces: Array.isArray(audit.excludedNamespaces)
        ? audit.excludedNamespaces.map(String)
        : [],
    },
  };
}

/** Validate the reconciler config (parsed YAML). Throws ReconcilerConfigError listing every problem. */
export function parseReconcilerConfig(input: unknown): ReconcilerConfig {
  const raw = isRaw(input) ? input : {};
  const problems: string[] = [];
  const names = new Set<string>();
  const sources = Array.isArray(raw.sources)
    ? raw.sources.map((s, i) => source(problems, s, i, names))
    : [];
  // No sources is a valid start (admission policies and the audit only): the chart's default.
  if (raw.sources !== undefined && !Array.isArray(raw.sources))
    problems.push('sources must be a list of sources');
  const port = (k: string, def: number): number => {
    const v = raw[k] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
      problems.push(`${k} must be a port number`);
    return Number(v);
  };
  const cfg: ReconcilerConfig = {
    namespace: String(raw.namespace ?? 'driftgate-system'),
    cacheDir: String(raw.cacheDir ?? '/var/cache/driftgate'),
    host: String(raw.host ?? '0.0.0.0'),
    statusPort: port('statusPort', 8080),
    metricsPort: port('metricsPort', 9091),
    kustomizePath: String(raw.kustomizePath ?? 'kustomize'),
    helmPath: String(raw.helmPath ?? 'helm'),
    logLevel: String(raw.logLevel ?? 'info'),
    ...(raw.webhookSecretFile ? { webhookSecretFile: String(raw.webhookSecretFile) } : {}),
    ...(raw.stateTokenFile ? { stateTokenFile: String(raw.stateTokenFile) } : {}),
    ...(raw.controlTokenFile ? { controlTokenFile: String(raw.controlTokenFile) } : {}),
    policies: policyConfig(problems, isRaw(raw.policies) ? raw.policies : {}),
    ...leaderElection(problems, raw.leaderElection),
    sources,
  };
  if (problems.length > 0) throw new ReconcilerConfigError(problems);
  return Object.freeze(cfg);
}
