import type { PolicyOutcome } from './outcome.js';
import { generatedResources, type GeneratedBy } from './gatekeeper/generated.js';
import type { Enforcement } from './discover.js';
import { gvkOf, type Expanded } from './gatekeeper/expansion.js';
import { impliedOutcomes } from './gatekeeper/implied.js';
import { inScope, targetOf, type ScopeTarget } from './scope.js';

/** One policy verdict on one object, outside admission (pre-apply gate, audit). */
export interface Finding {
  readonly policy: string;
  readonly action: Enforcement;
  readonly message: string;
}

/**
 * Every deny message (and evaluation error) of a bundle evaluation of `obj`, with its
 * enforcement; policies scoped away from `obj` say nothing (as at admission). Pure.
 */
export function findings(
  outcomes: readonly PolicyOutcome[],
  obj: unknown,
  target: ScopeTarget = targetOf(obj),
): Finding[] {
  return outcomes
    .filter((o) => inScope(o.policy, target))
    .flatMap((o) =>
      o.ok
        ? o.result.deny.map((message) => ({
            policy: o.policy.id,
            action: o.policy.enforcement,
            message,
          }))
        : [
            {
              policy: o.policy.id,
              action: o.policy.enforcement,
              message: `could not be evaluated: ${o.error}`,
            },
          ],
    );
}

/**
 * What a resource an ExpansionTemplate generated (`e`) violates, said about its workload
 * (Gatekeeper's "[Implied by …]"), from the outcomes of evaluating `e.object`. Pure.
 */
export function impliedFindings(
  outcomes: readonly PolicyOutcome[],
  e: Expanded,
  namespaceLabels?: Readonly<Record<string, string>>,
): Finding[] {
  const target = {
    ...targetOf(e.object),
    generated: true,
    ...(namespaceLabels ? { namespaceLabels } : {}),
  };
  return findings(impliedOutcomes(outcomes, e, target), e.object, target);
}

/**
 * What `obj` violates, and what the resources it expands into violate said about it (Gatekeeper's
 * ExpansionTemplates), each evaluated by `judge`. Pure but for `judge`.
 */
export function findingsWithImplied(
  obj: Record<string, unknown>,
  gk: GeneratedBy,
  judge: (o: Record<string, unknown>) => readonly PolicyOutcome[],
  /** The labels of the object's namespace, when known (a namespaceSelector reads them). */
  namespaceLabels?: Readonly<Record<string, string>>,
): Finding[] {
  const { generated, target } = judged(obj, gk, namespaceLabels);
  const implied = generated.flatMap((e) => impliedFindings(judge(e.object), e, namespaceLabels));
  return [...findings(judge(obj), obj, target), ...implied];
}

/** findingsWithImplied with a judge that answers later (an evaluation pool's). */
export async function findingsWithImpliedAsync(
  obj: Record<string, unknown>,
  gk: GeneratedBy,
  judge: (o: Record<string, unknown>) => Promise<readonly PolicyOutcome[]>,
  namespaceLabels?: Readonly<Record<string, string>>,
): Promise<Finding[]> {
  const { generated, target } = judged(obj, gk, namespaceLabels);
  const implied: Finding[] = [];
  for (const e of generated)
    implied.push(...impliedFindings(await judge(e.object), e, namespaceLabels));
  return [...findings(await judge(obj), obj, target), ...implied];
}

/** What `obj` expands into, and the scope target it is judged as. */
function judged(
  obj: Record<string, unknown>,
  gk: GeneratedBy,
  namespaceLabels?: Readonly<Record<string, string>>,
): { generated: ReturnType<typeof generatedResources>; target: ScopeTarget } {
  return {
    generated: generatedResources(obj, gk, namespaceLabels),
    target: { ...targetOf(obj), ...(namespaceLabels ? { namespaceLabels } : {}) },
  };
}

/**
 * The Rego input for an object that is not in an admission request (gate, audit): shaped like a
 * CREATE AdmissionRequest so the same policies judge it.
 */
export function objectInput(
  obj: Record<string, unknown>,
  who: { readonly username: string; readonly groups?: readonly string[] },
  driftgate: Record<string, unknown>,
): { request: Record<string, unknown>; driftgate: Record<string, unknown> } {
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    request: {
      uid: 'driftgate-offline',
      kind: gvkOf(obj),
      name: meta.name,
      namespace: meta.namespace,
      operation: 'CREATE',
      userInfo: { username: who.username, groups: who.groups ?? [] },
      object: obj,
      oldObject: null,
      dryRun: false,
    },
    driftgate,
  };
}
