import type { SourceState } from '../model/source-state.js';
import { sourceEvent, type SyncContext } from './context.js';
import type { ReconcileError } from './errors.js';
import { CommitRefused } from './verify.js';

/**
 * Report a head that was refused or did not render (nothing of it is applied): a metric, a log
 * line and an event. Returns what status says of its verification.
 */
export async function reportNotAdopted(
  ctx: SyncContext,
  head: string,
  err: ReconcileError,
): Promise<SourceState['verification']> {
  const refused = err instanceof CommitRefused;
  if (refused) {
    ctx.d.metrics.verification.inc({ source: ctx.cfg.name, result: err.reason });
    ctx.log.warn(
      { commit: head, reason: err.reason, detail: err.detail },
      'commit refused; last verified revision stays',
    );
    const what = `commit ${head.slice(0, 12)} refused (${err.reason}): ${err.detail}`;
    await sourceEvent(ctx, 'Warning', 'CommitRefused', what, head);
  } else {
    ctx.log.error({ commit: head, reason: err.message }, 'render failed; nothing applied');
    await sourceEvent(ctx, 'Warning', 'RenderFailed', err.message, head);
  }
  return {
    commit: head,
    ok: false,
    reason: refused ? err.reason : 'render',
    detail: refused ? err.detail : err.message,
  };
}
