import {
  ApiException,
  ApisApi,
  CoreApi,
  CoreV1Api,
  VersionApi,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type V1APIResource,
} from '@kubernetes/client-node';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SOURCE_LABEL } from '../core/labels.js';
import { isObject, refKey, type K8sObject, type ObjectRef } from './objects.js';
import type { ClusterCapabilities } from './render/render.js';

export const FIELD_MANAGER = 'driftgate';
export { SOURCE_LABEL };

type Live = Record<string, unknown>;

/** What the reconciler needs from the cluster; the real one is below, tests may inject another. */
export interface Scope {
  readonly namespaced: boolean;
  readonly resource: string;
}

export interface Cluster {
  get(ref: ObjectRef): Promise<Live | undefined>;
  /** Server-side apply under the `driftgate` field manager, forcing conflicts. */
  apply(obj: K8sObject, opts?: { dryRun?: boolean }): Promise<Live>;
  /** Create (a hook, possibly with metadata.generateName): the object as stored, name included. */
  create(obj: K8sObject): Promise<Live>;
  delete(ref: ObjectRef): Promise<void>;
  /** The server's version and API group/versions (cached for a minute). */
  capabilities(): Promise<ClusterCapabilities>;
  /** Discovery: whether the kind is namespaced and its resource (plural) name. */
  scopeOf(apiVersion: string, kind: string): Promise<Scope>;
  /** Remove annotations with a merge patch (fields another manager owns, e.g. break-glass). */
  removeAnnotations(ref: ObjectRef, keys: readonly string[]): Promise<void>;
  /** Every object of a kind in the cluster (or in one namespace), in pages. */
  list(apiVersion: string, kind: string, namespace?: string): Promise<Live[]>;
  ensureNamespace(name: string): Promise<void>;
  readInventory(namespace: string, source: string): Promise<ObjectRef[]>;
  writeInventory(namespace: string, source: string, refs: readonly ObjectRef[]): Promise<void>;
  /** The revision last applied in full, as recorded on the inventory (undefined: none). */
  appliedRevision(namespace: string, source: string): Promise<string | undefined>;
  recordAppliedRevision(namespace: string, source: string, revision: string): Promise<void>;
  /** Whether the source was suspended through the control route (undefined: never said). */
  suspendedNote(namespace: string, source: string): Promise<boolean | undefined>;
  recordSuspended(namespace: string, source: string, suspended: boolean): Promise<void>;
  event(
    ref: ObjectRef & { readonly uid?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    namespace: string,
  ): Promise<void>;
}

const notFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** Errors from the API server with the status message, never the request body (no secrets). */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    let message = '';
    try {
      const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      message = isObject(body) && typeof body.message === 'string' ? body.message : '';
    } catch {
      message = '';
    }
    return bounded(`HTTP ${err.code}${message ? `: ${message}` : ''}`.replace(/\s*\n\s*/g, ' '));
  }
  // Client errors may carry the whole response (headers included): keep the first line.
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s*Headers:.*$/s, '');
  return bounded(text.split('\n')[0] ?? '');
}

/**
 * At most 500 characters, keeping the head and the tail: the apiserver puts the verdict last
 * ("… field is immutable"), after a dump of the object. Status, events and logs stay small.
 */
const bounded = (text: string): string =>
  text.length <= 500 ? text : `${text.slice(0, 300)} … ${text.slice(-197)}`;

const inventoryName = (source: string): string => `driftgate-inventory-${source}`;
/** On the inventory: the revision last applied in full (a merge patch, apart from the apply). */
export const APPLIED_REVISION = 'driftgate.io/applied-revision';
/** On the inventory: a suspension set through the control route, kept across restarts. */
export const SUSPENDED = 'driftgate.io/suspended';

