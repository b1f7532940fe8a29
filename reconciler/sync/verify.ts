import { committerTime } from './fetch.js';
import { VerifyFailure } from '../verify/verifier.js';
import { ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';
import type { SyncContext } from './context.js';

/** Most commits verified in one go (strict mode); past it the head is refused. */
export const MAX_COMMITS_TO_VERIFY = 5000;

/** A commit refused by verification: stalled until a new commit arrives. */
export class CommitRefused extends ReconcileError {
  constructor(
    readonly reason: VerifyFailure,
    readonly detail: string,
  ) {
    super(ReconcileCode.RECONCILE_COMMIT_REFUSED, `${reason}: ${detail}`);
  }
}

/** A verified head: who signed it and when it was committed (one read of the raw commit). */
export interface VerifiedHead {
  readonly signer: string;
  readonly time: number | undefined;
}

/**
 * Verify the head (strict mode: every commit since the applied one) and its descent from the
 * applied revision. Returns the head's signer and time. Throws CommitRefused (stalled).
 */
export async function verifyHead(ctx: SyncContext, head: string): Promise<VerifiedHead> {
  const { git, cfg, state } = ctx;
  const last = state.revision;
  if (last && !cfg.allowForcePush && !(await git.descendsFrom(head, last))) {
    throw new CommitRefused(
      VerifyFailure.rewrittenHistory,
      `${head.slice(0, 12)} does not descend from the applied ${last.slice(0, 12)} (force push?)`,
    );
  }
  const commits =
    cfg.verification.mode === 'strict' && last ? await since(ctx, head, last) : [head];
  let verified: VerifiedHead = { signer: '', time: undefined };
  for (const oid of commits) {
    const raw = await git.rawCommit(oid);
    const v = await ctx.verifier.verify(raw);
    if (!v.ok) throw new CommitRefused(v.reason, `${oid.slice(0, 12)}: ${v.detail}`);
    if (oid === head) verified = { signer: v.signer, time: committerTime(raw) };
  }
  return verified;
}

/** Every commit reachable from head but not from `last` (both parents of merges). */
async function since(ctx: SyncContext, head: string, last: string): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [head];
  while (queue.length > 0) {
    const oid = queue.shift() as string;
    if (seen.has(oid) || oid === last || (await ctx.git.descendsFrom(last, oid))) continue;
    seen.add(oid);
    if (seen.size > MAX_COMMITS_TO_VERIFY)
      throw new CommitRefused(
        VerifyFailure.malformed,
        `more than ${MAX_COMMITS_TO_VERIFY} commits to verify since the last verified one`,
      );
    queue.push(...(await ctx.git.parents(oid)));
  }
  return [...seen];
}
