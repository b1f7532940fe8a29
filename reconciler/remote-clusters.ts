import { createHash } from 'node:crypto';
import { kubeCluster, clusterOver } from './kube/cluster.js';
import { kubeHttp } from './kube/http.js';
import { impersonating, remoteKubeConfig } from './kube/kubeconfig.js';
import { KubeObjects } from './kube/objects.js';
import { onRemote } from './kube/on-remote.js';
import type { Cluster } from './kube/port.js';
import type { RemoteKubeConfig } from './kube/remote-kubeconfig.js';
import { selfSubject } from './kube/self-subject.js';
import { kubeWatch } from './kube/watch.js';
import { writesAs } from './kube/writes-as.js';
import type { SourceWatch } from './runtime/runtime.js';

interface Remote {
  readonly cluster: Cluster;
  readonly watch: SourceWatch;
  /**
   * Who the credentials are in the remote cluster: asked when first built and again, at most
   * every 30 s, while the cluster has not answered; undefined until it does.
   */
  identity(): string | undefined;
}

/**
 * The clients of remote clusters, one per distinct kubeconfig (and per ServiceAccount written
 * as): sources with the same credentials share a connection pool, discovery and watches. A
 * kubeconfig that changed (a rotated token) is another key, so it gets fresh clients.
 */
export class RemoteClusters {
  readonly #byKey = new Map<string, Remote>();

  constructor(
    private readonly home: Cluster,
    private readonly homeNamespace: string,
  ) {}

  of(r: RemoteKubeConfig, impersonate?: string): Remote {
    const creds = createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16);
    const key = `${creds}|${impersonate ?? ''}`;
    let remote = this.#byKey.get(key);
    if (remote) return remote;
    const kc = remoteKubeConfig(r);
    const objects = new KubeObjects(kubeHttp(kc));
    const reader = clusterOver(objects);
    // A ServiceAccount is impersonated in the remote cluster: the spoke's RBAC decides.
    const target = impersonate
      ? writesAs(reader, kubeCluster(impersonating(kc, impersonate)))
      : reader;
    const who = { name: undefined as string | undefined, askedAt: -Infinity, asking: false };
    const ask = (): void => {
      if (who.name !== undefined || who.asking || Date.now() - who.askedAt < 30_000) return;
      Object.assign(who, { asking: true, askedAt: Date.now() });
      void selfSubject(objects.http).then((u) => Object.assign(who, { name: u, asking: false }));
    };
    ask();
    remote = {
      cluster: onRemote(this.home, target, this.homeNamespace),
      watch: { key: `remote|${creds}`, open: kubeWatch(objects), perNamespace: true },
      identity: () => {
        ask();
        return who.name;
      },
    };
    this.#byKey.set(key, remote);
    return remote;
  }
}
