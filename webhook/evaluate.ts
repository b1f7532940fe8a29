import type { Logger } from 'pino';
import { hostContext, type IngressRef } from '../core/ingress-hosts.js';
import { wellFormedJson, type PolicyBundle } from '../policies/engine/bundle.js';
import type { EngineAnswer } from '../policies/engine/pool/pool.js';
import { tenantsIn } from '../policies/engine/tenancy.js';
import type { GitVerdict } from './drift.js';
import type { AdmissionMetrics } from './metrics.js';
import type { TenantBreaker } from './tenant-breaker.js';
import { suspendedWarning } from './tenant-breaker.js';

/** What evaluating needs of the handler's deps (HandlerDeps has these). */
export interface EvalDeps {
  readonly metrics: AdmissionMetrics;
  readonly evaluate?: (json: Uint8Array) => Promise<EngineAnswer>;
  readonly ingresses?: () => readonly Iterable<IngressRef>[];
  readonly tenantBreaker?: TenantBreaker;
}
import type { AdmissionRequest } from './types.js';

/** The Rego input: the AdmissionRequest plus driftgate's context about the object. */
export function policyInput(
  request: AdmissionRequest,
  verdict?: GitVerdict,
  ingresses: readonly Iterable<IngressRef>[] = [],
  skipTenants: readonly string[] = [],
  namespaceObject?: Record<string, unknown>,
): object {
  const d = verdict && 'declared' in verdict ? verdict.declared : undefined;
  const hosts = {
    ...hostContext(request.object, ingresses),
    ...(skipTenants.length > 0
      ? { skip_tenants: Object.fromEntries(skipTenants.map((t) => [t, true])) }
      : {}),
    ...(namespaceObject ? { namespaceObject } : {}),
  };
  return {
    request,
    driftgate: d
      ? {
          managed: true,
          source: d.source.name,
          repoURL: d.source.repoURL,
          path: d.entry.path,
          commit: d.source.revision,
          breakGlass: verdict?.kind === 'allowed' && verdict.breakGlass !== undefined,
          ...hosts,
        }
      : { managed: false, ...hosts },
  };
}

/**
 * How one request is evaluated by the live bundle: in the pool (or in-process), timed, and with
 * the tenants whose policies are suspended in its namespace left out (a warning says so).
 */
export function evaluator(
  request: AdmissionRequest,
  bundle: PolicyBundle,
  o: {
    readonly deps: EvalDeps;
    readonly log: Logger;
    readonly verdict?: GitVerdict;
    /** Where the suspension warning goes (once per request). */
    readonly warnings: string[];
    /** The request's Namespace, for Gatekeeper's input.review.namespaceObject. */
    readonly namespaceObject?: Record<string, unknown>;
  },
): (r: AdmissionRequest) => Promise<EngineAnswer> {
  const { deps, log } = o;
  const once = async (r: AdmissionRequest, skip: readonly string[]): Promise<EngineAnswer> => {
    const stop = deps.metrics.evaluation.startTimer();
    const json = wellFormedJson(
      policyInput(r, o.verdict, deps.ingresses?.(), skip, o.namespaceObject),
    );
    const a: EngineAnswer = deps.evaluate
      ? await deps.evaluate(json)
      : { kind: 'ok', revision: bundle.revision, outcomes: bundle.evaluateJson(json) };
    stop();
    return a;
  };
  const tenants = tenantsIn(bundle.policies, request.namespace);
  const breaker = deps.tenantBreaker;
  let warned = false;
  return async (r) => {
    if (!breaker || tenants.length === 0) return once(r, []);
    const judged = await breaker.judge(tenants, (s) => once(r, s));
    if (judged.skipped.length > 0 && !warned) {
      warned = true;
      o.warnings.push(suspendedWarning(judged.skipped, breaker.suspensionMs));
    }
    if (judged.tripped.length > 0)
      log.warn({ tenants: judged.tripped }, 'tenant policies missed the deadline: suspended');
    return judged.answer;
  };
}
