import type { Logger } from 'pino';
import { refOfIngress, type IngressRef } from '../core/ingress-hosts.js';
import { isObject } from '../core/object.js';
import type { KubeAccess } from './kube-access.js';
import { ListWatch } from './list-watch.js';

/** At most this many live Ingresses are remembered (hosts only); more are left out. */
export const MAX_LIVE_INGRESSES = 50_000;
const PATH = '/apis/networking.k8s.io/v1/ingresses';

const keyOf = (obj: Record<string, unknown>): string => {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  return `${String(meta.namespace)}/${String(meta.name)}`;
};

/**
 * The hosts of every Ingress in the cluster for the unique-host policy, followed by a
 * ListWatch. Only namespace, name and hosts are kept.
 */
export class LiveIngresses {
  #byKey = new Map<string, IngressRef>();
  #watch: ListWatch;

  constructor(
    access: KubeAccess,
    log: Logger,
    onError: () => void = () => {},
    private readonly onSize: (n: number) => void = () => {},
  ) {
    this.#watch = new ListWatch(
      access,
      PATH,
      {
        replace: (items) => {
          const next = new Map<string, IngressRef>();
          for (const item of items) this.#put(next, item);
          this.#byKey = next;
          this.onSize(next.size);
        },
        put: (obj) => {
          this.#put(this.#byKey, obj);
          this.onSize(this.#byKey.size);
        },
        remove: (obj) => {
          this.#byKey.delete(keyOf(obj));
          this.onSize(this.#byKey.size);
        },
        onError,
      },
      log,
    );
  }

  refs(): Iterable<IngressRef> {
    return this.#byKey.values();
  }

  /** List, then keep watching; resolves after the first list (rejects when it fails). */
  start(): Promise<void> {
    return this.#watch.start();
  }

  stop(): void {
    this.#watch.stop();
  }

  #put(into: Map<string, IngressRef>, obj: unknown): void {
    const ref = refOfIngress(obj);
    if (!ref) return;
    const key = `${ref.namespace}/${ref.name}`;
    if (into.size >= MAX_LIVE_INGRESSES && !into.has(key)) return;
    into.set(key, ref);
  }
}
