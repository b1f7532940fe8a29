import { KubeConfig } from '@kubernetes/client-node';
import type { RemoteKubeConfig } from './remote-kubeconfig.js';

/** The undici dispatcher client-node 2.x sets on each request (only `close` is used here). */
interface Dispatcher {
  close(): Promise<void>;
}

/**
 * Make `kc` reuse one keep-alive connection pool. client-node builds a new dispatcher (and TLS
 * context and socket) for every request: 1.x a new https.Agent (kubernetes-client/javascript#2893),
 * 2.x a new undici Agent. At 10,000 applies that held ~700 MiB of native memory. The pool is
 * cached per cluster server and credentials, so a reloaded kubeconfig still gets a fresh one.
 */
export function withSharedAgent(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as {
    createDispatcher(
      cluster: { server: string } | null,
      opts: Record<string, unknown>,
    ): Dispatcher | undefined;
  };
  const original = target.createDispatcher.bind(kc);
  const pools = new Map<string, Dispatcher | undefined>();
  target.createDispatcher = (cluster, opts) => {
    const key = `${cluster?.server ?? ''}|${String(opts.cert ?? '')}|${String(opts.key ?? '')}|${String(opts.ca ?? '')}`;
    if (!pools.has(key)) pools.set(key, original(cluster, opts));
    return pools.get(key);
  };
  return kc;
}

/**
 * A copy of `kc` whose requests share one keep-alive agent. Watches keep the original: a
 * long-lived watch on a pooled socket did not notice an apiserver restart.
 */
export function sharedAgentCopy(kc: KubeConfig): KubeConfig {
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return withSharedAgent(copy);
}

/**
 * A copy of `kc` (shared agent) whose requests impersonate `user` (Impersonate-User; for a
 * ServiceAccount the apiserver adds its groups). The reconciler needs `impersonate` on it.
 */
export function impersonating(kc: KubeConfig, user: string): KubeConfig {
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users.map((u) =>
      u.name === kc.getCurrentUser()?.name ? { ...u, impersonateUser: user } : u,
    ),
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return withSharedAgent(copy);
}

/**
 * The client configuration of a remote cluster (a GitSource's kubeconfig Secret, already
 * reduced to inline credentials by parseRemoteKubeConfig): nothing in it reads a file or runs
 * a command. Requests share one keep-alive agent.
 */
export function remoteKubeConfig(r: RemoteKubeConfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'remote',
        server: r.server,
        skipTLSVerify: false,
        ...(r.caData ? { caData: r.caData } : {}),
        ...(r.tlsServerName ? { tlsServerName: r.tlsServerName } : {}),
      },
    ],
    users: [
      {
        name: 'remote',
        ...(r.token ? { token: r.token } : {}),
        ...(r.certData ? { certData: r.certData } : {}),
        ...(r.keyData ? { keyData: r.keyData } : {}),
      },
    ],
    contexts: [{ name: 'remote', cluster: 'remote', user: 'remote' }],
    currentContext: 'remote',
  });
  return withSharedAgent(kc);
}
