import { assessHealth, Health } from '../model/health.js';
import { refText } from '../model/objects.js';
import { isObject } from '../../core/object.js';
import type { ObjectStatus } from '../model/source-state.js';
import { pollUntil, type SyncContext } from './context.js';
import { ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';

/** How long one hook may run before it counts as failed. */
export const HOOK_TIMEOUT_MS = 300_000;
/** How long a sync waits in line for its objects to be Healthy before PostSync (then retries). */
export const POST_SYNC_INLINE_WAIT_MS = 10_000;
/** The retry while PostSync waits for health. */
export const POST_SYNC_RETRY_MS = 2_000;
export const POLL_MS = 500;

type Outcome = { done: boolean; failed?: string };

/** Whether a created hook finished: a Job or Pod by its outcome, anything else once Healthy. Pure. */
export function hookOutcome(kind: string, live: Record<string, unknown> | undefined): Outcome {
  const o = hookOutcomeOf(kind, live);
  // Held by driftgate's finalizer, a hook deleted (e.g. by its Job's TTL) still shows how it
  // ended; deleted before it ended, it failed.
  const deleting = isObject(live?.metadata) && live.metadata.deletionTimestamp !== undefined;
  return !o.done && deleting ? { done: true, failed: 'it was deleted while running' } : o;
}

function hookOutcomeOf(kind: string, live: Record<string, unknown> | undefined): Outcome {
  if (!live) return { done: true, failed: 'it was deleted while running' };
  if (kind === 'Pod') {
    const phase = isObject(live.status) ? live.status.phase : undefined;
    if (phase === 'Succeeded') return { done: true };
    if (phase === 'Failed') return { done: true, failed: 'the pod failed' };
    return { done: false };
  }
  const h = assessHealth(kind, live);
  if (h.status === Health.Healthy) return { done: true };
  if (h.status === Health.Degraded) return { done: true, failed: h.message ?? 'degraded' };
  return { done: false };
}

/** The objects a PostSync still waits for: anything not Healthy (Suspended and Unknown aside). */
export function notYetHealthy(objects: Iterable<ObjectStatus>): ObjectStatus[] {
  const fine: readonly Health[] = [Health.Healthy, Health.Suspended, Health.Unknown];
  return [...objects].filter((o) => !fine.includes(o.health));
}

/**
 * Wait (in line, briefly) for the synced objects to be Healthy, re-reading them; returns a
 * waiting error naming what is not, to retry shortly.
 */
export async function awaitHealthy(
  ctx: SyncContext,
  objects: ReadonlyMap<string, ObjectStatus>,
): Promise<ReconcileError | undefined> {
  const ready = await pollUntil(
    ctx,
    async () => {
      for (const o of notYetHealthy(objects.values())) {
        const h = assessHealth(o.ref.kind, await ctx.d.cluster.get(o.ref));
        o.health = h.status;
        if (h.message) o.healthMessage = h.message;
        else delete o.healthMessage;
      }
      return notYetHealthy(objects.values()).length === 0 ? true : undefined;
    },
    ctx.now() + POST_SYNC_INLINE_WAIT_MS,
    POLL_MS,
  );
  if (ready) return undefined;
  const waiting = notYetHealthy(objects.values());
  const first = waiting[0] as ObjectStatus;
  return new ReconcileError(
    ReconcileCode.RECONCILE_HOOKS_WAITING,
    `PostSync hooks wait for ${waiting.length} object(s) to be Healthy: ${refText(first.ref)} is ${first.health}${first.healthMessage ? ` (${first.healthMessage})` : ''}`,
    { retryAfterMs: POST_SYNC_RETRY_MS },
  );
}
