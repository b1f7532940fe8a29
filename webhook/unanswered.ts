import type { Logger } from 'pino';
import type { EngineAnswer } from '../policies/engine/pool/pool.js';
import { AdmissionDecision, type AdmissionMetrics } from './metrics.js';
import { allowed, errored } from './responses.js';
import type { AdmissionRequest, AdmissionResponse } from './types.js';

const unanswered: Record<Exclude<EngineAnswer['kind'], 'ok'>, string> = {
  timeout: 'WEBHOOK_EVAL_TIMEOUT: policy evaluation missed its deadline',
  overloaded: 'WEBHOOK_OVERLOADED: too many evaluations are waiting',
  unavailable: 'WEBHOOK_ENGINE_UNAVAILABLE: the policy engine is restarting',
};

/** The answer to a request whose evaluation was not answered: failurePolicy decides. */
export function unansweredResponse(
  request: AdmissionRequest,
  answer: Exclude<EngineAnswer, { kind: 'ok' }>,
  o: {
    /** failurePolicy Ignore: allowed with a warning; otherwise refused. */
    readonly ignore: boolean;
    readonly metrics: AdmissionMetrics;
    readonly log: Logger;
    readonly gitWarnings: readonly string[];
    readonly count: (decision: AdmissionDecision) => void;
  },
): AdmissionResponse {
  const { ignore, log, gitWarnings } = o;
  const why = unanswered[answer.kind];
  o.count(AdmissionDecision.error);
  o.metrics.unanswered.inc({ reason: answer.kind });
  log.warn({ decision: ignore ? 'allowed' : 'error', reason: why }, 'policy evaluation unanswered');
  return ignore
    ? allowed(request.uid, [...gitWarnings, `driftgate: ${why}; allowed (failurePolicy Ignore)`])
    : errored(request.uid, `driftgate: ${why}; refused (failurePolicy Fail), retry later`);
}
