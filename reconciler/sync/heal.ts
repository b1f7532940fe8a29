import { BREAK_GLASS, BREAK_GLASS_EXPIRES, breakGlassOf } from '../../core/desired-index.js';
import {
  confirmedDiff,
  declaredDiff,
  formatDiff,
  notKept,
  type FieldDiff,
} from '../../core/diff.js';
import { shownDiffs } from '../../core/secrets.js';
import { assessHealth } from '../model/health.js';
import { recordActivity } from '../model/source-state.js';
import { refKey, refOf, refText, type ObjectRef } from '../model/objects.js';
import type { Rendered } from '../model/objects.js';
import { notifyOnly, sourceEvent, type SyncContext } from './context.js';
import { ignoredPaths, prepared } from './declared.js';
import { activeBreakGlass } from './plan.js';
import { predict } from './predict.js';

/** Reverts of one object within this window count towards a fight. */
export const FIGHT_WINDOW_MS = 60_000;

export type HealResult = 'in-sync' | 'reverted' | 'reported' | 'fight' | 'unmanaged';

/** Revert times per object, for fight detection; kept by the source across heals. */
export type RevertLog = Map<string, number[]>;

/**
 * Check one object after a watch event: count drift, revert it (selfHeal on, not suspended,
 * not break-glassed, not fighting), or only report it; `observed` is the object a watch event
 * carried. Returns what it did; throws API errors
 * (the next resync retries).
 */
export async function healObject(
  ctx: SyncContext,
  ref: ObjectRef,
  declared: Rendered | undefined,
  reverts: RevertLog,
  observed?: { readonly live: Record<string, unknown> | undefined },
): Promise<HealResult> {
  if (!declared) return 'unmanaged';
  const key = refKey(ref);
  const obj = prepared(ctx.cfg, declared.object);
  // The watch event's object when it carried one (no second read), else the live one now.
  const live = observed ? observed.live : await ctx.d.cluster.get(refOf(obj));
  const ignore = ignoredPaths(ctx.cfg, declared.object);
  let drift = declaredDiff(obj, live, ignore);
  let dropped: FieldDiff[] = [];
  // Confirmed by the apiserver (a dry-run apply) before it counts, is reverted or fights; what
  // it would not store at all is shown, never reverted.
  if (drift.length > 0 && live) {
    const predicted = await predict(ctx, obj);
    if (predicted) {
      drift = confirmedDiff(obj, predicted, live, ignore);
      dropped = notKept(obj, predicted, ignore);
    }
  }
  const status = ctx.state.objects.get(key);
  const glass = activeBreakGlass(live, ctx.now());
  if (glass) ctx.d.onBreakGlass?.(ref, glass.expiresMs);
  const expired = !glass && breakGlassOf(live) !== undefined;
  if (status) await announceGlass(ctx, ref, status, glass);
  if (status) {
    // Every watch event re-reads health: a finished rollout reads Healthy within a second.
    const h = assessHealth(ref.kind, live);
    status.health = h.status;
    if (h.message) status.healthMessage = h.message;
    else delete status.healthMessage;
    if (glass) status.breakGlass = { reason: glass.reason, expires: glass.expires };
    else delete status.breakGlass;
    status.breakGlassExpired = expired;
  }
  if (drift.length === 0) {
    if (status) status.drift = shownDiffs(ref.kind, dropped);
    if (expired) await clearBreakGlass(ctx, ref);
    if (status) status.breakGlassExpired = false;
    return 'in-sync';
  }
  const m = ctx.d.metrics;
  const source = ctx.cfg.name;
  m.driftDetected.inc({ source, kind: ref.kind });
  const shown = shownDiffs(ref.kind, drift);
  const diffText = formatDiff(shown);
  ctx.log.info({ object: refText(ref), diff: diffText }, 'drift detected');
  if (status) status.drift = shown;
  const activity = (event: 'reverted' | 'drifted') =>
    recordActivity(ctx.state, {
      at: new Date(ctx.now()).toISOString(),
      object: refText(ref),
      event,
      diff: diffText,
    });
  if (glass || ctx.state.suspended || !ctx.cfg.selfHeal || ctx.state.fighting.has(key)) {
    activity('drifted');
    return 'reported';
  }
  const now = ctx.now();
  const recent = (reverts.get(key) ?? []).filter((t) => now - t < FIGHT_WINDOW_MS);
  if (recent.length >= ctx.cfg.fightThreshold) {
    m.fights.inc({ source });
    ctx.log.warn(
      { object: refText(ref), reverts: recent.length },
      'fight detected; no longer reverting this object',
    );
    await sourceEvent(
      ctx,
      'Warning',
      'DriftFight',
      `${refText(ref)} was changed back ${recent.length} times within a minute; driftgate stopped reverting it`,
    );
    return 'fight';
  }
  await ctx.d.cluster.apply(obj);
  if (expired) await clearBreakGlass(ctx, ref);
  if (status) status.breakGlassExpired = false;
  reverts.set(key, [...recent, now]);
  if (status) status.drift = [];
  activity('reverted');
  m.selfHeal.inc({ source, kind: ref.kind });
  m.manualChanges.inc({ source, action: 'reverted' });
  ctx.log.info({ object: refText(ref) }, 'drift reverted');
  return 'reverted';
}

// An expired break-glass: drift was reverted; take the annotations off and say so.
async function clearBreakGlass(ctx: SyncContext, ref: ObjectRef): Promise<void> {
  await ctx.d.cluster.removeAnnotations(ref, [BREAK_GLASS, BREAK_GLASS_EXPIRES]);
  ctx.log.info({ object: refText(ref) }, 'break-glass expired; declared state restored');
  // The object's own Event below; the notifications hear it once, here.
  notifyOnly(
    ctx,
    'Normal',
    'BreakGlassExpired',
    `break-glass on ${refText(ref)} expired: the state declared in Git is restored`,
  );
  await ctx.d.cluster
    .event(
      ref,
      'Normal',
      'BreakGlassExpired',
      'break-glass expired: the state declared in Git is restored',
      ref.namespace ?? ctx.d.namespace,
    )
    .catch(() => undefined);
}

/** Say once when an object's break-glass is first seen (its expiry: clearBreakGlass). */
async function announceGlass(
  ctx: SyncContext,
  ref: ObjectRef,
  status: { breakGlass?: unknown },
  glass: ReturnType<typeof activeBreakGlass>,
): Promise<void> {
  if (glass && !status.breakGlass)
    await sourceEvent(
      ctx,
      'Warning',
      'BreakGlassUsed',
      `${refText(ref)} changed under break-glass until ${glass.expires}: ${glass.reason.slice(0, 200)}`,
    );
}
