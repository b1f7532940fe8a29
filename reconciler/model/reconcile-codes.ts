// What a reconcile can end in: stable codes, and what happens next for each (sync/errors.ts).

/**
 * Stable error codes of the reconciler. Each code equals its key (a test checks), so status,
 * logs and alerts can match on it.
 */
export const ReconcileCode = {
  /** Git could not be reached or read (network, auth, missing ref). */
  RECONCILE_GIT_UNAVAILABLE: 'RECONCILE_GIT_UNAVAILABLE',
  /** The head commit failed signature verification or history checks. */
  RECONCILE_COMMIT_REFUSED: 'RECONCILE_COMMIT_REFUSED',
  /** The verified commit does not render (bad YAML, renderer error, limits). */
  RECONCILE_RENDER_FAILED: 'RECONCILE_RENDER_FAILED',
  /** A declared kind is not served by the cluster yet (its CRD may come later). */
  RECONCILE_KIND_NOT_SERVED: 'RECONCILE_KIND_NOT_SERVED',
  /** The API server is unreachable or overloaded (5xx, 429, connection). */
  RECONCILE_API_UNAVAILABLE: 'RECONCILE_API_UNAVAILABLE',
  /** The API server refused an object as invalid (4xx): Git must change. */
  RECONCILE_OBJECT_INVALID: 'RECONCILE_OBJECT_INVALID',
  /** The reconciler may not write an object (RBAC 403): the platform must grant it. */
  RECONCILE_FORBIDDEN: 'RECONCILE_FORBIDDEN',
  /** The pre-apply policy gate held back objects: Git or the policy must change. */
  RECONCILE_POLICY_HELD: 'RECONCILE_POLICY_HELD',
  /** Declared objects are outside what the source may write, or are someone else's. */
  RECONCILE_NOT_PERMITTED: 'RECONCILE_NOT_PERMITTED',
  /** The prune was refused (empty render, or too large a share): the objects stay, protected. */
  RECONCILE_PRUNE_REFUSED: 'RECONCILE_PRUNE_REFUSED',
  /** A sync hook failed: nothing more of the revision is applied until the head moves. */
  RECONCILE_HOOK_FAILED: 'RECONCILE_HOOK_FAILED',
  /** Applied; the PostSync hooks wait for the synced objects to be Healthy. */
  RECONCILE_HOOKS_WAITING: 'RECONCILE_HOOKS_WAITING',
} as const;
export type ReconcileCode = (typeof ReconcileCode)[keyof typeof ReconcileCode];

/**
 * What should happen next (Flux's split): `stalled` — do not retry until the input (commit or
 * config) changes, report; `waiting` — retry after `retryAfterMs`; `transient` — retry with backoff.
 */
export const Next = { stalled: 'stalled', waiting: 'waiting', transient: 'transient' } as const;
export type Next = (typeof Next)[keyof typeof Next];
