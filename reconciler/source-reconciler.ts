import type { Logger } from 'pino';
import {
  breakGlassActive,
  breakGlassOf,
  BREAK_GLASS,
  BREAK_GLASS_EXPIRES,
  type IndexSource,
} from '../core/desired-index.js';
import { redactURL, sealSecret, shownDiffs } from '../core/secrets.js';
import { isPolicyFile } from '../policies/engine/compose.js';
import { findings, objectInput, type Finding } from '../policies/engine/findings.js';
import type { Cluster } from './cluster.js';
import { SOURCE_LABEL, apiErrorMessage } from './cluster.js';
import type { GateMode, SourceConfig } from './config.js';
import type { PolicyHub } from './policy-hub.js';
import { declaredDiff, formatDiff, withoutPaths } from '../core/diff.js';
import { aggregateHealth, assessHealth, Health } from './health.js';
import { SyncStatus, type ReconcilerMetrics } from './metrics.js';
import {
  groupOf,
  isObject,
  refKey,
  refOf,
  refText,
  type K8sObject,
  type ObjectRef,
} from './objects.js';
import { applyOrder, waves } from './order.js';
import { planPrune, type PrunePlan } from './prune.js';
import { ownershipProblem, placementProblem, type RefusedObject } from './tenancy.js';
import {
  detectRenderer,
  renderPlain,
  renderWithTool,
  RenderError,
  type Rendered,
  type RenderTools,
} from './render/render.js';
import type { GitSource } from './source/git-source.js';
import type { ObjectStatus, SourceState } from './source-state.js';
import { VerifyFailure, type CommitVerifier } from './verify/verifier.js';
import { repoPath } from '../core/paths.js';

export interface SourceDeps {
  readonly cluster: Cluster;
  readonly metrics: ReconcilerMetrics;
  readonly logger: Logger;
  readonly tools: RenderTools;
  /** driftgate's namespace: inventories and source-level events live there. */
  readonly namespace: string;
  readonly now?: () => number;
  /** Policies from Git and the pre-apply gate (absent: no gate). */
  readonly policies?: PolicyHub;
  readonly gate?: GateMode;
  /** Who the gate evaluates as (the reconciler's username). */
  readonly identity?: string;
  /** Called when an object's break-glass is seen, with its expiry: heal it then. */
  readonly onBreakGlass?: (ref: ObjectRef, expiresMs: number) => void;
}

