import { createHash } from 'node:crypto';
import { tokenBucket } from '../../core/rate.js';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1ResourceAttributes,
  type V1UserInfo,
} from '@kubernetes/client-node';

/** What a control request asks to do, as Kubernetes RBAC attributes. */
export type ControlAttributes =
  | { readonly resource: V1ResourceAttributes }
  | { readonly nonResource: { readonly path: string; readonly verb: string } };

export type ControlVerdict =
  | { readonly ok: true; readonly user: string }
  | {
      readonly ok: false;
      readonly code: 401 | 403 | 429;
      readonly reason: string;
      /** Who was refused (403: authenticated, not allowed). */
      readonly user?: string;
    };

/** Who may use a control route: TokenReview, then SubjectAccessReview (kube-rbac-proxy's way). */
export type ControlAuth = (token: string, attrs: ControlAttributes) => Promise<ControlVerdict>;

const CACHE_MS = 10_000;
const CACHE_MAX = 1000;
/**
 * TokenReviews of tokens not in the cache, per second and in one burst: a flood of bogus tokens
 * costs the apiserver at most this, and is answered 429 past it.
 */
export const REVIEWS_PER_SECOND = 5;
export const REVIEW_BURST = 20;

/** A bounded map whose entries live CACHE_MS. */
function ttlCache<T>(now: () => number) {
  const m = new Map<string, { at: number; value: T }>();
  return {
    get(k: string): T | undefined {
      const hit = m.get(k);
      return hit && now() - hit.at < CACHE_MS ? hit.value : undefined;
    },
    set(k: string, value: T): void {
      if (m.size >= CACHE_MAX) m.clear();
      m.set(k, { at: now(), value });
    },
  };
}

/**
 * Kubernetes authentication and authorization for the reconciler's routes: the bearer token is
 * reviewed (TokenReview), then the user is checked for the route's attributes
 * (SubjectAccessReview). A token's review, failed or not, is cached for 10 s (by its hash), and
 * so is each verdict; reviews of unknown tokens are rate-limited (REVIEWS_PER_SECOND).
 */
export function kubernetesControlAuth(kc: KubeConfig, now: () => number = Date.now): ControlAuth {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const users = ttlCache<V1UserInfo | null>(now);
  const verdicts = ttlCache<ControlVerdict>(now);
  const mayReview = tokenBucket(REVIEWS_PER_SECOND, REVIEW_BURST, now);
  return async (token, attrs) => {
    const id = createHash('sha256').update(token).digest('hex');
    const key = `${id}\n${JSON.stringify(attrs)}`;
    const hit = verdicts.get(key);
    if (hit) return hit;
    let user = users.get(id);
    if (user === undefined) {
      if (!mayReview())
        return { ok: false, code: 429, reason: 'too many unknown tokens; try again in a second' };
      user = await authenticate(authn, token);
      users.set(id, user);
    }
    const verdict: ControlVerdict = user?.username
      ? await authorize(authz, user, attrs)
      : { ok: false, code: 401, reason: 'the bearer token is not a valid Kubernetes token' };
    verdicts.set(key, verdict);
    return verdict;
  };
}

/** Whether a user a trusted proxy named may do `attrs` (SubjectAccessReview alone). */
export type UserAuth = (
  user: { readonly username: string; readonly groups: readonly string[] },
  attrs: ControlAttributes,
) => Promise<ControlVerdict>;

/** SubjectAccessReviews for users an authenticating proxy vouches for; verdicts cached 10 s. */
export function kubernetesUserAuth(kc: KubeConfig, now: () => number = Date.now): UserAuth {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const verdicts = ttlCache<ControlVerdict>(now);
  return async (u, attrs) => {
    const key = JSON.stringify([u.username, u.groups, attrs]);
    const hit = verdicts.get(key);
    if (hit) return hit;
    const v = await authorize(authz, { username: u.username, groups: [...u.groups] }, attrs);
    verdicts.set(key, v);
    return v;
  };
}

async function authenticate(authn: AuthenticationV1Api, token: string): Promise<V1UserInfo | null> {
  const tr = await authn.createTokenReview({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
  });
  return tr.status?.authenticated && tr.status.user?.username ? tr.status.user : null;
}

async function authorize(
  authz: AuthorizationV1Api,
  u: V1UserInfo,
  attrs: ControlAttributes,
): Promise<ControlVerdict> {
  const sar = await authz.createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: u.username as string,
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
      user: u.username as string,
      reason: `${u.username} may not ${describe(attrs)}${sar.status?.reason ? `: ${sar.status.reason}` : ''}`,
    };
  return { ok: true, user: u.username as string };
}

const describe = (a: ControlAttributes): string =>
  'resource' in a
    ? `${a.resource.verb} ${a.resource.resource}${a.resource.subresource ? `/${a.resource.subresource}` : ''} ${a.resource.namespace ?? ''}/${a.resource.name ?? ''}`
    : `${a.nonResource.verb} ${a.nonResource.path}`;

/** The RBAC attributes of a source: its GitSource, or a GitSource name in driftgate's namespace. */
export function sourceAttributes(
  source: string,
  verb: string,
  driftgateNamespace: string,
): { readonly resource: V1ResourceAttributes & { readonly namespace: string } } {
  const dot = source.indexOf('.');
  return {
    resource: {
      group: 'driftgate.io',
      resource: 'gitsources',
      verb,
      namespace: dot > 0 ? source.slice(0, dot) : driftgateNamespace,
      name: dot > 0 ? source.slice(dot + 1) : source,
    },
  };
}

/**
 * The RBAC attributes of a route. A source `namespace.name` is a GitSource (patch it to control
 * it, get it to read its status); a source from the config file is a GitSource name in
 * driftgate's namespace, for RBAC only. The audit is a non-resource URL (get to read, post to run).
 */
export function controlAttributes(
  path: string,
  driftgateNamespace: string,
  method = 'POST',
): ControlAttributes | undefined {
  if (path === '/audit')
    return { nonResource: { path: '/audit', verb: method === 'GET' ? 'get' : 'post' } };
  if (method === 'GET') {
    const s = /^\/status\/([^/]+)$/.exec(path);
    return s ? sourceAttributes(s[1] as string, 'get', driftgateNamespace) : undefined;
  }
  const m = /^\/sources\/([^/]+)\/(suspend|resume|sync)$/.exec(path);
  return m ? sourceAttributes(m[1] as string, 'patch', driftgateNamespace) : undefined;
}
