import { isObject } from '../../core/object.js';
import { refOf, type K8sObject, type ObjectRef } from '../model/objects.js';
import { Discovery, groupVersionPath, type Resource } from './discovery.js';
import { isNotFound } from './errors.js';
import type { KubeHttp } from './http.js';

type Live = Record<string, unknown>;

export const FIELD_MANAGER = 'driftgate';
/** Objects per LIST page: small enough that a page of large CRDs stays a few MiB. */
export const LIST_PAGE = 100;

/** A page of a LIST: the items (apiVersion and kind filled in) and where the list stands. */
export interface ListPage {
  readonly items: Live[];
  readonly resourceVersion: string;
  readonly continue?: string;
}

/**
 * Objects as raw JSON on every path (get, apply, create, delete, patch, list): what Git
 * declares is sent as rendered, what the apiserver answers is returned as it is.
 */
export class KubeObjects {
  readonly discovery: Discovery;

  constructor(
    readonly http: KubeHttp,
    discovery?: Discovery,
  ) {
    this.discovery = discovery ?? new Discovery(http);
  }

  /** The kind's resource; throws "the cluster does not serve …" when it is not served. */
  async resource(apiVersion: string, kind: string): Promise<Resource> {
    const r = await this.discovery.resourceOf(apiVersion, kind);
    if (!r) throw new Error(`the cluster does not serve ${apiVersion} ${kind}`);
    return r;
  }

  /** The collection path of a kind (in `namespace` when namespaced, else cluster-wide). */
  async collection(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${groupVersionPath(apiVersion)}${ns}/${r.resource}`;
  }

  async #path(ref: ObjectRef): Promise<string> {
    const r = await this.resource(ref.apiVersion, ref.kind);
    const ns = r.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? 'default')}` : '';
    return `${groupVersionPath(ref.apiVersion)}${ns}/${r.resource}/${encodeURIComponent(ref.name)}`;
  }

  /** The live object, or undefined when it does not exist (its kind not served included). */
  async get(ref: ObjectRef): Promise<Live | undefined> {
    if (!(await this.discovery.resourceOf(ref.apiVersion, ref.kind))) return undefined;
    try {
      return await this.http.json({ method: 'GET', path: await this.#path(ref) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Server-side apply of `obj` exactly as given, forcing conflicts. */
  async apply(obj: K8sObject, o: { dryRun?: boolean; fieldManager?: string } = {}): Promise<Live> {
    return this.http.json({
      method: 'PATCH',
      path: await this.#path(refOf(obj)),
      query: {
        fieldManager: o.fieldManager ?? FIELD_MANAGER,
        force: true,
        ...(o.dryRun ? { dryRun: 'All' } : {}),
      },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** Create `obj` (it may have only a generateName): the object as stored. */
  async create(obj: K8sObject): Promise<Live> {
    return this.http.json({
      method: 'POST',
      path: await this.collection(obj.apiVersion, obj.kind, obj.metadata.namespace ?? 'default'),
      query: { fieldManager: FIELD_MANAGER },
      body: obj,
    });
  }

  /** A JSON merge patch (RFC 7386). */
  async mergePatch(ref: ObjectRef, patch: unknown): Promise<Live> {
    return this.http.json({
      method: 'PATCH',
      path: await this.#path(ref),
      query: { fieldManager: FIELD_MANAGER },
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /**
   * Delete in the background; an absent object is not an error. Resolves with the object as the
   * apiserver answered (still there, with a deletionTimestamp, while finalizers hold it), or
   * undefined when it is gone.
   */
  async delete(ref: ObjectRef): Promise<Live | undefined> {
    try {
      const got = await this.http.json({
        method: 'DELETE',
        path: await this.#path(ref),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
      });
      return got.kind === 'Status' ? undefined : got;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One page of a LIST. */
  async listPage(
    apiVersion: string,
    kind: string,
    o: { namespace?: string; labelSelector?: string; limit?: number; continue?: string } = {},
  ): Promise<ListPage> {
    const doc = await this.http.json({
      method: 'GET',
      path: await this.collection(apiVersion, kind, o.namespace),
      query: { labelSelector: o.labelSelector, limit: o.limit ?? LIST_PAGE, continue: o.continue },
    });
    const meta = isObject(doc.metadata) ? doc.metadata : {};
    const items = (Array.isArray(doc.items) ? doc.items : []).filter(isObject);
    // Items of a LIST carry no apiVersion and kind: give them back.
    for (const item of items) {
      item.apiVersion = apiVersion;
      item.kind = kind;
    }
    const next = typeof meta.continue === 'string' && meta.continue ? meta.continue : undefined;
    return {
      items,
      resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
      ...(next ? { continue: next } : {}),
    };
  }

  /** Every object of a kind (in one namespace, or all), page by page. */
  async list(
    apiVersion: string,
    kind: string,
    o: { namespace?: string; labelSelector?: string; limit?: number } = {},
  ): Promise<Live[]> {
    const out: Live[] = [];
    let token: string | undefined;
    do {
      const page = await this.listPage(apiVersion, kind, { ...o, continue: token });
      out.push(...page.items);
      token = page.continue;
    } while (token);
    return out;
  }
}
