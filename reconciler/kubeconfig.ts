import type { Agent } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * Make `kc` reuse one keep-alive HTTPS agent. client-node 1.x builds a new agent (and TLS
 * context and socket) for every request (kubernetes-client/javascript#2893): at 10,000 applies
 * that held ~700 MiB of native memory. The agent is cached per cluster server and credentials,
 * so a reloaded kubeconfig still gets a fresh one.
 */
export function withSharedAgent(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as {
    createAgent(cluster: { server: string }, opts: Record<string, unknown>): Agent;
  };
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, opts) => {
    const key = `${cluster.server}|${String(opts.cert ?? '')}|${String(opts.key ?? '')}|${String(opts.ca ?? '')}`;
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...opts, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
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
