import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SOURCE_LABEL } from '../../core/labels.js';
import { isObject } from '../../core/object.js';
import { refKey, type ObjectRef } from '../model/objects.js';
import type { KubeObjects } from './objects.js';

/** On the inventory: the revision last applied in full (a merge patch, apart from the apply). */
export const APPLIED_REVISION = 'driftgate.io/applied-revision';
/** On the inventory: a suspension set through the control route, kept across restarts. */
export const SUSPENDED = 'driftgate.io/suspended';

const digest = (json: string): string => createHash('sha256').update(json).digest('base64');
const inventoryName = (source: string): string => `driftgate-inventory-${source}`;
const guardName = (source: string): string => `driftgate-guard-${source}`;
/** A guard record's gzip past this is not kept (a ConfigMap holds at most 1 MiB). */
export const MAX_GUARD_GZIP = 900 * 1024;
/** A guard record's JSON past this is not read back. */
const MAX_GUARD_JSON = 64 * 1024 * 1024;
const ref = (namespace: string, source: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace,
  name: inventoryName(source),
});

/**
 * A source's inventory: a ConfigMap in driftgate's namespace holding the refs it applied
 * (gzip, so 10,000 refs stay far below the 1 MiB limit) and notes as annotations.
 */
export class Inventories {
  /** A digest of the JSON each inventory last held as this process read or wrote it. */
  readonly #last = new Map<string, string>();

  constructor(private readonly objects: KubeObjects) {}

  /** The refs last written (none when there is no inventory yet). Throws API errors. */
  async read(namespace: string, source: string): Promise<ObjectRef[]> {
    const key = `${namespace}/${source}`;
    const cm = await this.objects.get(ref(namespace, source));
    this.#last.delete(key);
    if (!cm) return [];
    const binary = isObject(cm.binaryData) ? cm.binaryData : {};
    const data = isObject(cm.data) ? cm.data : {};
    const packed = binary['objects.json.gz'];
    const text =
      typeof packed === 'string'
        ? gunzipSync(Buffer.from(packed, 'base64')).toString()
        : typeof data.objects === 'string'
          ? data.objects
          : '[]';
    if (typeof packed === 'string') this.#last.set(key, digest(text));
    return JSON.parse(text) as ObjectRef[];
  }

  /**
   * Write a source's refs (sorted, so the same set is the same bytes). Nothing is sent when the
   * inventory as last read or written here holds exactly them: a commit that changes objects
   * but not which ones costs no write of 10,000 refs.
   */
  async write(namespace: string, source: string, refs: readonly ObjectRef[]): Promise<void> {
    const key = `${namespace}/${source}`;
    const sorted = refs
      .map((r) => [refKey(r), r] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, r]) => r);
    const json = JSON.stringify(sorted);
    const sum = digest(json);
    if (this.#last.get(key) === sum) return;
    this.#last.delete(key);
    await this.objects.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: inventoryName(source), namespace, labels: { [SOURCE_LABEL]: source } },
      binaryData: { 'objects.json.gz': gzipSync(json).toString('base64') },
    });
    this.#last.set(key, sum);
  }

  /** A source's last guard entries (undefined: none recorded, or unreadable). */
  async readGuard(namespace: string, source: string): Promise<unknown> {
    const cm = await this.objects.get({ ...ref(namespace, source), name: guardName(source) });
    const packed = isObject(cm?.binaryData) ? cm.binaryData['index.json.gz'] : undefined;
    if (typeof packed !== 'string') return undefined;
    try {
      const text = gunzipSync(Buffer.from(packed, 'base64'), { maxOutputLength: MAX_GUARD_JSON });
      return JSON.parse(text.toString()) as unknown;
    } catch {
      return undefined;
    }
  }

  /** Record a source's guard entries; false (nothing written) past MAX_GUARD_GZIP. */
  async writeGuard(namespace: string, source: string, doc: unknown): Promise<boolean> {
    const packed = gzipSync(JSON.stringify(doc));
    if (packed.length > MAX_GUARD_GZIP) return false;
    await this.objects.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: guardName(source), namespace, labels: { [SOURCE_LABEL]: source } },
      binaryData: { 'index.json.gz': packed.toString('base64') },
    });
    return true;
  }

  /** An annotation of the inventory (undefined: no inventory, or no such note). */
  async note(namespace: string, source: string, key: string): Promise<string | undefined> {
    const cm = await this.objects.get(ref(namespace, source));
    const meta = isObject(cm?.metadata) ? cm.metadata : {};
    const notes = isObject(meta.annotations) ? meta.annotations : {};
    const v = notes[key];
    return typeof v === 'string' ? v : undefined;
  }

  /** Set an annotation with a merge patch (apart from the apply, which would drop it). */
  async setNote(namespace: string, source: string, key: string, value: string): Promise<void> {
    await this.objects.mergePatch(ref(namespace, source), {
      metadata: { annotations: { [key]: value } },
    });
  }
}
