import { isObject } from '../../core/object.js';
import { groupOf } from '../model/objects.js';
import { isNotFound } from './errors.js';
import type { KubeHttp } from './http.js';

/** How the apiserver serves a kind: its resource (plural) name and whether it is namespaced. */
export interface Resource {
  readonly namespaced: boolean;
  readonly resource: string;
}

export interface DiscoveryOptions {
  /** A group/version is asked again for a kind it did not list, at most this often. @default 1000 */
  readonly minRefreshMs?: number;
  /** A group/version's answer is trusted this long. @default 300_000 */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

interface Entry {
  at: number;
  kinds: Promise<Map<string, Resource> | undefined>;
}

export const groupVersionPath = (apiVersion: string): string =>
  groupOf(apiVersion) ? `/apis/${apiVersion}` : `/api/${apiVersion}`;

/**
 * Discovery per group/version, cached. A kind the cached answer lacks (a CRD just Established)
 * asks the apiserver again, at most once per `minRefreshMs`; a group/version it does not serve
 * (404) reads as "not served", never as an error to retry.
 */
export class Discovery {
  readonly #cache = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(
    private readonly http: KubeHttp,
    private readonly o: DiscoveryOptions = {},
  ) {
    this.#now = o.now ?? Date.now;
  }

  /** The kind's resource, or undefined when the cluster does not serve it. Throws on API errors. */
  async resourceOf(apiVersion: string, kind: string): Promise<Resource | undefined> {
    const now = this.#now();
    let e = this.#cache.get(apiVersion);
    if (!e || now - e.at > (this.o.ttlMs ?? 300_000)) e = this.#fetch(apiVersion);
    let found = (await e.kinds)?.get(kind);
    if (!found && now - e.at >= (this.o.minRefreshMs ?? 1000)) {
      found = (await this.#fetch(apiVersion).kinds)?.get(kind);
    }
    return found;
  }

  /** Forget what is known (a CRD became Established or was removed). */
  forget(apiVersion?: string): void {
    if (apiVersion === undefined) this.#cache.clear();
    else this.#cache.delete(apiVersion);
  }

  #fetch(apiVersion: string): Entry {
    const kinds = this.http
      .json({ method: 'GET', path: groupVersionPath(apiVersion), timeoutMs: 30_000 })
      .then(
        (doc) => {
          const m = new Map<string, Resource>();
          for (const r of Array.isArray(doc.resources) ? doc.resources : []) {
            if (!isObject(r) || typeof r.name !== 'string' || r.name.includes('/')) continue;
            if (typeof r.kind !== 'string') continue;
            m.set(r.kind, { resource: r.name, namespaced: r.namespaced === true });
          }
          return m;
        },
        (err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw err;
        },
      );
    const e: Entry = { at: this.#now(), kinds };
    this.#cache.set(apiVersion, e);
    kinds.catch(() => {
      if (this.#cache.get(apiVersion) === e) this.#cache.delete(apiVersion);
    });
    return e;
  }
}
