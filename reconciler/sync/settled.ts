import type { SourceConfig } from '../config/config.js';
import { SyncStatus, type SourceState } from '../model/source-state.js';

/**
 * A settled source still converges in full this often, whatever the watches saw: the backstop
 * for a change no watch reported (an apiserver that lost a watch's events without a gap).
 */
export const FULL_RESYNC_MS = 10 * 60_000;

/**
 * The last full converge that left everything applied and in sync, and what it was
 * under (the revision, the live policies, the inventories the gate reads). While nothing has
 * changed since, and every watch event on the source's objects found them in sync, an interval
 * resync need not read or apply anything: drift is the watches' to revert at once, and a full
 * converge every FULL_RESYNC_MS is the backstop. Anything a watch saw (a revert, a report, a
 * fight, a failed heal), a watch gap, a suspension or a sync asked for forgets it.
 */
export class Settled {
  #at: { key: string; atMs: number } | undefined;

  /**
   * After a full converge: settled only when it left nothing to do. Health needs no resync:
   * every watch event on an object reads it again, and objects still progressing are followed.
   */
  record(
    key: string,
    nowMs: number,
    clean: boolean,
    state: Readonly<SourceState>,
    cfg: Pick<SourceConfig, 'selfHeal'>,
  ): void {
    const quiet =
      clean &&
      cfg.selfHeal &&
      !state.suspended &&
      state.syncStatus === SyncStatus.Synced &&
      state.fighting.size === 0 &&
      state.refused.length === 0;
    this.#at = quiet ? { key, atMs: nowMs } : undefined;
  }

  /** Whether a resync now, under `key`, with the remote head at the revision, may skip. */
  quiet(key: string, nowMs: number, state: Readonly<SourceState>): boolean {
    return this.holds(key, nowMs) && state.remoteHead === state.revision;
  }

  /**
   * Whether the cluster is still as the last full converge under `key` left it (a new commit's
   * apply may then look only at what the commit changed).
   */
  holds(key: string, nowMs: number): boolean {
    const s = this.#at;
    return s !== undefined && s.key === key && nowMs - s.atMs < FULL_RESYNC_MS;
  }

  forget(): void {
    this.#at = undefined;
  }
}
