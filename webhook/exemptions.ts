import type { AdmissionRequest } from './types.js';

/** Who and where driftgate never blocks. kube-system and driftgate's own namespace always are. */
export interface Exemptions {
  readonly namespaces: ReadonlySet<string>;
  readonly users: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
  /** Objects a workload controller creates from a template: judged on the template, not again. */
  readonly controllerCreated: boolean;
}

export const ALWAYS_EXEMPT_NAMESPACES = ['kube-system'] as const;

/** Build exemptions; kube-system and `ownNamespace` are added whatever the config says. */
export function makeExemptions(
  ownNamespace: string,
  cfg: {
    namespaces?: readonly string[];
    users?: readonly string[];
    groups?: readonly string[];
    serviceAccounts?: readonly string[];
    controllerCreated?: boolean;
  } = {},
): Exemptions {
  return {
    controllerCreated: cfg.controllerCreated ?? true,
    namespaces: new Set([...ALWAYS_EXEMPT_NAMESPACES, ownNamespace, ...(cfg.namespaces ?? [])]),
    users: new Set([
      ...(cfg.users ?? []),
      ...(cfg.serviceAccounts ?? []).map((sa) => `system:serviceaccount:${sa.replace('/', ':')}`),
    ]),
    groups: new Set(cfg.groups ?? []),
  };
}

/** Why a request is exempt, or undefined. A Namespace object is judged by its own name. */
export function exemptReason(req: AdmissionRequest, ex: Exemptions): string | undefined {
  const ns = req.kind.kind === 'Namespace' && !req.namespace ? req.name : req.namespace;
  if (ns && ex.namespaces.has(ns)) return `namespace ${ns}`;
  const user = req.userInfo.username ?? '';
  if (ex.users.has(user)) return `user ${user}`;
  const group = (req.userInfo.groups ?? []).find((g) => ex.groups.has(g));
  if (group) return `group ${group}`;
  return ex.controllerCreated ? controllerCreated(req) : undefined;
}

/** Owners whose controllers stamp objects out of a template that admission already judged. */
const TEMPLATE_OWNERS = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
]);
/** The controller-manager, as itself or with per-controller service accounts. */
const CONTROLLER =
  /^system:(kube-controller-manager|serviceaccount:kube-system:[a-z-]+-controller)$/;

/**
 * A Pod of a ReplicaSet (or a ReplicaSet of a Deployment, a Job of a CronJob…) written by the
 * controller-manager: its template was judged when the owner was applied, so judging it again
 * only turns a policy change into a silent FailedCreate loop. Both the identity and a controller
 * owner reference must say so: an owner reference alone is anyone's to write.
 */
export function controllerCreated(req: AdmissionRequest): string | undefined {
  if (!CONTROLLER.test(req.userInfo.username ?? '')) return undefined;
  const meta = (req.object as { metadata?: { ownerReferences?: unknown } } | null)?.metadata;
  const refs = Array.isArray(meta?.ownerReferences) ? meta.ownerReferences : [];
  const owner = (refs as { kind?: string; name?: string; controller?: boolean }[]).find(
    (o) => o.controller === true && TEMPLATE_OWNERS.has(String(o.kind)),
  );
  return owner ? `created by the controller of ${owner.kind} ${owner.name}` : undefined;
}
