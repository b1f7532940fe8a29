import { createHash } from 'node:crypto';
import { Watch, type KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import type { DesiredIndexDoc, IndexSource } from '../core/desired-index.js';
import { runAudit, type AuditReport } from './audit.js';
import type { Cluster } from './cluster.js';
import type { PolicyConfig, SourceConfig } from './config.js';
import { Next, ReconcileError } from './sync/errors.js';
import type { PolicyHub } from './policy-hub.js';
import type { Logger } from 'pino';
import { SOURCE_LABEL } from './cluster.js';
import { backoffMs } from '../core/backoff.js';
import { KeyedQueue } from '../core/keyed-queue.js';
import type { ReconcilerMetrics } from './metrics.js';
import { groupOf, type ObjectRef } from './objects.js';
import type { SourceReconciler } from './source-reconciler.js';

export { backoffMs, KeyedQueue };

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

export interface RuntimeOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly metrics: ReconcilerMetrics;
  readonly sources: readonly SourceReconciler[];
  readonly discover: (apiVersion: string, kind: string) => Promise<V1APIResource | undefined>;
  /** Audit: the cluster to list, the policies, and which kinds and namespaces. */
  readonly audit?: {
    readonly cluster: Cluster;
    readonly hub: PolicyHub;
    readonly config: PolicyConfig['audit'];
    readonly skipNamespaces: ReadonlySet<string>;
    readonly identity: string;
  };
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
  #tried = new Set<string>();
  #glassTimers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #index: { doc: DesiredIndexDoc; key: string } | undefined;
  #audit: AuditReport | undefined;
  #auditTimer: NodeJS.Timeout | undefined;

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
    const every = this.o.audit?.config.intervalMs ?? 0;
    if (every > 0) {
      const loop = (): void => {
        this.#auditTimer = setTimeout(() => {
          void this.auditNow()
            .catch((err: unknown) =>
              this.o.logger.warn({ reason: (err as Error).message }, 'audit failed'),
            )
            .finally(() => !this.#stopped && loop());
        }, every);
      };
      loop();
    }
  }

  /** The last audit report, if one ran. */
  get lastAudit(): AuditReport | undefined {
    return this.#audit;
  }

  /** Audit existing objects against the live policies now; resolves with the report. */
  async auditNow(): Promise<AuditReport | undefined> {
    const a = this.o.audit;
    const bundle = a?.hub.current;
    if (!a || !bundle) return undefined;
    const report = await runAudit(a.cluster, bundle, {
      kinds: a.config.kinds,
      skipNamespaces: a.skipNamespaces,
      identity: a.identity,
    });
    const m = this.o.metrics;
    m.auditViolations.reset();
    for (const p of bundle.policies)
      for (const action of ['enforce', 'warn', 'dryrun'])
        m.auditViolations.set({ policy: p.id, action }, 0);
    for (const t of report.totals)
      m.auditViolations.set({ policy: t.policy, action: t.action }, t.count);
    m.auditLastRun.set(Date.parse(report.finishedAt) / 1000);
    m.auditDuration.set(report.durationMs / 1000);
    this.#audit = report;
    this.o.logger.info(
      {
        scanned: report.objectsScanned,
        violations: report.totals.reduce((n, t) => n + t.count, 0),
      },
      'audit finished',
    );
    return report;
  }

  /** The desired-state index of every source's verified commit (rebuilt when one moves). */
  desiredIndex(): DesiredIndexDoc {
    const key = this.o.sources.map((s) => `${s.cfg.name}@${s.state.revision ?? ''}`).join(',');
    if (this.#index?.key === key) return this.#index.doc;
    const sources = this.o.sources
      .map((s) => s.indexSource())
      .filter((x): x is IndexSource => x !== undefined);
    const generation = createHash('sha256').update(key).digest('hex').slice(0, 20);
    this.#index = { key, doc: { version: 1, generation, sources } };
    return this.#index.doc;
  }

  /** Heal `ref` of `source` just after its break-glass expires (one timer per object). */
  breakGlassSeen(source: string, ref: ObjectRef, expiresMs: number): void {
    const key = `${source}|${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
    const known = this.#glassTimers.get(key);
    if (known?.at === expiresMs || this.#stopped) return;
    clearTimeout(known?.timer);
    const timer = setTimeout(
      () => {
        this.#glassTimers.delete(key);
        const s = this.#byName.get(source);
        if (!s) return;
        void this.queue
          .run(source, () => s.heal(ref))
          .catch((err: unknown) =>
            this.o.logger.warn(
              { source, reason: (err as Error).message },
              'heal after break-glass expiry failed; the next resync retries',
            ),
          );
      },
      Math.max(0, expiresMs - Date.now()) + 250,
    );
    timer.unref();
    this.#glassTimers.set(key, { at: expiresMs, timer });
  }

  /** Reconcile now (push webhook, resume, tests); resolves when done, rejects on failure. */
  reconcileNow(name: string): Promise<void> {
    const s = this.#byName.get(name);
    if (!s) return Promise.reject(new Error(`no source named ${name}`));
    return this.queue
      .run(name, () => s.reconcile())
      .finally(() => this.#tried.add(name))
      .then(() => this.#ensureWatches(s));
  }

  /** Whether every source has been reconciled at least once (successfully or not). */
  everySourceTried(): boolean {
    return this.o.sources.every((s) => this.#tried.has(s.cfg.name));
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
          (err: unknown) => {
            const n = this.#failures.get(s.cfg.name) ?? 0;
            this.#failures.set(s.cfg.name, n + 1);
            this.#schedule(s, retryDelay(err, n, s.cfg));
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
    for (const g of this.#glassTimers.values()) clearTimeout(g.timer);
    clearTimeout(this.#auditTimer);
    for (const w of this.#watches.values()) w?.abort();
  }
}
