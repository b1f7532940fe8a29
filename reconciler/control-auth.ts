import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';

/** What a control request asks to do, as Kubernetes RBAC attributes. */
export type ControlAttributes =
  | { readonly resource: V1ResourceAttributes }
  | { readonly nonResource: { readonly path: string; readonly verb: string } };

export type ControlVerdict =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly code: 401 | 403; readonly reason: string };

/** Who may use a control route: TokenReview, then SubjectAccessReview (kube-rbac-proxy's way). */
export type ControlAuth = (token: string, attrs: ControlAttributes) => Promise<ControlVerdict>;

const CACHE_MS = 10_000;
const CACHE_MAX = 1000;

/**
 * Kubernetes authentication and authorization for the control routes: the bearer token is
 * reviewed (TokenReview), then the user is checked for the route's attributes
 * (SubjectAccessReview). Answers are cached for 10 s per token and attributes (bounded).
 */
export function kubernetesControlAuth(kc: KubeConfig, now: () => number = Date.now): ControlAuth {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const cache = new Map<string, { at: number; verdict: ControlVerdict }>();
  return async (token, attrs) => {
    const key = `${token}\n${JSON.stringify(attrs)}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < CACHE_MS) return hit.verdict;
    const verdict = await review(authn, authz, token, attrs);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, { at: now(), verdict });
    return verdict;
  };
}

async function review(
  authn: AuthenticationV1Api,
  authz: AuthorizationV1Api,
  token: string,
  attrs: ControlAttributes,
): Promise<ControlVerdict> {
  const tr = await authn.createTokenReview({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
  });
  const u = tr.status?.user;
  if (!tr.status?.authenticated || !u?.username)
    return { ok: false, code: 401, reason: 'the bearer token is not a valid Kubernetes token' };
  const sar = await authz.createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: u.username,
        ...(u.groups ? { groups: u.groups } : {}),
        ...(u.uid ? { uid: u.uid } : {}),
        ...(u.extra ? { extra: u.extra } : {}),
        ...('resource' in attrs
          ? { resourceAttributes: attrs.resource }
          : { nonResourceAttributes: attrs.nonResource }),
      },
    },
  });
  if (!sar.status?.allowed)
    return {
      ok: false,
      code: 403,
      reason: `${u.username} may not ${describe(attrs)}${sar.status?.reason ? `: ${sar.status.reason}` : ''}`,
    };
  return { ok: true, user: u.username };
}

const describe = (a: ControlAttributes): string =>
  'resource' in a
    ? `${a.resource.verb} ${a.resource.resource}${a.resource.subresource ? `/${a.resource.subresource}` : ''} ${a.resource.namespace ?? ''}/${a.resource.name ?? ''}`
    : `${a.nonResource.verb} ${a.nonResource.path}`;

/**
 * The RBAC attributes of a control route. A source `namespace.name` is a GitSource (patch it);
 * a source from the config file is a GitSource name in driftgate's namespace, for RBAC only.
 */
export function controlAttributes(
  path: string,
  driftgateNamespace: string,
): ControlAttributes | undefined {
  if (path === '/audit') return { nonResource: { path: '/audit', verb: 'post' } };
  const m = /^\/sources\/([^/]+)\/(suspend|resume|sync)$/.exec(path);
  if (!m) return undefined;
  const source = m[1] as string;
  const dot = source.indexOf('.');
  return {
    resource: {
      group: 'driftgate.io',
      resource: 'gitsources',
      verb: 'patch',
      namespace: dot > 0 ? source.slice(0, dot) : driftgateNamespace,
      name: dot > 0 ? source.slice(dot + 1) : source,
    },
  };
}
