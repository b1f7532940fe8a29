import { GateReports } from '../sync/gate-reports.js';
import {
  CustomObjectsApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffMs } from '../../core/backoff.js';
import { isObject } from '../../core/object.js';
import { KeyedQueue } from '../../core/keyed-queue.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { Cluster } from '../kube/port.js';
import type { SourceConfig, TenancyRules } from '../config/config.js';
import type { SourceReconciler } from '../source-reconciler.js';
import {
  CLEANUP_FINALIZER,
  GITSOURCE,
  gitSourcePath,
  impersonationOf,
  REQUESTED_AT,
  sourceFromGitSource,
  sourceNameOf,
  type GitSourceObject,
} from './spec.js';
import { deleteSourceObjects } from './cleanup.js';
import { readData, readInputs, ValuesReaders } from './inputs.js';
import { kubeConfigRef, remoteOf } from './remote.js';
import { conditionsOf, gitSourceStatus, invalidSpecStatus } from './status.js';

/** The runtime as the controller drives it. */
export interface SourceSet {
  source(name: string): SourceReconciler | undefined;
  putSource(s: SourceReconciler): void;
  removeSource(name: string): void;
  reconcileNow(name: string): Promise<void>;
}

export interface GitSourceControllerOptions {
  readonly kc: KubeConfig;
  /** The reconciler's own cluster access (reads, trust ConfigMaps, inventories). */
  readonly cluster: Cluster;
  /** The cluster a source writes through (impersonating its ServiceAccount, if any). */
  readonly writerOf: (cfg: SourceConfig) => Cluster;
  readonly makeSource: (cfg: SourceConfig) => Promise<SourceReconciler>;
  readonly sources: SourceSet;
  readonly rules: TenancyRules;
  /** driftgate's namespace: where inventories live. */
  readonly namespace: string;
  readonly logger: Logger;
  readonly now?: () => number;
  /**
   * Whether this replica runs a GitSource (shards: its owner by the ring; one with a policy path,
   * the leader). A GitSource it does not run it leaves alone: no status, finalizer or cleanup.
   * @default every GitSource
   */
  readonly runs?: (name: string, obj: GitSourceObject) => boolean;
  /** A GitSource this replica ran is another's now. */
  readonly onHandedOver?: (name: string) => void;
}

interface Known {
  obj: GitSourceObject;
  /** The source config it runs with (JSON, suspend left out), or undefined when refused. */
  key?: string;
  requestedAt?: string;
  problems: readonly string[];
}

const configKey = (c: SourceConfig): string => JSON.stringify({ ...c, suspend: undefined });

/**
 * GitSources as sources: each object's spec becomes a source the runtime drives (created,
 * replaced on edit, suspended by spec.suspend, synced now by the requested-at annotation,
 * removed on delete, its objects deleted first under deletionPolicy Delete), and each reconcile
 * is written back to the object's status subresource as conditions.
 */
export class GitSourceController {
  readonly #queue = new KeyedQueue();
  readonly #known = new Map<string, Known>();
  readonly #pending = new Set<string>();
  readonly #api: CustomObjectsApi;
  #informer: ReturnType<typeof makeInformer<KubernetesObject>> | undefined;
  readonly #readers: ValuesReaders;
  #stopped = false;

  constructor(private readonly o: GitSourceControllerOptions) {
    this.#api = o.kc.makeApiClient(CustomObjectsApi);
    this.#readers = new ValuesReaders(o.kc, o.cluster);
  }

