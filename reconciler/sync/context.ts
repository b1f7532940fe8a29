import type { GatePool } from '../policy/gate-pool.js';
import type { IngressRef } from '../../core/ingress-hosts.js';
import type { Finding } from '../../policies/engine/findings.js';
import type { IngressInventory } from '../policy/ingress-inventory.js';
import type { GateInventory } from '../policy/gate-inventory.js';
import type { Logger } from 'pino';
import type { Cluster } from '../kube/port.js';
import type { GateMode, SourceConfig } from '../config/config.js';
import type { ReconcilerMetrics } from '../metrics.js';
import type { ObjectRef } from '../model/objects.js';
import type { PolicyHub } from '../policy/hub.js';
import type { RenderTools } from '../render/render.js';
import type { TreeFile } from '../source/git-source.js';
import type { SourceState } from '../model/source-state.js';
import type { CommitVerifier } from '../verify/verifier.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { DeliveryMemo } from './delivery.js';
import type { NotifyEvent } from '../notify/payloads.js';
import type { Span, Tracer } from '../../core/tracing.js';

/** What a source's stages are given; built by the shell (source-reconciler.ts). */
export interface SourceDeps {
  readonly cluster: Cluster;
  readonly metrics: ReconcilerMetrics;
  readonly logger: Logger;
  readonly tools: RenderTools;
  /** driftgate's namespace: inventories and source-level events live there. */
  readonly namespace: string;
  readonly now?: () => number;
  /** Wait (CRDs becoming Established); injected so tests need not. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Policies from Git and the pre-apply gate (absent: no gate). */
  readonly policies?: PolicyHub;
  readonly gate?: GateMode;
  /** Who the gate evaluates as (the reconciler's username). */
  readonly identity?: string;
  /**
   * Who the source's writes come from, when not the reconciler (a remote cluster's kubeconfig
   * user); undefined while unknown. Absent: `cfg.impersonate`.
   */
  readonly applier?: () => string | undefined;
  /** The Ingresses an Ingress's hosts are checked against (absent: none). */
  readonly ingresses?: IngressInventory;
  /** Where the gate's PolicyReports go: the reconciler's own client (absent: not written). */
  readonly reportsTo?: Cluster;
  /** Gatekeeper's data.inventory for the gate (absent: empty). */
  readonly gateInventory?: GateInventory;
  /** The gate's evaluation worker (the reconciler's); without it (`driftgate diff`) in-process. */
  readonly gatePool?: GatePool;
  /** Traces of syncs (absent: none). */
  readonly tracer?: Tracer;
  /** Notifications: every source event also goes here (returns at once). */
  readonly notify?: (e: NotifyEvent) => void;
  /** Called when an object's break-glass is seen, with its expiry: heal it then. */
  readonly onBreakGlass?: (ref: ObjectRef, expiresMs: number) => void;
  /** Called when the sync's progress changes mid-reconcile (a hook starts): publish status. */
  readonly onProgress?: () => void;
}

/** What the stages need of a Git source (source/git-source.ts implements it). */
export interface GitPort {
  fetch(have?: string): Promise<{ commit: string; fetched: boolean }>;
  rawCommit(oid: string): Promise<Buffer>;
  parents(oid: string): Promise<string[]>;
  descendsFrom(oid: string, ancestor: string): Promise<boolean>;
  readTree(commit: string, path: string): Promise<Map<string, TreeFile>>;
}

/**
 * What the stages remember between runs of one source, owned by its shell (no module state):
 * the gate's findings per object for one revision under one bundle, and the Ingresses of the
 * revision being applied (the unique-host policy).
 */
export interface SyncMemo {
  gate: { at: string; byObject: Map<string, Finding[]> };
  ownIngresses: readonly IngressRef[];
  /** The delivery metrics' memory (sync/delivery.ts). */
  delivery: DeliveryMemo;
  /** Plain manifests parsed at the last render, by content hash and path (render/render.ts). */
  parsed: ReadonlyMap<string, string>;
}

export const newSyncMemo = (): SyncMemo => ({
  gate: { at: '', byObject: new Map() },
  ownIngresses: [],
  delivery: {},
  parsed: new Map(),
});

/** One source's stages share this: its config, its adapters, its state and a clock. */
export interface SyncContext {
  readonly cfg: SourceConfig;
  readonly git: GitPort;
  readonly verifier: CommitVerifier;
  readonly d: SourceDeps;
  readonly state: SourceState;
  /** The repository URL fit to show (no credentials). */
  readonly repo: string;
  readonly now: () => number;
  readonly log: Logger;
  readonly memo: SyncMemo;
  /** The trace of the reconcile in progress (sync/trace.ts); absent: none. */
  span?: Span;
}

const MAX_NOTIFIED = 2048;

/** Hand an event to the notifications (returns at once); sourceEvent does it for every event. */
export function notifyOnly(
  ctx: SyncContext,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  commit: string | undefined = ctx.state.revision,
): void {
  ctx.d.notify?.({
    source: ctx.cfg.name,
    reason,
    type,
    // Bounded as an Event's message is: a render error can quote a long renderer output.
    message: message.length > MAX_NOTIFIED ? `${message.slice(0, MAX_NOTIFIED - 1)}…` : message,
    ...(commit ? { revision: commit } : {}),
    repoURL: ctx.repo,
    codes: ctx.state.errors.map((e) => e.code),
    time: new Date(ctx.now()).toISOString(),
  });
}

/** Record a source-level event (on its inventory ConfigMap); a failure is logged, never thrown. */
export async function sourceEvent(
  ctx: SyncContext,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  commit: string | undefined = ctx.state.revision,
): Promise<void> {
  notifyOnly(ctx, type, reason, message, commit);
  const ref: ObjectRef = ctx.cfg.eventTarget ?? {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: ctx.d.namespace,
    name: `driftgate-inventory-${ctx.cfg.name}`,
  };
  await ctx.d.cluster
    .event(ref, type, reason, `source ${ctx.cfg.name}: ${message}`, ctx.d.namespace)
    .catch((err: unknown) => {
      ctx.log.warn({ reason: apiErrorMessage(err) }, 'could not record event');
    });
}

/**
 * Poll `check` until it yields a value, sleeping `stepMs` between tries (the injected `sleep`),
 * or until `deadline` (epoch ms by the context's clock). Returns the value, or undefined when
 * the deadline passed. Throws what `check` throws.
 */
export async function pollUntil<T>(
  ctx: SyncContext,
  check: () => Promise<T | undefined>,
  deadline: number,
  stepMs: number,
): Promise<T | undefined> {
  const sleep = ctx.d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    const got = await check();
    if (got !== undefined) return got;
    if (ctx.now() >= deadline) return undefined;
    await sleep(stepMs);
  }
}

/** A working copy as a Git source for a plan: its files, and no history (never asked for). */
export function localPort(local: Pick<GitPort, 'readTree'>): GitPort {
  const none = (): Promise<never> =>
    Promise.reject(new Error('a local working copy has no history'));
  return {
    readTree: (commit, path) => local.readTree(commit, path),
    fetch: none,
    rawCommit: none,
    parents: none,
    descendsFrom: none,
  };
}
