import { apiErrorMessage } from '../cluster.js';
import { assessHealth, Health } from '../health.js';
import {
  DeletePolicy,
  HOOK_LABEL,
  hookName,
  HookPhase,
  phaseWaves,
  type HookObject,
} from '../hooks.js';
import { isObject, refOf, refText, type K8sObject } from '../objects.js';
import type { ObjectStatus } from '../source-state.js';
import { gateFindings, mapLimit } from './apply.js';
import { pollUntil, sourceEvent, type SyncContext } from './context.js';
import { ReconcileCode, ReconcileError } from './errors.js';

/** How long one hook may run before it counts as failed. */
export const HOOK_TIMEOUT_MS = 300_000;
/** How long a sync waits in line for its objects to be Healthy before PostSync (then retries). */
export const POST_SYNC_INLINE_WAIT_MS = 10_000;
/** The retry while PostSync waits for health. */
export const POST_SYNC_RETRY_MS = 2_000;
const POLL_MS = 500;

export interface HookReport {
  readonly phase: HookPhase;
  readonly object: string;
  readonly status: 'Succeeded' | 'Failed';
  readonly message?: string;
}

type Outcome = { done: boolean; failed?: string };

/** Whether a created hook finished: a Job or Pod by its outcome, anything else once Healthy. Pure. */
export function hookOutcome(kind: string, live: Record<string, unknown> | undefined): Outcome {
  if (!live) return { done: true, failed: 'it was deleted while running' };
  if (kind === 'Pod') {
    const phase = isObject(live.status) ? live.status.phase : undefined;
    if (phase === 'Succeeded') return { done: true };
    if (phase === 'Failed') return { done: true, failed: 'the pod failed' };
    return { done: false };
  }
  const h = assessHealth(kind, live);
  if (h.status === Health.Healthy) return { done: true };
  if (h.status === Health.Degraded) return { done: true, failed: h.message ?? 'degraded' };
  return { done: false };
}

const withLabel = (h: HookObject, source: string): K8sObject => ({
  ...h.object,
  metadata: {
    ...h.object.metadata,
    labels: { ...(h.object.metadata.labels ?? {}), [HOOK_LABEL]: source },
  },
});

// Create one hook, wait for it, delete it as its policy says.
async function runHook(ctx: SyncContext, h: HookObject, phase: HookPhase): Promise<HookReport> {
  const { cluster, gate } = ctx.d;
  const obj = withLabel(h, ctx.cfg.name);
  let name = hookName(obj);
  const report = (failed?: string): HookReport => ({
    phase,
    object: name,
    status: failed ? 'Failed' : 'Succeeded',
    ...(failed ? { message: failed } : {}),
  });
  const held = gateFindings(ctx, obj, h.path).find((f) => f.action === 'enforce');
  if (held && gate === 'enforce') return report(`policy gate: [${held.policy}] ${held.message}`);
  try {
    const named = Boolean(obj.metadata.name);
    const blocked = named ? await previousRun(ctx, h, obj) : undefined;
    if (blocked) return report(blocked);
    const created = named ? await cluster.apply(obj) : await cluster.create(obj);
    const ref = refOf({ ...obj, metadata: { ...obj.metadata, ...(created.metadata as object) } });
    name = refText(ref);
    const outcome = await pollUntil(
      ctx,
      async () => {
        const o = hookOutcome(ref.kind, await cluster.get(ref));
        return o.done ? o : undefined;
      },
      ctx.now() + HOOK_TIMEOUT_MS,
      POLL_MS,
    );
    const failed = outcome ? outcome.failed : `did not finish in ${HOOK_TIMEOUT_MS / 1000}s`;
    const policy = failed ? DeletePolicy.HookFailed : DeletePolicy.HookSucceeded;
    if (h.deletePolicies.includes(policy)) await cluster.delete(ref);
    return report(failed);
  } catch (err) {
    return report(apiErrorMessage(err));
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
  await cluster.delete(refOf(obj));
  const gone = await pollUntil(
    ctx,
    async () => ((await cluster.get(refOf(obj))) ? undefined : true),
    ctx.now() + HOOK_TIMEOUT_MS,
    POLL_MS,
  );
  return gone ? undefined : 'the previous run was not deleted in time';
}

/**
 * Run the hooks of one phase (those of `waves` only, when given), wave by wave, each wave in
 * parallel; stop at the first wave with a failure. Records an event per hook.
 */
export async function runPhase(
  ctx: SyncContext,
  hooks: readonly HookObject[],
  phase: HookPhase,
  wanted: (wave: number) => boolean = () => true,
): Promise<HookReport[]> {
  const reports: HookReport[] = [];
  for (const wave of phaseWaves(hooks, phase).filter((w) => wanted((w[0] as HookObject).wave))) {
    const got: HookReport[] = [];
    await mapLimit(wave, 8, async (h) => {
      got.push(await runHook(ctx, h, phase));
    });
    for (const r of got) {
      const text = `${r.phase} hook ${r.object} ${r.status.toLowerCase()}${r.message ? `: ${r.message}` : ''}`;
      ctx.log[r.message ? 'warn' : 'info']({ hook: r }, 'hook finished');
      await sourceEvent(ctx, r.message ? 'Warning' : 'Normal', `Hook${r.status}`, text);
    }
    reports.push(...got);
    if (got.some((r) => r.status === 'Failed')) break;
  }
  return reports;
}

/** The objects a PostSync still waits for: anything not Healthy (Suspended and Unknown aside). */
export function notYetHealthy(objects: Iterable<ObjectStatus>): ObjectStatus[] {
  const fine: readonly Health[] = [Health.Healthy, Health.Suspended, Health.Unknown];
  return [...objects].filter((o) => !fine.includes(o.health));
}

/**
 * Wait (in line, briefly) for the synced objects to be Healthy, re-reading them; returns a
 * waiting error naming what is not, to retry shortly.
 */
export async function awaitHealthy(
  ctx: SyncContext,
  objects: ReadonlyMap<string, ObjectStatus>,
): Promise<ReconcileError | undefined> {
  const ready = await pollUntil(
    ctx,
    async () => {
      for (const o of notYetHealthy(objects.values())) {
        const h = assessHealth(o.ref.kind, await ctx.d.cluster.get(o.ref));
        o.health = h.status;
        if (h.message) o.healthMessage = h.message;
        else delete o.healthMessage;
      }
      return notYetHealthy(objects.values()).length === 0 ? true : undefined;
    },
    ctx.now() + POST_SYNC_INLINE_WAIT_MS,
    POLL_MS,
  );
  if (ready) return undefined;
  const waiting = notYetHealthy(objects.values());
  const first = waiting[0] as ObjectStatus;
  return new ReconcileError(
    ReconcileCode.RECONCILE_HOOKS_WAITING,
    `PostSync hooks wait for ${waiting.length} object(s) to be Healthy: ${refText(first.ref)} is ${first.health}${first.healthMessage ? ` (${first.healthMessage})` : ''}`,
    { retryAfterMs: POST_SYNC_RETRY_MS },
  );
}