/** The real cluster through @kubernetes/client-node. */
export function kubeCluster(kc: KubeConfig): Cluster {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const scope = new Map<string, Scope>();
  let caps: { at: number; value: Promise<ClusterCapabilities> } | undefined;
  // Notes on a source's inventory ConfigMap (annotations): the applied revision, a suspension.
  const inventoryNote = async (
    namespace: string,
    source: string,
    key: string,
  ): Promise<string | undefined> => {
    try {
      const cm = await core.readNamespacedConfigMap({ name: inventoryName(source), namespace });
      return cm.metadata?.annotations?.[key];
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  };
  const noteOnInventory = async (namespace: string, source: string, key: string, value: string) => {
    await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: inventoryName(source), namespace, annotations: { [key]: value } },
      } as never,
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  };
  const readCapabilities = async (): Promise<ClusterCapabilities> => {
    const [version, core, groups] = await Promise.all([
      kc.makeApiClient(VersionApi).getCode(),
      kc.makeApiClient(CoreApi).getAPIVersions(),
      kc.makeApiClient(ApisApi).getAPIVersions(),
    ]);
    return {
      kubeVersion: version.gitVersion,
      apiVersions: [
        ...core.versions,
        ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion)),
      ],
    };
  };
  // KubernetesObjectApi.resource() does the discovery we need but is declared protected.
  const resource = (apiVersion: string, kind: string): Promise<V1APIResource | undefined> =>
    (
      objects as unknown as { resource(a: string, k: string): Promise<V1APIResource | undefined> }
    ).resource(apiVersion, kind);
  const header = (ref: ObjectRef) => ({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
  });
  return {
    async get(ref) {
      try {
        return (await objects.read(header(ref))) as unknown as Live;
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async apply(obj, opts = {}) {
      return (await objects.patch(
        obj as never,
        undefined,
        opts.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      )) as unknown as Live;
    },
    async create(obj) {
      return (await objects.create(
        obj as never,
        undefined,
        undefined,
        FIELD_MANAGER,
      )) as unknown as Live;
    },
    async delete(ref) {
      try {
        await objects.delete(header(ref), undefined, undefined, undefined, undefined, 'Background');
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    capabilities() {
      if (!caps || Date.now() - caps.at > 60_000) {
        caps = { at: Date.now(), value: readCapabilities() };
        caps.value.catch(() => (caps = undefined));
      }
      return caps.value;
    },
    async scopeOf(apiVersion, kind) {
      const key = `${apiVersion}/${kind}`;
      const cached = scope.get(key);
      if (cached !== undefined) return cached;
      const missing = `the cluster does not serve ${apiVersion} ${kind}`;
      // One readable line: never the client's dump of the response headers.
      const r = await resource(apiVersion, kind).catch((err: unknown) => {
        throw new Error(
          notFound(err) ? missing : `discovery of ${apiVersion}: ${apiErrorMessage(err)}`,
        );
      });
      if (!r) throw new Error(missing);
      const s = { namespaced: r.namespaced, resource: r.name };
      scope.set(key, s);
      return s;
    },
    async removeAnnotations(ref, keys) {
      const patch = {
        ...header(ref),
        metadata: {
          ...header(ref).metadata,
          annotations: Object.fromEntries(keys.map((k) => [k, null])),
        },
      };
      await objects.patch(
        patch as never,
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      );
    },
    async list(apiVersion, kind, namespace) {
      const out: Live[] = [];
      let token: string | undefined;
      do {
        const page = await objects.list(
          apiVersion,
          kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          500,
          token,
        );
        for (const item of page.items)
          out.push({ apiVersion, kind, ...(item as object) } as unknown as Live);
        token = page.metadata?._continue || undefined;
      } while (token);
      return out;
    },
    async ensureNamespace(name) {
      try {
        await core.readNamespace({ name });
      } catch (err) {
        if (!notFound(err)) throw err;
        await core.createNamespace({ body: { metadata: { name } } });
      }
    },
    async readInventory(namespace, source) {
      try {
        const cm = await core.readNamespacedConfigMap({ name: inventoryName(source), namespace });
        const packed = cm.binaryData?.['objects.json.gz'];
        return JSON.parse(
          packed
            ? gunzipSync(Buffer.from(packed, 'base64')).toString()
            : (cm.data?.objects ?? '[]'),
        ) as ObjectRef[];
      } catch (err) {
        if (notFound(err)) return [];
        throw err;
      }
    },
    async appliedRevision(namespace, source) {
      return inventoryNote(namespace, source, APPLIED_REVISION);
    },
    async recordAppliedRevision(namespace, source, revision) {
      await noteOnInventory(namespace, source, APPLIED_REVISION, revision);
    },
    async suspendedNote(namespace, source) {
      const v = await inventoryNote(namespace, source, SUSPENDED);
      return v === undefined ? undefined : v === 'true';
    },
    async recordSuspended(namespace, source, suspended) {
      await noteOnInventory(namespace, source, SUSPENDED, String(suspended));
    },
    async writeInventory(namespace, source, refs) {
      const sorted = [...refs].sort((a, b) => refKey(a).localeCompare(refKey(b)));
      await objects.patch(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: inventoryName(source), namespace, labels: { [SOURCE_LABEL]: source } },
          // gzip keeps 10,000 refs far below the 1 MiB ConfigMap limit.
          binaryData: { 'objects.json.gz': gzipSync(JSON.stringify(sorted)).toString('base64') },
        } as never,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    },
    async event(ref, type, reason, message, namespace) {
      const now = new Date();
      await core.createNamespacedEvent({
        namespace: ref.namespace ?? namespace,
        body: {
          metadata: { generateName: 'driftgate-', namespace: ref.namespace ?? namespace },
          involvedObject: {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            name: ref.name,
            ...(ref.namespace ? { namespace: ref.namespace } : {}),
            ...(ref.uid ? { uid: ref.uid } : {}),
          },
          type,
          reason,
          message: message.slice(0, 1000),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: 'driftgate-reconciler' },
          reportingComponent: 'driftgate-reconciler',
          reportingInstance: 'driftgate',
        },
      });
    },
  };
}
