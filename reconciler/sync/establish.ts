import { assessHealth } from '../model/health.js';
import { refKey, refText } from '../model/objects.js';
import type { ObjectStatus } from '../model/source-state.js';
import { pollUntil, type SyncContext } from './context.js';
import { ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';
import { writes, type ObjectPlan } from './plan.js';

/** How long a new CRD may take to be Established before its custom resources are tried anyway. */
export const ESTABLISH_TIMEOUT_MS = 30_000;
const ESTABLISH_POLL_MS = 200;

const isEstablished = (live: unknown): boolean =>
  (
    (live as { status?: { conditions?: { type?: string; status?: string }[] } } | undefined)?.status
      ?.conditions ?? []
  ).some((c) => c.type === 'Established' && c.status === 'True');

type Conditions = {
  status?: { conditions?: { type?: string; status?: string; message?: string }[] };
};

/** The apiVersion and kind a CRD serves (its storage or first served version). */
export function crdKind(crd: unknown): { apiVersion: string; kind: string } | undefined {
  const spec = (
    crd as
      | {
          spec?: {
            group?: string;
            names?: { kind?: string };
            versions?: { name?: string; served?: boolean }[];
          };
        }
      | undefined
  )?.spec;
  const v = spec?.versions?.find((x) => x.served !== false)?.name;
  if (!spec?.group || !spec.names?.kind || !v) return undefined;
  return { apiVersion: `${spec.group}/${v}`, kind: spec.names.kind };
}

/** Why a CRD is not Established, in the apiserver's words (its False conditions). */
const notEstablishedReason = (crd: unknown): string =>
  ((crd as Conditions | undefined)?.status?.conditions ?? [])
    .filter((c) => c.status === 'False' && c.message)
    .map((c) => `${c.type}: ${c.message}`)
    .join('; ');

/**
 * Wait until every CRD written so far is Established (its kinds served), so the custom
 * resources of the next wave do not meet a 404. Returns a waiting error past the timeout.
 */
export async function establish(
  ctx: SyncContext,
  plans: readonly ObjectPlan[],
  done: Set<string>,
  objects: ReadonlyMap<string, ObjectStatus>,
  failed: ReadonlySet<string>,
): Promise<ReconcileError | undefined> {
  // A CRD the apiserver refused is reported with the apiserver's message, not waited for.
  const crds = plans.filter(
    (p) =>
      p.ref.kind === 'CustomResourceDefinition' &&
      writes(p.action) &&
      !done.has(refKey(p.ref)) &&
      !failed.has(refKey(p.ref)),
  );
  if (crds.length === 0) return undefined;
  const deadline = ctx.now() + ESTABLISH_TIMEOUT_MS;
  for (const p of crds) {
    let last: Record<string, unknown> | undefined;
    const live = await pollUntil(
      ctx,
      async () => {
        last = await ctx.d.cluster.get(p.ref);
        // Established, and discovery (asked again) serves its kind: the next wave may go.
        const served = crdKind(last);
        return isEstablished(last) &&
          (!served || (await ctx.d.cluster.served(served.apiVersion, served.kind)))
          ? last
          : undefined;
      },
      deadline,
      ESTABLISH_POLL_MS,
    );
    if (!live) {
      const why = notEstablishedReason(last);
      return new ReconcileError(
        ReconcileCode.RECONCILE_KIND_NOT_SERVED,
        `${refText(p.ref)} is not Established after ${ESTABLISH_TIMEOUT_MS / 1000}s${why ? `: ${why}` : ''}`,
      );
    }
    done.add(refKey(p.ref));
    // Its status as it is now, not as the apply answered (before it was Established).
    const status = objects.get(refKey(p.ref));
    if (status) status.health = assessHealth(p.ref.kind, live).status;
  }
  return undefined;
}
