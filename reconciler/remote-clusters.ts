import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
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
 * The clients of remote clusters, one per distinct kubeconfig: sources with the same
 * credentials share a connection pool, discovery, watches and the identity asked for, whichever
 * ServiceAccount each writes as. A
 * kubeconfig that changed (a rotated token) is another key, so it gets fresh clients.
 */
export class RemoteClusters {
  /** One reader, watch and identity per credentials; one composed cluster per written-as user. */
  readonly #base = new Map<
    string,
    Remote & { readonly kc: KubeConfig; readonly reader: Cluster }
  >();
  readonly #byKey = new Map<string, Remote>();

  constructor(
    private readonly home: Cluster,
    private readonly homeNamespace: string,
  ) {}

  of(r: RemoteKubeConfig, impersonate?: string): Remote {
    const creds = createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16);
    const base = this.#base.get(creds) ?? this.#built(creds, r);
    if (!impersonate) return base;
    const key = `${creds}|${impersonate}`;
    let remote = this.#byKey.get(key);
    if (!remote) {
      // A ServiceAccount is impersonated in the remote cluster: the spoke's RBAC decides.
      const writer = writesAs(base.reader, kubeCluster(impersonating(base.kc, impersonate)));
      remote = { ...base, cluster: onRemote(this.home, writer, this.homeNamespace) };
      this.#byKey.set(key, remote);
    }
    return remote;
  }

  #built(creds: string, r: RemoteKubeConfig) {
    const kc = remoteKubeConfig(r);
    const objects = new KubeObjects(kubeHttp(kc));
    const reader = clusterOver(objects);
    const who = { name: undefined as string | undefined, askedAt: -Infinity, asking: false };
    const ask = (): void => {
      if (who.name !== undefined || who.asking || Date.now() - who.askedAt < 30_000) return;
      Object.assign(who, { asking: true, askedAt: Date.now() });
      void selfSubject(objects.http).then((u) => Object.assign(who, { name: u, asking: false }));
    };
    ask();
    const base = {
      kc,
      reader,
      cluster: onRemote(this.home, reader, this.homeNamespace),
      watch: { key: `remote|${creds}`, open: kubeWatch(objects), perNamespace: true },
      identity: () => {
        ask();
        return who.name;
      },
    };
    this.#base.set(creds, base);
    return base;
  }
}
