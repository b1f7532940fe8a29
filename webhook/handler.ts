import type { Logger } from 'pino';
import type { PolicyBundle } from '../policies/engine/bundle.js';
import { inScope, requestTarget, selectsNamespaces } from '../policies/engine/scope.js';
import { decide, existingViolations, type Endpoint } from './decide.js';
import { isObject } from '../core/object.js';
import type { IngressRef } from '../core/ingress-hosts.js';
import type { DesiredState } from './desired-state.js';
import { DEFAULT_MAX_CONTAINERS, widestPod } from './contract.js';
import { checkGit, gateJudged, type GitGuardConfig } from './drift.js';
import { exemptReason, type Exemptions } from './exemptions.js';
import { gitSourceAnswer, type AccessCheck } from './gitsource-guard.js';
import { AdmissionDecision, type AdmissionMetrics } from './metrics.js';
import type { EngineAnswer } from '../policies/engine/pool/pool.js';
import type { TenantBreaker } from './tenant-breaker.js';
import { evaluator } from './evaluate.js';
import { gitOutcome } from './git-outcome.js';
import { impliedAnswer } from './implied.js';
import { mutatorPatch } from './mutators.js';
import { unansweredResponse } from './unanswered.js';
import { allowed, denied, errored } from './responses.js';
import type { AdmissionRequest, AdmissionResponse } from './types.js';

export interface HandlerDeps {
  /** Told of each denial the server answers (denial-events.ts). */
  readonly onDenied?: (request: AdmissionRequest, message: string) => void;
  /** The live bundle (read once per request: a reload mid-request cannot mix bundles). */
  readonly bundle: () => PolicyBundle | undefined;
  /**
   * Whether policies are configured (local or from Git): while none is live, requests are
   * refused (WEBHOOK_NO_POLICIES), never allowed unchecked. @default no policies configured
   */
  readonly policiesExpected?: () => boolean;
  readonly exemptions: Exemptions;
  readonly metrics: AdmissionMetrics;
  readonly logger: Logger;
  /** Git-declared state: the index the reconciler serves, and how to guard it. */
  readonly git?: { readonly index: DesiredState; readonly config: GitGuardConfig };
  readonly nowMs?: () => number;
  /**
   * Evaluate by the live bundle off the event loop (the worker pool). @default in-process on
   * `bundle()`, for tests and the CLI.
   */
  readonly evaluate?: (json: Uint8Array) => Promise<EngineAnswer>;
  /** Containers in one pod spec above which a workload is denied unevaluated. @default 200 */
  readonly maxContainersPerPod?: number;
  /**
   * The Ingresses an Ingress's hosts are checked against (Git's desired state, the live
   * cluster), for `input.driftgate.ingressHosts`. @default none
   */
  readonly ingresses?: () => readonly Iterable<IngressRef>[];
  /** The labels of a namespace, when known (Gatekeeper's namespaceSelector). @default none */
  readonly namespaceLabels?: (namespace: string) => Readonly<Record<string, string>> | undefined;
  /** A Namespace, when known: Gatekeeper templates read it as input.review.namespaceObject. */
  readonly namespaceObject?: (namespace: string) => Record<string, unknown> | undefined;
  /** Who may have a GitSource apply as a ServiceAccount (SubjectAccessReview). @default none */
  readonly gitSourceCheck?: AccessCheck;
  /** What an unanswered evaluation (deadline, overload, broken engine) means. @default Fail */
  readonly failurePolicy?: FailurePolicy;
  /** Suspends a tenant's policies after they missed the deadline. @default none */
  readonly tenantBreaker?: TenantBreaker;
}

export const FailurePolicy = { Fail: 'Fail', Ignore: 'Ignore' } as const;
export type FailurePolicy = (typeof FailurePolicy)[keyof typeof FailurePolicy];

const objectRef = (r: AdmissionRequest): string =>
  `${r.kind.group ? `${r.kind.group}/` : ''}${r.kind.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? ''}`.trim();

/**
 * Answer one decoded AdmissionRequest: exempt → allow at once; otherwise evaluate the live
 * bundle and decide(). Never throws for policy problems (they become decisions).
 */
