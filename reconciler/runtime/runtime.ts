import type { IngressInventory } from '../policy/ingress-inventory.js';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { backoffMs } from '../../core/backoff.js';
import type { DesiredIndexDoc, IndexSource } from '../../core/desired-index.js';
import { KeyedQueue } from '../../core/keyed-queue.js';
import { Limiter } from '../../core/limiter.js';
import { publishAudit, runAudit, type AuditReport } from '../policy/audit.js';
import { writePolicyReports } from '../policy/policy-report-writer.js';
import { ReportCollector } from '../policy/policy-reports.js';
import type { Cluster } from '../kube/port.js';
import { SOURCE_LABEL } from '../../core/labels.js';
import type { PolicyConfig } from '../config/config.js';
import type { ReconcilerMetrics } from '../metrics.js';
import type { ObjectRef } from '../model/objects.js';
import type { PolicyHub } from '../policy/hub.js';
import { KeyedTimers, realClock, type Clock } from './clock.js';
import { Heals } from './heals.js';
import { KindWatches, type OpenWatch, type WatchedObject } from './watches.js';
import type { SourceReconciler } from '../source-reconciler.js';
import { jittered, retryDelay } from './retry.js';

export { backoffMs, KeyedQueue };

/** A break-glass heal runs this long after the expiry, so the apiserver's clock has passed it. */
const GLASS_GRACE_MS = 250;

/** The sources as the runtime drives them (SourceReconciler; tests may pass fakes). */
export type RuntimeSource = Pick<
  SourceReconciler,
  'cfg' | 'state' | 'reconcile' | 'heal' | 'indexSource' | 'indexKey' | 'suspend' | 'resume'
>;

/** The watches of another cluster's objects (a remote source's), shared by its key. */
export interface SourceWatch {
  readonly key: string;
  readonly open: OpenWatch;
  /**
   * Watch each namespace the source applies to rather than the whole cluster: a tenant's
   * kubeconfig may read only its own namespaces there.
   */
  readonly perNamespace?: boolean;
}

export interface RuntimeOptions<S extends RuntimeSource = SourceReconciler> {
  readonly logger: Logger;
  readonly metrics: ReconcilerMetrics;
  readonly sources: readonly S[];
  /** Watches of the reconciler's own cluster. */
  readonly watch: OpenWatch;
  /** Where a source's objects are watched when not in the reconciler's cluster (remote). */
  readonly watchOf?: (s: S) => SourceWatch | undefined;
  /** @default realClock */
  readonly clock?: Clock;
  /** Interval jitter. @default Math.random */
  readonly random?: () => number;
  /** After every reconcile or heal of a source, whatever its outcome (GitSource status). */
  readonly onReconciled?: (name: string) => void;
  /** Just before a reconcile runs (GitSource status: Reconciling=True); its errors are ignored. */
  readonly onReconcileStart?: (name: string) => Promise<void>;
  /** Audit: the cluster to list, the policies, and which kinds and namespaces. */
  /** Sources reconciled at once; the others wait their turn. @default 4 */
  readonly maxConcurrent?: number;
  /** Whether the periodic audit runs now (shards: on the leader only). @default always */
  readonly auditWhen?: () => boolean;
  readonly audit?: {
    readonly cluster: Cluster;
    readonly hub: PolicyHub;
    readonly config: PolicyConfig['audit'];
    readonly skipNamespaces: ReadonlySet<string>;
    readonly identity: string;
    readonly ingresses?: IngressInventory;
  };
}

/**
 * The GitOps side of the runtime: a reconcile per source per interval (the backstop), retries by
 * what the error says, watches on every managed kind that heal the object a change touched,
 * heals at break-glass expiry, the audit loop and the desired-state index. The generic parts
 * (queue, timers, watches) are in core/keyed-queue and runtime/.
 */
export class ReconcilerRuntime<S extends RuntimeSource = SourceReconciler> {
  readonly queue: KeyedQueue;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #timers: KeyedTimers;
  /** Watches per cluster: '' the reconciler's own, else a remote one's key. */
  readonly #watches = new Map<string, KindWatches>();
  #failures = new Map<string, number>();
  readonly #heals: Heals;
  #byName: Map<string, S>;
  #started: boolean;
  #stopped = false;
  /** The index per cluster ('' the reconciler's own), with the key it was built for. */
  readonly #index = new Map<string, { doc: DesiredIndexDoc; key: string }>();
  #audit: AuditReport | undefined;

  readonly #limiter: Limiter;

