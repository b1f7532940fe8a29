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

const IDLE_MS = 3_600_000;

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
 * kubeconfig that changed (a rotated token) is another key, so it gets fresh clients; clients
 * no source asked for in an hour are let go (every reconcile asks for its watch), so rotations
 * do not pile up. A source that still holds them keeps working.
 */
export class RemoteClusters {
  /** One reader, watch and identity per credentials; one composed cluster per written-as user. */
  readonly #base = new Map<
    string,
    Remote & { readonly kc: KubeConfig; readonly reader: Cluster }
  >();
  readonly #byKey = new Map<string, Remote>();
  readonly #used = new Map<string, number>();

  constructor(
    private readonly home: Cluster,
    private readonly homeNamespace: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many credentials have clients now. */
  get size(): number {
    return this.#base.size;
  }

  of(r: RemoteKubeConfig, impersonate?: string): Remote {
    const creds = createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16);
    this.#sweep(creds);
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

  /** Let go of the clients of credentials no source asked for in IDLE_MS; `creds` is in use. */
  #sweep(creds: string): void {
    const now = this.now();
    this.#used.set(creds, now);
    for (const [c, at] of this.#used) {
      if (now - at < IDLE_MS) continue;
      this.#used.delete(c);
      this.#base.delete(c);
      for (const k of this.#byKey.keys()) if (k.startsWith(`${c}|`)) this.#byKey.delete(k);
    }
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
