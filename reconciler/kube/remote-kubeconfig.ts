import { parse } from 'yaml';
import { isObject } from '../../core/object.js';

/** A kubeconfig Secret's value is at most this large (a real one with certificates: ~6 KiB). */
export const MAX_KUBECONFIG_BYTES = 64 * 1024;

/**
 * A remote cluster as a kubeconfig Secret names it, reduced to what it may hold: inline
 * credentials for one server. Kept in memory only: never logged, never in status.
 */
export interface RemoteKubeConfig {
  /** The server URL, as written (https only). */
  readonly server: string;
  readonly caData?: string;
  readonly tlsServerName?: string;
  readonly token?: string;
  readonly certData?: string;
  readonly keyData?: string;
}

// What each entry may hold. Anything else is refused by name: an `exec` plugin or an
// `auth-provider` would run a command or a token helper in the reconciler's pod, and the file
// references (`tokenFile`, `client-certificate`, `client-key`, `certificate-authority`) would
// read its files (its own ServiceAccount token among them).
const CLUSTER_KEYS = new Set(['server', 'certificate-authority-data', 'tls-server-name']);
const USER_KEYS = new Set(['token', 'client-certificate-data', 'client-key-data']);
const WHY: Record<string, string> = {
  exec: 'an exec credential plugin would run a command in the reconciler',
  'auth-provider': 'an auth provider would run its token helper in the reconciler',
  tokenFile: "a token file would be read from the reconciler's file system",
  'client-certificate': "a certificate file would be read from the reconciler's file system",
  'client-key': "a key file would be read from the reconciler's file system",
  'certificate-authority': "a CA file would be read from the reconciler's file system",
  'insecure-skip-tls-verify': "the server's certificate would not be checked",
  'proxy-url': 'requests would go through a proxy the platform did not choose',
  as: 'impersonation is for the platform to set (spec.serviceAccountName)',
  'as-groups': 'impersonation is for the platform to set (spec.serviceAccountName)',
  'as-uid': 'impersonation is for the platform to set (spec.serviceAccountName)',
  username: 'basic authentication is not supported by Kubernetes',
  password: 'basic authentication is not supported by Kubernetes',
};

const named = (list: unknown, name: unknown, key: string): Record<string, unknown> | undefined => {
  if (!Array.isArray(list)) return undefined;
  const e: unknown = list.find((x) => isObject(x) && x.name === name);
  return isObject(e) && isObject(e[key]) ? e[key] : undefined;
};

function refused(entry: Record<string, unknown>, allowed: Set<string>, what: string): string[] {
  return Object.keys(entry)
    .filter((k) => !allowed.has(k) && !(k === 'extensions' && Array.isArray(entry[k])))
    .map((k) => `${what}.${k} is refused: ${WHY[k] ?? 'not a field driftgate reads'}`);
}

const str = (x: unknown): string | undefined => (typeof x === 'string' && x ? x : undefined);

/**
 * Read a kubeconfig from a Secret's value: its current context's cluster and user, with inline
 * credentials only. Pure; every problem is returned, nothing is thrown, and no value is quoted.
 */
export function parseRemoteKubeConfig(
  text: string,
): { readonly config: RemoteKubeConfig } | { readonly problems: string[] } {
  if (Buffer.byteLength(text) > MAX_KUBECONFIG_BYTES)
    return { problems: [`the kubeconfig is larger than ${MAX_KUBECONFIG_BYTES} bytes`] };
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0, uniqueKeys: true });
  } catch {
    return { problems: ['the kubeconfig is not YAML'] };
  }
  if (!isObject(doc)) return { problems: ['the kubeconfig is not a mapping'] };
  const current = doc['current-context'];
  const context = named(doc.contexts, current, 'context');
  if (!context) return { problems: ['the kubeconfig has no current-context that it defines'] };
  const cluster = named(doc.clusters, context.cluster, 'cluster');
  const user = named(doc.users, context.user, 'user') ?? (context.user ? undefined : {});
  if (!cluster || !user)
    return { problems: ["the kubeconfig's current context names no cluster or user it defines"] };
  const problems = [
    ...refused(cluster, CLUSTER_KEYS, 'cluster'),
    ...refused(user, USER_KEYS, 'user'),
  ];
  const server = str(cluster.server);
  if (!server || !/^https:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(server))
    problems.push('cluster.server must be an https:// URL');
  if (!str(user.token) && !(str(user['client-certificate-data']) && str(user['client-key-data'])))
    problems.push('user needs a token, or client-certificate-data and client-key-data');
  if (problems.length > 0 || !server) return { problems };
  const opt = (k: string, v: unknown) => (str(v) ? { [k]: str(v) } : {});
  return {
    config: {
      server,
      ...opt('caData', cluster['certificate-authority-data']),
      ...opt('tlsServerName', cluster['tls-server-name']),
      ...opt('token', user.token),
      ...opt('certData', user['client-certificate-data']),
      ...opt('keyData', user['client-key-data']),
    },
  };
}

/** The server as the platform's cluster list compares it: lower-case host, no trailing slash. */
export function serverKey(server: string): string {
  try {
    const u = new URL(server);
    const port = u.port && u.port !== '443' ? `:${u.port}` : '';
    return `https://${u.hostname.toLowerCase()}${port}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return server;
  }
}
