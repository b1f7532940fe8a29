import { backoffMs } from '../../core/backoff.js';
import type { SourceConfig } from '../config/config.js';
import { ReconcileError } from '../sync/errors.js';
import { Next } from '../model/reconcile-codes.js';

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

/**
 * An interval spread by ±10 % (`random` in [0, 1)), so sources started together do not resync
 * together for ever (Flux and controller-runtime jitter their requeues the same way). Pure.
 */
export const jittered = (ms: number, random: () => number): number =>
  Math.round(ms * (0.9 + 0.2 * random()));