  constructor(private readonly o: RuntimeOptions<S>) {
    this.#limiter = new Limiter(o.maxConcurrent ?? 4);
    this.#clock = o.clock ?? realClock;
    this.#random = o.random ?? Math.random;
    this.#timers = new KeyedTimers(this.#clock);
    this.queue = new KeyedQueue((n) => o.metrics.queueDepth.set(n));
    this.#byName = new Map(o.sources.map((s) => [s.cfg.name, s]));
    this.#started = false;
    this.#heals = new Heals({
      queue: this.queue,
      timers: this.#timers,
      logger: o.logger,
      source: (name) => this.#byName.get(name),
      onHealed: (name) => this.o.onReconciled?.(name),
    });
  }

  /** The key of the cluster a source's objects are in ('' the reconciler's own). */
  #clusterOf(s: S): string {
    return this.o.watchOf?.(s)?.key ?? '';
  }

  #watchesOf(s: S): KindWatches {
    const target = this.o.watchOf?.(s);
    const key = target?.key ?? '';
    let w = this.#watches.get(key);
    if (!w) {
      w = new KindWatches({
        open: target?.open ?? this.o.watch,
        clock: this.#clock,
        logger: key ? this.o.logger.child({ cluster: key }) : this.o.logger,
        onChange: (apiVersion, kind, obj, phase) =>
          this.#changed(key, apiVersion, kind, obj, phase),
        onGap: (apiVersion, kind) => this.#resyncAfterGap(key, apiVersion, kind),
      });
      this.#watches.set(key, w);
    }
    return w;
  }

  /** Stop the watches of remote clusters no source targets any more. */
  #dropUnusedWatches(): void {
    const used = new Set([...this.#byName.values()].map((s) => this.#clusterOf(s)));
    for (const [key, w] of this.#watches)
      if (key !== '' && !used.has(key)) {
        w.stop();
        this.#watches.delete(key);
      }
  }

  source(name: string): S | undefined {
    return this.#byName.get(name);
  }

  get sources(): readonly S[] {
    return [...this.#byName.values()];
  }

  start(): void {
    this.#started = true;
    for (const s of this.#byName.values()) this.#schedule(s, 0);
    this.#auditLoop();
  }

  /**
   * Add a source, or replace the one of that name (a GitSource edited): the old one's timers
   * stop; the new one reconciles at once (after the old one's reconcile in flight, if any).
   */
  putSource(s: S): void {
    this.#drop(s.cfg.name);
    this.#byName.set(s.cfg.name, s);
    if (this.#started) this.#schedule(s, 0);
  }

  /**
   * Stop driving a source (its objects stay; the caller prunes them if it must) and delete its
   * metric series.
   */
  removeSource(name: string): void {
    this.#drop(name);
    void this.o.metrics.forgetSource(name);
  }

  #drop(name: string): void {
    this.#timers.cancel(`source|${name}`);
    this.#byName.delete(name);
    this.#failures.delete(name);
    this.#dropUnusedWatches();
  }

  #auditLoop(): void {
    const every = this.o.audit?.config.intervalMs ?? 0;
    if (every <= 0) return;
    this.#timers.after('audit', every, () => {
      // Shards: only the leader audits.
      if (!(this.o.auditWhen?.() ?? true)) return this.#auditLoop();
      void this.auditNow()
        .catch((err: unknown) =>
          this.o.logger.warn({ reason: (err as Error).message }, 'audit failed'),
        )
        .finally(() => this.#auditLoop());
    });
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
    const reports = a.config.policyReports ? new ReportCollector(new Date()) : undefined;
    const report = await runAudit(a.cluster, bundle, {
      ...(reports ? { reports } : {}),
      kinds: a.config.kinds,
      skipNamespaces: a.skipNamespaces,
      identity: a.identity,
      evaluationTimeoutMs: a.config.evaluationTimeoutMs,
      tenantBudgetMs: a.config.tenantBudgetMs,
      logger: this.o.logger,
      ...(a.ingresses ? { ingresses: a.ingresses } : {}),
    });
    publishAudit(this.o.metrics, bundle, report);
    if (reports) {
      const w = await writePolicyReports(a.cluster, reports.set());
      if (w.errors.length > 0)
        this.o.logger.warn({ errors: w.errors.slice(0, 5) }, 'policy reports not all written');
    }
    this.#audit = report;
    const violations = report.totals.reduce((n, t) => n + t.count, 0);
    this.o.logger.info({ scanned: report.objectsScanned, violations }, 'audit finished');
    return report;
  }

  /**
   * The desired-state index of every source's verified commit (rebuilt when one moves): of the
   * sources applying to the reconciler's own cluster, or to the remote `cluster` named.
   */
  desiredIndex(cluster?: string): DesiredIndexDoc {
    const mine = this.sources.filter((s) => s.cfg.remote?.cluster === cluster);
    const key = `${cluster ?? ''}|${mine.map((s) => `${s.cfg.name}@${s.indexKey}`).join(',')}`;
    const cached = this.#index.get(cluster ?? '');
    if (cached?.key === key) return cached.doc;
    const sources: IndexSource[] = [];
    const pending: string[] = [];
    for (const s of mine) {
      const entries = s.indexSource();
      if (entries) sources.push(entries);
      else pending.push(s.cfg.name);
    }
    const generation = createHash('sha256').update(key).digest('hex').slice(0, 20);
    const doc: DesiredIndexDoc = { version: 1, generation, sources, pending };
    // Only clusters some source targets are kept: a feed asked for any name grows nothing.
    if (cluster === undefined || mine.length > 0) this.#index.set(cluster ?? '', { key, doc });
    return doc;
  }

  /** Heal `ref` of `source` just after its break-glass expires (one timer per object). */
  breakGlassSeen(source: string, ref: ObjectRef, expiresMs: number): void {
    const key = `glass|${source}|${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
    this.#timers.at(key, expiresMs + GLASS_GRACE_MS, () =>
      this.#heals.heal(
        source,
        ref,
        'heal after break-glass expiry failed; the next resync retries',
      ),
    );
  }

  /**
   * Reconcile now (push webhook, resume, tests); resolves when done, rejects on failure. A full
   * sync, unless `resync` (the interval's): that one may find the source settled and apply
   * nothing.
   */
  reconcileNow(name: string, resync = false): Promise<void> {
    const s = this.#byName.get(name);
    if (!s) return Promise.reject(new Error(`no source named ${name}`));
    return this.queue
      .run(name, () =>
        // At most maxConcurrent sources fetch, render and apply at once (1,000 GitSources
        // starting together were 1,000 fetches and renders in one heap).
        this.#limiter.run(async () => {
          // Removed or replaced while it waited (handed to another shard, edited): not ours.
          if (this.#byName.get(name) !== s) return;
          await this.o.onReconcileStart?.(name).catch(() => undefined);
          return s.reconcile({ resync });
        }),
      )
      .finally(() => {
        this.o.onReconciled?.(name);
      })
      .then(() => {
        this.#heals.followProgress(s);
        return this.#ensureWatches(s);
      });
  }

  // Reconcile a source after `delay`, then again by its interval or by what its error says.
  #schedule(s: RuntimeSource, delay: number): void {
    const name = s.cfg.name;
    this.#timers.after(`source|${name}`, delay, () => {
      // A source replaced or removed meanwhile is not scheduled again: its successor is.
      const current = () => this.#byName.get(name) === s;
      this.reconcileNow(name, true).then(
        () => {
          this.#failures.set(name, 0);
          if (current()) this.#schedule(s, jittered(s.cfg.intervalMs, this.#random));
        },
        (err: unknown) => {
          const n = this.#failures.get(name) ?? 0;
          this.#failures.set(name, n + 1);
          if (current()) this.#schedule(s, retryDelay(err, n, s.cfg));
        },
      );
    });
  }

  async #ensureWatches(s: S): Promise<void> {
    // A source replaced or removed meanwhile opens nothing (its cluster may be gone).
    if (this.#stopped || this.#byName.get(s.cfg.name) !== s) return;
    const watches = this.#watchesOf(s);
    const perNamespace = this.o.watchOf?.(s)?.perNamespace ?? false;
    const keys = new Set(
      s.state.desired.map(
        (r) =>
          `${r.object.apiVersion}|${r.object.kind}|${perNamespace ? (r.object.metadata.namespace ?? '') : ''}`,
      ),
    );
    for (const k of keys) {
      const [apiVersion, kind, ns] = k.split('|') as [string, string, string];
      await watches.ensure(apiVersion, kind, ns || undefined);
    }
  }

  #changed(
    cluster: string,
    apiVersion: string,
    kind: string,
    obj: WatchedObject,
    phase: 'MODIFIED' | 'DELETED',
  ): void {
    const source = this.#byName.get(obj.metadata?.labels?.[SOURCE_LABEL] ?? '');
    // Only the cluster the source applies to speaks for its objects: a same-named object in
    // another cluster, labelled alike, is not its.
    if (!source || this.#clusterOf(source) !== cluster || !obj.metadata?.name) return;
    const ref: ObjectRef = {
      apiVersion,
      kind,
      name: obj.metadata.name,
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    };
    // The event carried the object: the heal compares it without reading it again.
    const live = phase === 'DELETED' ? undefined : (obj as Record<string, unknown>);
    this.#heals.heal(source.cfg.name, ref, 'self-heal failed; the next resync retries', {
      live,
    });
  }

  /**
   * A re-established watch starts from now: changes made while it was down were never seen.
   * Resync every source that declares the kind, so such drift is still reverted.
   */
  #resyncAfterGap(cluster: string, apiVersion: string, kind: string): void {
    for (const s of this.sources) {
      if (
        this.#clusterOf(s) !== cluster ||
        !s.state.desired.some((r) => r.object.apiVersion === apiVersion && r.object.kind === kind)
      )
        continue;
      this.o.logger.info({ source: s.cfg.name, kind }, 'watch re-established; resyncing');
      this.reconcileNow(s.cfg.name).catch(() => undefined);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#timers.stop();
    for (const w of this.#watches.values()) w.stop();
  }
}
