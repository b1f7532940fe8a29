// A trace per reconcile: a root span carrying the source and the commit, and a child span per
// stage (fetch, verify, render, policies, apply, prune, status). Off unless a tracer is configured.
import { TRACING_OFF } from '../../core/tracing.js';
import type { SyncContext } from './context.js';

/** Open the reconcile's root span. */
export function startSyncTrace(ctx: SyncContext): void {
  ctx.span = (ctx.d.tracer ?? TRACING_OFF).start('sync', {
    attributes: {
      'driftgate.source': ctx.cfg.name,
      'vcs.repository.url.full': ctx.repo,
      'vcs.ref.head.name': ctx.cfg.ref,
    },
  });
}

/** Run one stage in a child span of the reconcile's; a failure marks it and is rethrown. */
export async function stage<T>(ctx: SyncContext, name: string, fn: () => Promise<T>): Promise<T> {
  const span = ctx.span?.child(name);
  try {
    return await fn();
  } catch (err) {
    span?.fail(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    span?.end();
  }
}

/** Close the root span with the commit reached and how the reconcile ended. */
export function endSyncTrace(ctx: SyncContext): void {
  const { state } = ctx;
  if (state.lastError) ctx.span?.fail(state.lastError);
  ctx.span
    ?.set({
      'vcs.ref.head.revision': state.revision,
      'driftgate.remote_head': state.remoteHead,
      'driftgate.sync_status': state.syncStatus,
      'driftgate.errors': state.errors.map((e) => e.code).join(','),
    })
    .end();
  ctx.span = undefined;
}
