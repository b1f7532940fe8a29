import type { Logger } from 'pino';
import type { GitVerdict } from './drift.js';
import type { AdmissionMetrics } from './metrics.js';
import type { AdmissionRequest } from './types.js';

/** Metrics, audit log and the deny or warning for a Git verdict. */
export function gitOutcome(
  request: AdmissionRequest,
  v: GitVerdict,
  deps: { readonly metrics: AdmissionMetrics },
  log: Logger,
): { deny?: string; warning?: string } | undefined {
  const live = request.dryRun !== true;
  const user = request.userInfo.username;
  if (v.kind === 'denied') {
    if (live && v.declared)
      deps.metrics.manualChanges.inc({ source: v.declared.source.name, action: 'denied' });
    log.info(
      {
        decision: 'denied',
        user,
        source: v.declared?.source.name,
        commit: v.declared?.source.revision,
        fields: v.fields,
      },
      'change to Git-declared state denied',
    );
    return { deny: v.message };
  }
  if (v.kind === 'governed') {
    if (live) deps.metrics.governedDenials.inc({ action: v.mode === 'deny' ? 'denied' : 'warned' });
    log.info({ decision: v.mode, user }, 'create of an undeclared object in a governed namespace');
    return v.mode === 'deny'
      ? { deny: v.message }
      : { warning: `not declared in Git; namespace ${request.namespace ?? ''} is governed` };
  }
  if (v.kind === 'allowed' && v.breakGlass) {
    if (live) deps.metrics.breakGlassUses.inc({ source: v.declared.source.name });
    // The audit trail of an emergency change: who, why, until when, which fields, which commit.
    log.warn(
      {
        audit: 'break-glass',
        user,
        groups: request.userInfo.groups ?? [],
        reason: v.breakGlass.reason,
        expires: new Date(v.breakGlass.expiresMs).toISOString(),
        fields: v.breakGlass.fields,
        source: v.declared.source.name,
        commit: v.declared.source.revision,
        dryRun: !live,
      },
      'break-glass change admitted',
    );
    return {
      warning: `break-glass: Git-declared fields are restored after ${new Date(v.breakGlass.expiresMs).toISOString()}`,
    };
  }
  return undefined;
}
