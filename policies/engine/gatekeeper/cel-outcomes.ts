// The outcomes of CEL templates' constraints, beside the wasm's (which knows nothing of them).
import { isObject } from '../../../core/object.js';
import type { PolicyOutcome } from '../outcome.js';
import type { BuiltBundle } from '../built.js';
import { celViolations, type GkCel } from './cel.js';

/** The review Gatekeeper hands a template: a DELETE by its old object, with the Namespace. */
export function gatekeeperReview(input: unknown): Record<string, unknown> {
  const i = isObject(input) ? input : {};
  const request = isObject(i.request) ? i.request : {};
  const ns = isObject(i.driftgate) ? i.driftgate.namespaceObject : undefined;
  return {
    ...request,
    ...(request.operation === 'DELETE' ? { object: request.oldObject } : {}),
    ...(isObject(ns) ? { namespaceObject: ns } : {}),
  };
}

/** The CEL templates of a bundle, by name (empty: nothing to do). */
export const celTemplates = (built: BuiltBundle): ReadonlyMap<string, GkCel> =>
  new Map((built.templates ?? []).flatMap((t) => (t.cel ? [[t.name, t.cel] as const] : [])));

/** `outcomes` with each CEL template's constraints judged on `input` (parsed only if needed). */
export function withCelOutcomes(
  outcomes: PolicyOutcome[],
  cel: ReadonlyMap<string, GkCel>,
  input: () => unknown,
): PolicyOutcome[] {
  if (cel.size === 0) return outcomes;
  let review: Record<string, unknown> | undefined;
  return outcomes.map((o) => {
    const c = o.policy.gatekeeper ? cel.get(o.policy.gatekeeper.template) : undefined;
    if (!c) return o;
    review ??= gatekeeperReview(input());
    try {
      const deny = celViolations(c, review, o.policy.parameters).map((v) => v.msg);
      return { policy: o.policy, ok: true, result: { deny, warn: [], patch: [] } };
    } catch (err) {
      return { policy: o.policy, ok: false, error: (err as Error).message };
    }
  });
}
