import { RECONCILER_DEFAULTS, RECONCILER_KEYS } from './keys.js';
import { parseEnforcement } from '../../policies/engine/enforcement.js';
import { ConfigError, ConfigReader, type KeyDoc } from '../../core/config-reader.js';
import { parseSource } from './source.js';
import {
  DEFAULT_AUDIT_KINDS,
  type ConfigInputs,
  type PolicyConfig,
  type ReconcilerConfig,
} from './config.js';

/** A reconciler config that cannot be used; `problems` lists every problem at once. */
export class ReconcilerConfigError extends ConfigError {
  constructor(problems: readonly string[]) {
    super(problems, 'reconciler configuration');
    this.name = 'ReconcilerConfigError';
  }
}

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
