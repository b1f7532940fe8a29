import { isObject } from '../core/object.js';
import { kubeJson, type KubeAccess } from './kube-access.js';
import { allowed, denied } from './responses.js';
import type { AdmissionRequest, AdmissionResponse } from './types.js';

/** Asks the apiserver whether a user may do something (a SubjectAccessReview). */
export type AccessCheck = (
  user: AdmissionRequest['userInfo'] & { uid?: string; extra?: unknown },
  attrs: { verb: string; resource: string; namespace: string; name: string },
) => Promise<boolean>;

/** The SubjectAccessReview of the webhook's kube access (2 s deadline). */
export const accessCheck =
  (a: KubeAccess): AccessCheck =>
  async (user, attrs) => {
    const r = await kubeJson(a, '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      timeoutMs: 2000,
      maxBytes: 1024 * 1024,
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          groups: user.groups ?? [],
          ...(user.uid ? { uid: user.uid } : {}),
          ...(isObject(user.extra) ? { extra: user.extra } : {}),
          resourceAttributes: { group: '', ...attrs },
        },
      },
    });
    return isObject(r.status) && r.status.allowed === true;
  };

const serviceAccountOf = (obj: unknown): string | undefined => {
  const spec = isObject(obj) && isObject(obj.spec) ? obj.spec : undefined;
  return typeof spec?.serviceAccountName === 'string' ? spec.serviceAccountName : undefined;
};

/**
 * A GitSource applies as its serviceAccountName: naming one must not give its author more than
 * they have. Whoever creates a GitSource, or changes its ServiceAccount, must be allowed to
 * impersonate that ServiceAccount (Kubernetes' own `edit` and `admin` roles are; a role that
 * only grants GitSources is not). Returns why the request is refused, or undefined.
 */
export async function gitSourceRefusal(
  req: AdmissionRequest,
  check: AccessCheck,
): Promise<string | undefined> {
  if (req.kind.group !== 'driftgate.io' || req.kind.kind !== 'GitSource') return undefined;
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return undefined;
  const sa = serviceAccountOf(req.object);
  if (!sa || (req.operation === 'UPDATE' && serviceAccountOf(req.oldObject) === sa))
    return undefined;
  const namespace = req.namespace ?? '';
  const ok = await check(req.userInfo, {
    verb: 'impersonate',
    resource: 'serviceaccounts',
    namespace,
    name: sa,
  });
  return ok
    ? undefined
    : `WEBHOOK_GITSOURCE_SERVICEACCOUNT: ${req.userInfo.username ?? 'this user'} may not impersonate ServiceAccount ${namespace}/${sa}, so may not have a GitSource apply as it; ask for impersonate on it, or name one you may use`;
}

/**
 * The answer for a GitSource naming a ServiceAccount its author may not use, or undefined to go
 * on. When the apiserver cannot be asked, failurePolicy decides.
 */
export async function gitSourceAnswer(
  request: AdmissionRequest,
  check: AccessCheck,
  failurePolicy: 'Fail' | 'Ignore' | undefined,
): Promise<AdmissionResponse | undefined> {
  let refusal: string | undefined;
  try {
    refusal = await gitSourceRefusal(request, check);
  } catch (err) {
    const why = `WEBHOOK_GITSOURCE_CHECK_FAILED: ${(err as Error).message.slice(0, 200)}`;
    return failurePolicy === 'Ignore'
      ? allowed(request.uid, [`driftgate: ${why}; allowed (failurePolicy Ignore)`])
      : denied(request.uid, `driftgate: ${why}`);
  }
  return refusal ? denied(request.uid, `driftgate: ${refusal}`) : undefined;
}
