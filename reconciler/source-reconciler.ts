import type { Logger } from 'pino';
import type { IndexSource } from '../core/desired-index.js';
import { redactURL } from '../core/secrets.js';
import type { SourceConfig } from './config/config.js';
import { refKey, refText, type Rendered } from './model/objects.js';
import { initialState, type SourceState } from './model/source-state.js';
import { Settled } from './sync/settled.js';
import { changedKeys, lastApplyOf, mergeApply, type LastApply } from './sync/incremental.js';
import { GateReports } from './sync/gate-reports.js';
import { changedByApply } from './sync/delivery.js';
import { endSyncTrace, stage, startSyncTrace } from './sync/trace.js';
import { SourceObjects } from './source-objects.js';
import type { CommitVerifier } from './verify/verifier.js';
import { AppliedRevision, RecordedSuspension } from './sync/applied.js';
import { applyDeclared, notWritten } from './sync/apply.js';
import { newSyncMemo, type GitPort, type SourceDeps, type SyncContext } from './sync/context.js';
import { indexEntries } from './sync/declared.js';
import { SourceGuard } from './sync/guard.js';
import { apiErrorCode, mostUrgent, ReconcileError, typed } from './sync/errors.js';
import { Next, ReconcileCode } from './model/reconcile-codes.js';
import { planHead, type DiffView } from './sync/diff.js';
import { reportNotAdopted } from './sync/not-adopted.js';
import { fetchHead } from './sync/fetch.js';
import { healObject, type HealResult, type RevertLog } from './sync/heal.js';
import { loadPolicies } from './sync/policies.js';
import { prune, recordPrune } from './sync/prune.js';
import { renderCommit } from './sync/render.js';
import { RevisionHooks } from './sync/revision-hooks.js';
import {
  announce,
  coalescedPublish,
  publish,
  recordOutcome,
  refreshStatus,
} from './sync/status.js';
import { verifyHead } from './sync/verify.js';

/**
 * One source: a fixed shell over the stages in `sync/` (fetch → verify → render → policies →
 * plan/apply → prune → status). Holds the source's state; callers serialise calls (the runtime's
 * queue does). Status, metrics and events are recorded once, from the stages' results.
 */
export class SourceReconciler {
  readonly state: SourceState;
  readonly #ctx: SyncContext;
  /** Status and gauges after a watch-driven heal, at most once per 100 ms. */
  readonly #publishSoon: () => void;
  /** What it declares: adopted, foreign, held; and the index generation. */
  readonly #objects = new SourceObjects();
  #reverts: RevertLog = new Map();
  /** The revision last applied in full (remembered in the cluster), for commit-to-applied. */
  readonly #applied: AppliedRevision;
  /** The adopted revision's sync hooks and how far they ran. */
  readonly #hooks: RevisionHooks;
  /** A head whose adoption stalled: not retried until the head moves. */
  #stalled: { head: string; error: ReconcileError } | undefined;
  readonly #suspension: RecordedSuspension;
  /** The last error an event was recorded for. */
  #announced: string | undefined;
  /** What this source's index entries may guard, and their record across restarts. */
  readonly #guard: SourceGuard;
  /** The gate's results as PolicyReports (absent: not written). */
  readonly #gateReports: GateReports | undefined;
  /** Whether an interval resync may apply nothing (sync/settled.ts). */
  readonly #settled = new Settled();
  /** This source's index entries, built once per index key. */
  #index: { key: string; doc: IndexSource } | undefined;
  /** What the last converge left, for a commit's changes to be applied over (sync/incremental). */
  #last: LastApply | undefined;

