import type { ObjectRef } from '../model/objects.js';
import type { KubeHttp } from './http.js';

/**
 * Record a core/v1 Event about `ref` (in its namespace, else in `namespace`). The message is
 * bounded to 1,000 characters. Throws API errors (callers log and go on).
 */
export async function recordEvent(
  http: KubeHttp,
  ref: ObjectRef & { readonly uid?: string },
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  namespace: string,
  now = new Date(),
): Promise<void> {
  const ns = ref.namespace ?? namespace;
  await http.json({
    method: 'POST',
    path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`,
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: 'driftgate-', namespace: ns },
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
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      count: 1,
      source: { component: 'driftgate-reconciler' },
      reportingComponent: 'driftgate-reconciler',
      reportingInstance: 'driftgate',
    },
  });
}
