import { gunzipSync, gzipSync } from 'node:zlib';
import { SOURCE_LABEL } from '../../core/labels.js';
import { isObject } from '../../core/object.js';
import { refKey, type ObjectRef } from '../objects.js';
import type { KubeObjects } from './objects.js';

/** On the inventory: the revision last applied in full (a merge patch, apart from the apply). */
export const APPLIED_REVISION = 'driftgate.io/applied-revision';
/** On the inventory: a suspension set through the control route, kept across restarts. */
export const SUSPENDED = 'driftgate.io/suspended';

const inventoryName = (source: string): string => `driftgate-inventory-${source}`;
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
  constructor(private readonly objects: KubeObjects) {}

  /** The refs last written (none when there is no inventory yet). Throws API errors. */
  async read(namespace: string, source: string): Promise<ObjectRef[]> {
    const cm = await this.objects.get(ref(namespace, source));
    if (!cm) return [];
    const binary = isObject(cm.binaryData) ? cm.binaryData : {};
    const data = isObject(cm.data) ? cm.data : {};
    const packed = binary['objects.json.gz'];
    return JSON.parse(
      typeof packed === 'string'
        ? gunzipSync(Buffer.from(packed, 'base64')).toString()
        : typeof data.objects === 'string'
          ? data.objects
          : '[]',
    ) as ObjectRef[];
  }

  async write(namespace: string, source: string, refs: readonly ObjectRef[]): Promise<void> {
    const sorted = [...refs].sort((a, b) => refKey(a).localeCompare(refKey(b)));
    await this.objects.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: inventoryName(source), namespace, labels: { [SOURCE_LABEL]: source } },
      binaryData: { 'objects.json.gz': gzipSync(JSON.stringify(sorted)).toString('base64') },
    });
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
