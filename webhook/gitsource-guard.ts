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

const specOf = (obj: unknown): Record<string, unknown> =>
  isObject(obj) && isObject(obj.spec) ? obj.spec : {};
const nameAt = (v: unknown): string | undefined =>
  isObject(v) && typeof v.name === 'string' ? v.name : undefined;

/** Spec keys that change neither what is applied nor with which credentials. */
const SCHEDULE_KEYS = new Set(['suspend', 'interval', 'timeout']);
const applying = (spec: Record<string, unknown>): string =>
  JSON.stringify(
    Object.entries(spec)
      .filter(([k]) => !SCHEDULE_KEYS.has(k))
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/**
 * What a GitSource spec borrows: its ServiceAccount, credentials Secret, kubeconfig Secret,
 * trust ConfigMap and the ConfigMaps and Secrets its chart takes values from.
 */
function borrowed(spec: Record<string, unknown>): {
  attrs: { verb: string; resource: string; name: string };
  code: string;
  what: string;
}[] {
  const out = [];
  const sa = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : undefined;
  if (sa)
    out.push({
      attrs: { verb: 'impersonate', resource: 'serviceaccounts', name: sa },
      code: 'WEBHOOK_GITSOURCE_SERVICEACCOUNT',
      what: `impersonate ServiceAccount`,
    });
  const secret = nameAt(spec.secretRef);
  if (secret)
    out.push({
      attrs: { verb: 'get', resource: 'secrets', name: secret },
      code: 'WEBHOOK_GITSOURCE_SECRET',
      what: 'read Secret',
    });
  // A remote cluster's credentials: whoever names them must be able to read them.
  const kubeConfig = isObject(spec.kubeConfig) ? nameAt(spec.kubeConfig.secretRef) : undefined;
  if (kubeConfig)
    out.push({
      attrs: { verb: 'get', resource: 'secrets', name: kubeConfig },
      code: 'WEBHOOK_GITSOURCE_SECRET',
      what: 'read Secret',
    });
  const trust = isObject(spec.verification) ? nameAt(spec.verification.configMapRef) : undefined;
  if (trust)
    out.push({
      attrs: { verb: 'get', resource: 'configmaps', name: trust },
      code: 'WEBHOOK_GITSOURCE_CONFIGMAP',
      what: 'read ConfigMap',
    });
  // A chart's values from ConfigMaps and Secrets: read by the reconciler, so asked of the author.
  const helm = isObject(spec.helm) ? spec.helm : {};
  for (const r of Array.isArray(helm.valuesFrom) ? helm.valuesFrom : []) {
    const name = nameAt(r);
    if (!name || !isObject(r)) continue;
    const secretRef = r.kind === 'Secret';
    out.push({
      attrs: { verb: 'get', resource: secretRef ? 'secrets' : 'configmaps', name },
      code: secretRef ? 'WEBHOOK_GITSOURCE_SECRET' : 'WEBHOOK_GITSOURCE_CONFIGMAP',
      what: secretRef ? 'read Secret' : 'read ConfigMap',
    });
  }
  return out;
}

/**
 * A GitSource applies as its serviceAccountName, with its secretRef's credentials, trusting its
 * ConfigMap: naming them must not give its author more than they have. Whoever creates a
 * GitSource, or changes anything that decides what it applies or with which credentials (every
 * spec key but suspend, interval and timeout), must be allowed to impersonate that
 * ServiceAccount and to read that Secret and ConfigMap (Kubernetes' own `edit` and `admin` roles
 * are; a role that only grants GitSources is not). Editing another's GitSource is naming its
 * ServiceAccount anew. Returns why the request is refused, or undefined.
 */
export async function gitSourceRefusal(
  req: AdmissionRequest,
  check: AccessCheck,
): Promise<string | undefined> {
  if (req.kind.group !== 'driftgate.io' || req.kind.kind !== 'GitSource') return undefined;
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return undefined;
  const spec = specOf(req.object);
  if (req.operation === 'UPDATE' && applying(specOf(req.oldObject)) === applying(spec))
    return undefined;
  const namespace = req.namespace ?? '';
  const who = req.userInfo.username ?? 'this user';
  for (const b of borrowed(spec)) {
    const ok = await check(req.userInfo, { ...b.attrs, namespace });
    if (!ok)
      return `${b.code}: ${who} may not ${b.what} ${namespace}/${b.attrs.name}, so may not have a GitSource use it; ask for ${b.attrs.verb} on it, or name one you may use`;
  }
  return undefined;
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
