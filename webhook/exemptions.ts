import type { AdmissionRequest } from './types.js';

/** Who and where driftgate never blocks. kube-system and driftgate's own namespace always are. */
export interface Exemptions {
  readonly namespaces: ReadonlySet<string>;
  readonly users: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
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
  } = {},
): Exemptions {
  return {
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
  return group ? `group ${group}` : undefined;
}
