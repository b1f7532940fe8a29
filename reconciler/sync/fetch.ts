import { redactURLsIn } from '../../core/secrets.js';
import { apiErrorMessage } from '../kube/errors.js';
import { ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';
import type { SyncContext } from './context.js';

/**
 * Load the source: ls-remote, then fetch only when the ref moved. Returns the remote head.
 * Throws RECONCILE_GIT_UNAVAILABLE (transient: retry with backoff); the URL's credentials never
 * reach the message.
 */
export async function fetchHead(ctx: SyncContext): Promise<string> {
  const { metrics } = ctx.d;
  const source = ctx.cfg.name;
  const stop = metrics.fetchDuration.startTimer({ source });
  try {
    const { commit } = await ctx.git.fetch(ctx.state.remoteHead);
    metrics.fetches.inc({ source, result: 'success' });
    return commit;
  } catch (err) {
    metrics.fetches.inc({ source, result: 'failure' });
    const why = redactURLsIn(gitErrorMessage(err).split(ctx.cfg.repoURL).join(ctx.repo));
    throw new ReconcileError(
      ReconcileCode.RECONCILE_GIT_UNAVAILABLE,
      `git fetch of ${ctx.repo} failed: ${why}`,
    );
  } finally {
    stop();
  }
}

/**
 * A Git client error fit for status: a remote's answer body never (an internal service behind a
 * repoURL would have it quoted), its status code and a bounded reason phrase only. Pure.
 */
export function gitErrorMessage(err: unknown): string {
  const e = err as { code?: unknown; data?: { statusCode?: unknown; statusMessage?: unknown } };
  if (e?.code === 'SmartHttpError')
    return 'the remote did not answer as a Git server (smart HTTP); its answer is not shown';
  if (e?.code === 'HttpError') {
    const phrase = String(e.data?.statusMessage ?? '')
      .replace(/[^\x20-\x7e]/g, '')
      .slice(0, 64);
    return `HTTP ${String(e.data?.statusCode ?? '?')}${phrase ? ` ${phrase}` : ''}`;
  }
  return apiErrorMessage(err);
}

/** When a raw commit was made (its committer time, epoch ms); undefined when it does not say. */
export function committerTime(raw: Buffer): number | undefined {
  const time = /\ncommitter .* (\d+) [+-]\d{4}\n/.exec(raw.toString())?.[1];
  return time ? Number(time) * 1000 : undefined;
}
