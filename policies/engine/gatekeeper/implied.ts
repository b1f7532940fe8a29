// What a generated resource violates, said about its workload: Gatekeeper's
// "[Implied by <template>] <message>", with the ExpansionTemplate's action when it sets one.
import type { PolicyOutcome } from '../outcome.js';
import { inScope, targetOf, type ScopeTarget } from '../scope.js';
import { impliedBy, type Expanded } from './expansion.js';

/**
 * The outcomes of evaluating a generated resource, as outcomes of its workload: only the
 * constraints whose match takes generated resources, messages prefixed, the expansion's action
 * over the constraint's, no patches (a generated resource is never written). Pure.
 */
export function impliedOutcomes(
  outcomes: readonly PolicyOutcome[],
  e: Expanded,
  target: ScopeTarget = targetOf(e.object),
): PolicyOutcome[] {
  const generated = { ...target, generated: true };
  return outcomes
    .filter((o) => o.policy.gatekeeper && inScope(o.policy, generated))
    .map((o): PolicyOutcome => {
      const policy = e.enforcement ? { ...o.policy, enforcement: e.enforcement } : o.policy;
      if (!o.ok) return { policy, ok: false, error: impliedBy(e.template, o.error) };
      const r = o.result;
      return {
        policy,
        ok: true,
        result: {
          ...r,
          deny: r.deny.map((m) => impliedBy(e.template, m)),
          warn: r.warn.map((m) => impliedBy(e.template, m)),
          patch: [],
        },
      };
    });
}
