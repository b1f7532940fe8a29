import { isObject } from '../../core/object.js';
import type { SourceConfig, TenancyRules } from '../config/config.js';
import { parseSource } from '../config/source.js';
import { remoteOf } from './remote.js';

/** The GitSource custom resource (charts/driftgate/crds). */
export const GITSOURCE = {
  group: 'driftgate.io',
  version: 'v1alpha1',
  apiVersion: 'driftgate.io/v1alpha1',
  kind: 'GitSource',
  plural: 'gitsources',
} as const;

/** Set on a GitSource whose objects are deleted with it (deletionPolicy: Delete). */
export const CLEANUP_FINALIZER = 'driftgate.io/cleanup';
/** Annotate with any new value (e.g. a timestamp) to sync now, like Flux's requestedAt. */
export const REQUESTED_AT = 'driftgate.io/requested-at';

export interface GitSourceObject {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid?: string;
    readonly generation?: number;
    readonly annotations?: Record<string, string>;
    readonly finalizers?: string[];
    readonly deletionTimestamp?: unknown;
  };
  readonly spec?: unknown;
}

/** Where a GitSource is, for client-node's CustomObjectsApi. */
export const gitSourcePath = (o: GitSourceObject) => ({
  group: GITSOURCE.group,
  version: GITSOURCE.version,
  plural: GITSOURCE.plural,
  namespace: o.metadata.namespace,
  name: o.metadata.name,
});

/** The source name of a GitSource (a label value: at most 63 characters). */
export const sourceNameOf = (o: GitSourceObject): string =>
  `${o.metadata.namespace}.${o.metadata.name}`;

/** The user a GitSource applies as (its serviceAccountName), if any. */
export function impersonationOf(o: GitSourceObject): string | undefined {
  const spec = isObject(o.spec) ? o.spec : {};
  return typeof spec.serviceAccountName === 'string'
    ? `system:serviceaccount:${o.metadata.namespace}:${spec.serviceAccountName}`
    : undefined;
}

/** Git credentials from spec.secretRef's Secret data (decoded): username+password, or token. */
function credentialsOf(
  spec: Record<string, unknown>,
  secret: TrustData | undefined,
  ns: string,
  problems: string[],
): { username: string; password: string } | undefined {
  const ref = isObject(spec.secretRef) ? spec.secretRef : undefined;
  if (!ref) return undefined;
  if (!secret) {
    problems.push(`credentials Secret ${String(ref.name ?? '')} not found in ${ns}`);
    return undefined;
  }
  if (secret.token) return { username: 'x-access-token', password: secret.token };
  if (secret.username && secret.password)
    return { username: secret.username, password: secret.password };
  problems.push(
    `credentials Secret ${String(ref.name ?? '')} needs username and password, or token`,
  );
  return undefined;
}

/** spec.helm without valuesFrom (read by the controller, given as data). */
function helmSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const helm = isObject(spec.helm) ? spec.helm : {};
  return Object.fromEntries(Object.entries(helm).filter(([k]) => k !== 'valuesFrom'));
}

/** The trust material a verification ConfigMap holds. */
export type TrustData = Readonly<Record<string, string>>;

/**
 * A GitSource's spec as a source, with the trust ConfigMap's data. Pure: problems are returned,
 * never thrown (they become the object's Stalled condition).
 */
