import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

/** The label the leading reconciler pod carries; the chart's status Service selects it. */
export const LEADER_LABEL = 'driftgate.io/leader';

/**
 * Set (leading) or remove (not leading) the leader label on this pod. Best effort: a failure is
 * logged and the next change of leadership tries again. The Lease stays the only authority on
 * who reconciles; the label only routes the webhooks' feed and the control API to the leader.
 */
export async function labelLeader(
  kc: KubeConfig,
  pod: { readonly namespace: string; readonly name: string },
  leading: boolean,
  logger: Logger,
): Promise<void> {
  try {
    await kc.makeApiClient(CoreV1Api).patchNamespacedPod(
      {
        name: pod.name,
        namespace: pod.namespace,
        body: { metadata: { labels: { [LEADER_LABEL]: leading ? 'true' : null } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    logger.info({ pod: pod.name, leading }, 'leader label set');
  } catch (err) {
    logger.warn(
      { pod: pod.name, leading, reason: (err as Error).message.split('\n')[0] },
      'leader label not updated',
    );
  }
}
