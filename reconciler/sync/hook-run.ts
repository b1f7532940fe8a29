import { apiErrorMessage } from '../kube/errors.js';
import {
  DeletePolicy,
  HOOK_LABEL,
  hookName,
  HookPhase,
  phaseWaves,
  waveSteps,
  type HookObject,
  type HookReport,
} from '../model/hook-annotations.js';
import { refOf, refText, type K8sObject, type ObjectRef } from '../model/objects.js';
import { isObject } from '../../core/object.js';
import { gateFindings, mapLimit } from './apply.js';
import { pollUntil, sourceEvent, type SyncContext } from './context.js';
import { HOOK_TIMEOUT_MS, hookOutcome, POLL_MS } from './hooks.js';

/**
 * Keeps a created hook until driftgate has read how it ended (a Job with
 * `ttlSecondsAfterFinished: 0` is otherwise gone before anyone sees it succeed); removed as soon
 * as the outcome is read.
 */
export const HOOK_FINALIZER = 'driftgate.io/hook';

/** The hook running now (status shows it while a long hook runs), or none. */
export type RunningHook = (hook: { phase: string; object: string } | undefined) => void;

/** A hook that ran: its report, and the object it created (for its delete policy). */
export interface RanHook {
  readonly hook: HookObject;
  readonly report: HookReport;
  readonly ref?: ObjectRef;
}

const prepared = (h: HookObject, source: string): K8sObject => ({
  ...h.object,
  metadata: {
    ...h.object.metadata,
    labels: { ...(h.object.metadata.labels ?? {}), [HOOK_LABEL]: source },
    finalizers: [...((h.object.metadata.finalizers as string[] | undefined) ?? []), HOOK_FINALIZER],
  },
});

/** Delete a hook driftgate created: its finalizer first, so nothing waits on driftgate. */
async function remove(ctx: SyncContext, ref: ObjectRef): Promise<void> {
  await ctx.d.cluster.removeFinalizer(ref, HOOK_FINALIZER);
  await ctx.d.cluster.delete(ref);
}

// Create one hook and wait until it ends; a hook that does not end in time is deleted.
async function runHook(
  ctx: SyncContext,
  h: HookObject,
  phase: HookPhase,
  running: RunningHook,
): Promise<RanHook> {
  const { cluster, gate } = ctx.d;
  const obj = prepared(h, ctx.cfg.name);
  let name = hookName(obj);
  let ref: ObjectRef | undefined;
  const ran = (failed?: string): RanHook => ({
    hook: h,
    report: {
      phase,
      object: name,
      status: failed ? 'Failed' : 'Succeeded',
      ...(failed ? { message: failed } : {}),
    },
    ...(ref ? { ref } : {}),
  });
  const held = (await gateFindings(ctx, obj, h.path)).find((f) => f.action === 'enforce');
  if (held && gate === 'enforce') return ran(`policy gate: [${held.policy}] ${held.message}`);
  try {
    const named = Boolean(obj.metadata.name);
    const blocked = named ? await previousRun(ctx, h, obj) : undefined;
    if (blocked) return ran(blocked);
    const created = named ? await cluster.apply(obj) : await cluster.create(obj);
    ref = refOf({ ...obj, metadata: { ...obj.metadata, ...(created.metadata as object) } });
    name = refText(ref);
    running({ phase, object: name });
    const at = ref;
    const outcome = await pollUntil(
      ctx,
      async () => {
        const o = hookOutcome(at.kind, await cluster.get(at));
        return o.done ? o : undefined;
      },
      ctx.now() + HOOK_TIMEOUT_MS,
      POLL_MS,
    );
    if (!outcome) {
      // Argo CD terminates a hook that outlives the operation: nothing is left retrying.
      await remove(ctx, ref);
      return ran(`did not finish in ${HOOK_TIMEOUT_MS / 1000}s; deleted`);
    }
    await cluster.removeFinalizer(ref, HOOK_FINALIZER);
    return ran(outcome.failed);
  } catch (err) {
    return ran(apiErrorMessage(err));
  }
}

/**
 * Make way for a named hook: an object of that name must be an earlier run of this source's
 * hook (a signed commit must not delete or take over anyone else's object by naming a hook
 * after it); BeforeHookCreation deletes it and waits until it is gone. Returns why not.
 */
async function previousRun(
  ctx: SyncContext,
  h: HookObject,
  obj: K8sObject,
): Promise<string | undefined> {
  const { cluster } = ctx.d;
  const existing = await cluster.get(refOf(obj));
  if (!existing) return undefined;
  const labels = isObject(existing.metadata) ? existing.metadata.labels : undefined;
  if (!isObject(labels) || labels[HOOK_LABEL] !== ctx.cfg.name)
    return 'an object of that name exists and is not a hook of this source: left alone';
  if (!h.deletePolicies.includes(DeletePolicy.BeforeHookCreation)) return undefined;
  await remove(ctx, refOf(obj));
  const gone = await pollUntil(
    ctx,
    async () => ((await cluster.get(refOf(obj))) ? undefined : true),
    ctx.now() + HOOK_TIMEOUT_MS,
    POLL_MS,
  );
  return gone ? undefined : 'the previous run was not deleted in time';
}

/** Apply the delete policies of hooks that ran (HookSucceeded, HookFailed). */
export async function deleteByPolicy(ctx: SyncContext, ran: readonly RanHook[]): Promise<void> {
  for (const r of ran) {
    const policy =
      r.report.status === 'Failed' ? DeletePolicy.HookFailed : DeletePolicy.HookSucceeded;
    if (!r.ref || !r.hook.deletePolicies.includes(policy)) continue;
    try {
      await remove(ctx, r.ref);
    } catch (err) {
      ctx.log.warn({ hook: r.report.object, reason: apiErrorMessage(err) }, 'hook not deleted');
    }
  }
}

/**
 * Run the hooks of one phase (those of `waves` only, when given), wave by wave; within a wave
 * kind by kind in Helm's install order, the hooks of one kind together; stop at the first
 * failure. Records an event per hook. Helm's hooks are deleted by their policy once the phase
 * is over (a Job's ServiceAccount outlives the Job); Argo CD's are returned for the caller to
 * delete once the whole sync is over.
 */
export async function runPhase(
  ctx: SyncContext,
  hooks: readonly HookObject[],
  phase: HookPhase,
  wanted: (wave: number) => boolean,
  running: RunningHook,
): Promise<{ reports: HookReport[]; afterOperation: RanHook[] }> {
  const ran: RanHook[] = [];
  const waves = phaseWaves(hooks, phase).filter((w) => wanted((w[0] as HookObject).wave));
  try {
    phases: for (const wave of waves)
      for (const step of waveSteps(wave)) {
        const got: RanHook[] = [];
        await mapLimit(step, 8, async (h) => {
          got.push(await runHook(ctx, h, phase, running));
        });
        for (const { report: r } of got) {
          const text = `${r.phase} hook ${r.object} ${r.status.toLowerCase()}${r.message ? `: ${r.message}` : ''}`;
          ctx.log[r.message ? 'warn' : 'info']({ hook: r }, 'hook finished');
          await sourceEvent(ctx, r.message ? 'Warning' : 'Normal', `Hook${r.status}`, text);
        }
        ran.push(...got);
        if (got.some((r) => r.report.status === 'Failed')) break phases;
      }
  } finally {
    running(undefined);
  }
  await deleteByPolicy(
    ctx,
    ran.filter((r) => r.hook.deleteAfter === 'phase'),
  );
  return {
    reports: ran.map((r) => r.report),
    afterOperation: ran.filter((r) => r.hook.deleteAfter === 'operation'),
  };
}
