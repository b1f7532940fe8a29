import type { KubeConfig } from '@kubernetes/client-node';
import { isObject } from '../../core/object.js';
import type { Cluster } from './port.js';
import type { ClusterCapabilities } from '../render/render.js';
import { recordEvent } from './events.js';
import { statusOf } from './errors.js';
import { kubeHttp, type KubeHttp } from './http.js';
import { APPLIED_REVISION, Inventories, SUSPENDED } from './inventory.js';
import { KubeObjects } from './objects.js';

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

async function readCapabilities(http: KubeHttp): Promise<ClusterCapabilities> {
  const [version, core, groups] = await Promise.all([
    http.json({ method: 'GET', path: '/version' }),
    http.json({ method: 'GET', path: '/api' }),
    http.json({ method: 'GET', path: '/apis' }),
  ]);
  const grouped = (Array.isArray(groups.groups) ? groups.groups : [])
    .filter(isObject)
    .flatMap((g) => (Array.isArray(g.versions) ? g.versions : []))
    .filter(isObject)
    .map((v) => v.groupVersion)
    .filter((v): v is string => typeof v === 'string');
  return {
    kubeVersion: typeof version.gitVersion === 'string' ? version.gitVersion : '',
    apiVersions: [...strings(core.versions), ...grouped],
  };
}

/** The real cluster, as raw JSON over client-node's credentials (no typed models anywhere). */
export function kubeCluster(kc: KubeConfig): Cluster {
  return clusterOver(new KubeObjects(kubeHttp(kc)));
}

/** A Cluster over raw object access (shared discovery, inventories, events). */
export function clusterOver(objects: KubeObjects): Cluster {
  const inventories = new Inventories(objects);
  let caps: { at: number; value: Promise<ClusterCapabilities> } | undefined;
  return {
    get: (ref) => objects.get(ref),
    apply: (obj, opts = {}) => objects.apply(obj, opts),
    create: (obj) => objects.create(obj),
    delete: (ref) => objects.delete(ref),
    capabilities() {
      if (!caps || Date.now() - caps.at > 60_000) {
        caps = { at: Date.now(), value: readCapabilities(objects.http) };
        caps.value.catch(() => (caps = undefined));
      }
      return caps.value;
    },
    async scopeOf(apiVersion, kind) {
      const r = await objects.resource(apiVersion, kind);
      return { namespaced: r.namespaced, resource: r.resource };
    },
    served: async (apiVersion, kind) =>
      (await objects.discovery.resourceOf(apiVersion, kind)) !== undefined,
    async removeAnnotations(ref, keys) {
      await objects.mergePatch(ref, {
        metadata: { annotations: Object.fromEntries(keys.map((k) => [k, null])) },
      });
    },
    async removeFinalizer(ref, finalizer) {
      // The whole list is replaced under the object's resourceVersion: a concurrent change of
      // the finalizers is not lost (409, read again).
      for (let attempt = 0; ; attempt++) {
        const live = await objects.get(ref);
        const meta = (live?.metadata ?? {}) as { finalizers?: string[]; resourceVersion?: string };
        if (!meta.finalizers?.includes(finalizer)) return;
        try {
          await objects.mergePatch(ref, {
            metadata: {
              finalizers: meta.finalizers.filter((f) => f !== finalizer),
              resourceVersion: meta.resourceVersion,
            },
          });
          return;
        } catch (err) {
          if (statusOf(err) === 404) return;
          if (statusOf(err) !== 409 || attempt >= 4) throw err;
        }
      }
    },
    list: (apiVersion, kind, namespace) =>
      objects.list(apiVersion, kind, namespace ? { namespace } : {}),
    async ensureNamespace(name) {
      const ref = { apiVersion: 'v1', kind: 'Namespace', name };
      if (await objects.get(ref)) return;
      try {
        await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (err) {
        // Created meanwhile by someone else: what was asked for is there.
        if (statusOf(err) !== 409) throw err;
      }
    },
    readInventory: (namespace, source) => inventories.read(namespace, source),
    writeInventory: (namespace, source, refs) => inventories.write(namespace, source, refs),
    readGuard: (namespace, source) => inventories.readGuard(namespace, source),
    writeGuard: (namespace, source, doc) => inventories.writeGuard(namespace, source, doc),
    appliedRevision: (namespace, source) => inventories.note(namespace, source, APPLIED_REVISION),
    recordAppliedRevision: (namespace, source, revision) =>
      inventories.setNote(namespace, source, APPLIED_REVISION, revision),
    async suspendedNote(namespace, source) {
      const v = await inventories.note(namespace, source, SUSPENDED);
      return v === undefined ? undefined : v === 'true';
    },
    recordSuspended: (namespace, source, suspended) =>
      inventories.setNote(namespace, source, SUSPENDED, String(suspended)),
    event: (ref, type, reason, message, namespace) =>
      recordEvent(objects.http, ref, type, reason, message, namespace),
  };
}
