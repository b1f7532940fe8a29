import { Watch, type KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { SOURCE_LABEL } from './cluster.js';
import type { ReconcilerMetrics } from './metrics.js';
import { groupOf, type ObjectRef } from './objects.js';
import type { SourceReconciler } from './source-reconciler.js';

/** Backoff for attempt n (0-based): base × factor^n, capped. Pure. */
export function backoffMs(n: number, base: number, factor: number, max: number): number {
  return Math.min(max, base * factor ** n);
}

/** Serialises work per key: a task for a key runs after the previous one for that key. */
export class KeyedQueue {
  #tails = new Map<string, Promise<unknown>>();
  #pending = 0;
  constructor(private readonly onDepth: (n: number) => void = () => undefined) {}
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.onDepth(++this.#pending);
    const next = (this.#tails.get(key) ?? Promise.resolve())
      .then(task)
      .finally(() => this.onDepth(--this.#pending));
    this.#tails.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }
}

export interface RuntimeOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly metrics: ReconcilerMetrics;
  readonly sources: readonly SourceReconciler[];
  readonly discover: (apiVersion: string, kind: string) => Promise<V1APIResource | undefined>;
}

/**
 * Drives the sources: a reconcile per interval (a full resync, the backstop), retries with
 * backoff on errors, and watches on every managed kind that call heal() for the object a change
 * touched, so drift is reverted in well under a second.
 */
export class ReconcilerRuntime {
  readonly queue: KeyedQueue;
  #timers = new Map<string, NodeJS.Timeout>();
  #failures = new Map<string, number>();
  #watches = new Map<string, AbortController | undefined>();
  #stopped = false;
  #byName: Map<string, SourceReconciler>;

  constructor(private readonly o: RuntimeOptions) {
    this.queue = new KeyedQueue((n) => o.metrics.queueDepth.set(n));
    this.#byName = new Map(o.sources.map((s) => [s.cfg.name, s]));
  }

  source(name: string): SourceReconciler | undefined {
    return this.#byName.get(name);
  }

  get sources(): readonly SourceReconciler[] {
    return this.o.sources;
  }

  start(): void {
    for (const s of this.o.sources) this.#schedule(s, 0);
  }

  /** Reconcile now (push webhook, resume, tests); resolves when done, rejects on failure. */
  reconcileNow(name: string): Promise<void> {
    const s = this.#byName.get(name);
    if (!s) return Promise.reject(new Error(`no source named ${name}`));
    return this.queue.run(name, () => s.reconcile()).then(() => this.#ensureWatches(s));
  }

  #schedule(s: SourceReconciler, delay: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timers.get(s.cfg.name));
    this.#timers.set(
      s.cfg.name,
      setTimeout(() => {
        this.reconcileNow(s.cfg.name).then(
          () => {
            this.#failures.set(s.cfg.name, 0);
            this.#schedule(s, s.cfg.intervalMs);
          },
          () => {
            const n = this.#failures.get(s.cfg.name) ?? 0;
            this.#failures.set(s.cfg.name, n + 1);
            const r = s.cfg.retry;
            this.#schedule(
              s,
              n < r.limit ? backoffMs(n, r.backoffMs, r.factor, r.maxMs) : s.cfg.intervalMs,
            );
          },
        );
      }, delay),
    );
  }

  async #ensureWatches(s: SourceReconciler): Promise<void> {
    const kinds = new Set(s.state.desired.map((r) => `${r.object.apiVersion}|${r.object.kind}`));
    for (const k of kinds) {
      if (this.#watches.has(k)) continue;
      const [apiVersion, kind] = k.split('|') as [string, string];
      this.#watches.set(k, undefined);
      await this.#watch(k, apiVersion, kind, 0);
    }
  }

  async #watch(key: string, apiVersion: string, kind: string, attempt: number): Promise<void> {
    if (this.#stopped) return;
    const restart = (): void => {
      if (this.#stopped) return;
      setTimeout(
        () => void this.#watch(key, apiVersion, kind, attempt + 1),
        backoffMs(Math.min(attempt, 5), 500, 2, 15_000),
      );
    };
    try {
      const res = await this.o.discover(apiVersion, kind);
      if (!res) throw new Error(`no resource for ${apiVersion} ${kind}`);
      const path = `${groupOf(apiVersion) ? `/apis/${apiVersion}` : `/api/${apiVersion}`}/${res.name}`;
      const watch = new Watch(this.o.kubeConfig);
      let ended = false;
      const ctl = await watch.watch(
        path,
        { labelSelector: SOURCE_LABEL, allowWatchBookmarks: false },
        (
          phase: string,
          obj: {
            metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
          },
        ) => {
          if (phase !== 'MODIFIED' && phase !== 'DELETED') return;
          const src = this.#byName.get(obj.metadata?.labels?.[SOURCE_LABEL] ?? '');
          if (!src || !obj.metadata?.name) return;
          const ref: ObjectRef = {
            apiVersion,
            kind,
            name: obj.metadata.name,
            ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
          };
          void this.queue
            .run(src.cfg.name, () => src.heal(ref))
            .catch((err: unknown) => {
              this.o.logger.warn(
                { source: src.cfg.name, reason: (err as Error).message },
                'self-heal failed; the next resync retries',
              );
            });
        },
        () => {
          ended = true;
          restart();
        },
      );
      this.#watches.set(key, ctl);
      if (!ended && attempt > 0) this.#resyncAfterGap(apiVersion, kind);
      attempt = 0;
    } catch (err) {
      this.o.logger.warn({ kind, reason: (err as Error).message }, 'watch failed; retrying');
      restart();
    }
  }

  /**
   * A re-established watch starts from now: changes made while it was down were never seen.
   * Resync every source that declares the kind, so such drift is still reverted.
   */
  #resyncAfterGap(apiVersion: string, kind: string): void {
    for (const s of this.o.sources) {
      if (
        !s.state.desired.some((r) => r.object.apiVersion === apiVersion && r.object.kind === kind)
      )
        continue;
      this.o.logger.info({ source: s.cfg.name, kind }, 'watch re-established; resyncing');
      this.reconcileNow(s.cfg.name).catch(() => undefined);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    for (const w of this.#watches.values()) w?.abort();
  }
}
