// An in-memory Cluster for stage-level unit tests of the reconciler. The real apiserver runs in
// the e2e suites; here only what the stages ask of the Cluster interface is modelled: objects by
// ref, server-side apply as a merge of declared fields, inventories and events. Mocked because a
// table of dozens of stage cases against a real apiserver would take minutes, not milliseconds.
import { pino } from 'pino';
import { isObject } from '../../core/object.js';
import type { Cluster, Scope } from '../../reconciler/kube/port.js';
import type { SourceConfig } from '../../reconciler/config/config.js';
import { parseReconcilerConfig } from '../../reconciler/config/parse.js';
import { ReconcilerMetrics } from '../../reconciler/metrics.js';
import { refKey, refOf, type K8sObject, type ObjectRef } from '../../reconciler/model/objects.js';
import { initialState, type SourceState } from '../../reconciler/model/source-state.js';
import { newSyncMemo, type SourceDeps, type SyncContext } from '../../reconciler/sync/context.js';
import { prune, recordPrune, type PruneOutcome } from '../../reconciler/sync/prune.js';

type Live = Record<string, unknown>;

/** Server-side apply, roughly: declared fields win, objects merge, everything else stays. */
function merge(live: unknown, declared: unknown): unknown {
  if (!isObject(live) || !isObject(declared)) return structuredClone(declared);
  const out: Record<string, unknown> = { ...live };
  for (const [k, v] of Object.entries(declared)) out[k] = merge(live[k], v);
  return out;
}

export interface FakeCall {
  readonly op:
    | 'get'
    | 'apply'
    | 'dry-run'
    | 'create'
    | 'delete'
    | 'list'
    | 'event'
    | 'writeInventory'
    | 'unfinalize';
  readonly what: string;
}

export class FakeCluster implements Cluster {
  readonly objects = new Map<string, Live>();
  readonly inventories = new Map<string, ObjectRef[]>();
  readonly calls: FakeCall[] = [];
  readonly events: { reason: string; message: string }[] = [];
  /** Kinds the fake does not serve (scopeOf and get throw, like a missing CRD). */
  readonly unserved = new Set<string>();
  /** Per refKey, an error apply throws. */
  readonly applyErrors = new Map<string, Error>();
  readonly clusterScoped = new Set(['Namespace', 'ClusterRole', 'CustomResourceDefinition']);
  /** What the apiserver does to an applied object before storing it (schema pruning, defaults). */
  onApply: (obj: Live) => Live = (obj) => obj;

  constructor(objects: readonly K8sObject[] = []) {
    for (const o of objects) this.put(o);
  }

  put(o: K8sObject | Live): void {
    this.objects.set(refKey(refOf(o as K8sObject)), structuredClone(o) as Live);
  }

  async get(ref: ObjectRef): Promise<Live | undefined> {
    this.calls.push({ op: 'get', what: refKey(ref) });
    if (this.unserved.has(ref.kind))
      throw new Error(`Unrecognized API version and kind ${ref.kind}`);
    const o = this.objects.get(refKey(ref));
    return o ? structuredClone(o) : undefined;
  }

  async apply(obj: K8sObject, opts: { dryRun?: boolean } = {}): Promise<Live> {
    const key = refKey(refOf(obj));
    this.calls.push({ op: opts.dryRun ? 'dry-run' : 'apply', what: key });
    const err = this.applyErrors.get(key);
    if (err) throw err;
    const next = this.onApply(merge(this.objects.get(key), obj) as Live);
    if (!opts.dryRun) this.objects.set(key, next);
    return structuredClone(next);
  }

  #generated = 0;
  /** Create: metadata.generateName gets a counter as its suffix; an existing name is a conflict. */
  async create(obj: K8sObject): Promise<Live> {
    const m = obj.metadata;
    const name =
      m.name ?? `${String(m.generateName)}${(++this.#generated).toString(36).padStart(5, '0')}`;
    const stored = { ...obj, metadata: { ...m, name } } as K8sObject;
    const key = refKey(refOf(stored));
    this.calls.push({ op: 'create', what: key });
    const err = this.applyErrors.get(key);
    if (err) throw err;
    if (this.objects.has(key)) throw new Error(`${key} already exists`);
    const next = this.onApply(structuredClone(stored) as Live);
    this.objects.set(key, next);
    return structuredClone(next);
  }

  /** Delete; an object with finalizers stays, marked with a deletionTimestamp, as it does live. */
  async delete(ref: ObjectRef): Promise<Live | undefined> {
    this.calls.push({ op: 'delete', what: refKey(ref) });
    const o = this.objects.get(refKey(ref));
    const meta = (o?.metadata ?? {}) as { finalizers?: string[]; deletionTimestamp?: string };
    if (o && (meta.finalizers?.length ?? 0) > 0) {
      meta.deletionTimestamp ??= '2026-01-01T00:00:00Z';
      return structuredClone(o);
    }
    this.objects.delete(refKey(ref));
    return undefined;
  }

  async capabilities() {
    return { kubeVersion: 'v1.35.4', apiVersions: ['v1', 'apps/v1'] };
  }

  async scopeOf(apiVersion: string, kind: string): Promise<Scope> {
    if (this.unserved.has(kind))
      throw new Error(`the cluster does not serve ${apiVersion} ${kind}`);
    return { namespaced: !this.clusterScoped.has(kind), resource: `${kind.toLowerCase()}s` };
  }