/** Raised when a commit is refused; the last verified revision stays applied. */
class Refused extends Error {
  constructor(
    readonly reason: VerifyFailure,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

const FIGHT_WINDOW_MS = 60_000;
const APPLY_CONCURRENCY = 16;
const NOT_OURS = 'no longer labelled for this source';
/** New objects of one kind and namespace from which one LIST beats a GET each. */
const LIST_THRESHOLD = 20;

type Live = Record<string, unknown>;

/** Run `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * One source's pipeline: source → verify → render → (policy gate) → diff → apply → prune →
 * health → status. Holds its own state; callers serialise calls (the runtime's queue does).
 */
export class SourceReconciler {
  readonly state: SourceState;
  /** Desired objects by refKey (heal and the index look up here). */
  #byKey = new Map<string, Rendered>();
  #reverts = new Map<string, number[]>();
  /** The revision whose apply was last observed, for commit-to-applied latency. */
  #appliedRevision: string | undefined;
  #now: () => number;
  /** Declared objects outside what this source may write, at the adopted revision. */
  #outOfScope: RefusedObject[] = [];
  /** Declared objects that exist and are someone else's: never written, pruned or guarded. */
  #foreign = new Set<string>();

  constructor(
    readonly cfg: SourceConfig,
    private readonly git: GitSource,
    private readonly verifier: CommitVerifier,
    private readonly d: SourceDeps,
  ) {
    this.#now = d.now ?? Date.now;
    this.state = {
      name: cfg.name,
      syncStatus: SyncStatus.Unknown,
      health: Health.Unknown,
      suspended: cfg.suspend,
      desired: [],
      objects: new Map(),
      fighting: new Set(),
      policyViolations: [],
      refused: [],
    };
    d.metrics.initSource(cfg.name);
  }

  /** The repository URL fit to show (no credentials): status, metrics, index, errors. */
  get repo(): string {
    return redactURL(this.cfg.repoURL);
  }

  get log(): Logger {
    return this.d.logger.child({ source: this.cfg.name, revision: this.state.revision ?? 'none' });
  }

  suspend(): void {
    this.state.suspended = true;
  }

  resume(): void {
    this.state.suspended = false;
    this.state.fighting.clear();
  }

  /** The full reconcile. Throws on Git or API errors (state kept; the runtime retries with backoff). */
  async reconcile(): Promise<void> {
    const m = this.d.metrics;
    const source = this.cfg.name;
    const stop = m.reconcileDuration.startTimer({ source });
    try {
      const head = await this.#fetch();
      if (head !== this.state.revision) await this.#adopt(head);
      await this.#converge();
      m.reconciles.inc({
        source,
        result: this.state.syncStatus === SyncStatus.Failed ? 'failure' : 'success',
      });
    } catch (err) {
      this.state.lastError = apiErrorMessage(err);
      this.state.syncStatus = SyncStatus.Failed;
      m.reconciles.inc({ source, result: 'failure' });
      this.log.error({ reason: this.state.lastError }, 'reconcile failed');
      throw err;
    } finally {
      stop();
      this.#publish();
    }
  }

  // Load the source: ls-remote, then fetch only when the ref moved.
  async #fetch(): Promise<string> {
    const stop = this.d.metrics.fetchDuration.startTimer({ source: this.cfg.name });
    try {
      const { commit } = await this.git.fetch(this.state.remoteHead);
      this.d.metrics.fetches.inc({ source: this.cfg.name, result: 'success' });
      this.state.remoteHead = commit;
      return commit;
    } catch (err) {
      this.d.metrics.fetches.inc({ source: this.cfg.name, result: 'failure' });
      const why = (err as Error).message.split(this.cfg.repoURL).join(this.repo);
      throw new Error(`git fetch of ${this.repo} failed: ${why}`);
    } finally {
      stop();
    }
  }

  // Verify the new commit(s), then render them; a refusal keeps the last verified revision.
  async #adopt(head: string): Promise<void> {
    if (this.state.verification?.commit === head && !this.state.verification.ok) return;
    try {
      const signer = await this.#verify(head);
      const { rendered, refused } = await this.#render(head);
      const commit = await this.git.rawCommit(head);
      const time = /\ncommitter .* (\d+) [+-]\d{4}\n/.exec(commit.toString())?.[1];
      if (this.cfg.policyPath) await this.#loadPolicies(head);
      this.state.desired = rendered;
      this.#outOfScope = refused;
      this.#foreign.clear();
      this.#byKey = new Map(rendered.map((r) => [refKey(refOf(r.object)), r]));
      this.state.revision = head;
      this.state.revisionTime = time ? Number(time) * 1000 : undefined;
      this.state.signer = signer;
      this.state.verification = { commit: head, ok: true };
      this.state.lastError = undefined;
      this.d.metrics.verification.inc({ source: this.cfg.name, result: 'ok' });
      this.log.info({ signer, objects: rendered.length }, 'verified commit adopted');
    } catch (err) {
      if (err instanceof Refused) {
        this.state.verification = {
          commit: head,
          ok: false,
          reason: err.reason,
          detail: err.detail,
        };
        this.d.metrics.verification.inc({ source: this.cfg.name, result: err.reason });
        this.log.warn(
          { commit: head, reason: err.reason, detail: err.detail },
          'commit refused; last verified revision stays',
        );
        await this.#sourceEvent(
          'Warning',
          'CommitRefused',
          `commit ${head.slice(0, 12)} refused (${err.reason}): ${err.detail}`,
        );
        return;
      }
      if (err instanceof RenderError) {
        this.state.verification = {
          commit: head,
          ok: false,
          reason: 'render',
          detail: err.message,
        };
        this.state.lastError = err.message;
        this.log.error(
          { commit: head, reason: err.message },
          'render failed; nothing of the commit applied',
        );
        await this.#sourceEvent('Warning', 'RenderFailed', err.message);
        return;
      }
      throw err;
    }
  }

  // The policy path of a verified commit: built, tested, live; a failure keeps the last good.
  async #loadPolicies(head: string): Promise<void> {
    const hub = this.d.policies;
    if (!hub || !this.cfg.policyPath) return;
    const prefix = repoPath(this.cfg.policyPath);
    const tree = await this.git.readTree(head, prefix);
    const files: Record<string, string> = {};
    for (const [path, f] of tree) {
      const rel = prefix ? path.slice(prefix.length + 1) : path;
      if (isPolicyFile(rel)) files[rel] = f.content.toString();
    }
    const r = await hub.update(this.cfg.name, files);
    this.state.policies = r.ok
      ? { revision: head, ok: true }
      : { revision: head, ok: false, error: r.error };
    if (!r.ok)
      await this.#sourceEvent(
        'Warning',
        'PolicyRefused',
        `policies at ${head.slice(0, 12)} refused, last good policies stay: ${r.error.slice(0, 500)}`,
      );
  }

  /**
   * What a sync would do, changing nothing: the remote head verified and rendered, compared with
   * the live objects (`driftgate diff`). Throws when the head is refused or does not render.
   */
  async plan(): Promise<{
    revision: string;
    signer: string;
    changes: { object: string; path: string; action: 'create' | 'update'; diff: string }[];
    prune: string[];
    /** Why the sync would prune nothing at all (an empty render, or too large a share). */
    pruneRefused?: string;
  }> {
    const head = await this.#fetch();
    const signer = await this.#verify(head);
    const { rendered } = await this.#render(head);
    const changes = [];
    for (const r of rendered) {
      const obj = this.prepared(r.object);
      const ref = refOf(obj);
      const live = await this.d.cluster.get(ref);
      const drift = declaredDiff(obj, live, this.#ignored(r.object));
      if (drift.length > 0)
        changes.push({
          object: refText(ref),
          path: r.path,
          action: live ? ('update' as const) : ('create' as const),
          diff: formatDiff(shownDiffs(obj.kind, drift)),
        });
    }
    const { plan: prune } = await this.#prunePlan(rendered.map((r) => refOf(r.object)));
    return {
      revision: head,
      signer,
      changes,
      prune: prune.delete.map(refText),
      ...(prune.refused ? { pruneRefused: prune.refused } : {}),
    };
  }

  /** This source's entries for the webhooks' desired-state index; undefined before a first verified commit. */
  indexSource(): IndexSource | undefined {
    if (!this.state.revision) return undefined;
    return {
      name: this.cfg.name,
      repoURL: this.repo,
      revision: this.state.revision,
      entries: this.state.desired
        .filter((r) => !this.#foreign.has(refKey(refOf(r.object))))
        .map((r) => {
          // Secret values travel as digests: the webhook compares, nothing can read them.
          const declared = sealSecret(this.prepared(r.object));
          return {
            group: groupOf(declared.apiVersion),
            resource: r.resource ?? '',
            kind: declared.kind,
            ...(declared.metadata.namespace ? { namespace: declared.metadata.namespace } : {}),
            name: declared.metadata.name,
            path: r.path,
            declared,
            ignore: this.#ignored(r.object),
          };
        }),
    };
  }

  // Pre-apply gate: evaluate a desired object against the live policies.
  #gate(obj: K8sObject, path: string): Finding[] {
    const bundle = this.d.policies?.current;
    if (!bundle || (this.d.gate ?? 'off') === 'off') return [];
    return findings(
      bundle.evaluate(
        objectInput(
          obj,
          { username: this.d.identity ?? 'driftgate' },
          {
            managed: true,
            source: this.cfg.name,
            repoURL: this.repo,
            path,
            commit: this.state.revision,
          },
        ),
      ),
    ).filter((f) => f.action !== 'dryrun');
  }

  async #verify(head: string): Promise<string> {
    const last = this.state.revision;
    if (last && !this.cfg.allowForcePush && !(await this.git.descendsFrom(head, last))) {
      throw new Refused(
        VerifyFailure.rewrittenHistory,
        `${head.slice(0, 12)} does not descend from the applied ${last.slice(0, 12)} (force push?)`,
      );
    }
    const commits =
      this.cfg.verification.mode === 'strict' && last ? await this.#since(head, last) : [head];
    let signer = '';
    for (const oid of commits) {
      const v = await this.verifier.verify(await this.git.rawCommit(oid));
      if (!v.ok) throw new Refused(v.reason, `${oid.slice(0, 12)}: ${v.detail}`);
      if (oid === head) signer = v.signer;
    }
    return signer;
  }

  /** Every commit reachable from head but not from `last` (both parents of merges). */
  async #since(head: string, last: string): Promise<string[]> {
    const seen = new Set<string>();
    const queue = [head];
    while (queue.length > 0) {
      const oid = queue.shift() as string;
      if (seen.has(oid) || oid === last || (await this.git.descendsFrom(last, oid))) continue;
      seen.add(oid);
      if (seen.size > 5000)
        throw new Refused(
          VerifyFailure.malformed,
          'more than 5000 commits to verify since the last verified one',
        );
      queue.push(...(await this.git.parents(oid)));
    }
    return [...seen];
  }

  // Render the source path: plain YAML natively; Kustomize and Helm through their binaries.
  async #render(head: string): Promise<{ rendered: Rendered[]; refused: RefusedObject[] }> {
    const path = repoPath(this.cfg.path);
    const files = await this.git.readTree(head, path);
    const kind = detectRenderer(files, path);
    const rendered =
      kind === 'plain'
        ? renderPlain(files, this.d.tools.limits)
        : await renderWithTool(
            kind,
            kind === 'kustomize' ? await this.git.readTree(head, '') : files,
            path,
            this.d.tools,
            {
              releaseName: this.cfg.helm?.releaseName ?? this.cfg.name,
              namespace: this.cfg.destinationNamespace,
              valuesFiles: this.cfg.helm?.valuesFiles ?? [],
            },
          );
    return this.#placeInNamespace(rendered);
  }

  /**
   * Fill in namespaces and resource names, and keep apart what this source may not write: a
   * source is a tenant of its destination namespace unless the platform allowed it more.
   */
  async #placeInNamespace(
    rendered: Rendered[],
  ): Promise<{ rendered: Rendered[]; refused: RefusedObject[] }> {
    const crdScope = new Map<string, { namespaced: boolean; resource: string }>();
    for (const r of rendered) {
      if (r.object.kind !== 'CustomResourceDefinition') continue;
      const spec = r.object.spec as {
        group?: string;
        names?: { kind?: string; plural?: string };
        scope?: string;
      };
      crdScope.set(`${spec.group}/${spec.names?.kind}`, {
        namespaced: spec.scope === 'Namespaced',
        resource: spec.names?.plural ?? '',
      });
    }
    const out: Rendered[] = [];
    const refused: RefusedObject[] = [];
    for (const r of rendered) {
      const key = `${groupOf(r.object.apiVersion)}/${r.object.kind}`;
      const { namespaced, resource } =
        crdScope.get(key) ??
        (await this.d.cluster.scopeOf(r.object.apiVersion, r.object.kind).catch((e: unknown) => {
          throw new RenderError(`${r.path}: ${(e as Error).message}`);
        }));
      const metadata = { ...r.object.metadata };
      if (namespaced && !metadata.namespace) metadata.namespace = this.cfg.destinationNamespace;
      if (!namespaced) delete metadata.namespace;
      const object = { ...r.object, metadata };
      const outside = placementProblem(object, namespaced, this.cfg);
      if (outside) refused.push({ object: refText(refOf(object)), path: r.path, reason: outside });
      else out.push({ object, path: r.path, resource });
    }
    return { rendered: out, refused };
  }

  #ignored(o: K8sObject): string[] {
    const g = groupOf(o.apiVersion);
    return this.cfg.ignoreDifferences
      .filter((d) => d.kind === o.kind && d.group === g)
      .flatMap((d) => [...d.jsonPointers]);
  }

  /** What driftgate applies for a declared object: its fields minus ignored ones, plus the source label. */
  prepared(o: K8sObject): K8sObject {
    const base = withoutPaths(o, this.#ignored(o));
    return {
      ...base,
      metadata: {
        ...base.metadata,
        labels: { ...(base.metadata.labels ?? {}), [SOURCE_LABEL]: this.cfg.name },
      },
    };
  }

  // Diff against the cluster, apply what differs, prune, assess health.
  async #converge(): Promise<void> {
    const { cluster, metrics } = this.d;
    const source = this.cfg.name;
    const suspended = this.state.suspended;
    if (this.cfg.createNamespace && !suspended)
      await cluster.ensureNamespace(this.cfg.destinationNamespace);
    const objects = new Map<string, ObjectStatus>();
    let applyFailed = false;
    const newRevision = this.#appliedRevision !== this.state.revision;
    // Objects this source never applied are applied straight away (server-side apply is
    // idempotent and returns the live object): a first sync costs one request per object.
    const applied = new Set((await cluster.readInventory(this.d.namespace, source)).map(refKey));
    const violations: SourceState['policyViolations'] = [];
    const refused: RefusedObject[] = [...this.#outOfScope];
    const existing = await this.#existing(applied);
    const stopApply = metrics.applyDuration.startTimer({ source });
    // Waves (namespaces, CRDs, sync-wave groups) go in order; objects within one run in parallel.
    for (const wave of waves(applyOrder(this.state.desired))) {
      await mapLimit(wave, APPLY_CONCURRENCY, async (r) => {
        const obj = this.prepared(r.object);
        const ref = refOf(obj);
        // Anything not applied before is looked at first: it may exist and be someone else's.
        const known = existing.get(refKey(ref));
        let live = known === undefined ? await cluster.get(ref) : (known ?? undefined);
        const foreign = applied.has(refKey(ref)) ? undefined : ownershipProblem(live, source);
        if (foreign) {
          this.#foreign.add(refKey(ref));
          refused.push({ object: refText(ref), path: r.path, reason: foreign });
          return;
        }
        this.#foreign.delete(refKey(ref));
        let drift = declaredDiff(obj, live, this.#ignored(r.object));
        const glass = this.#glass(ref, live);
        const found = drift.length > 0 && !suspended ? this.#gate(obj, r.path) : [];
        const held = this.d.gate === 'enforce' && found.some((f) => f.action === 'enforce');
        for (const f of found) {
          violations.push({ object: refText(ref), ...f, applied: !held });
          metrics.gateViolations.inc({
            source,
            policy: f.policy,
            action: held ? 'held' : 'applied',
          });
        }
        if (held) {
          applyFailed = true;
          this.state.lastError = `policy gate held back ${refText(ref)}: [${found[0]?.policy}] ${found[0]?.message}`;
          this.log.warn({ object: refText(ref), violations: found }, 'policy gate: not applied');
        }
        if (
          drift.length > 0 &&
          !suspended &&
          !held &&
          !glass &&
          !this.state.fighting.has(refKey(ref))
        ) {
          try {
            live = await cluster.apply(obj);
            drift = [];
          } catch (err) {
            applyFailed = true;
            metrics.applyErrors.inc({ source });
            this.state.lastError = `apply ${refText(ref)}: ${apiErrorMessage(err)}`;
            this.log.error({ object: refText(ref), reason: apiErrorMessage(err) }, 'apply failed');
          }
        }
        const h = assessHealth(ref.kind, live);
        objects.set(refKey(ref), {
          ref,
          path: r.path,
          health: h.status,
          ...(h.message ? { healthMessage: h.message } : {}),
          drift: shownDiffs(ref.kind, drift),
          ...(glass ? { breakGlass: glass } : {}),
          ...(!glass && breakGlassOf(live) ? { breakGlassExpired: true } : {}),
        });
      });
    }
    stopApply();
    this.state.objects = objects;
    this.state.policyViolations = violations;
    this.state.refused = refused;
    if (refused.length > 0) {
      // Reported, and the rest of the source applied: status says not everything is in place.
      applyFailed = true;
      this.state.lastError = `${refused.length} declared object(s) not written: ${refused[0]?.object}: ${refused[0]?.reason}`;
      this.log.warn({ refused }, 'declared objects outside what this source may write');
    }
    if (!suspended) await this.#prune();
    this.#finish(applyFailed, newRevision);
  }

  /**
   * The live state of desired objects this source has not applied yet, read with one LIST per
   * kind and namespace where many are new (a first sync), so the ownership check does not cost a
   * GET per object; null where absent. Objects left out are read one by one.
   */
  async #existing(applied: ReadonlySet<string>): Promise<Map<string, Live | null>> {
    const groups = new Map<string, ObjectRef[]>();
    for (const r of this.state.desired) {
      const ref = refOf(r.object);
      if (applied.has(refKey(ref))) continue;
      const g = `${ref.apiVersion}\n${ref.kind}\n${ref.namespace ?? ''}`;
      const list = groups.get(g);
      if (list) list.push(ref);
      else groups.set(g, [ref]);
    }
    const out = new Map<string, Live | null>();
    for (const refs of groups.values()) {
      const first = refs[0] as ObjectRef;
      if (refs.length < LIST_THRESHOLD) continue;
      const live = await this.d.cluster.list(first.apiVersion, first.kind, first.namespace);
      const byName = new Map(live.map((o) => [(o.metadata as { name?: string })?.name, o]));
      for (const ref of refs) out.set(refKey(ref), byName.get(ref.name) ?? null);
    }
    return out;
  }

  #finish(applyFailed: boolean, newRevision: boolean): void {
    const { metrics } = this.d;
    const source = this.cfg.name;
    const statuses = [...this.state.objects.values()];
    const drifted = statuses.filter((o) => o.drift.length > 0);
    this.state.health = aggregateHealth(statuses.map((o) => o.health));
    const refused =
      this.state.verification &&
      !this.state.verification.ok &&
      this.state.verification.commit === this.state.remoteHead;
    this.state.syncStatus = this.state.suspended
      ? SyncStatus.Suspended
      : applyFailed || (refused && this.state.verification?.reason === 'render')
        ? SyncStatus.Failed
        : refused
          ? SyncStatus.Unverified
          : drifted.length > 0
            ? SyncStatus.OutOfSync
            : SyncStatus.Synced;
    if (!applyFailed && !this.state.suspended && this.state.revision) {
      this.state.lastSyncedAt = new Date(this.#now()).toISOString();
      metrics.lastApplied.set({ source }, this.#now() / 1000);
      if (newRevision) {
        metrics.lastAppliedRevision.reset();
        metrics.lastAppliedRevision.set({ source, revision: this.state.revision }, 1);
        if (this.state.revisionTime)
          metrics.commitToApplied.observe(
            { source },
            Math.max(0, (this.#now() - this.state.revisionTime) / 1000),
          );
        this.#appliedRevision = this.state.revision;
      }
    }
    if (!applyFailed && !refused && this.state.verification?.ok) this.state.lastError = undefined;
  }

  // Prune last: only what this source applied before and Git no longer declares.
  async #prune(): Promise<void> {
    const { cluster, metrics } = this.d;
    const source = this.cfg.name;
    const desired = this.state.desired
      .map((r) => refOf(r.object))
      .filter((r) => !this.#foreign.has(refKey(r)));
    const { inventory, plan } = await this.#prunePlan(desired);
    this.state.pruneRefused = plan.refused;
    if (plan.refused) {
      metrics.pruneRefused.inc({ source });
      this.log.warn({ reason: plan.refused }, 'prune refused');
      await this.#sourceEvent('Warning', 'PruneRefused', plan.refused);
    }
    for (const k of plan.kept) this.log.info({ object: refText(k.ref), reason: k.reason }, 'kept');
    for (const ref of plan.delete) {
      await cluster.delete(ref);
      metrics.pruned.inc({ source });
      this.log.info({ object: refText(ref) }, 'pruned');
    }
    // What stays in the inventory: what Git declares, and what a refused or disabled prune kept
    // (never an object that is no longer this source's).
    const want = new Set(desired.map(refKey));
    const notOurs = new Set(
      plan.kept.filter((k) => k.reason === NOT_OURS).map((k) => refKey(k.ref)),
    );
    const keep =
      plan.refused || !this.cfg.prune
        ? inventory.filter((r) => !want.has(refKey(r)) && !notOurs.has(refKey(r)))
        : [];
    await cluster.writeInventory(this.d.namespace, source, [...desired, ...keep]);
  }

  /**
   * The prune a sync to `desired` would do: inventory objects gone from Git, with their live
   * annotations, through planPrune; objects no longer labelled for this source are kept. Both
   * the sync and `driftgate diff` use it, so they always agree. Changes nothing.
   */
  async #prunePlan(
    desired: readonly ObjectRef[],
  ): Promise<{ inventory: ObjectRef[]; plan: PrunePlan }> {
    const { cluster } = this.d;
    const inventory = await cluster.readInventory(this.d.namespace, this.cfg.name);
    if (!this.cfg.prune) return { inventory, plan: { delete: [], kept: [] } };
    const want = new Set(desired.map(refKey));
    const annotations = new Map<string, Record<string, string> | undefined>();
    const notOurs = new Set<string>();
    for (const ref of inventory.filter((r) => !want.has(refKey(r)))) {
      const live = await cluster.get(ref);
      // Never delete what another source or a person owns, whatever the inventory says.
      if (ownershipProblem(live, this.cfg.name)) notOurs.add(refKey(ref));
      const meta = live && isObject(live.metadata) ? live.metadata : undefined;
      annotations.set(
        refKey(ref),
        live ? ((meta?.annotations as Record<string, string> | undefined) ?? {}) : undefined,
      );
    }
    const plan = planPrune({
      inventory,
      desired,
      liveAnnotations: annotations,
      maxFraction: this.cfg.maxPruneFraction,
    });
    return {
      inventory,
      plan: {
        ...plan,
        delete: plan.delete.filter((r) => !notOurs.has(refKey(r))),
        kept: [
          ...plan.kept,
          ...plan.delete
            .filter((r) => notOurs.has(refKey(r)))
            .map((ref) => ({ ref, reason: NOT_OURS })),
        ],
      },
    };
  }

  /**
   * Check one object after a watch event: count drift, revert it (selfHeal on, not suspended,
   * not fighting), or only report it. Returns what it did.
   */
  async heal(ref: ObjectRef): Promise<'in-sync' | 'reverted' | 'reported' | 'fight' | 'unmanaged'> {
    const key = refKey(ref);
    const declared = this.#byKey.get(key);
    if (!declared || this.#foreign.has(key)) return 'unmanaged';
    const obj = this.prepared(declared.object);
    const live = await this.d.cluster.get(refOf(obj));
    const drift = declaredDiff(obj, live, this.#ignored(declared.object));
    const status = this.state.objects.get(key);
    const glass = this.#glass(ref, live);
    if (status) {
      if (glass) status.breakGlass = glass;
      else delete status.breakGlass;
    }
    const expired = !glass && breakGlassOf(live) !== undefined;
    if (status) status.breakGlassExpired = expired;
    if (drift.length === 0) {
      if (status) status.drift = [];
      if (expired) await this.#clearBreakGlass(ref);
      if (status) status.breakGlassExpired = false;
      this.#publish();
      return 'in-sync';
    }
    const m = this.d.metrics;
    const source = this.cfg.name;
    m.driftDetected.inc({ source, kind: ref.kind });
    const shown = shownDiffs(ref.kind, drift);
    this.log.info({ object: refText(ref), diff: formatDiff(shown) }, 'drift detected');
    if (status) status.drift = shown;
    if (glass || this.state.suspended || !this.cfg.selfHeal || this.state.fighting.has(key)) {
      this.#publish();
      return 'reported';
    }
    const now = this.#now();
    const recent = (this.#reverts.get(key) ?? []).filter((t) => now - t < FIGHT_WINDOW_MS);
    if (recent.length >= this.cfg.fightThreshold) {
      this.state.fighting.add(key);
      m.fights.inc({ source });
      this.log.warn(
        { object: refText(ref), reverts: recent.length },
        'fight detected; no longer reverting this object',
      );
      await this.#sourceEvent(
        'Warning',
        'DriftFight',
        `${refText(ref)} was changed back ${recent.length} times within a minute; driftgate stopped reverting it`,
      );
      this.#publish();
      return 'fight';
    }
    await this.d.cluster.apply(obj);
    if (expired) await this.#clearBreakGlass(ref);
    if (status) status.breakGlassExpired = false;
    this.#reverts.set(key, [...recent, now]);
    if (status) status.drift = [];
    m.selfHeal.inc({ source, kind: ref.kind });
    m.manualChanges.inc({ source, action: 'reverted' });
    this.log.info({ object: refText(ref) }, 'drift reverted');
    this.#publish();
    return 'reverted';
  }

  /** The object's unexpired break-glass (and a heal scheduled at its expiry), or undefined. */
  #glass(ref: ObjectRef, live: unknown): { reason: string; expires: string } | undefined {
    const bg = breakGlassOf(live);
    if (!bg || !breakGlassActive(bg, this.#now())) return undefined;
    this.d.onBreakGlass?.(ref, bg.expiresMs);
    return { reason: bg.reason, expires: new Date(bg.expiresMs).toISOString() };
  }

  // An expired break-glass: drift was reverted; take the annotations off and say so.
  async #clearBreakGlass(ref: ObjectRef): Promise<void> {
    await this.d.cluster.removeAnnotations(ref, [BREAK_GLASS, BREAK_GLASS_EXPIRES]);
    this.log.info({ object: refText(ref) }, 'break-glass expired; declared state restored');
    await this.d.cluster
      .event(
        ref,
        'Normal',
        'BreakGlassExpired',
        'break-glass expired: the state declared in Git is restored',
        ref.namespace ?? this.d.namespace,
      )
      .catch(() => undefined);
  }

  #publish(): void {
    const m = this.d.metrics;
    const source = this.cfg.name;
    let glass = 0;
    let expired = 0;
    for (const o of this.state.objects.values()) {
      if (o.breakGlass) glass++;
      if (o.breakGlassExpired) expired++;
    }
    m.breakGlassActive.set({ source }, glass);
    m.breakGlassExpired.set({ source }, expired);
    const byKind = new Map<string, number>();
    for (const o of this.state.objects.values())
      byKind.set(o.ref.kind, (byKind.get(o.ref.kind) ?? 0) + (o.drift.length > 0 ? 1 : 0));
    for (const [kind, n] of byKind) m.drifted.set({ source, kind }, n);
    const drifting = [...this.state.objects.values()].some((o) => o.drift.length > 0);
    if (this.state.suspended) this.state.syncStatus = SyncStatus.Suspended;
    else if (this.state.syncStatus === SyncStatus.Synced && drifting)
      this.state.syncStatus = SyncStatus.OutOfSync;
    else if (this.state.syncStatus === SyncStatus.OutOfSync && !drifting)
      this.state.syncStatus = SyncStatus.Synced;
    m.suspended.set({ source }, this.state.suspended ? 1 : 0);
    m.setSourceInfo(source, this.repo, this.cfg.path, this.state.syncStatus, this.state.health);
  }

  async #sourceEvent(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ref: ObjectRef = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: this.d.namespace,
      name: `driftgate-inventory-${this.cfg.name}`,
    };
    await this.d.cluster
      .event(ref, type, reason, `source ${this.cfg.name}: ${message}`, this.d.namespace)
      .catch((err: unknown) => {
        this.log.warn({ reason: apiErrorMessage(err) }, 'could not record event');
      });
  }
}
