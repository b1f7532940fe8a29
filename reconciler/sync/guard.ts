import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isIndexEntry, type IndexSource } from '../../core/desired-index.js';
import { isObject } from '../../core/object.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { Cluster } from '../kube/port.js';

/** Whether a recorded guard is shaped like this source's index entries. */
const isIndexSource = (v: unknown, name: string): v is IndexSource =>
  isObject(v) &&
  v.name === name &&
  typeof v.repoURL === 'string' &&
  typeof v.revision === 'string' &&
  Array.isArray(v.entries);

/**
 * What a source's entries in the webhooks' desired-state index may guard, and their record
 * across restarts. An object guards only once this source owns it: in its inventory (it applied
 * it before), or written (or found in sync and ours) by the last apply; an object its RBAC
 * refused, another's, or one a stopped sync never reached guards nothing. Until a sync has read
 * the inventory, the entries recorded in the cluster by the previous run stand in, so a restart
 * or a slow first sync opens no window.
 */
export class SourceGuard {
  #inventory: ReadonlySet<string> = new Set();
  #written: ReadonlySet<string> = new Set();
  #known = false;
  #restored: IndexSource | undefined;
  #recorded = '';

  constructor(
    private readonly name: string,
    private readonly cluster: Cluster,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {}

  /** Read the last run's entries (before a first sync); true when some were found. */
  async restore(): Promise<boolean> {
    try {
      const doc = await this.cluster.readGuard(this.namespace, this.name);
      if (this.#known || !isIndexSource(doc, this.name)) return false;
      // Entry by entry: a malformed one is dropped, never handed to the webhooks.
      const entries = doc.entries.filter(isIndexEntry);
      this.#restored = { ...doc, entries };
      const dropped = doc.entries.length - entries.length;
      this.log.info({ entries: entries.length, dropped }, 'last guarded entries restored');
      return true;
    } catch (err) {
      this.log.warn({ reason: apiErrorMessage(err) }, 'last guarded entries not read');
      return false;
    }
  }

  /** The inventory a sync read (before its hooks and apply). */
  sawInventory(keys: ReadonlySet<string>): void {
    this.#inventory = keys;
    this.#known = true;
    this.#restored = undefined;
  }

  /** What the last apply wrote, or found in sync and this source's. */
  applied(keys: ReadonlySet<string>): void {
    this.#written = keys;
  }

  /** Whether the sync has taken over from the restored entries. */
  get known(): boolean {
    return this.#known;
  }

  /** The last run's entries while nothing newer is known. */
  get restored(): IndexSource | undefined {
    return this.#known ? undefined : this.#restored;
  }

  guards(key: string): boolean {
    return this.#inventory.has(key) || this.#written.has(key);
  }

  /** Changes whenever what this guard allows does. */
  get shape(): string {
    const h = createHash('sha256');
    for (const k of [...this.#inventory, ...this.#written].sort()) h.update(k).update('\n');
    return h.digest('hex');
  }

  /** Record `doc` (this source's entries now) for the next run, when it changed. */
  async record(doc: IndexSource | undefined, key: string): Promise<void> {
    if (!doc || !this.#known || key === this.#recorded) return;
    try {
      if (await this.cluster.writeGuard(this.namespace, this.name, doc)) this.#recorded = key;
      else this.log.warn('guarded entries too large to record; a restart re-guards after its sync');
    } catch (err) {
      this.log.warn({ reason: apiErrorMessage(err) }, 'guarded entries not recorded');
    }
  }
}
