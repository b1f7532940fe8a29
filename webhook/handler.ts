import type { Logger } from 'pino';
import type { PolicyBundle } from '../policies/engine/bundle.js';
import type { Enforcement } from '../policies/engine/discover.js';
import { decide, type Endpoint } from './decide.js';
import { exemptReason, type Exemptions } from './exemptions.js';
import { AdmissionDecision, type AdmissionMetrics } from './metrics.js';
import { allowed, denied } from './responses.js';
import type { AdmissionRequest, AdmissionResponse } from './types.js';

export interface HandlerDeps {
  /** The live bundle (read once per request: a reload mid-request cannot mix bundles). */
  readonly bundle: () => PolicyBundle | undefined;
  readonly exemptions: Exemptions;
  readonly overrides: Readonly<Record<string, Enforcement>>;
  readonly metrics: AdmissionMetrics;
  readonly logger: Logger;
}

/** The Rego input: the AdmissionRequest plus driftgate's context about the object. */
export function policyInput(request: AdmissionRequest): object {
  return { request, driftgate: { managed: false } };
}

const objectRef = (r: AdmissionRequest): string =>
  `${r.kind.group ? `${r.kind.group}/` : ''}${r.kind.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? ''}`.trim();

/**
 * Answer one decoded AdmissionRequest: exempt → allow at once; otherwise evaluate the live
 * bundle and decide(). Never throws for policy problems (they become decisions).
 */
export function handleRequest(
  request: AdmissionRequest,
  endpoint: Endpoint,
  deps: HandlerDeps,
): AdmissionResponse {
  const { metrics } = deps;
  const log = deps.logger.child({
    uid: request.uid,
    operation: request.operation,
    object: objectRef(request),
    endpoint,
  });
  const count = (decision: AdmissionDecision): void =>
    metrics.requests.inc({ endpoint, operation: request.operation, decision });

  const exempt = exemptReason(request, deps.exemptions);
  if (exempt) {
    count(AdmissionDecision.exempt);
    log.debug({ decision: 'exempt', reason: exempt }, 'admission decision');
    return allowed(request.uid);
  }
  const bundle = deps.bundle();
  if (!bundle) {
    count(AdmissionDecision.error);
    log.warn({ decision: 'allowed' }, 'no policy bundle loaded');
    return allowed(
      request.uid,
      endpoint === 'validate'
        ? ['driftgate has no policy bundle loaded yet: nothing was checked']
        : [],
    );
  }
  const stop = metrics.evaluation.startTimer();
  const outcomes = bundle.evaluate(policyInput(request));
  stop();
  const d = decide({ endpoint, outcomes, overrides: deps.overrides });
  for (const v of d.violations) metrics.violations.inc({ policy: v.policy, action: v.action });
  for (const policy of d.errors) metrics.evaluationErrors.inc({ policy });

  const decision = !d.allowed
    ? AdmissionDecision.denied
    : d.patch.length > 0
      ? AdmissionDecision.patched
      : d.warnings.length > 0
        ? AdmissionDecision.warned
        : AdmissionDecision.allowed;
  count(decision);
  const user = request.userInfo.username;
  if (d.allowed) {
    log.info(
      {
        decision,
        user,
        revision: bundle.revision,
        dryRun: request.dryRun ?? false,
        violations: d.violations.length,
      },
      'admission decision',
    );
    return allowed(request.uid, d.warnings, d.patch);
  }
  log.info(
    {
      decision,
      user,
      revision: bundle.revision,
      dryRun: request.dryRun ?? false,
      reason: d.message,
    },
    'admission decision',
  );
  return denied(request.uid, `driftgate policy: ${d.message}`, d.warnings);
}
