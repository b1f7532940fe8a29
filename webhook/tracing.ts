// A span per admission request (a child of the apiserver's, when its traceparent came along) and a
// child span per policy evaluation, its policies' findings as events. Attributes are what the
// request names (operation, kind, namespace, name, uid) and what was decided: never object fields.
import { parseTraceparent, type Span, type Tracer } from '../core/tracing.js';
import type { HandlerDeps } from './handler.js';
import type { AdmissionRequest, AdmissionResponse } from './types.js';

export function admissionSpan(
  tracer: Tracer,
  traceparent: unknown,
  endpoint: string,
  request: AdmissionRequest,
): Span {
  if (!tracer.enabled) return tracer.start('off');
  const parent = parseTraceparent(traceparent);
  return tracer.start(`admission ${endpoint}`, {
    kind: 'server',
    ...(parent ? { parent } : {}),
    attributes: {
      'driftgate.endpoint': endpoint,
      'k8s.operation': request.operation,
      'k8s.group': request.kind.group,
      'k8s.kind': request.kind.kind,
      'k8s.namespace.name': request.namespace,
      'k8s.object.name': request.name,
      'k8s.request.uid': request.uid,
      'k8s.dry_run': request.dryRun ?? false,
    },
  });
}

/** The handler's deps with each evaluation in a child span of `span`. */
export function tracedDeps(deps: HandlerDeps, span: Span): HandlerDeps {
  const evaluate = deps.evaluate;
  // Every API write comes through here: with tracing off, nothing is wrapped.
  if (!evaluate || !span.recording) return deps;
  return {
    ...deps,
    evaluate: async (json) => {
      const child = span.child('policy evaluation');
      try {
        const answer = await evaluate(json);
        child.set({ 'driftgate.evaluation': answer.kind });
        if (answer.kind === 'ok') {
          child.set({
            'driftgate.policy_revision': answer.revision,
            'driftgate.policies': answer.outcomes.length,
          });
          for (const o of answer.outcomes)
            if (!o.ok) child.event('policy error', { 'driftgate.policy': o.policy.id });
            else if (o.result.deny.length + o.result.warn.length > 0)
              child.event('policy violation', {
                'driftgate.policy': o.policy.id,
                'driftgate.deny': o.result.deny.length,
                'driftgate.warn': o.result.warn.length,
              });
        } else child.fail(`evaluation ${answer.kind}`);
        return answer;
      } finally {
        child.end();
      }
    },
  };
}

/** What was decided, on the request's span. */
export function decided(span: Span, answer: AdmissionResponse): void {
  span.set({
    'driftgate.allowed': answer.allowed,
    'driftgate.warnings': answer.warnings?.length ?? 0,
    'driftgate.patched': answer.patch !== undefined,
    ...(answer.status ? { 'http.response.status_code': answer.status.code } : {}),
  });
}