  async served(_apiVersion: string, kind: string): Promise<boolean> {
    return !this.unserved.has(kind);
  }

  async removeAnnotations(ref: ObjectRef, keys: readonly string[]): Promise<void> {
    const o = this.objects.get(refKey(ref)) as {
      metadata?: { annotations?: Record<string, string> };
    };
    for (const k of keys) delete o?.metadata?.annotations?.[k];
  }

  async removeFinalizer(ref: ObjectRef, finalizer: string): Promise<void> {
    this.calls.push({ op: 'unfinalize', what: refKey(ref) });
    const o = this.objects.get(refKey(ref));
    const meta = (o?.metadata ?? {}) as { finalizers?: string[]; deletionTimestamp?: string };
    if (!meta.finalizers?.includes(finalizer)) return;
    meta.finalizers = meta.finalizers.filter((f) => f !== finalizer);
    if (meta.finalizers.length === 0 && meta.deletionTimestamp) this.objects.delete(refKey(ref));
  }

  async list(apiVersion: string, kind: string, namespace?: string): Promise<Live[]> {
    this.calls.push({ op: 'list', what: `${apiVersion}/${kind}/${namespace ?? ''}` });
    return [...this.objects.values()].filter((o) => {
      const m = o.metadata as { namespace?: string };
      return (
        o.kind === kind && o.apiVersion === apiVersion && (!namespace || m.namespace === namespace)
      );
    });
  }

  async ensureNamespace(): Promise<void> {}

  readonly guards = new Map<string, unknown>();

  async readGuard(_namespace: string, source: string): Promise<unknown> {
    return this.guards.get(source);
  }

  async writeGuard(_namespace: string, source: string, doc: unknown): Promise<boolean> {
    this.guards.set(source, JSON.parse(JSON.stringify(doc)));
    return true;
  }

  async readInventory(_namespace: string, source: string): Promise<ObjectRef[]> {
    return [...(this.inventories.get(source) ?? [])];
  }

  async writeInventory(
    _namespace: string,
    source: string,
    refs: readonly ObjectRef[],
  ): Promise<void> {
    this.calls.push({ op: 'writeInventory', what: source });
    this.inventories.set(source, [...refs]);
  }

  readonly applied = new Map<string, string>();
  async appliedRevision(_namespace: string, source: string): Promise<string | undefined> {
    return this.applied.get(source);
  }
  async recordAppliedRevision(_namespace: string, source: string, revision: string): Promise<void> {
    this.applied.set(source, revision);
  }

  readonly suspensions = new Map<string, boolean>();
  async suspendedNote(_namespace: string, source: string): Promise<boolean | undefined> {
    return this.suspensions.get(source);
  }
  async recordSuspended(_namespace: string, source: string, suspended: boolean): Promise<void> {
    this.suspensions.set(source, suspended);
  }

  async event(_ref: ObjectRef, _type: string, reason: string, message: string): Promise<void> {
    this.calls.push({ op: 'event', what: reason });
    this.events.push({ reason, message });
  }

  /** The keys of calls of one kind, in order. */
  did(op: FakeCall['op']): string[] {
    return this.calls.filter((c) => c.op === op).map((c) => c.what);
  }
}

const TRUST = { sshAllowedSigners: 'dev@example.com ssh-ed25519 AAAA' };

/** A source config as the parser makes it, with `over` on top. */
export function sourceConfig(over: Record<string, unknown> = {}): SourceConfig {
  const cfg = parseReconcilerConfig({
    sources: [
      {
        name: 'shop',
        repoURL: 'http://git.example/shop.git',
        destinationNamespace: 'shop',
        verification: TRUST,
        ...over,
      },
    ],
  });
  return cfg.sources[0] as SourceConfig;
}

export const emptyState = (name = 'shop'): SourceState => initialState(name);

/** A stage context over a FakeCluster with a fixed clock; Git and the verifier are absent. */
export function stageContext(
  cluster: FakeCluster,
  opts: { cfg?: SourceConfig; state?: SourceState; now?: number; deps?: Partial<SourceDeps> } = {},
): SyncContext {
  const cfg = opts.cfg ?? sourceConfig();
  const logger = pino({ level: 'silent' });
  return {
    cfg,
    git: undefined as never,
    verifier: undefined as never,
    d: {
      cluster,
      metrics: new ReconcilerMetrics({ defaultMetrics: false }),
      logger,
      tools: { kustomizePath: 'kustomize', helmPath: 'helm' },
      namespace: 'driftgate-system',
      ...opts.deps,
    },
    state: opts.state ?? emptyState(cfg.name),
    memo: newSyncMemo(),
    repo: cfg.repoURL,
    now: () => opts.now ?? Date.parse('2026-11-30T12:00:00Z'),
    log: logger,
  };
}

/** A ConfigMap as Git declares it. */
export function configMap(
  name: string,
  data: Record<string, string>,
  meta: {
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  } = {},
): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: meta.namespace ?? 'shop',
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ...(meta.finalizers ? { finalizers: meta.finalizers } : {}),
    },
    data,
  };
}

/** A prune as the sync runs one: the inventory read once, the outcome recorded in state. */
export async function pruneAsSync(
  ctx: SyncContext,
  desired: readonly ObjectRef[],
): Promise<PruneOutcome> {
  const inventory = await ctx.d.cluster.readInventory(ctx.d.namespace, ctx.cfg.name);
  const out = await prune(ctx, desired, inventory);
  recordPrune(ctx.state, out);
  return out;
}
