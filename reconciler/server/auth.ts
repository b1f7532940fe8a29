import type { IncomingMessage } from 'node:http';
import { controlAttributes, sourceAttributes } from './control-auth.js';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { ControlAttributes, ControlAuth, ControlVerdict } from './control-auth.js';

/** What the checks need of the server's options (AuthOptions has these). */
export interface AuthOptions {
  readonly controlToken?: () => string | undefined;
  readonly controlAuth?: ControlAuth;
  readonly namespace?: string;
  readonly logger: Logger;
}

/** Constant-time string equality (tokens, signatures). */
export const safeEqual = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface Refusal {
  readonly code: 401 | 403 | 429 | 503;
  readonly reason: string;
}

const bearerOf = (req: IncomingMessage): string | undefined =>
  /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];

const isControlToken = (o: AuthOptions, req: IncomingMessage): boolean => {
  const token = o.controlToken?.();
  return (
    token !== undefined && safeEqual(String(req.headers.authorization ?? ''), `Bearer ${token}`)
  );
};

const unavailable = (err: unknown): Refusal => ({
  code: 503,
  reason: `cannot review the token now: ${(err as Error).message.slice(0, 200)}`,
});

/**
 * Why a request to a guarded route is refused (401: no valid credentials, 403: not allowed, 429:
 * too many unknown tokens), or undefined. The control token (the CLI's) or a Kubernetes token
 * that RBAC allows for the route (controlAttributes).
 */
export async function controlDenied(
  o: AuthOptions,
  req: IncomingMessage,
  path: string,
): Promise<Refusal | undefined> {
  const bearer = bearerOf(req);
  if (!bearer) return { code: 401, reason: 'bearer token missing' };
  if (isControlToken(o, req)) return undefined;
  if (!o.controlAuth) return { code: 401, reason: 'bearer token wrong' };
  const attrs = controlAttributes(path, o.namespace ?? 'driftgate-system', req.method);
  if (!attrs) return { code: 403, reason: 'not a control route' };
  const v = await o.controlAuth(bearer, attrs).catch(unavailable);
  if ('ok' in v && v.ok) {
    o.logger.info({ user: v.user, path, method: req.method }, 'authorized request');
    return undefined;
  }
  return v as Refusal;
}

/**
 * The sources whose status the caller may read: all of them with the control token; with a
 * Kubernetes token, those whose GitSource it may get (file sources: a GitSource of that name in
 * driftgate's namespace). A refusal when the token is missing, invalid or cannot be reviewed.
 */
export async function readableSources<S extends { readonly cfg: { readonly name: string } }>(
  o: AuthOptions,
  req: IncomingMessage,
  sources: readonly S[],
): Promise<S[] | Refusal> {
  const bearer = bearerOf(req);
  if (!bearer) return { code: 401, reason: 'bearer token missing' };
  if (isControlToken(o, req)) return [...sources];
  const auth = o.controlAuth;
  if (!auth) return { code: 401, reason: 'bearer token wrong' };
  return readableWith((attrs) => auth(bearer, attrs), sources, o.namespace);
}

/**
 * The sources `check` (a viewer's access review) allows getting, or the refusal that stopped
 * the reviews (401, 429, 503).
 */
export async function readableWith<S extends { readonly cfg: { readonly name: string } }>(
  check: (attrs: ControlAttributes) => Promise<ControlVerdict>,
  sources: readonly S[],
  driftgateNamespace = 'driftgate-system',
): Promise<S[] | Refusal> {
  const out: S[] = [];
  // One review per namespace (get on every GitSource there), then one per source only where
  // RBAC grants some by name: 1,000 sources in ten namespaces cost ten reviews, not 1,000.
  const wholeNamespace = new Map<string, boolean>();
  for (const s of sources) {
    const attrs = sourceAttributes(s.cfg.name, 'get', driftgateNamespace);
    const { namespace } = attrs.resource;
    let all = wholeNamespace.get(namespace);
    if (all === undefined) {
      const { name: _one, ...every } = attrs.resource;
      const v = await check({ resource: every }).catch(unavailable);
      if (!('ok' in v && v.ok) && v.code !== 403) return v as Refusal;
      wholeNamespace.set(namespace, (all = 'ok' in v && v.ok));
    }
    if (all) {
      out.push(s);
      continue;
    }
    const v = await check(attrs).catch(unavailable);
    if ('ok' in v && v.ok) out.push(s);
    else if (v.code !== 403) return v as Refusal;
  }
  return out;
}
