import { Watch, type KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import { backoffMs } from '../../core/backoff.js';
import { SOURCE_LABEL } from '../cluster.js';
import type { SourceConfig } from '../config.js';
import { groupOf } from '../objects.js';
import { Next, ReconcileError } from '../sync/errors.js';
import type { OpenWatch } from './watches.js';

/**
 * When to reconcile again after a failed reconcile (the `n`th in a row). Pure. Waiting errors
 * say when; transient ones back off up to the retry limit, then fall back to the interval.
 */
export function retryDelay(
  err: unknown,
  n: number,
  cfg: Pick<SourceConfig, 'retry' | 'intervalMs'>,
): number {
  if (err instanceof ReconcileError && err.next === Next.waiting && err.retryAfterMs !== undefined)
    return Math.min(err.retryAfterMs, cfg.intervalMs);
  if (err instanceof ReconcileError && err.next === Next.stalled) return cfg.intervalMs;
  const r = cfg.retry;
  return n < r.limit ? backoffMs(n, r.backoffMs, r.factor, r.maxMs) : cfg.intervalMs;
}

/** A watch on a kind through client-node, for objects labelled with a source. */
export function kubeWatch(
  kc: KubeConfig,
  discover: (apiVersion: string, kind: string) => Promise<V1APIResource | undefined>,
): OpenWatch {
  return async (apiVersion, kind, onEvent, onEnd) => {
    const res = await discover(apiVersion, kind);
    if (!res) throw new Error(`no resource for ${apiVersion} ${kind}`);
    const path = `${groupOf(apiVersion) ? `/apis/${apiVersion}` : `/api/${apiVersion}`}/${res.name}`;
    return new Watch(kc).watch(
      path,
      { labelSelector: SOURCE_LABEL, allowWatchBookmarks: false },
      onEvent,
      onEnd,
    );
  };
}
