import type { SourceState } from '../model/source-state.js';
import { formatDiff } from '../../core/diff.js';
import { refText } from '../model/objects.js';

/** The JSON a source's status is served as (and `driftgate status` prints). Pure. */
export function statusView(s: SourceState): object {
  const objects = [...s.objects.values()];
  return {
    name: s.name,
    revision: s.revision ?? null,
    signer: s.signer ?? null,
    remoteHead: s.remoteHead ?? null,
    syncStatus: s.syncStatus,
    health: s.health,
    suspended: s.suspended,
    lastSyncedAt: s.lastSyncedAt ?? null,
    lastError: s.lastError ?? null,
    errors: s.errors,
    verification: s.verification ?? null,
    pruneRefused: s.pruneRefused ?? null,
    pruneHeld: s.pruneHeld ?? [],
    crdsKept: s.crdsKept ?? [],
    terminating: s.terminating ?? [],
    refused: s.refused,
    objects: objects.length,
    drifted: objects
      .filter((o) => o.drift.length > 0)
      .map((o) => ({ object: refText(o.ref), path: o.path, diff: formatDiff(o.drift) })),
    unhealthy: objects
      .filter((o) => o.health !== 'Healthy')
      .map((o) => ({ object: refText(o.ref), health: o.health, message: o.healthMessage ?? null })),
    fighting: [...s.fighting],
    breakGlass: objects.flatMap((o) =>
      o.breakGlass ? [{ object: refText(o.ref), path: o.path, ...o.breakGlass }] : [],
    ),
    hooks: s.hooks,
    runningHook: s.runningHook ?? null,
    policies: s.policies ?? null,
    policyViolations: s.policyViolations,
  };
}
