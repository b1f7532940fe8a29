import { apiErrorMessage } from '../kube/errors.js';
import { serverMessageOf, statusOf } from '../kube/errors.js';
import { Next, ReconcileCode } from '../model/reconcile-codes.js';

const NEXT_OF: Record<ReconcileCode, Next> = {
  RECONCILE_GIT_UNAVAILABLE: Next.transient,
  RECONCILE_COMMIT_REFUSED: Next.stalled,
  RECONCILE_RENDER_FAILED: Next.stalled,
  RECONCILE_KIND_NOT_SERVED: Next.waiting,
  RECONCILE_API_UNAVAILABLE: Next.transient,
  RECONCILE_OBJECT_INVALID: Next.stalled,
  RECONCILE_FORBIDDEN: Next.waiting,
  RECONCILE_POLICY_HELD: Next.stalled,
  RECONCILE_NOT_PERMITTED: Next.stalled,
  RECONCILE_PRUNE_REFUSED: Next.stalled,
  RECONCILE_HOOK_FAILED: Next.stalled,
  RECONCILE_HOOKS_WAITING: Next.waiting,
};

/** How long a `waiting` error waits before the next try. */
export const WAIT_MS = 30_000;

/** A reconcile failure typed by what should happen next; messages never hold secrets. */
export class ReconcileError extends Error {
  readonly next: Next;
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly code: ReconcileCode,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReconcileError';
    this.next = NEXT_OF[code];
    this.retryAfterMs = options?.retryAfterMs ?? (this.next === Next.waiting ? WAIT_MS : undefined);
  }
}

/** The typed form of any error; untyped ones are transient (retry with backoff). */
export function typed(err: unknown, fallback: ReconcileCode): ReconcileError {
  if (err instanceof ReconcileError) return err;
  return new ReconcileError(fallback, apiErrorMessage(err), { cause: err });
}

/** The code an API server error means for the object it was about. */
export function apiErrorCode(err: unknown): ReconcileCode {
  const code = statusOf(err);
  if (!code) {
    const msg = err instanceof Error ? err.message : '';
    return /Unrecognized API version and kind|does not serve/.test(msg)
      ? ReconcileCode.RECONCILE_KIND_NOT_SERVED
      : ReconcileCode.RECONCILE_API_UNAVAILABLE;
  }
  if (code === 403) return ReconcileCode.RECONCILE_FORBIDDEN;
  // Server-side apply answers 500 for an object its schema cannot type: Git must change.
  if (code === 500 && /failed to create typed patch object/.test(serverMessageOf(err)))
    return ReconcileCode.RECONCILE_OBJECT_INVALID;
  if (code === 404) return ReconcileCode.RECONCILE_KIND_NOT_SERVED;
  if (code === 409 || code === 429 || code >= 500) return ReconcileCode.RECONCILE_API_UNAVAILABLE;
  return ReconcileCode.RECONCILE_OBJECT_INVALID;
}

/** Of several failures, the one that decides what happens next: transient, then waiting, then stalled. */
export function mostUrgent(errors: readonly ReconcileError[]): ReconcileError | undefined {
  const order: Next[] = [Next.transient, Next.waiting, Next.stalled];
  for (const n of order) {
    const e = errors.find((x) => x.next === n);
    if (e) return e;
  }
  return undefined;
}
