// The delivery (DORA) metrics of one source, from each reconcile's outcome: revisions set out to
// apply, change failures, and time to restore. Deployments and lead time are recorded where a
// revision is applied in full (status.ts). Kept in memory: a restart forgets a failure in progress
// (its restore is then not timed) and may count a revision not yet applied once more.
import { Next } from '../model/reconcile-codes.js';
import { SyncStatus } from '../model/source-state.js';
import { refKey } from '../model/objects.js';
import type { ApplyResult } from './apply.js';
import type { SyncContext } from './context.js';
import { writes } from './plan.js';
import { NOT_FAILURES, type Outcome } from './status.js';

export interface DeliveryMemo {
  /** The revision last counted as set out to apply. */
  tried?: string;
  /** The revision last counted as a change failure. */
  failed?: string;
  /** Since when the source has been failing (ms). */
  failingSince?: number;
}

export function recordDelivery(ctx: SyncContext, o: Outcome): void {
  const { state } = ctx;
  const m = ctx.d.metrics;
  const memo = ctx.memo.delivery;
  const source = ctx.cfg.name;
  const revision = state.revision;
  if (revision && o.newRevision && !state.suspended) {
    if (memo.tried !== revision) {
      memo.tried = revision;
      m.revisions.inc({ source });
    }
    // A failure of the change itself (it does not apply, a hook or the gate stops it), not of
    // Git or the API being down; counted once per revision.
    const own = o.converge.some((e) => e.next !== Next.transient && !NOT_FAILURES.has(e.code));
    if (own && memo.failed !== revision) {
      memo.failed = revision;
      m.deploymentFailures.inc({ source });
    }
  }
  const now = ctx.now();
  if (state.syncStatus === SyncStatus.Failed) memo.failingSince ??= now;
  else if (memo.failingSince !== undefined && state.syncStatus !== SyncStatus.Suspended) {
    m.timeToRestore.observe({ source }, Math.max(0, (now - memo.failingSince) / 1000));
    memo.failingSince = undefined;
  }
}

/** Changes made through Git: the objects applying a revision created or changed. */
export const changedByApply = (r: Pick<ApplyResult, 'plans' | 'written'>): number =>
  r.plans.filter((p) => writes(p.action) && r.written.has(refKey(p.ref))).length;
