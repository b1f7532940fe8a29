import { apiErrorMessage } from '../kube/errors.js';
import { serverMessageOf, statusOf } from '../kube/errors.js';
import { refOf, refText, type K8sObject } from '../model/objects.js';
import { ownershipProblem } from '../model/scope.js';
import { pollUntil, type SyncContext } from './context.js';
import { ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';

/** Per-object sync options, as Argo CD spells them (`Replace=true`); driftgate's key wins. */
export const SYNC_OPTIONS = 'driftgate.io/sync-options';
export const ARGO_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/** How long a replaced object may take to go before it is created again. */
export const REPLACE_TIMEOUT_MS = 60_000;

/** Whether an object opted in to delete-and-recreate when a change hits an immutable field. Pure. */
export function replaceAllowed(o: K8sObject): boolean {
  const a = o.metadata.annotations ?? {};
  const options = (a[SYNC_OPTIONS] ?? a[ARGO_SYNC_OPTIONS] ?? '').split(',').map((x) => x.trim());
  return options.includes('Replace=true') || options.includes('Force=true');
}

/** Whether the apiserver refused a change because it touches an immutable field. */
export const immutableChange = (err: unknown): boolean =>
  statusOf(err) === 422 && /field is immutable/.test(serverMessageOf(err));

/**
 * Server-side apply; when the change hits an immutable field and the object opted in
 * (`Replace=true`), delete it, wait until it is gone and create it again. Without the opt-in,
 * throws RECONCILE_OBJECT_INVALID saying how to opt in. Only an object this source owns is ever
 * deleted: in its inventory (`appliedBefore`) and, as it is now, labelled with this source;
 * otherwise RECONCILE_OBJECT_INVALID and nothing deleted. Other errors are thrown as they are.
 */
export async function applyOrReplace(
  ctx: SyncContext,
  declared: K8sObject,
  appliedBefore: boolean,
): Promise<Record<string, unknown>> {
  const { cluster } = ctx.d;
  try {
    return await cluster.apply(declared);
  } catch (err) {
    if (!immutableChange(err)) throw err;
    const name = refText(refOf(declared));
    if (!replaceAllowed(declared))
      throw new ReconcileError(
        ReconcileCode.RECONCILE_OBJECT_INVALID,
        `apply ${name}: ${apiErrorMessage(err)} (to delete and recreate it on such changes, annotate it ${SYNC_OPTIONS}: Replace=true)`,
        { cause: err },
      );
    const notOurs = appliedBefore
      ? ownershipProblem(await cluster.get(refOf(declared)), ctx.cfg.name)
      : "it is not in this source's inventory";
    if (notOurs)
      throw new ReconcileError(
        ReconcileCode.RECONCILE_OBJECT_INVALID,
        `apply ${name}: ${apiErrorMessage(err)}; not replaced: ${notOurs}`,
        { cause: err },
      );
    ctx.log.warn({ object: name }, 'immutable field changed; replacing the object');
    await cluster.delete(refOf(declared));
    const gone = await pollUntil(
      ctx,
      async () => ((await cluster.get(refOf(declared))) === undefined ? true : undefined),
      ctx.now() + REPLACE_TIMEOUT_MS,
      250,
    );
    if (!gone)
      throw new ReconcileError(
        ReconcileCode.RECONCILE_API_UNAVAILABLE,
        `replace ${name}: still being deleted after ${REPLACE_TIMEOUT_MS / 1000}s`,
      );
    return cluster.apply(declared);
  }
}
