import { isObject } from '../../core/object.js';
import type { SourceConfig, TenancyRules } from '../config/config.js';
import { parseRemoteKubeConfig, serverKey } from '../kube/remote-kubeconfig.js';
import type { GitSourceObject, TrustData } from './spec.js';

/** The keys a kubeconfig Secret is read from, as Flux's kubeConfig.secretRef. */
const DEFAULT_KEYS = ['value', 'value.yaml'];

/** spec.kubeConfig.secretRef, if the GitSource has one. */
export function kubeConfigRef(spec: Record<string, unknown>): Record<string, unknown> | undefined {
  const k = isObject(spec.kubeConfig) ? spec.kubeConfig : undefined;
  return k && isObject(k.secretRef) ? k.secretRef : k ? {} : undefined;
}

/**
 * The remote cluster a GitSource targets (spec.kubeConfig), checked against the platform's
 * rules: the Secret is the GitSource's namespace's (a reference names no other), its kubeconfig
 * holds inline credentials only, and its server is a cluster `gitSources.clusters` lets this
 * namespace target. Pure; problems are pushed (they stall the GitSource), never a value.
 */
export function remoteOf(
  o: GitSourceObject,
  spec: Record<string, unknown>,
  secret: TrustData | undefined,
  rules: TenancyRules,
  problems: string[],
): SourceConfig['remote'] {
  const ref = kubeConfigRef(spec);
  if (!ref) return undefined;
  const ns = o.metadata.namespace;
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (!name) return void problems.push('spec.kubeConfig.secretRef.name is required');
  if (spec.policyPath !== undefined)
    problems.push(
      "spec.policyPath is not taken with spec.kubeConfig: a spoke's policies come from its own reconciler",
    );
  if (!secret) return void problems.push(`kubeConfig Secret ${name} not found in ${ns}`);
  const keys = typeof ref.key === 'string' ? [ref.key] : DEFAULT_KEYS;
  const key = keys.find((k) => secret[k] !== undefined);
  if (!key) return void problems.push(`kubeConfig Secret ${name} has no key ${keys.join(' or ')}`);
  const parsed = parseRemoteKubeConfig(secret[key] ?? '');
  if ('problems' in parsed) {
    for (const p of parsed.problems) problems.push(`kubeConfig Secret ${name}: ${p}`);
    return undefined;
  }
  const server = serverKey(parsed.config.server);
  const cluster = (rules.clusters ?? []).find((c) => serverKey(c.server) === server);
  if (!cluster)
    return void problems.push(
      `kubeConfig Secret ${name}: the platform lists no cluster at ${server} (gitSources.clusters)`,
    );
  if (!cluster.namespaces.includes('*') && !cluster.namespaces.includes(ns))
    return void problems.push(
      `kubeConfig Secret ${name}: the platform does not let namespace ${ns} target cluster ${cluster.name}`,
    );
  return { cluster: cluster.name, kubeConfig: parsed.config };
}