  constructor(
    readonly cfg: SourceConfig,
    git: GitPort,
    verifier: CommitVerifier,
    private readonly d: SourceDeps,
  ) {
    this.state = initialState(cfg.name, cfg.suspend);
    const state = this.state;
    this.#ctx = {
      cfg,
      git,
      verifier,
      d,
      state: this.state,
      repo: redactURL(cfg.repoURL),
      now: d.now ?? Date.now,
      get log() {
        return d.logger.child({ source: cfg.name, revision: state.revision ?? 'none' });
      },
      memo: newSyncMemo(),
    };
    this.#applied = new AppliedRevision(this.#ctx);
    this.#publishSoon = coalescedPublish(this.#ctx);
    this.#suspension = new RecordedSuspension(this.#ctx);
    this.#hooks = new RevisionHooks(this.#ctx, {
      reports: (all) => (state.hooks = [...all]),
      running: (hook) => {
        state.runningHook = hook;
        if (hook) d.onProgress?.();
      },
    });
    this.#guard = new SourceGuard(cfg.name, d.cluster, d.namespace, this.#ctx.log);
    void this.#guard.restore().then((found) => found && this.#objects.bump());
    d.metrics.initSource(cfg.name);
    this.#gateReports = d.reportsTo && new GateReports(d.reportsTo, cfg.name, d.logger);
  }

  /** The repository URL fit to show (no credentials): status, metrics, index, errors. */
  get repo(): string {
    return this.#ctx.repo;
  }

  get log(): Logger {
    return this.#ctx.log;
  }

  // Status and gauges say it at once, not at the next reconcile (an interval away).
  suspend(): void {
    this.state.suspended = true;
    this.#settled.forget();
    this.#republish();
  }

  resume(): void {
    this.state.suspended = false;
    this.state.fighting.clear();
    this.#settled.forget();
    this.#republish();
  }

  #republish(): void {
    refreshStatus(this.state);
    publish(this.#ctx);
  }

  /** Keep the current suspension across restarts (see RecordedSuspension). */
  recordSuspension(): Promise<void> {
    return this.#suspension.record(this.state.suspended);
  }

  /**
   * The full reconcile. Resolves when the source is converged or stalled (status says why);
   * throws a ReconcileError that is transient (retry with backoff) or waiting (retry after
   * `retryAfterMs`). State is kept either way. An interval `resync` of a settled source with
   * no new commit reads and applies nothing (sync/settled.ts); anything else converges in full.
   */
  async reconcile(o: { readonly resync?: boolean } = {}): Promise<void> {
    const ctx = this.#ctx;
    const stop = this.d.metrics.reconcileDuration.startTimer({ source: this.cfg.name });
    const adopt: ReconcileError[] = [];
    const converge: ReconcileError[] = [];
    let converged = false;
    startSyncTrace(ctx);
    try {
      await this.#applied.load();
      const noted = await this.#suspension.load();
      if (noted === true) this.suspend();
      else if (noted === false) this.resume();
      // Load the source.
      const head = await stage(ctx, 'fetch', () => fetchHead(ctx));
      this.state.remoteHead = head;
      // Verify and render a new head; a refusal keeps the last verified revision.
      const before = { revision: this.state.revision, desired: this.state.desired };
      if (head !== this.state.revision) {
        const refused = await this.#adopt(head);
        if (refused) adopt.push(refused);
      }
      const only = o.resync === true ? this.#onlyChanged(before, head) : undefined;
      // Bring the cluster to the verified revision, unless nothing changed since it was.
      if (o.resync === true && this.#settled.quiet(this.#settleKey(), ctx.now(), this.state))
        this.d.metrics.resyncsSkipped.inc({ source: this.cfg.name });
      else {
        converge.push(...(await this.#converge(only)));
        converged = true;
      }
    } catch (err) {
      const e = typed(err, apiErrorCode(err));
      converge.push(e);
      this.log.error({ code: e.code, reason: e.message }, 'reconcile failed');
    } finally {
      await stage(ctx, 'status', async () => {
        const revision = this.state.revision;
        const newRevision = this.#applied.isNew(revision);
        recordOutcome(ctx, { adopt, converge, newRevision });
        if (converged) {
          const clean = adopt.length + converge.length === 0;
          this.#settled.record(this.#settleKey(), ctx.now(), clean, this.state, this.cfg);
        }
        const applied = newRevision && converge.length === 0;
        this.#announced = await announce(ctx, applied, this.#announced);
        if (converge.length === 0 && !this.state.suspended && revision)
          await this.#applied.record(revision);
        stop();
        publish(ctx);
        await this.#guard.record(this.indexSource(), this.indexKey);
      });
      endSyncTrace(ctx);
    }
    const urgent = mostUrgent([...adopt, ...converge]);
    if (urgent && urgent.next !== Next.stalled) throw urgent;
  }

  /** What a settled cluster was settled under: the revision, the policies, the inventories. */
  #settleKey(revision = this.state.revision): string {
    const d = this.d;
    const policies = d.policies?.current?.revision ?? '';
    const inventories = `${d.ingresses?.version ?? 0}|${d.gateInventory?.version ?? 0}`;
    return `${revision ?? ''}|${policies}|${inventories}`;
  }

  /**
   * A new head adopted over a settled cluster, the policies and inventories as they were, and
   * no hooks to run: the objects the commit changes or adds (the rest are as the last full
   * converge left them and the watches kept them). Otherwise undefined: a full converge.
   */
  #onlyChanged(
    before: { readonly revision: string | undefined; readonly desired: readonly Rendered[] },
    head: string,
  ): Set<string> | undefined {
    const moved = before.revision !== undefined && this.state.revision === head;
    if (!moved || head === before.revision || !this.#last || this.#hooks.hooks.length > 0)
      return undefined;
    if (!this.#settled.holds(this.#settleKey(before.revision), this.#ctx.now())) return undefined;
    return changedKeys(before.desired, this.state.desired);
  }

  // Verify, render and load the policies of a new head; returns why it was not adopted.
  async #adopt(head: string): Promise<ReconcileError | undefined> {
    if (this.#stalled?.head === head) return this.#stalled.error;
    const ctx = this.#ctx;
    try {
      const { signer, time } = await stage(ctx, 'verify', () => verifyHead(ctx, head));
      const { rendered, hooks, refused } = await stage(ctx, 'render', () =>
        renderCommit(ctx, head),
      );
      const policies = await stage(ctx, 'policies', () => loadPolicies(ctx, head));
      Object.assign(this.state, {
        desired: rendered,
        revision: head,
        revisionTime: time,
        signer,
        verification: { commit: head, ok: true },
        ...(policies ? { policies } : {}),
      });
      this.#hooks.adopt(head, hooks);
      this.#objects.adopt(rendered, refused);
      this.#stalled = undefined;
      this.d.metrics.verification.inc({ source: this.cfg.name, result: 'ok' });
      this.log.info({ signer, objects: rendered.length }, 'verified commit adopted');
      return undefined;
    } catch (err) {
      if (!(err instanceof ReconcileError) || err.next === Next.transient) throw err;
      // Nothing of it is applied; a stalled head is not tried again until the head moves.
      this.state.verification = await reportNotAdopted(ctx, head, err);
      if (err.next === Next.stalled) this.#stalled = { head, error: err };
      return err;
    }
  }

  // Run the revision's hooks, apply it, prune what Git dropped; returns the per-object errors.
  async #converge(only?: ReadonlySet<string>): Promise<ReconcileError[]> {
    const { cluster, metrics } = this.d;
    const { state, cfg } = this;
    if (cfg.createNamespace && !state.suspended)
      await cluster.ensureNamespace(cfg.destinationNamespace);
    // Read once per reconcile: the apply and the prune both work from it.
    const inventory = await cluster.readInventory(this.d.namespace, cfg.name);
    const applied = new Set(inventory.map(refKey));
    this.#guard.sawInventory(applied);
    this.#reshape();
    const hooksRun = this.#applied.isNew(state.revision) && !state.suspended;
    const pre = await this.#hooks.pre(hooksRun);
    if (pre) return [pre];
    const stopApply = metrics.applyDuration.startTimer({ source: cfg.name });
    const r = await stage(this.#ctx, 'apply', () =>
      applyDeclared(this.#ctx, state.desired, applied, this.#hooks.beforeWave(hooksRun), only),
    );
    stopApply();
    // Only a commit's changes applied: the rest stands as the last converge left it.
    // The objects' statuses as the heals since have kept them, not as the last converge saw them.
    const last = this.#last && { ...this.#last, objects: state.objects };
    const all = only && last ? mergeApply(last, r, only, state.desired) : lastApplyOf(r);
    this.#last = all;
    this.#objects.foreign = all.foreign;
    if (hooksRun) metrics.gitChanges.inc({ source: cfg.name }, changedByApply(r));
    this.#guard.applied(all.written);
    state.objects = new Map(all.objects);
    state.policyViolations = [...all.violations];
    state.refused = [...this.#objects.outOfScope, ...r.refused];
    const errors = [...r.errors, ...notWritten(this.#ctx, state.refused)];
    const stopped = errors.some((e) => e.code === ReconcileCode.RECONCILE_HOOK_FAILED);
    if (this.#gateReports && (this.d.gate ?? 'off') !== 'off')
      await this.#gateReports.publish([...all.plans.values()], !stopped);
    if (!state.suspended && !stopped) {
      const ours = this.#objects.ours(state.desired);
      const pruned = await stage(this.#ctx, 'prune', () => prune(this.#ctx, ours, inventory));
      recordPrune(state, pruned);
      // What a refused prune left live stays guarded, as the last applied revision declared it.
      state.pruneHeld = this.#objects.hold(pruned.left);
    }
    if (state.pruneRefused)
      errors.push(new ReconcileError(ReconcileCode.RECONCILE_PRUNE_REFUSED, state.pruneRefused));
    const post = errors.length === 0 ? await this.#hooks.post(hooksRun, all.objects) : undefined;
    if (post) errors.push(post);
    this.#reshape();
    return errors;
  }

  // A new index generation when what the entries guard changed.
  #reshape(): void {
    this.#objects.reshape(this.#guard.shape);
  }

  /** Changes whenever this source's index entries do. */
  get indexKey(): string {
    return `${this.state.revision ?? ''}#${this.#objects.generation}#${this.#applier ?? ''}`;
  }

  /** Whose writes of its objects are its sync's (a tenant's ServiceAccount, a spoke's user). */
  get #applier(): string | undefined {
    return this.d.applier ? this.d.applier() : this.cfg.impersonate;
  }

  /**
   * What a sync would do, changing nothing: the remote head verified and rendered (or `local`
   * files, unverified), planned against the live objects with the sync's own plan (`driftgate
   * diff`). Throws a ReconcileError when the head is refused, does not render, or Git or the
   * API is down.
   */
  plan(local?: Pick<GitPort, 'readTree'>): Promise<DiffView> {
    return planHead(this.#ctx, local);
  }

  /**
   * This source's entries for the webhooks' desired-state index: what it owns of its verified
   * commit (SourceGuard). Before a sync has read its inventory, what the last run recorded;
   * undefined when there is neither.
   */
  indexSource(): IndexSource | undefined {
    if (!this.state.revision || !this.#guard.known) return this.#guard.restored;
    // Built once per key: the guard's record and the runtime's index both ask for it.
    const key = this.indexKey;
    if (this.#index?.key !== key) this.#index = { key, doc: this.#indexDoc(this.state.revision) };
    return this.#index.doc;
  }

  #indexDoc(revision: string): IndexSource {
    return {
      name: this.cfg.name,
      repoURL: this.repo,
      revision,
      ...(this.#applier ? { applier: this.#applier } : {}),
      ...(this.cfg.remote ? { cluster: this.cfg.remote.cluster } : {}),
      entries: indexEntries(
        this.cfg,
        this.#objects.guardable(this.state.desired, (k) => this.#guard.guards(k)),
      ),
    };
  }

  /**
   * Check one object after a watch event: revert drift (selfHeal on, not suspended, not
   * fighting), or only report it. Returns what it did; throws API errors.
   */
  async heal(
    ref: Parameters<typeof healObject>[1],
    observed?: Parameters<typeof healObject>[4],
  ): Promise<HealResult> {
    const key = refKey(ref);
    const declared = this.#objects.declared(key);
    try {
      const result = await healObject(this.#ctx, ref, declared, this.#reverts, observed);
      // Drift left in place (reported: selfHeal off, suspended, break-glass; a fight): the next
      // resync looks at everything. A revert put the object back as Git declares it.
      if (result === 'reported' || result === 'fight') this.#settled.forget();
      if (result === 'fight') this.state.fighting.add(key);
      if (result !== 'unmanaged') this.#publishSoon();
      return result;
    } catch (err) {
      // Said at once, not at the next resync: the drift stays and status is Failed.
      this.#settled.forget();
      const e = typed(err, apiErrorCode(err));
      const message = `self-heal of ${refText(ref)}: ${e.message}`;
      this.state.errors = [...this.state.errors, { code: e.code, next: e.next, message }];
      this.state.lastError = message;
      publish(this.#ctx);
      throw e;
    }
  }
}
