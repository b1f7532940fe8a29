import type { FieldDiff } from '../../core/diff.js';
import { Health } from './health.js';
import type { ObjectRef, Rendered } from './objects.js';
import type { RefusedObject } from './scope.js';
import type { Next, ReconcileCode } from './reconcile-codes.js';
import type { HookReport } from './hook-annotations.js';

export interface ObjectStatus {
  readonly ref: ObjectRef;
  readonly path: string;
  health: Health;
  healthMessage?: string;
  /** Declared fields that differ live (empty when in sync). */
  drift: readonly FieldDiff[];
  /** An unexpired break-glass: drift is left alone until it expires. */
  breakGlass?: { readonly reason: string; readonly expires: string };
  /** A break-glass annotation past its expiry is still on the live object. */
  breakGlassExpired?: boolean;
}

/** A source's sync status, as Argo CD says it (status, metrics). */
export const SyncStatus = {
  Synced: 'Synced',
  OutOfSync: 'OutOfSync',
  Failed: 'Failed',
  Unverified: 'Unverified',
  Suspended: 'Suspended',
  Unknown: 'Unknown',
} as const;
export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];

/** What the reconciler knows about one source; served as JSON by the status endpoint. */
export interface SourceState {
  readonly name: string;
  /** The last verified commit whose manifests are the desired state. */
  revision?: string;
  revisionTime?: number;
  signer?: string;
  /** The remote head seen last, whether or not it verified. */
  remoteHead?: string;
  syncStatus: SyncStatus;
  health: Health;
  suspended: boolean;
  lastError?: string;
  verification?: {
    readonly commit: string;
    readonly ok: boolean;
    readonly reason?: string;
    readonly detail?: string;
  };
  desired: readonly Rendered[];
  objects: Map<string, ObjectStatus>;
  lastSyncedAt?: string;
  fighting: Set<string>;
  pruneRefused?: string;
  /** Objects a refused prune left live (`Kind ns/name`): still guarded and healed. */
  pruneHeld?: readonly string[];
  /** Pruned objects finalizers still hold: `Kind ns/name: Terminating, held by <finalizers>`. */
  terminating?: readonly string[];
  /** CRDs gone from Git and kept (pruneCRDs off): `Kind name`. */
  crdsKept?: readonly string[];
  /** The policy path's last build: the revision that went live, or why it did not. */
  policies?: { readonly revision: string; readonly ok: boolean; readonly error?: string };
  /** Declared objects this source may not write (outside its scope, or someone else's). */
  refused: RefusedObject[];
  /** The last reconcile's errors, typed by what happens next (empty when it all went well). */
  errors: readonly {
    readonly code: ReconcileCode;
    readonly next: Next;
    readonly message: string;
  }[];
  /** The sync hooks run for the revision being applied (empty when none ran). */
  hooks: readonly HookReport[];
  /** The hook running now, while one runs. */
  runningHook?: { readonly phase: string; readonly object: string };
  /** Desired objects the pre-apply policy gate flagged at the current revision. */
  policyViolations: PolicyGateViolation[];
  /** What happened to its objects lately, newest last (the status page's activity): bounded. */
  activity?: ActivityEntry[];
}

export interface PolicyGateViolation {
  readonly object: string;
  readonly policy: string;
  readonly action: string;
  readonly message: string;
  /** Whether the object was applied anyway (warn) or held back (enforce). */
  readonly applied: boolean;
}

/**
 * One thing that happened to a source: a manual change to an object reverted or only reported,
 * or a commit applied (`object` its revision, `diff` how long after it was committed).
 */
export interface ActivityEntry {
  readonly at: string;
  readonly object: string;
  readonly event: 'reverted' | 'drifted' | 'applied';
  /** The changed fields, as the status API prints a diff (applied: the commit's timing). */
  readonly diff: string;
}

/** Entries kept per source. */
export const MAX_ACTIVITY = 20;
/** Characters of an entry's diff kept (a changed 1 MB value is not kept twenty times). */
export const MAX_ACTIVITY_DIFF = 2000;

/** Add `entry` to a source's activity, dropping the oldest past MAX_ACTIVITY. */
export function recordActivity(s: SourceState, given: ActivityEntry): void {
  const entry =
    given.diff.length > MAX_ACTIVITY_DIFF
      ? { ...given, diff: `${given.diff.slice(0, MAX_ACTIVITY_DIFF)} …` }
      : given;
  const list = (s.activity ??= []);
  const last = list.at(-1);
  // A drift only reported is seen again at every watch event: said once.
  if (last?.event === 'drifted' && last.object === entry.object && last.diff === entry.diff) return;
  list.push(entry);
  if (list.length > MAX_ACTIVITY) list.splice(0, list.length - MAX_ACTIVITY);
}

/** A source's state before its first reconcile. */
export function initialState(name: string, suspended = false): SourceState {
  return {
    name,
    syncStatus: SyncStatus.Unknown,
    health: Health.Unknown,
    suspended,
    desired: [],
    objects: new Map(),
    fighting: new Set(),
    policyViolations: [],
    refused: [],
    errors: [],
    hooks: [],
  };
}
