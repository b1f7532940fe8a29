import { SOURCE_LABEL } from '../../core/labels.js';
import { isObject } from '../../core/object.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { Cluster } from '../kube/port.js';

/**
 * deletionPolicy Delete: delete what source `name` applied (its inventory, read as the
 * reconciler) that is live and labelled as this source's (never anyone else's), as its
 * `writer`. Returns how many went and what could not, with the apiserver's reason.
 */
export async function deleteSourceObjects(
  reader: Cluster,
  writer: Cluster,
  namespace: string,
  name: string,
): Promise<{ deleted: number; failed: string[] }> {
  let deleted = 0;
  const failed: string[] = [];
  for (const ref of await reader.readInventory(namespace, name)) {
    const live = await reader.get(ref);
    const labels = isObject(live?.metadata) ? live.metadata.labels : undefined;
    if (!isObject(labels) || labels[SOURCE_LABEL] !== name) continue;
    await writer.delete(ref).then(
      () => deleted++,
      (err: unknown) =>
        failed.push(`${ref.kind} ${ref.namespace ?? ''}/${ref.name}: ${apiErrorMessage(err)}`),
    );
  }
  return { deleted, failed };
}
