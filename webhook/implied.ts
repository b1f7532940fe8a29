// What a workload creates, judged at admission: Gatekeeper's ExpansionTemplates.
import { generatedResources } from '../policies/engine/gatekeeper/generated.js';
import type { PolicyBundle } from '../policies/engine/bundle.js';
import type { PolicyOutcome } from '../policies/engine/outcome.js';
import { gvkOf } from '../policies/engine/gatekeeper/expansion.js';
import { impliedOutcomes } from '../policies/engine/gatekeeper/implied.js';
import type { EngineAnswer } from '../policies/engine/pool/pool.js';
import { requestTarget } from '../policies/engine/scope.js';
import type { AdmissionRequest } from './types.js';

/**
 * Review each resource `object` expands into (a Pod from a Deployment's template) as a request
 * of its own, through the same evaluation, and answer with what they violate said about the
 * workload ("[Implied by <template>] …"). An unanswered evaluation is the answer: the caller
 * applies failurePolicy to it, as to the workload's own.
 */
export async function impliedAnswer(
  request: AdmissionRequest,
  object: unknown,
  bundle: PolicyBundle,
  evaluate: (r: AdmissionRequest) => Promise<EngineAnswer>,
  namespaceLabels?: Readonly<Record<string, string>>,
): Promise<EngineAnswer> {
  const outcomes: PolicyOutcome[] = [];
  for (const e of generatedResources(object, bundle.built, namespaceLabels)) {
    const meta = e.object.metadata as { name?: string };
    const child: AdmissionRequest = {
      ...request,
      kind: gvkOf(e.object),
      ...(meta.name ? { name: meta.name } : {}),
      object: e.object,
      oldObject: null,
    };
    const a = await evaluate(child);
    if (a.kind !== 'ok') return a;
    outcomes.push(...impliedOutcomes(a.outcomes, e, requestTarget(child, namespaceLabels)));
  }
  return { kind: 'ok', revision: bundle.revision, outcomes };
}
