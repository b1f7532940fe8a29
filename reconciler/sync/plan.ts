import { breakGlassActive, breakGlassOf } from '../../core/desired-index.js';
import { confirmedDiff, declaredDiff, notKept, type FieldDiff } from '../../core/diff.js';
import type { Finding } from '../../policies/engine/findings.js';
import type { GateMode } from '../config/config.js';
import { refOf, type K8sObject, type ObjectRef } from '../model/objects.js';
import type { PrunePlan } from '../model/prune-plan.js';
import { ownershipProblem, type RefusedObject } from '../model/scope.js';

/** What a sync does with one declared object. */
export const Action = {
  /** Absent live: applied. */
  create: 'create',
  /** Declared fields differ live: applied. */
  update: 'update',
  /** In sync: nothing to do. */
  none: 'none',
  /** Exists and belongs to someone else: never written. */
  foreign: 'foreign',
  /** Violates an enforced policy: held back. */
  held: 'held',
  /** An unexpired break-glass: drift left alone until it expires. */
  breakGlass: 'break-glass',
  /** Reverted too often: no longer reverted, reported. */
  fighting: 'fighting',
  /** The source is suspended: drift reported only. */
  suspended: 'suspended',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

/** Whether an action writes the object. */
export const writes = (a: Action): boolean => a === Action.create || a === Action.update;

export interface BreakGlass {
  readonly reason: string;
  readonly expires: string;
  readonly expiresMs: number;
}

export interface ObjectPlanInput {
  /** The declared object as driftgate applies it (ignored fields out, source label in). */
  readonly declared: K8sObject;
  readonly path: string;
  readonly live: Readonly<Record<string, unknown>> | undefined;
  /** In the source's inventory: it applied this object before. */
  readonly appliedBefore: boolean;
  readonly source: string;
  readonly ignore: readonly string[];
  readonly now: number;
  readonly fighting: boolean;
  readonly suspended: boolean;
  readonly gate: GateMode;
  /** The declared object's policy findings (dryrun ones left out; empty with the gate off). */
  readonly findings: readonly Finding[];
  /**
   * The apiserver's answer to a server-side dry-run apply of `declared`: when given, drift is
   * what applying would change (confirmedDiff), not the client-side guess.
   */
  readonly predicted?: Readonly<Record<string, unknown>>;
}

export interface ObjectPlan {
  readonly ref: ObjectRef;
  /** The object as the sync would apply it. */
  readonly declared: K8sObject;
  readonly path: string;
  readonly action: Action;
  /** Declared fields that differ live; empty when in sync. */
  readonly drift: readonly FieldDiff[];
  /** Policy findings of the gate (empty when the object is not to be written). */
  readonly findings: readonly Finding[];
  readonly breakGlass?: BreakGlass;
  /** Why it is not written (foreign objects). */
  readonly reason?: string;
}

/** The object's unexpired break-glass, if any. Pure. */
export function activeBreakGlass(live: unknown, now: number): BreakGlass | undefined {
  const bg = breakGlassOf(live);
  if (!bg || !breakGlassActive(bg, now)) return undefined;
  return {
    reason: bg.reason,
    expires: new Date(bg.expiresMs).toISOString(),
    expiresMs: bg.expiresMs,
  };
}

/**
 * Decide what a sync does with one declared object. Pure: the same input gives the same plan,
 * for the sync and for `driftgate diff` alike. Gate findings are looked at only for drifted
 * objects of an active source, as the sync would write them.
 */
export function planObject(i: ObjectPlanInput): ObjectPlan {
  const ref = refOf(i.declared);
  const base = { ref, path: i.path, declared: i.declared };
  const foreign = i.appliedBefore ? undefined : ownershipProblem(i.live, i.source);
  if (foreign) return { ...base, action: Action.foreign, drift: [], findings: [], reason: foreign };
  const glass = activeBreakGlass(i.live, i.now);
  const withGlass = glass ? { breakGlass: glass } : {};
  // With the apiserver's answer, only what applying would change is acted on; fields it would
  // not store at all are shown as drift but never written again and again.
  const changes = i.predicted
    ? confirmedDiff(i.declared, i.predicted, i.live, i.ignore)
    : declaredDiff(i.declared, i.live, i.ignore);
  const drift = i.predicted ? [...changes, ...notKept(i.declared, i.predicted, i.ignore)] : changes;
  // Findings of every declared object, in sync or not: status reports them for the revision.
  const findings = i.gate === 'off' ? [] : i.findings;
  if (changes.length === 0) return { ...base, ...withGlass, action: Action.none, drift, findings };
  if (i.suspended) return { ...base, ...withGlass, action: Action.suspended, drift, findings };
  const held = i.gate === 'enforce' && findings.some((f) => f.action === 'enforce');
  const action = held
    ? Action.held
    : glass
      ? Action.breakGlass
      : i.fighting
        ? Action.fighting
        : i.live
          ? Action.update
          : Action.create;
  return { ...base, ...withGlass, action, drift, findings };
}

/** Everything one sync would do: per declared object, the prune, and what is refused. */
export interface SyncPlan {
  readonly objects: readonly ObjectPlan[];
  readonly prune: PrunePlan;
  /** Declared objects this source may not write (tenancy, or someone else's). */
  readonly refused: readonly RefusedObject[];
}
