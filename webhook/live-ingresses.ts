import {
  makeInformer,
  NetworkingV1Api,
  type KubeConfig,
  type V1Ingress,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffMs } from '../core/backoff.js';
import { refOfIngress, type IngressRef } from '../core/ingress-hosts.js';

/** At most this many live Ingresses are remembered (hosts only); more are left out and logged. */
export const MAX_LIVE_INGRESSES = 50_000;

/**
 * The hosts of every Ingress in the cluster, kept by a watch (list, then watch; reopened with
 * backoff on error), for the unique-host policy. Only names and hosts are kept.
 */
export class LiveIngresses {
  #byKey = new Map<string, IngressRef>();
  #stopped = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #informer: ReturnType<typeof makeInformer<V1Ingress>> | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
    private readonly onError: () => void = () => {},
    private readonly onSize: (n: number) => void = () => {},
  ) {}

  /** The live Ingresses now. */
  refs(): Iterable<IngressRef> {
    return this.#byKey.values();
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** List and start watching; resolves after the first list (rejects if it fails). */
  async start(): Promise<void> {
    const api = this.kc.makeApiClient(NetworkingV1Api);
    const inf = makeInformer<V1Ingress>(this.kc, '/apis/networking.k8s.io/v1/ingresses', () =>
      api.listIngressForAllNamespaces(),
    );
    const key = (o: V1Ingress): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
    const put = (o: V1Ingress): void => {
      const ref = refOfIngress(o);
      if (!ref) return;
      if (this.#byKey.size >= MAX_LIVE_INGRESSES && !this.#byKey.has(key(o))) return;
      this.#byKey.set(key(o), ref);
      this.onSize(this.#byKey.size);
    };
    inf.on('add', put);
    inf.on('update', put);
    inf.on('delete', (o) => {
      this.#byKey.delete(key(o));
      this.onSize(this.#byKey.size);
    });
    inf.on('connect', () => (this.#failures = 0));
    inf.on('error', (err) => {
      this.onError();
      if (this.#stopped) return;
      const delay = backoffMs(this.#failures++, 1000, 2, 60_000);
      this.log.warn({ reason: String(err).slice(0, 300), retryMs: delay }, 'ingress watch failed');
      this.#timer = setTimeout(() => void inf.start().catch(() => {}), delay);
    });
    this.#informer = inf;
    await inf.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#informer?.stop();
  }
}
