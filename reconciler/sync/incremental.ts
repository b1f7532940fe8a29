import { refKey, refOf, refText, type Rendered } from '../model/objects.js';
import type { ObjectStatus, PolicyGateViolation } from '../model/source-state.js';
import type { ObjectPlan } from './plan.js';

/** What a converge leaves for the next one to build on when it applies only a commit's changes. */
export interface LastApply {
  readonly objects: ReadonlyMap<string, ObjectStatus>;
  /** Each object's plan, as the gate's PolicyReports need it (no declared copy kept). */
  readonly plans: ReadonlyMap<string, Pick<ObjectPlan, 'ref' | 'action' | 'findings'>>;
  readonly violations: readonly PolicyGateViolation[];
  readonly foreign: ReadonlySet<string>;
  readonly written: ReadonlySet<string>;
}

/** The part of an apply's result that LastApply keeps. */
export type ApplyPart = {
  readonly objects: ReadonlyMap<string, ObjectStatus>;
  readonly plans: readonly Pick<ObjectPlan, 'ref' | 'action' | 'findings'>[];
  readonly violations: readonly PolicyGateViolation[];
  readonly foreign: ReadonlySet<string>;
  readonly written: ReadonlySet<string>;
};

const slim = (p: Pick<ObjectPlan, 'ref' | 'action' | 'findings'>) => ({
  ref: p.ref,
  action: p.action,
  findings: p.findings,
});

/**
 * The objects of `next` that a settled source must apply for a new revision: new ones, and those
 * whose rendered object or file changed. Everything else is as the last full converge left it,
 * and as the watches have kept it since. Pure.
 */
export function changedKeys(prev: readonly Rendered[], next: readonly Rendered[]): Set<string> {
  const before = new Map(prev.map((r) => [refKey(refOf(r.object)), r]));
  const changed = new Set<string>();
  for (const r of next) {
    const key = refKey(refOf(r.object));
    const old = before.get(key);
    if (!old || old.path !== r.path || JSON.stringify(old.object) !== JSON.stringify(r.object))
      changed.add(key);
  }
  return changed;
}

/**
 * A partial apply over what the last one left: each object of the new revision has the newest
 * word on it (this apply's when it was applied now, the last one's otherwise); objects the
 * revision dropped are gone from every part. Pure.
 */
export function mergeApply(
  last: LastApply,
  now: ApplyPart,
  only: ReadonlySet<string>,
  desired: readonly Rendered[],
): LastApply {
  const keys = new Set(desired.map((r) => refKey(refOf(r.object))));
  const kept = (k: string): boolean => keys.has(k) && !only.has(k);
  // Violations name their object as refText does.
  const names = new Set([...last.objects].filter(([k]) => kept(k)).map(([, o]) => refText(o.ref)));
  return {
    objects: new Map([...[...last.objects].filter(([k]) => kept(k)), ...now.objects]),
    plans: new Map([
      ...[...last.plans].filter(([k]) => kept(k)),
      ...now.plans.map((p) => [refKey(p.ref), slim(p)] as const),
    ]),
    violations: [...last.violations.filter((v) => names.has(v.object)), ...now.violations],
    foreign: new Set([...[...last.foreign].filter(kept), ...now.foreign]),
    written: new Set([...[...last.written].filter(kept), ...now.written]),
  };
}

/** A full apply as the next partial one builds on it. */
export function lastApplyOf(r: ApplyPart): LastApply {
  return {
    objects: r.objects,
    plans: new Map(r.plans.map((p) => [refKey(p.ref), slim(p)] as const)),
    violations: r.violations,
    foreign: r.foreign,
    written: r.written,
  };
}
