import type { SourceState } from '../model/source-state.js';
import { refKey, refText, type ObjectRef } from '../model/objects.js';
import { isObject } from '../../core/object.js';
import { CRD_KEPT, planPrune, type PrunePlan } from '../model/prune-plan.js';
import type { Rendered } from '../model/objects.js';
import { ownershipProblem } from '../model/scope.js';
import { sourceEvent, type SyncContext } from './context.js';

export const NOT_OURS = 'no longer labelled for this source';

const finalizersOf = (o: Record<string, unknown> | undefined): string[] => {
  const meta = o && isObject(o.metadata) ? o.metadata : {};
  return Array.isArray(meta.finalizers) ? meta.finalizers.map(String) : [];
};

/** A prune plan and the inventory it was made from. */
export interface PruneResult {
  readonly inventory: readonly ObjectRef[];
  readonly plan: PrunePlan;
}

/**
 * The prune a sync to `desired` would do: inventory objects gone from Git, with their live
 * annotations, through planPrune; objects no longer labelled for this source are kept. Both
 * the sync and `driftgate diff` use it, so they always agree. Changes nothing; throws API errors.
 */
export async function planPruneLive(
  ctx: SyncContext,
  desired: readonly ObjectRef[],
  inventory: readonly ObjectRef[],
): Promise<PruneResult> {
  const { cluster } = ctx.d;
  if (!ctx.cfg.prune) return { inventory, plan: { delete: [], kept: [] } };
  const want = new Set(desired.map(refKey));
  const annotations = new Map<string, Record<string, string> | undefined>();
  const notOurs = new Set<string>();
  for (const ref of inventory.filter((r) => !want.has(refKey(r)))) {
    const live = await cluster.get(ref);
    // Never delete what another source or a person owns, whatever the inventory says.
    if (ownershipProblem(live, ctx.cfg.name)) notOurs.add(refKey(ref));
    const meta = live && isObject(live.metadata) ? live.metadata : undefined;
    annotations.set(
      refKey(ref),
      live ? ((meta?.annotations as Record<string, string> | undefined) ?? {}) : undefined,
    );
  }
  const plan = planPrune({
    inventory,
    desired,
    liveAnnotations: annotations,
    maxFraction: ctx.cfg.maxPruneFraction,
    pruneCRDs: ctx.cfg.pruneCRDs,
  });
  return {
    inventory,
    plan: {
      ...plan,
      delete: plan.delete.filter((r) => !notOurs.has(refKey(r))),
      kept: [
        ...plan.kept,
        ...plan.delete
          .filter((r) => notOurs.has(refKey(r)))
          .map((ref) => ({ ref, reason: NOT_OURS })),
      ],
    },
  };
}

/**
 * The inventory to write after a prune: what Git declares, and what a refused or disabled prune
 * kept — never an object that is no longer this source's. Pure.
 */
export function nextInventory(
  desired: readonly ObjectRef[],
  { inventory, plan }: PruneResult,
  pruneEnabled: boolean,
): ObjectRef[] {
  const want = new Set(desired.map(refKey));
  const notOurs = new Set(plan.kept.filter((k) => k.reason === NOT_OURS).map((k) => refKey(k.ref)));
  // A CRD kept on purpose stays in the inventory: every sync keeps saying so in status.
  const crds = new Set(plan.kept.filter((k) => k.reason === CRD_KEPT).map((k) => refKey(k.ref)));
  const keep =
    plan.refused || !pruneEnabled
      ? inventory.filter((r) => !want.has(refKey(r)) && !notOurs.has(refKey(r)))
      : inventory.filter((r) => crds.has(refKey(r)));
  return [...desired, ...keep];
}

/** What a prune did, for the shell to record. */
export interface PruneOutcome {
  /** Objects a refused prune left in place (they stay this source's, protected). */
  readonly left: readonly ObjectRef[];
  readonly refused: string | undefined;
  /** CRDs no longer in Git that were kept. */
  readonly crdsKept: readonly string[];
  /** Deleted objects finalizers still hold, and by which. */
  readonly terminating: readonly string[];
}

/** What the shell keeps of a prune in the source's state. */
export const recordPrune = (state: SourceState, out: PruneOutcome): void =>
  void Object.assign(state, {
    pruneRefused: out.refused,
    crdsKept: out.crdsKept,
    terminating: out.terminating,
  });

/**
 * Prune last: only what this source applied before (`inventory`, read once by the sync) and Git
 * no longer declares. Throws API errors.
 */
export async function prune(
  ctx: SyncContext,
  desired: readonly ObjectRef[],
  applied: readonly ObjectRef[],
): Promise<PruneOutcome> {
  const { cluster, metrics } = ctx.d;
  const source = ctx.cfg.name;
  const result = await planPruneLive(ctx, desired, applied);
  const { plan } = result;
  if (plan.refused) {
    metrics.pruneRefused.inc({ source });
    ctx.log.warn({ reason: plan.refused }, 'prune refused');
    await sourceEvent(ctx, 'Warning', 'PruneRefused', plan.refused);
  }
  for (const k of plan.kept) ctx.log.info({ object: refText(k.ref), reason: k.reason }, 'kept');
  // Said once per CRD (an event), and in status for as long as it stays.
  const crds = plan.kept.filter((k) => k.reason === CRD_KEPT).map((k) => refText(k.ref));
  for (const c of crds.filter((c) => !(ctx.state.crdsKept ?? []).includes(c)))
    await sourceEvent(
      ctx,
      'Warning',
      'CRDKept',
      `${c} is no longer in Git and was kept: ${CRD_KEPT}`,
    );
  const terminating: ObjectRef[] = [];
  const held: string[] = [];
  for (const ref of plan.delete) {
    const left = await cluster.delete(ref);
    // Still there with a deletionTimestamp: finalizers hold it. Not done: say which, look again.
    const finalizers = finalizersOf(left);
    if (left && finalizers.length > 0) {
      terminating.push(ref);
      held.push(`${refText(ref)}: Terminating, held by ${finalizers.join(', ')}`);
      continue;
    }
    metrics.pruned.inc({ source });
    ctx.log.info({ object: refText(ref) }, 'pruned');
  }
  const inventory = [...nextInventory(desired, result, ctx.cfg.prune), ...terminating];
  await cluster.writeInventory(ctx.d.namespace, source, inventory);
  const want = new Set(desired.map(refKey));
  return {
    left: plan.refused ? inventory.filter((r) => !want.has(refKey(r))) : [],
    refused: plan.refused,
    crdsKept: crds,
    terminating: held,
  };
}

/**
 * The declared form of each object a refused prune left live: from what the last applied revision
 * declared, else from what was held before. Pure.
 */
export function heldObjects(
  left: readonly ObjectRef[],
  previous: ReadonlyMap<string, Rendered>,
  before: ReadonlyMap<string, Rendered>,
): Map<string, Rendered> {
  const out = new Map<string, Rendered>();
  for (const ref of left) {
    const r = previous.get(refKey(ref)) ?? before.get(refKey(ref));
    if (r) out.set(refKey(ref), r);
  }
  return out;
}
