import type { FieldDiff } from '../../core/diff.js';
import { sealSecret, shownDiffs } from '../../core/secrets.js';
import { stringify } from 'yaml';
import { refKey, refOf, refText } from '../model/objects.js';
import { applyOrder } from '../model/order.js';
import type { Rendered } from '../model/objects.js';
import type { RefusedObject } from '../model/scope.js';
import { planDeclared } from './apply.js';
import { localPort, newSyncMemo, type GitPort, type SyncContext } from './context.js';
import { fetchHead } from './fetch.js';
import { renderCommit } from './render.js';
import { verifyHead } from './verify.js';
import { LiveReader } from './live.js';
import { Action, type SyncPlan } from './plan.js';
import { planPruneLive } from './prune.js';

/** What `driftgate diff` shows: the sync plan of the remote head, changing nothing. */
export interface DiffView {
  readonly revision: string;
  readonly signer: string;
  readonly plan: SyncPlan;
  /** Objects the sync would write or leave drifted, with what it would do. */
  readonly changes: {
    object: string;
    path: string;
    action: Action;
    diff: string;
    /** Why the gate would hold it (`[policy] message`), for a held object. */
    heldBy?: string[];
  }[];
  readonly prune: string[];
  /** Gone from Git but kept (a refused prune, an opt-out, not this source's), with why. */
  readonly kept: { object: string; reason: string }[];
  /** Why the sync would prune nothing at all (an empty render, or too large a share). */
  readonly pruneRefused?: string;
}

/**
 * Plan a sync of `rendered` against the cluster without changing it: every object through the
 * sync's own planObject, the prune through the sync's own planPruneLive. Throws API errors.
 */
export async function planSync(
  ctx: SyncContext,
  rendered: readonly Rendered[],
  refused: readonly RefusedObject[],
): Promise<SyncPlan> {
  const { cluster } = ctx.d;
  const inventory = await cluster.readInventory(ctx.d.namespace, ctx.cfg.name);
  const applied = new Set(inventory.map(refKey));
  const live = new LiveReader(cluster);
  await live.prefetch(rendered, applied);
  const objects = [];
  for (const r of applyOrder(rendered))
    objects.push((await planDeclared(ctx, r, live, applied)).plan);
  const foreign = objects.filter((o) => o.action === Action.foreign);
  const skip = new Set(foreign.map((o) => refKey(o.ref)));
  const desired = rendered.map((r) => refOf(r.object)).filter((r) => !skip.has(refKey(r)));
  const { plan: prune } = await planPruneLive(ctx, desired, inventory);
  return {
    objects,
    prune,
    refused: [
      ...refused,
      ...foreign.map((o) => ({ object: refText(o.ref), path: o.path, reason: o.reason ?? '' })),
    ],
  };
}

/** The printable form of a sync plan. Pure. */
export function diffView(revision: string, signer: string, plan: SyncPlan): DiffView {
  return {
    revision,
    signer,
    plan,
    changes: plan.objects
      .filter((o) => o.drift.length > 0)
      .map((o) => ({
        object: refText(o.ref),
        path: o.path,
        action: o.action,
        ...(o.action === Action.held
          ? {
              heldBy: o.findings
                .filter((f) => f.action === 'enforce')
                .map((f) => `[${f.policy}] ${f.message}`),
            }
          : {}),
        // A new object is shown whole (Secret values as digests); a changed one by its fields.
        diff: unifiedDiff(
          `${refText(o.ref)} (${o.path})`,
          o.action === Action.create
            ? [{ path: '', declared: sealSecret(o.declared), live: undefined }]
            : shownDiffs(o.ref.kind, o.drift),
        ),
      })),
    prune: plan.prune.delete.map(refText),
    kept: plan.prune.kept.map((k) => ({ object: refText(k.ref), reason: k.reason })),
    ...(plan.prune.refused ? { pruneRefused: plan.prune.refused } : {}),
  };
}

const lines = (sign: string, v: unknown): string[] =>
  v === undefined
    ? []
    : stringify(v)
        .trimEnd()
        .split('\n')
        .map((l) => `${sign}${l}`);

/**
 * A unified, field-level diff of one object: a hunk per declared field that differs, live
 * lines `-`, Git lines `+` (an unset side has no lines). Pure.
 */
export function unifiedDiff(object: string, drift: readonly FieldDiff[]): string {
  const live = drift.length === 1 && drift[0]?.path === '' ? '/dev/null' : `live ${object}`;
  return [
    `--- ${live}`,
    `+++ git ${object}`,
    ...drift.flatMap((d) => [
      ...(d.path ? [`@@ ${d.path} @@`] : []),
      ...lines('-', d.live),
      ...lines('+', d.declared),
    ]),
  ].join('\n');
}

/**
 * What a sync would do, changing nothing: the remote head verified and rendered (or `local`
 * files, unverified), planned against the live objects with the sync's own plan (`driftgate
 * diff`). Throws a ReconcileError when the head is refused, does not render, or Git or the API
 * is down.
 */
export async function planHead(
  source: SyncContext,
  local?: Pick<GitPort, 'readTree'>,
): Promise<DiffView> {
  // Its own memo: what it renders is not what the sync applied.
  const ctx = { ...source, memo: newSyncMemo(), ...(local ? { git: localPort(local) } : {}) };
  const head = local ? 'local' : await fetchHead(ctx);
  const signer = local
    ? 'nobody (local files, not verified)'
    : (await verifyHead(ctx, head)).signer;
  const { rendered, refused } = await renderCommit(ctx, head);
  return diffView(head, signer, await planSync(ctx, rendered, refused));
}