  /** Whether a source name is a GitSource's (the runtime reports every reconcile). */
  owns(name: string): boolean {
    return this.#known.has(name);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    const { group, version, plural } = GITSOURCE;
    const inf = makeInformer<KubernetesObject>(
      this.o.kc,
      `/apis/${group}/${version}/${plural}`,
      () => this.#api.listClusterCustomObject({ group, version, plural }),
    );
    const seen = (obj: KubernetesObject) => void this.#enqueue(obj as unknown as GitSourceObject);
    inf.on('add', seen);
    inf.on('update', seen);
    inf.on('delete', (obj) => {
      const o = obj as unknown as GitSourceObject;
      void this.#queue.run(sourceNameOf(o), async () => this.#forget(sourceNameOf(o)));
    });
    // A failed list or watch (the CRD not installed yet, the apiserver away) is retried with
    // backoff until it works; the sources already running keep running meanwhile.
    let failures = 0;
    let pending = false;
    const reopen = (err: unknown): void => {
      if (this.#stopped || pending) return;
      pending = true;
      const delay = backoffMs(failures++, 2000, 2, 60_000);
      this.o.logger.warn(
        { reason: apiErrorMessage(err), retryMs: delay },
        'GitSource watch failed',
      );
      setTimeout(() => {
        pending = false;
        if (!this.#stopped) inf.start().then(() => (failures = 0), reopen);
      }, delay).unref();
    };
    inf.on('error', reopen);
    this.#informer = inf;
    await inf.start().catch(reopen);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#informer?.stop();
  }

  /**
   * Write a source's state to its GitSource's status soon (after a reconcile or a heal): at
   * most one write per source per 500 ms, with the state as it is then.
   */
  changed(name: string): void {
    if (this.#pending.has(name)) return;
    this.#pending.add(name);
    setTimeout(() => {
      this.#pending.delete(name);
      void this.publish(name);
    }, 500).unref();
  }

  /** Write a source's state to its GitSource's status now. */
  publish(name: string, reconciling = false): Promise<void> {
    const k = this.#known.get(name);
    const s = this.o.sources.source(name);
    if (!k || !s || k.problems.length > 0) return Promise.resolve();
    const previous = conditionsOf(k.obj);
    const status = gitSourceStatus(s.state, {
      ...(k.obj.metadata.generation !== undefined ? { generation: k.obj.metadata.generation } : {}),
      previous,
      now: this.#now(),
      reconciling,
    });
    return this.#patchStatus(k.obj, status);
  }

  #now(): string {
    return new Date((this.o.now ?? Date.now)()).toISOString();
  }

  #enqueue(obj: GitSourceObject): Promise<void> {
    return this.#queue.run(sourceNameOf(obj), () =>
      this.#upsert(obj).catch((err: unknown) =>
        this.o.logger.error(
          { source: sourceNameOf(obj), reason: apiErrorMessage(err) },
          'GitSource not taken in; the next event retries',
        ),
      ),
    );
  }

  /**
   * Shard members or the leader changed: take in the GitSources this replica now runs and let
   * go, without cleanup, of those another replica runs now.
   */
  rebalance(): void {
    for (const obj of this.#informer?.list() ?? [])
      void this.#enqueue(obj as unknown as GitSourceObject);
  }

  async #upsert(obj: GitSourceObject): Promise<void> {
    const name = sourceNameOf(obj);
    const spec = isObject(obj.spec) ? obj.spec : {};
    if (this.o.runs && !this.o.runs(name, obj)) {
      if (this.#known.has(name) || this.o.sources.source(name)) {
        this.o.logger.info({ source: name }, 'GitSource handed to another replica');
        this.#forget(name);
        this.o.onHandedOver?.(name);
      }
      return;
    }
    if (obj.metadata.deletionTimestamp) return this.#delete(obj);
    const prev = this.#known.get(name);
    const requestedAt = obj.metadata.annotations?.[REQUESTED_AT];
    const same =
      prev?.problems.length === 0 &&
      prev.obj.metadata.generation === obj.metadata.generation &&
      prev.requestedAt === requestedAt &&
      this.o.sources.source(name) !== undefined;
    if (same) {
      // Our own status write coming back: keep its conditions (transition times), read nothing.
      prev.obj = obj;
      return;
    }
    await this.#finalizer(obj, spec.deletionPolicy === 'Delete');
    const inputs = await readInputs(this.o.cluster, obj, spec, this.#readers.of(obj));
    const { source, problems } = sourceFromGitSource(
      obj,
      inputs.trust,
      this.o.rules,
      inputs.secret,
      inputs.helmValues,
      inputs.kubeConfig,
    );
    if (!source) {
      // A bad spec stalls; the source that ran before keeps running on its last good spec.
      this.#known.set(name, { ...(prev ?? {}), obj, problems });
      return this.#stalled(obj, problems);
    }
    const key = configKey(source);
    const running = this.o.sources.source(name);
    this.#known.set(name, { obj, key, problems: [], ...(requestedAt ? { requestedAt } : {}) });
    if (!running || prev?.key !== key) {
      this.o.sources.putSource(await this.o.makeSource(source));
      return this.publish(name, true);
    }
    if (source.suspend !== running.state.suspended) {
      if (source.suspend) running.suspend();
      else running.resume();
    }
    if (requestedAt && requestedAt !== prev?.requestedAt)
      void this.o.sources.reconcileNow(name).catch(() => undefined);
    // A sync request alone: the reconcile it starts publishes.
    if (prev?.obj.metadata.generation === obj.metadata.generation) return;
    return this.publish(name);
  }

  /** Keep the cleanup finalizer exactly when the deletion policy is Delete. */
  async #finalizer(obj: GitSourceObject, want: boolean): Promise<void> {
    const list = obj.metadata.finalizers ?? [];
    if (list.includes(CLEANUP_FINALIZER) === want) return;
    const finalizers = want
      ? [...list, CLEANUP_FINALIZER]
      : list.filter((f) => f !== CLEANUP_FINALIZER);
    await this.#api.patchNamespacedCustomObject(
      { ...gitSourcePath(obj), body: { metadata: { finalizers } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /**
   * deletionPolicy Delete: delete what the source applied (live, and labelled as this source's:
   * never anyone else's), as its writer, then let go. A failure keeps the finalizer and is
   * retried; what the writer may not delete was never its to create.
   */
  async #delete(obj: GitSourceObject): Promise<void> {
    const name = sourceNameOf(obj);
    const running = this.o.sources.source(name);
    this.o.sources.removeSource(name);
    // Its gate's PolicyReports go with it, whatever its deletionPolicy (they describe it).
    await new GateReports(this.o.cluster, name, this.o.logger).remove();
    if ((obj.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) {
      // After a restart the source may not run yet: its writer comes from the spec alone.
      const cfg = running?.cfg ?? (await this.#writerConfig(obj));
      const writer = this.o.writerOf(cfg);
      // A remote source's objects are read where they are (its inventory stays here).
      const { deleted, failed } = await deleteSourceObjects(
        cfg.remote ? writer : this.o.cluster,
        writer,
        this.o.namespace,
        name,
      );
      if (failed.length > 0) {
        // Put back so a later event (or the retry below) finds it again.
        if (running) this.o.sources.putSource(running);
        this.#retryLater(obj);
        throw new Error(`not deleted: ${failed.join('; ').slice(0, 1000)}`);
      }
      await this.o.cluster.writeInventory(this.o.namespace, name, []);
      this.o.logger.info({ source: name, deleted }, 'GitSource deleted with its objects');
    }
    this.#known.delete(name);
    await this.#finalizer(obj, false);
  }

  /**
   * Who deletes a GitSource's objects when its source is not running: its ServiceAccount, in the
   * cluster its kubeConfig names. A kubeconfig that no longer reads keeps the finalizer.
   */
  async #writerConfig(obj: GitSourceObject): Promise<SourceConfig> {
    const spec = isObject(obj.spec) ? obj.spec : {};
    const as = impersonationOf(obj);
    if (!kubeConfigRef(spec)) return { impersonate: as } as SourceConfig;
    const data = await readData(this.o.cluster, obj, spec.kubeConfig, 'secretRef', 'Secret');
    const problems: string[] = [];
    const remote = remoteOf(obj, { kubeConfig: spec.kubeConfig }, data, this.o.rules, problems);
    if (!remote) {
      this.#retryLater(obj);
      throw new Error(`objects not deleted: ${problems.join('; ')}`);
    }
    return { impersonate: as, remote } as SourceConfig;
  }

  #retryLater(obj: GitSourceObject): void {
    setTimeout(() => {
      if (!this.#stopped) void this.#enqueue(obj);
    }, 10_000).unref();
  }

  #forget(name: string): void {
    this.o.sources.removeSource(name);
    this.#known.delete(name);
  }

  async #stalled(obj: GitSourceObject, problems: readonly string[]): Promise<void> {
    const gen = obj.metadata.generation;
    await this.#patchStatus(obj, invalidSpecStatus(problems, conditionsOf(obj), gen, this.#now()));
  }

  async #patchStatus(obj: GitSourceObject, status: Record<string, unknown>): Promise<void> {
    await this.#api
      .patchNamespacedCustomObjectStatus(
        { ...gitSourcePath(obj), body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch((err: unknown) =>
        this.o.logger.warn(
          { source: sourceNameOf(obj), reason: apiErrorMessage(err) },
          'GitSource status not written',
        ),
      );
  }
}
