import type { Static } from '@sinclair/typebox';
import { ConfigError } from '../../core/schema/problems.js';
import { durationMs, positiveMs } from '../../core/duration.js';
import { readSchema } from '../../core/schema/check.js';
import { isObject } from '../../core/object.js';
import { parseEnforcement } from '../../policies/engine/enforcement.js';
import type { ConfigInputs, PolicyConfig, ReconcilerConfig } from './config.js';
import { ReconcilerConfigSchema } from './schema.js';
import { sourceOf } from './source.js';
import { notificationsConfig } from '../notify/config.js';

/** A reconciler config that cannot be used; `problems` lists every problem at once. */
export class ReconcilerConfigError extends ConfigError {
  constructor(problems: readonly string[]) {
    super(problems, 'reconciler configuration');
    this.name = 'ReconcilerConfigError';
  }
}

type Raw = Static<typeof ReconcilerConfigSchema>;

/** Shards need an address the leader reads each member's index at: else the feed misses it. */
function shards(
  s: Raw['leaderElection']['shards'],
  inputs: ConfigInputs,
  statusPort: number,
  problems: string[],
): Pick<NonNullable<ReconcilerConfig['leaderElection']>, 'shards'> {
  if (!s.enabled) return {};
  const address = s.address ?? (inputs.podIP ? `http://${inputs.podIP}:${statusPort}` : undefined);
  if (!address) {
    problems.push(
      "leaderElection.shards.address: set it (the chart sets POD_IP), so the leader can read this replica's index",
    );
    return {};
  }
  return {
    shards: {
      address: address.replace(/\/+$/, ''),
      ...(s.podSelector !== undefined ? { podSelector: s.podSelector } : {}),
    },
  };
}

function leaderElection(
  le: Raw['leaderElection'],
  inputs: ConfigInputs,
  statusPort: number,
  problems: string[],
): Pick<ReconcilerConfig, 'leaderElection'> {
  if (!le.enabled) return {};
  const leaseDurationMs = positiveMs(le.leaseDuration, 'leaderElection.leaseDuration', problems);
  const renewEveryMs = positiveMs(le.renewEvery, 'leaderElection.renewEvery', problems);
  if (renewEveryMs >= leaseDurationMs)
    problems.push('leaderElection.renewEvery must be shorter than leaderElection.leaseDuration');
  return {
    leaderElection: {
      leaseName: le.leaseName,
      identity: le.identity ?? inputs.identity ?? 'driftgate-reconciler',
      leaseDurationMs,
      renewEveryMs,
      labelPod: le.labelPod,
      ...shards(le.shards, inputs, statusPort, problems),
    },
  };
}

function policyConfig(p: Raw['policies'], problems: string[]): PolicyConfig {
  const a = p.audit;
  return {
    opaPath: p.opaPath,
    opaBuiltins: p.opaBuiltins,
    ...(p.dir ? { dir: p.dir } : {}),
    gate: p.gate,
    enforcementOverrides: parseEnforcement(
      p.enforcementOverrides,
      'policies.enforcementOverrides',
      problems,
    ),
    audit: {
      intervalMs: durationMs(a.interval),
      kinds: a.kinds,
      excludedNamespaces: a.excludedNamespaces,
      evaluationTimeoutMs: positiveMs(
        a.evaluationTimeout,
        'policies.audit.evaluationTimeout',
        problems,
      ),
      tenantBudgetMs: positiveMs(a.tenantBudget, 'policies.audit.tenantBudget', problems),
      policyReports: a.policyReports,
    },
  };
}

/** ` (name)` of the i-th source as written, for messages (the schema walk labels the same way). */
function labelOf(input: unknown, i: number): string {
  const list = isObject(input) && Array.isArray(input.sources) ? input.sources : [];
  const name: unknown = isObject(list[i]) ? list[i].name : undefined;
  return typeof name === 'string' ? ` (${name})` : '';
}

/**
 * Validate the reconciler config (parsed YAML) against ReconcilerConfigSchema. Pure: files it
 * names come already read in `inputs` (see configFiles / readConfigInputs). Throws
 * ReconcilerConfigError listing every problem, unknown keys with a suggestion; the result is frozen.
 */
export function parseReconcilerConfig(input: unknown, inputs: ConfigInputs = {}): ReconcilerConfig {
  const problems: string[] = [];
  const raw = readSchema(ReconcilerConfigSchema, input, '', problems);
  const names = new Set<string>();
  const {
    sources: listed,
    policies,
    leaderElection: le,
    gitSources: g,
    notifications,
    ...plain
  } = raw;
  // No sources is a valid start (admission policies and the audit only): the chart's default.
  const sources = listed.map((s, i) =>
    sourceOf(s, `sources[${i}]${labelOf(input, i)}`, problems, names, inputs),
  );
  const { enabled, ...rules } = g;
  const cfg: ReconcilerConfig = {
    ...plain,
    policies: policyConfig(policies, problems),
    ...leaderElection(le, inputs, plain.statusPort, problems),
    ...(enabled ? { gitSources: rules } : {}),
    notifications: notificationsConfig(notifications, problems),
    sources,
  };
  if (problems.length > 0) throw new ReconcilerConfigError(problems);
  return Object.freeze(cfg);
}
