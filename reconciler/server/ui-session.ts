// Who is looking at the status page: a session opened with a Kubernetes token (TokenReview,
// then the token's access reviews), or a user an authenticating proxy names in its headers
// (the platform's OIDC proxy; SubjectAccessReview for that user and groups), trusted only from
// the proxy's addresses. Either way a viewer is a name and an access check.
import type { Request } from 'express';
import { randomBytes } from 'node:crypto';
import type { ProxyAuthConfig } from '../config/config.js';
import type { ControlAttributes, ControlAuth, ControlVerdict, UserAuth } from './control-auth.js';

export interface Viewer {
  readonly user: string;
  /** Whether RBAC lets this viewer do `attrs`. */
  readonly check: (attrs: ControlAttributes) => Promise<ControlVerdict>;
  readonly expires: number;
  /** False once its session was signed out (an open event stream then ends). */
  readonly alive: () => boolean;
}

const COOKIE = 'dg_session';
export const SESSION_MS = 8 * 3600_000;
const MAX_SESSIONS = 1000;
/** A proxy's viewer lasts as long as its request (an event stream: until it closes). */
const PROXY_MS = 24 * 3600_000;
const HEADER_MAX = 256;

const cookieOf = (req: Request): string | undefined =>
  /(?:^|;\s*)dg_session=([A-Za-z0-9_-]{43})(?:;|$)/.exec(String(req.headers.cookie ?? ''))?.[1];

const header = (req: Request, name: string): string =>
  String(req.headers[name.toLowerCase()] ?? '').slice(0, HEADER_MAX * 16);

/** The viewers of signed-in sessions (bounded), and of a trusted proxy's requests. */
export class Viewers {
  readonly #sessions = new Map<string, Viewer>();

  constructor(
    private readonly o: {
      readonly controlAuth?: ControlAuth;
      readonly userAuth?: UserAuth;
      readonly proxyAuth?: ProxyAuthConfig;
      readonly now: () => number;
    },
  ) {}

  /** The request's viewer: its session's, or its trusted proxy's; undefined: sign in. */
  of(req: Request): Viewer | undefined {
    return this.#proxied(req) ?? this.#session(req);
  }

  /** Open a session for a token's user; the Set-Cookie header value. */
  open(token: string, user: string, secure: boolean): string {
    const auth = this.o.controlAuth;
    if (!auth) throw new Error('no Kubernetes token review configured');
    if (this.#sessions.size >= MAX_SESSIONS)
      this.#sessions.delete(this.#sessions.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    const expires = this.o.now() + SESSION_MS;
    const alive = () => this.#sessions.has(id);
    this.#sessions.set(id, { user, check: (attrs) => auth(token, attrs), expires, alive });
    const tls = secure ? '; Secure' : '';
    return `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/ui; Max-Age=${SESSION_MS / 1000}${tls}`;
  }

  /** End the request's session; the Set-Cookie header value that clears it. */
  close(req: Request): string {
    const id = cookieOf(req);
    if (id) this.#sessions.delete(id);
    return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/ui; Max-Age=0`;
  }

  #session(req: Request): Viewer | undefined {
    const id = cookieOf(req);
    const s = id ? this.#sessions.get(id) : undefined;
    if (!s) return undefined;
    if (s.expires > this.o.now()) return s;
    this.#sessions.delete(id as string);
    return undefined;
  }

  #proxied(req: Request): Viewer | undefined {
    const p = this.o.proxyAuth;
    const auth = this.o.userAuth;
    if (!p || !auth) return undefined;
    if (!p.trustedProxies.includes(req.socket.remoteAddress ?? '')) return undefined;
    const username = header(req, p.userHeader).trim();
    if (!username || username.length > HEADER_MAX) return undefined;
    const groups = header(req, p.groupsHeader)
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g && g.length <= HEADER_MAX)
      .slice(0, 64);
    return {
      user: username,
      check: (attrs) => auth({ username, groups }, attrs),
      expires: this.o.now() + PROXY_MS,
      alive: () => true,
    };
  }
}