export async function handleRequest(
  request: AdmissionRequest,
  endpoint: Endpoint,
  deps: HandlerDeps,
): Promise<AdmissionResponse> {
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
  const sourceAnswer =
    endpoint === 'validate' && deps.gitSourceCheck
      ? await gitSourceAnswer(request, deps.gitSourceCheck, deps.failurePolicy)
      : undefined;
  if (sourceAnswer) {
    if (!sourceAnswer.allowed) count(AdmissionDecision.denied);
    return sourceAnswer;
  }
  const verdict =
    endpoint === 'validate' && deps.git
      ? checkGit(request, deps.git.index, deps.git.config, (deps.nowMs ?? Date.now)())
      : undefined;
  const gitNote = verdict ? gitOutcome(request, verdict, deps, log) : undefined;
  if (gitNote?.deny) {
    count(AdmissionDecision.denied);
    return denied(request.uid, `driftgate: ${gitNote.deny}`);
  }
  const gitWarnings = gitNote?.warning ? [gitNote.warning] : [];
  const maxContainers = deps.maxContainersPerPod ?? DEFAULT_MAX_CONTAINERS;
  if (widestPod(request.object) > maxContainers) {
    // Policy cost grows faster than linearly in containers: refuse a pod this wide unevaluated.
    count(AdmissionDecision.denied);
    return denied(
      request.uid,
      `driftgate: WEBHOOK_TOO_MANY_CONTAINERS: a pod spec may declare at most ${maxContainers} containers`,
    );
  }
  const bundle = deps.bundle();
  if (!bundle && deps.policiesExpected?.()) {
    // Policies are configured but none is live (the first build is running, or failed): a
    // write is refused, never let through unchecked.
    count(AdmissionDecision.error);
    metrics.unanswered.inc({ reason: 'no-bundle' });
    log.warn({ decision: 'error' }, 'no policy bundle loaded: refused');
    return errored(
      request.uid,
      'driftgate: WEBHOOK_NO_POLICIES: no policy bundle is live yet (the first build is running, or it failed: see the webhook log); refused rather than unchecked, retry later',
    );
  }
  if (!bundle) {
    count(AdmissionDecision.error);
    log.warn({ decision: 'allowed' }, 'no policy bundle loaded');
    return allowed(
      request.uid,
      endpoint === 'validate'
        ? [...gitWarnings, 'driftgate has no policy bundle loaded yet: policies were not checked']
        : [],
    );
  }
  // Gatekeeper templates read the request's Namespace as input.review.namespaceObject.
  const ns = request.namespace;
  const nsObject = ns && bundle.built.templates?.length ? deps.namespaceObject?.(ns) : undefined;
  const evaluate = evaluator(request, bundle, {
    deps,
    log,
    warnings: gitWarnings,
    ...(verdict ? { verdict } : {}),
    ...(nsObject ? { namespaceObject: nsObject } : {}),
  });
  const unanswered = (a: Exclude<EngineAnswer, { kind: 'ok' }>) =>
    unansweredResponse(request, a, {
      ignore: deps.failurePolicy === FailurePolicy.Ignore,
      metrics: deps.metrics,
      log,
      gitWarnings,
      count,
    });
  const answer = await evaluate(request);
  if (answer.kind !== 'ok') return unanswered(answer);
  // Policies scoped away from this object do not speak (the same scope the gate and audit use).
  const labels =
    ns && deps.namespaceLabels && selectsNamespaces(answer.outcomes)
      ? deps.namespaceLabels(ns)
      : undefined;
  const target = requestTarget(request, labels);
  // A workload is also judged as what it creates (Gatekeeper's ExpansionTemplates).
  const implied =
    endpoint === 'validate'
      ? await impliedAnswer(request, request.object, bundle, evaluate, labels)
      : undefined;
  if (implied && implied.kind !== 'ok') return unanswered(implied);
  const outcomes = [
    ...answer.outcomes.filter((o) => inScope(o.policy, target)),
    ...(implied?.kind === 'ok' ? implied.outcomes : []),
  ];
  let d = decide({ endpoint, outcomes });
  let existing: Set<string> | undefined;
  if (!d.allowed && request.operation === 'UPDATE' && isObject(request.oldObject)) {
    // Only what this change makes worse denies: judge the old object too (a second evaluation,
    // only for an update that would be denied).
    const old = await evaluate({ ...request, object: request.oldObject });
    const oldImplied = await impliedAnswer(request, request.oldObject, bundle, evaluate, labels);
    if (old.kind === 'ok') {
      existing = existingViolations([
        ...old.outcomes,
        ...(oldImplied.kind === 'ok' ? oldImplied.outcomes : []),
      ]);
      d = decide({ endpoint, outcomes, existing });
    }
  }
  const git = deps.git;
  if (!d.allowed && git) {
    // The reconciler writing what its pre-apply gate let through: not denied here.
    const gateNote = gateJudged(request, git.config);
    if (gateNote)
      d = decide({
        endpoint,
        outcomes,
        gateJudged: gateNote,
        ...(existing ? { existing } : {}),
      });
  }
  for (const v of d.violations) metrics.violations.inc({ policy: v.policy, action: v.action });
  for (const policy of d.errors) metrics.evaluationErrors.inc({ policy });

  // Gatekeeper's mutators first (whole fields), then the policies' own patches within them.
  const mutated =
    endpoint === 'mutate' && d.allowed
      ? await mutatorPatch(request, bundle, labels)
      : { patch: [] };
  if ('error' in mutated) {
    count(AdmissionDecision.denied);
    log.info(
      {
        decision: AdmissionDecision.denied,
        user: request.userInfo.username,
        reason: mutated.error,
      },
      'mutation failed',
    );
    return denied(request.uid, `driftgate mutation: ${mutated.error}`);
  }
  const patch = [...mutated.patch, ...d.patch];
  const decision = !d.allowed
    ? AdmissionDecision.denied
    : patch.length > 0
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
        revision: answer.revision,
        dryRun: request.dryRun ?? false,
        violations: d.violations.length,
      },
      'admission decision',
    );
    return allowed(request.uid, [...gitWarnings, ...d.warnings], patch);
  }
  log.info(
    {
      decision,
      user,
      revision: answer.revision,
      dryRun: request.dryRun ?? false,
      reason: d.message,
    },
    'admission decision',
  );
  return denied(request.uid, `driftgate policy: ${d.message}`, d.warnings);
}
