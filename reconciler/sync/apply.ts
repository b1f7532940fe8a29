import { hostContext, ingressRefs } from '../../core/ingress-hosts.js';
import { withExternalData } from '../../policies/engine/external-data-session.js';
import { externalDataClient } from '../../policies/engine/external-data-clients.js';
import { breakGlassOf } from '../../core/desired-index.js';
import { notKept } from '../../core/diff.js';
import { shownDiffs } from '../../core/secrets.js';
import {
  findingsWithImplied,
  findingsWithImpliedAsync,
  objectInput,
  type Finding,
} from '../../policies/engine/findings.js';
import { apiErrorMessage } from '../kube/errors.js';
import { assessHealth } from '../model/health.js';
import { refKey, refOf, refText, type K8sObject } from '../model/objects.js';
import { applyOrder, waveOf, waves } from '../model/order.js';
import type { Rendered } from '../model/objects.js';
import type { ObjectStatus, PolicyGateViolation } from '../model/source-state.js';
import type { RefusedObject } from '../model/scope.js';
import type { SyncContext } from './context.js';
import { ignoredPaths, prepared } from './declared.js';
import { apiErrorCode, ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';
import { establish } from './establish.js';
import { LiveReader } from './live.js';
import { applyOrReplace } from './replace.js';
import { Action, planObject, writes, type ObjectPlan } from './plan.js';
import { predict } from './predict.js';

const APPLY_CONCURRENCY = 16;
/** What the apply stage did: per object its status, and what went wrong. */
export interface ApplyResult {
  readonly objects: Map<string, ObjectStatus>;
  readonly plans: readonly ObjectPlan[];
  readonly violations: readonly PolicyGateViolation[];
  /** Declared objects that exist and are someone else's (never written, pruned or guarded). */
  readonly foreign: ReadonlySet<string>;
  readonly refused: readonly RefusedObject[];
  readonly errors: readonly ReconcileError[];
  /** Objects this source wrote, or found live, in sync and its own: what its entries may guard. */
  readonly written: ReadonlySet<string>;
}

/** Run `fn` over `items`, at most `limit` at a time. */
export async function mapLimit<T>(
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

/** The pre-apply gate: a declared object's findings under the live policies (dryrun ones left out). */
export async function gateFindings(
  ctx: SyncContext,
  obj: K8sObject,
  path: string,
): Promise<Finding[]> {
  const bundle = ctx.d.policies?.current;
  if (!bundle) return [];
  const inventories = `${ctx.d.ingresses?.version ?? 0}|${ctx.d.gateInventory?.version ?? 0}`;
  const at = `${ctx.state.revision ?? ''}|${bundle.revision}|${inventories}`;
  // Findings per object for one revision under one bundle: resyncs do not evaluate again.
  const memo = ctx.memo.gate;
  if (memo.at !== at) Object.assign(memo, { at, byObject: new Map() });
  // A hook with only a generateName has no identity to remember it by.
  const key = obj.metadata.name ? `${refKey(refOf(obj))}|${path}` : undefined;
  const hit = key === undefined ? undefined : memo.byObject.get(key);
  if (hit) return hit;
  // A template that asks external data providers is answered by them, as at admission.
  const found = await evaluateGate(ctx, bundle, obj, path);
  if (key !== undefined) memo.byObject.set(key, found);
  return found;
}

async function evaluateGate(
  ctx: SyncContext,
  bundle: NonNullable<NonNullable<SyncContext['d']['policies']>['current']>,
  obj: K8sObject,
  path: string,
): Promise<Finding[]> {
  const input = (o: Record<string, unknown>) =>
    objectInput(
      o,
      { username: ctx.d.identity ?? 'driftgate' },
      {
        managed: true,
        source: ctx.cfg.name,
        repoURL: ctx.repo,
        path,
        commit: ctx.state.revision,
        ...hostContext(o, ctx.d.ingresses?.forSource(ctx.cfg.name, ctx.memo.ownIngresses) ?? []),
      },
    );
  // A workload is also judged as what it creates (Gatekeeper's ExpansionTemplates).
  const pool = ctx.d.gatePool;
  const found = pool
    ? // In the reconciler: a worker of the gate's own, each evaluation within a deadline.
      await findingsWithImpliedAsync(obj, bundle.built, (o) => pool.judge(bundle, input(o)))
    : // `driftgate diff`: in this process, asking external data providers as admission does.
      await withExternalData(bundle.externalData, externalDataClient(bundle), () =>
        findingsWithImplied(obj, bundle.built, (o) => bundle.evaluate(input(o))),
      );
  return found.filter((f) => f.action !== 'dryrun');
}

/** Plan one declared object against its live state (shared by the sync and `driftgate diff`). */
export async function planDeclared(
  ctx: SyncContext,
  r: Rendered,
  live: LiveReader,
  applied: ReadonlySet<string>,
): Promise<{ plan: ObjectPlan; declared: K8sObject; live: Record<string, unknown> | undefined }> {
  const declared = prepared(ctx.cfg, r.object);
  const ref = refOf(declared);
  const current = await live.get(ref);
  const input = {
    declared,
    path: r.path,
    live: current,
    appliedBefore: applied.has(refKey(ref)),
    source: ctx.cfg.name,
    ignore: ignoredPaths(ctx.cfg, r.object),
    now: ctx.now(),
    fighting: ctx.state.fighting.has(refKey(ref)),
    suspended: ctx.state.suspended,
    gate: ctx.d.gate ?? 'off',
    findings:
      ctx.d.gate === undefined || ctx.d.gate === 'off'
        ? []
        : await gateFindings(ctx, declared, r.path),
  };
  let plan = planObject(input);
  // A client-side difference is confirmed by the apiserver before anything acts on it.
  if (plan.drift.length > 0 && current && plan.action !== Action.foreign) {
    const predicted = await predict(ctx, declared);
    if (predicted) plan = planObject({ ...input, predicted });
  }
  return { plan, declared, live: current };
}

/**
 * Apply the declared objects in waves (namespaces, CRDs, sync-wave groups), each object as its
 * plan says; objects within a wave run in parallel. Never throws for one object: its error is
 * typed and collected. Throws when the inventory or a LIST cannot be read.
 */
export async function applyDeclared(
  ctx: SyncContext,
  desired: readonly Rendered[],
  applied: ReadonlySet<string>,
  beforeWave: (wave: number) => Promise<ReconcileError | undefined> = async () => undefined,
  /** Plan and apply only these objects (a commit's changes to a settled source); all: undefined. */
  only?: ReadonlySet<string>,
): Promise<ApplyResult> {
  const { cluster, metrics } = ctx.d;
  const source = ctx.cfg.name;
  const live = new LiveReader(cluster);
  const todo = only ? desired.filter((r) => only.has(refKey(refOf(r.object)))) : desired;
  await live.prefetch(todo, applied);
  const ingresses = ingressRefs(desired.map((r) => r.object));
  ctx.memo.ownIngresses = ingresses;
  if (ingresses.length > 0) await ctx.d.ingresses?.refresh();
  // Gatekeeper templates' data.inventory: the live cluster and every desired state, now.
  const bundle = ctx.d.policies?.current;
  if (bundle && (ctx.d.gate ?? 'off') !== 'off')
    await ctx.d.gateInventory?.refresh(
      bundle,
      desired.map((r) => prepared(ctx.cfg, r.object)),
    );
  const objects = new Map<string, ObjectStatus>();
  const plans: ObjectPlan[] = [];
  const violations: PolicyGateViolation[] = [];
  const foreign = new Set<string>();
  const refused: RefusedObject[] = [];
  const errors: ReconcileError[] = [];
  const crdsReady = new Set<string>();
  const failed = new Set<string>();
  const written = new Set<string>();
  for (const wave of waves(applyOrder(todo))) {
    // CRDs written in an earlier wave must serve their kinds before the custom resources go.
    const established = await establish(ctx, plans, crdsReady, objects, failed);
    if (established) errors.push(established);
    // Sync hooks of earlier waves run first; a failed one stops the sync here.
    const hook = await beforeWave(waveOf((wave[0] as Rendered).object));
    if (hook)
      return { objects, plans, violations, foreign, refused, written, errors: [...errors, hook] };
    await mapLimit(wave, APPLY_CONCURRENCY, async (r) => {
      const p = await planDeclared(ctx, r, live, applied);
      const { plan } = p;
      let current = p.live;
      plans.push(plan);
      const key = refKey(plan.ref);
      const name = refText(plan.ref);
      if (plan.action === Action.foreign) {
        foreign.add(key);
        refused.push({ object: name, path: r.path, reason: plan.reason ?? '' });
        return;
      }
      if (plan.breakGlass) ctx.d.onBreakGlass?.(plan.ref, plan.breakGlass.expiresMs);
      const held = plan.action === Action.held;
      for (const f of plan.findings) {
        violations.push({ object: name, ...f, applied: !held });
        // Counted when the gate acted (a write let through, or held), not on every resync.
        if (held || writes(plan.action))
          metrics.gateViolations.inc({
            source,
            policy: f.policy,
            action: held ? 'held' : 'applied',
          });
      }
      if (held) {
        const f = plan.findings.find((x) => x.action === 'enforce');
        errors.push(
          new ReconcileError(
            ReconcileCode.RECONCILE_POLICY_HELD,
            `policy gate held back ${name}: [${f?.policy}] ${f?.message}`,
          ),
        );
        ctx.log.warn({ object: name, violations: plan.findings }, 'policy gate: not applied');
      }
      let drift = plan.drift;
      if (writes(plan.action)) {
        try {
          current = await applyOrReplace(ctx, p.declared, applied.has(key));
          // What the apiserver stored is its truth (a webhook's or defaulting's value is no
          // drift), but a declared field it did not keep at all is not in sync: say so now.
          drift = notKept(p.declared, current, ignoredPaths(ctx.cfg, r.object));
        } catch (err) {
          failed.add(key);
          metrics.applyErrors.inc({ source });
          const why = apiErrorMessage(err);
          errors.push(
            err instanceof ReconcileError
              ? err
              : new ReconcileError(apiErrorCode(err), `apply ${name}: ${why}`, { cause: err }),
          );
          ctx.log.error({ object: name, reason: why }, 'apply failed');
        }
      }
      if (!failed.has(key) && current !== undefined) written.add(key);
      const h = assessHealth(plan.ref.kind, current);
      objects.set(key, {
        ref: plan.ref,
        path: r.path,
        health: h.status,
        ...(h.message ? { healthMessage: h.message } : {}),
        drift: shownDiffs(plan.ref.kind, drift),
        ...(plan.breakGlass
          ? { breakGlass: { reason: plan.breakGlass.reason, expires: plan.breakGlass.expires } }
          : {}),
        ...(!plan.breakGlass && breakGlassOf(current) ? { breakGlassExpired: true } : {}),
      });
    });
  }
  const hook = await beforeWave(Number.POSITIVE_INFINITY);
  return {
    objects,
    plans,
    violations,
    foreign,
    refused,
    written,
    errors: hook ? [...errors, hook] : errors,
  };
}

/** The error for declared objects not written (out of scope, someone else's); logged once. */
export function notWritten(ctx: SyncContext, refused: readonly RefusedObject[]): ReconcileError[] {
  const first = refused[0];
  if (!first) return [];
  ctx.log.warn({ refused }, 'declared objects outside what this source may write');
  // Reported, and the rest of the source applied: status says not everything is in place.
  return [
    new ReconcileError(
      ReconcileCode.RECONCILE_NOT_PERMITTED,
      `${refused.length} declared object(s) not written: ${first.object}: ${first.reason}`,
    ),
  ];
}