export function sourceFromGitSource(
  o: GitSourceObject,
  trust: TrustData | undefined,
  rules: TenancyRules,
  secret?: TrustData,
  helmValues: {
    readonly values: readonly Record<string, unknown>[];
    readonly problems: string[];
  } = {
    values: [],
    problems: [],
  },
  /** The data of spec.kubeConfig's Secret (decoded), when it names one that exists. */
  kubeConfigSecret?: TrustData,
): { readonly source?: SourceConfig; readonly problems: string[] } {
  const problems: string[] = [...helmValues.problems];
  const spec = isObject(o.spec) ? o.spec : {};
  const ns = o.metadata.namespace;
  const name = sourceNameOf(o);
  if (name.length > 63) problems.push(`namespace.name must be at most 63 characters: ${name}`);
  const sa = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : undefined;
  if (!sa && rules.requireServiceAccount)
    problems.push(
      'spec.serviceAccountName is required by the platform (gitSources.requireServiceAccount)',
    );
  const destination =
    typeof spec.destinationNamespace === 'string' ? spec.destinationNamespace : ns;
  if (destination !== ns && !rules.crossNamespace)
    problems.push(
      `spec.destinationNamespace ${destination} is not the GitSource's namespace ${ns} (gitSources.crossNamespace is off)`,
    );
  const auth = credentialsOf(spec, secret, ns, problems);
  const remote = remoteOf(o, spec, kubeConfigSecret, rules, problems);
  const v = isObject(spec.verification) ? spec.verification : {};
  const ref = isObject(v.configMapRef) ? v.configMapRef : {};
  if (!trust) problems.push(`verification ConfigMap ${String(ref.name ?? '')} not found in ${ns}`);
  const t = trust ?? {};
  const list = (k: string) =>
    (t[k] ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const raw = {
    // The name is checked above (a GitSource's name may hold dots); parseSource sees a label.
    name: 'gitsource',
    repoURL: spec.repoURL,
    ...(spec.ref !== undefined ? { ref: spec.ref } : {}),
    ...(spec.path !== undefined ? { path: spec.path } : {}),
    ...(spec.interval !== undefined ? { interval: spec.interval } : {}),
    ...(spec.timeout !== undefined ? { timeout: spec.timeout } : {}),
    // A tenant's policies add to the platform's; its enforcement.yaml reaches only its own.
    ...(spec.policyPath !== undefined
      ? { policyPath: spec.policyPath, policyEnforcement: 'own' }
      : {}),
    destinationNamespace: destination,
    // A chart's release is the GitSource's own name (not the source name, which holds a dot).
    helm: { ...helmSpec(spec), releaseName: helmSpec(spec).releaseName ?? o.metadata.name },
    prune: spec.prune ?? true,
    ...(spec.pruneCRDs !== undefined ? { pruneCRDs: spec.pruneCRDs } : {}),
    selfHeal: spec.selfHeal ?? true,
    suspend: spec.suspend ?? false,
    // With a ServiceAccount its RBAC decides what may be written; without one the source stays
    // in its destination namespace, namespaced kinds only.
    ...(sa ? { allowedNamespaces: ['*'], clusterScopedKinds: ['*'] } : {}),
    verification: {
      mode: v.mode ?? 'head',
      ...(t.sshAllowedSigners ? { sshAllowedSigners: t.sshAllowedSigners } : {}),
      ...(t.openpgp
        ? {
            openpgp: [
              {
                publicKey: t.openpgp,
                ...(t.openpgpIdentities ? { identities: list('openpgpIdentities') } : {}),
              },
            ],
          }
        : {}),
      ...(t.x509
        ? {
            x509: {
              cas: [t.x509],
              ...(t.x509Identities ? { identities: list('x509Identities') } : {}),
            },
          }
        : {}),
    },
  };
  const parsed = parseSource(raw, `GitSource ${ns}/${o.metadata.name}`, problems, new Set(), {});
  if (problems.length > 0) return { problems };
  return {
    source: {
      ...parsed,
      name,
      ...(sa ? { impersonate: `system:serviceaccount:${ns}:${sa}` } : {}),
      ...(parsed.policyPath ? { policyNamespaces: [...new Set([ns, destination])] } : {}),
      ...(rules.allowPrivateNetworks === false ? { privateNetworks: false } : {}),
      ...(auth ? { secretAuth: auth } : {}),
      ...(remote ? { remote } : {}),
      ...(parsed.helm && helmValues.values.length > 0
        ? { helm: { ...parsed.helm, valuesFrom: helmValues.values } }
        : {}),
      eventTarget: {
        apiVersion: GITSOURCE.apiVersion,
        kind: GITSOURCE.kind,
        namespace: ns,
        name: o.metadata.name,
        ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
      },
    },
    problems,
  };
}
