import { apiErrorMessage } from '../kube/errors.js';
import { refOf, refText, type K8sObject } from '../model/objects.js';
import type { SyncContext } from './context.js';

/**
 * What the apiserver would store if `declared` were applied now: a server-side dry-run apply
 * (admission webhooks and defaulting included; nothing is written). Undefined when the dry-run
 * fails: the caller keeps its client-side comparison and the real apply reports the error.
 */
export async function predict(
  ctx: SyncContext,
  declared: K8sObject,
): Promise<Record<string, unknown> | undefined> {
  try {
    return await ctx.d.cluster.apply(declared, { dryRun: true });
  } catch (err) {
    ctx.log.debug(
      { object: refText(refOf(declared)), reason: apiErrorMessage(err) },
      'dry-run apply failed; drift stays as compared client-side',
    );
    return undefined;
  }
}
