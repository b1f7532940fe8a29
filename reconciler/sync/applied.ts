import { apiErrorMessage } from '../kube/errors.js';
import type { SyncContext } from './context.js';

/**
 * The revision last applied in full, remembered in the cluster (on the source's inventory) so
 * that a restarted reconciler does not count the same commit as newly applied again.
 */
export class AppliedRevision {
  #known: string | undefined;
  #loaded = false;
  constructor(private readonly ctx: SyncContext) {}

  /** Read what the cluster remembers, once. An unreadable record counts as none. */
  async load(): Promise<void> {
    if (this.#loaded) return;
    const { cluster, namespace } = this.ctx.d;
    this.#known = await cluster
      .appliedRevision(namespace, this.ctx.cfg.name)
      .catch(() => undefined);
    this.#loaded = true;
  }

  /** Whether `revision` was not applied in full before. */
  isNew(revision: string | undefined): boolean {
    return revision !== undefined && revision !== this.#known;
  }

  /** Remember `revision` as applied in full; a failure to record is logged, never thrown. */
  async record(revision: string): Promise<void> {
    if (revision === this.#known) return;
    this.#known = revision;
    const { cluster, namespace } = this.ctx.d;
    await cluster.recordAppliedRevision(namespace, this.ctx.cfg.name, revision).catch((err) => {
      this.ctx.log.warn({ reason: apiErrorMessage(err) }, 'could not record the applied revision');
    });
  }
}

/**
 * A suspension set through the control route, remembered on the source's inventory so that it
 * outlives a restart. Only for sources from the config file: a GitSource's is its spec.suspend.
 */
export class RecordedSuspension {
  #loaded = false;
  constructor(private readonly ctx: SyncContext) {}

  /** What was recorded, read once (undefined: nothing, a GitSource, or unreadable). */
  async load(): Promise<boolean | undefined> {
    if (this.#loaded || this.ctx.cfg.eventTarget) return undefined;
    this.#loaded = true;
    const { cluster, namespace } = this.ctx.d;
    return cluster.suspendedNote(namespace, this.ctx.cfg.name).catch(() => undefined);
  }

  /** Record it now; throws when the cluster refuses. */
  async record(suspended: boolean): Promise<void> {
    const { cluster, namespace } = this.ctx.d;
    await cluster.recordSuspended(namespace, this.ctx.cfg.name, suspended);
    this.#loaded = true;
  }
}
