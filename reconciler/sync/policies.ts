import type { SourceState } from '../model/source-state.js';
import { repoPath } from '../../core/paths.js';
import { isPolicyFile } from '../../policies/engine/compose.js';
import { sourceEvent, type SyncContext } from './context.js';

/**
 * Build, test and make live the policy path of a verified commit. A failure keeps the last good
 * policies, is reported in status and as an event, and never stops the sync of manifests.
 */
export async function loadPolicies(
  ctx: SyncContext,
  head: string,
): Promise<SourceState['policies']> {
  const hub = ctx.d.policies;
  if (!hub || !ctx.cfg.policyPath) return undefined;
  const prefix = repoPath(ctx.cfg.policyPath);
  const tree = await ctx.git.readTree(head, prefix);
  const files: Record<string, string> = {};
  for (const [path, f] of tree) {
    const rel = prefix ? path.slice(prefix.length + 1) : path;
    if (isPolicyFile(rel)) files[rel] = f.content.toString();
  }
  const r = await hub.update(ctx.cfg.name, {
    files,
    enforcement: ctx.cfg.policyEnforcement ?? 'own',
    ...(ctx.cfg.policyNamespaces ? { namespaces: ctx.cfg.policyNamespaces } : {}),
  });
  if (r.ok) return { revision: head, ok: true };
  await sourceEvent(
    ctx,
    'Warning',
    'PolicyRefused',
    `policies at ${head.slice(0, 12)} refused, last good policies stay: ${r.error.slice(0, 500)}`,
    head,
  );
  return { revision: head, ok: false, error: r.error };
}
