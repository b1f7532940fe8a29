import type { Logger } from 'pino';
import { isObject } from '../core/object.js';
import { isNeverSynced, slim, type SyncKind } from '../policies/engine/gatekeeper/inventory.js';
import { kubeJson, type KubeAccess } from './kube-access.js';
import { ListWatch, MAX_WATCH_BODY } from './list-watch.js';

/**
 * @default the most cluster objects kept for Gatekeeper's data.inventory (over all kinds): about
 * what fits in MAX_INVENTORY_BYTES at ~600 bytes an object.
 */
export const DEFAULT_MAX_INVENTORY = 5_000;

/** A kind's key in a sync set: group/version/kind. */
export const syncKey = (k: SyncKind): string => `${k.group}/${k.version}/${k.kind}`;

const objectKey = (o: Record<string, unknown>): string => {
  const meta = isObject(o.metadata) ? o.metadata : {};
  return `${String(meta.namespace ?? '')}/${String(meta.name)}`;
};

/** The collection path of a kind, from discovery (undefined: the cluster does not serve it). */
async function collectionPath(access: KubeAccess, k: SyncKind): Promise<string | undefined> {
  const base = k.group === '' ? `/api/${k.version}` : `/apis/${k.group}/${k.version}`;
  const doc = await kubeJson(access, base, { timeoutMs: 30_000, maxBytes: MAX_WATCH_BODY }).catch(
    () => undefined,
  );
  const resources = Array.isArray(doc?.resources) ? doc.resources : [];
  const r = resources.find(
    (x) => isObject(x) && x.kind === k.kind && typeof x.name === 'string' && !x.name.includes('/'),
  ) as { name: string } | undefined;
  return r ? `${base}/${r.name}` : undefined;
}

interface Store {
  objects: Map<string, Record<string, unknown>>;
}

interface Followed {
  readonly watch: ListWatch;
  readonly store: Store;
}

/**
 * The cluster objects Gatekeeper templates read (data.inventory): one ListWatch per synced kind,
 * bounded in number over all kinds (objects past `maxObjects` are left out and counted). Secrets
 * are never cached. `onChange` is called after any change (callers coalesce).
 */
export class LiveInventory {
  #followed = new Map<string, Followed>();
  #full = false;

  constructor(
    private readonly access: KubeAccess,
    private readonly log: Logger,
    private readonly o: {
      readonly maxObjects: number;
      readonly onChange: () => void;
      readonly onError?: () => void;
    },
  ) {}

  get size(): number {
    let n = 0;
    for (const f of this.#followed.values()) n += f.store.objects.size;
    return n;
  }

  *objects(): Iterable<Record<string, unknown>> {
    for (const f of this.#followed.values()) yield* f.store.objects.values();
  }

  /** A live Namespace, when Namespaces are followed and it exists. */
  namespaceObject(name: string): Record<string, unknown> | undefined {
    return this.#followed.get('/v1/Namespace')?.store.objects.get(`/${name}`);
  }

  /** The labels of a live Namespace, when Namespaces are followed and it exists. */
  namespaceLabels(name: string): Record<string, string> | undefined {
    const meta = this.namespaceObject(name)?.metadata;
    if (!isObject(meta)) return undefined;
    return isObject(meta.labels) ? (meta.labels as Record<string, string>) : {};
  }

  #following: Promise<void> = Promise.resolve();

  /**
   * Follow exactly these kinds: watches start for new ones and stop for those no longer asked.
   * Calls run one after another (two bundles in a row never start one kind twice).
   */
  follow(kinds: readonly SyncKind[]): Promise<void> {
    this.#following = this.#following.then(() => this.#follow(kinds));
    return this.#following;
  }

  async #follow(kinds: readonly SyncKind[]): Promise<void> {
    const want = new Map(kinds.filter((k) => !isNeverSynced(k)).map((k) => [syncKey(k), k]));
    for (const [key, f] of this.#followed)
      if (!want.has(key)) {
        f.watch.stop();
        this.#followed.delete(key);
        this.o.onChange();
      }
    for (const [key, k] of want) {
      if (this.#followed.has(key)) continue;
      const path = await collectionPath(this.access, k);
      if (!path) {
        this.log.info({ kind: key }, 'inventory: the cluster does not serve this kind');
        continue;
      }
      const store: Store = { objects: new Map() };
      const watch = new ListWatch(this.access, path, this.#sink(store, k), this.log);
      this.#followed.set(key, { watch, store });
      await watch.start().catch(() => undefined); // retried in the background
    }
  }

  stop(): void {
    for (const f of this.#followed.values()) f.watch.stop();
    this.#followed.clear();
  }

  #sink(f: Store, k: SyncKind) {
    const put = (into: Map<string, Record<string, unknown>>, obj: unknown): void => {
      if (!isObject(obj)) return;
      const key = objectKey(obj);
      if (!into.has(key) && this.size >= this.o.maxObjects) {
        if (!this.#full)
          this.log.warn(
            { maxObjects: this.o.maxObjects },
            'inventory full: objects past inventory.maxObjects are left out',
          );
        this.#full = true;
        return;
      }
      into.set(key, slim(obj, k));
    };
    return {
      replace: (items: readonly unknown[]) => {
        f.objects = new Map();
        for (const item of items) put(f.objects, item);
        this.o.onChange();
      },
      put: (obj: Record<string, unknown>) => {
        put(f.objects, obj);
        this.o.onChange();
      },
      remove: (obj: Record<string, unknown>) => {
        f.objects.delete(objectKey(obj));
        this.o.onChange();
      },
      onError: () => this.o.onError?.(),
    };
  }
}
