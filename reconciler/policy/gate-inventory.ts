import type { Logger } from 'pino';
import type { DesiredIndexDoc } from '../../core/desired-index.js';
import type { PolicyBundle } from '../../policies/engine/bundle.js';
import {
  addToInventory,
  apiVersionOf,
  emptyInventory,
  isNeverSynced,
  MAX_INVENTORY_BYTES,
  NAMESPACE_KIND,
  slim,
  type SyncKind,
} from '../../policies/engine/gatekeeper/inventory.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { Cluster } from '../kube/port.js';
import { groupOf } from '../model/objects.js';

/** @default the most live objects the gate's inventory lists (over all kinds). */
export const MAX_GATE_INVENTORY = 5_000;

/**
 * Gatekeeper's data.inventory for the pre-apply gate: the live objects of the kinds the live
 * templates name (and Namespaces), and what every source's desired state declares of them,
 * laid into the bundle. `version` changes when it did, so the gate judges again.
 */
export class GateInventory {
  #version = 0;
  #last = '';
  #bundle: PolicyBundle | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly desired: () => DesiredIndexDoc | undefined,
    private readonly log: Logger,
    private readonly maxObjects = MAX_GATE_INVENTORY,
  ) {}

  get version(): number {
    return this.#version;
  }

  /**
   * List the synced kinds now and lay them into `bundle`, with what the sources own of their
   * desired state and `own`: the declared objects of the source being synced (its commit's
   * objects see each other before they are applied). A failed list is logged and skipped.
   */
  async refresh(bundle: PolicyBundle, own: readonly unknown[] = []): Promise<void> {
    const templates = bundle.built.templates ?? [];
    if (templates.length === 0) return;
    const kinds = new Map<string, SyncKind>();
    for (const k of [NAMESPACE_KIND, ...templates.flatMap((t) => t.sync)])
      if (!isNeverSynced(k)) kinds.set(`${k.group}/${k.kind}`, k);
    const inv = emptyInventory();
    for (const s of this.desired()?.sources ?? [])
      for (const e of s.entries)
        if (kinds.has(`${e.group}/${e.kind}`)) addToInventory(inv, e.declared);
    for (const o of own) {
      const t = o as { apiVersion?: unknown; kind?: unknown };
      if (kinds.has(`${groupOf(String(t.apiVersion ?? ''))}/${String(t.kind)}`))
        addToInventory(inv, o);
    }
    let left = this.maxObjects;
    for (const k of kinds.values()) {
      try {
        const items = await this.cluster.list(apiVersionOf(k), k.kind);
        for (const o of items.slice(0, Math.max(0, left))) addToInventory(inv, slim(o, k));
        left -= items.length;
      } catch (err) {
        this.log.debug(
          { kind: k.kind, reason: apiErrorMessage(err) },
          'gate inventory: not listed',
        );
      }
    }
    const text = JSON.stringify(inv);
    if (text === this.#last && bundle === this.#bundle) return;
    if (text.length > MAX_INVENTORY_BYTES) {
      this.log.warn({ bytes: text.length }, 'gate inventory too large; the last one stays');
      return;
    }
    try {
      bundle.setInventory(inv);
    } catch (err) {
      this.log.warn({ reason: String(err) }, 'gate inventory refused; the last one stays');
      return;
    }
    this.#last = text;
    this.#bundle = bundle;
    this.#version++;
  }
}
