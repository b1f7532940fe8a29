import type { Logger } from 'pino';
import type { PolicyBundle } from '../policies/engine/bundle.js';
import {
  addToInventory,
  emptyInventory,
  MAX_INVENTORY_BYTES,
  NAMESPACE_KIND,
  type SyncKind,
} from '../policies/engine/gatekeeper/inventory.js';
import type { DesiredState } from './desired-state.js';
import type { KubeAccess } from './kube-access.js';
import { LiveInventory, syncKey } from './live-inventory.js';
import type { InventoryConfig } from './config.js';

/** Changes are gathered this long before the inventory is rebuilt and sent to the engine. */
export const INVENTORY_SETTLE_MS = 500;

/**
 * The kinds to follow for a bundle: none without Gatekeeper templates; otherwise what its
 * templates ask for, the configured ones, and Namespaces (namespaceSelector). Pure.
 */
export function syncSet(bundle: PolicyBundle | undefined, extra: readonly SyncKind[]): SyncKind[] {
  const templates = bundle?.built.templates ?? [];
  if (templates.length === 0) return [];
  const all = new Map<string, SyncKind>();
  for (const k of [NAMESPACE_KIND, ...extra, ...templates.flatMap((t) => t.sync)])
    all.set(syncKey(k), k);
  return [...all.values()];
}

export interface InventoryFeed {
  /** The bundle changed: follow the kinds it needs. */
  bundleChanged(bundle: PolicyBundle | undefined): void;
  /** The desired-state index changed. */
  indexChanged(): void;
  /** A Namespace (live, else as Git declares it), when known: Gatekeeper's namespaceObject. */
  namespaceObject(name: string): Record<string, unknown> | undefined;
  /** The labels of a namespace (live, else as Git declares it), when known. */
  namespaceLabels(name: string): Record<string, string> | undefined;
  stop(): void;
}

/**
 * Gatekeeper's data.inventory in the webhook: the followed cluster objects, and the objects of
 * the same kinds that Git declares (about to be applied; a live object wins). Rebuilt when
 * changes settle and handed to `publish` as JSON text (the evaluation workers) and an object.
 */
export function inventoryFeed(o: {
  readonly access: KubeAccess | undefined;
  readonly config: InventoryConfig;
  readonly desired: DesiredState;
  readonly logger: Logger;
  readonly publish: (json: Uint8Array, inventory: unknown) => void;
  readonly onSize?: (objects: number) => void;
  readonly onError?: () => void;
  /** @default MAX_INVENTORY_BYTES */
  readonly maxBytes?: number;
}): InventoryFeed {
  let timer: NodeJS.Timeout | undefined;
  let kinds = new Set<string>();
  const rebuild = (): void => {
    timer = undefined;
    const inv = emptyInventory();
    for (const obj of o.desired.declaredOf(kinds)) addToInventory(inv, obj);
    for (const obj of live?.objects() ?? []) addToInventory(inv, obj);
    o.onSize?.(live?.size ?? 0);
    const json = new TextEncoder().encode(JSON.stringify(inv));
    if (json.byteLength > (o.maxBytes ?? MAX_INVENTORY_BYTES)) {
      o.logger.warn(
        { bytes: json.byteLength, max: o.maxBytes ?? MAX_INVENTORY_BYTES },
        'inventory too large for the engine; the last one stays (lower inventory.maxObjects or the synced kinds)',
      );
      o.onError?.();
      return;
    }
    o.publish(json, inv);
  };
  const schedule = (): void => {
    timer ??= setTimeout(rebuild, INVENTORY_SETTLE_MS);
  };
  const live =
    o.access && o.config.watch
      ? new LiveInventory(o.access, o.logger, {
          maxObjects: o.config.maxObjects,
          onChange: schedule,
          ...(o.onError ? { onError: o.onError } : {}),
        })
      : undefined;
  return {
    bundleChanged(bundle) {
      const want = syncSet(bundle, o.config.sync);
      kinds = new Set(want.map((k) => `${k.group}/${k.kind}`));
      live
        ?.follow(want)
        .catch((err: unknown) =>
          o.logger.warn({ reason: String(err) }, 'inventory: cannot follow the kinds'),
        );
      schedule();
    },
    indexChanged: schedule,
    namespaceObject(name) {
      const fromLive = live?.namespaceObject(name);
      if (fromLive) return fromLive;
      for (const ns of o.desired.declaredOf(new Set(['/Namespace'])))
        if ((ns.metadata as { name?: string } | undefined)?.name === name) return ns;
      return undefined;
    },
    namespaceLabels(name) {
      const meta = this.namespaceObject(name)?.metadata as
        { labels?: Record<string, string> } | undefined;
      return meta ? (meta.labels ?? {}) : undefined;
    },
    stop() {
      clearTimeout(timer);
      live?.stop();
    },
  };
}
