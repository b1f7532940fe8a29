// The status page (issue 32): GET /ui, its live feed GET /ui/events (Server-Sent Events), sign-in
// with a Kubernetes token (TokenReview) kept in a server-side session, and every source filtered
// by what RBAC lets the viewer get (SubjectAccessReview, as GET /status). Read-only: no route here
// changes anything but the viewer's own session. A strict Content-Security-Policy: scripts and
// styles from /ui only, nothing inline, no frames, no other origin.
import express, { type Response } from 'express';
import { createHash } from 'node:crypto';
import { readLimitedBody } from '../../core/body.js';
import type { ProxyAuthConfig } from '../config/config.js';
import type { SourceState } from '../model/source-state.js';
import { readableWith, type AuthOptions } from './auth.js';
import type { UserAuth } from './control-auth.js';
import { Viewers, type Viewer } from './ui-session.js';
import { APP_CSS, APP_JS } from './ui-assets.js';
import {
  denialItems,
  loginPage,
  sourceRows,
  statusPage,
  uiSource,
  type AuditFindings,
  type UiDenial,
} from './ui-view.js';

export interface UiOptions extends AuthOptions {
  readonly runtime: {
    readonly sources: readonly {
      readonly cfg: { readonly name: string };
      readonly state: SourceState;
    }[];
    /** The last audit's report (its violations are shown under the sources they belong to). */
    readonly lastAudit?: AuditFindings | undefined;
  };
  /** SubjectAccessReviews for the users an authenticating proxy names (proxyAuth). */
  readonly userAuth?: UserAuth;
  /** The authenticating proxy in front of /ui, if any. */
  readonly proxyAuth?: ProxyAuthConfig;
  /** The webhook's latest AdmissionDenied Events across the cluster. @default none */
  readonly denials?: () => Promise<readonly UiDenial[]>;
  /** How often open pages are brought up to date. @default 500 */
  readonly tickMs?: number;
  readonly now?: () => number;
}

const MAX_STREAMS = 200;
const MAX_LOGIN_BODY = 16 * 1024;
const HEARTBEAT_MS = 15_000;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function secure(res: Response): void {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cache-control', 'no-store');
}

/** Express routes of the status page, mounted at /ui by the status server. */
export function uiRoutes(o: UiOptions): express.Router {
  const now = o.now ?? Date.now;
  const viewers = new Viewers({ ...o, now });
  const visible = async (s: Viewer) => {
    const list = await readableWith(s.check, o.runtime.sources, o.namespace);
    return 'code' in list ? list : list.map((x) => uiSource(x.state, o.runtime.lastAudit));
  };
  // Every source's rows rendered at most once per tick, whatever the number of open pages.
  let rendered = { at: -Infinity, rows: new Map<string, string>() };
  const rowsOf = (name: string, state: SourceState): string => {
    if (now() - rendered.at >= (o.tickMs ?? 500)) rendered = { at: now(), rows: new Map() };
    let html = rendered.rows.get(name);
    if (html === undefined)
      rendered.rows.set(name, (html = sourceRows(uiSource(state, o.runtime.lastAudit))));
    return html;
  };
  const snapshot = async (s: Viewer): Promise<Snapshot | { code: number; reason: string }> => {
    const list = await readableWith(s.check, o.runtime.sources, o.namespace);
    if ('code' in list) return list;
    return {
      html: list.map((x) => rowsOf(x.cfg.name, x.state)).join(''),
      denials: denialItems(await deniedFor(o, s)),
    };
  };
  const feed = liveFeed(o, snapshot, now);
  const r = express.Router();
  r.use((_req, res, next) => {
    secure(res);
    next();
  });
  r.get('/app.js', (_req, res) => void res.type('text/javascript').send(APP_JS));
  r.get('/app.css', (_req, res) => void res.type('text/css').send(APP_CSS));
  r.get('/', async (req, res) => {
    const s = viewers.of(req);
    if (!s) return void res.type('html').send(loginPage());
    const list = await visible(s);
    if ('code' in list) return void res.status(list.code).type('html').send(loginPage(list.reason));
    res.type('html').send(statusPage(s.user, list, await deniedFor(o, s)));
  });
  r.post('/login', async (req, res) => {
    const body = await readLimitedBody(req, MAX_LOGIN_BODY).catch(() => undefined);
    const token = body
      ? (new URLSearchParams(body.toString('utf8')).get('token') ?? '').trim()
      : '';
    const user = token ? await whoIs(o, token) : { error: 'a token, please' };
    if ('error' in user) return void res.status(401).type('html').send(loginPage(user.error));
    const tls = req.secure || req.headers['x-forwarded-proto'] === 'https';
    res.setHeader('set-cookie', viewers.open(token, user.name, tls));
    o.logger.info({ user: user.name }, 'status page sign-in');
    res.redirect(303, '/ui');
  });
  r.post('/logout', (req, res) => {
    res.setHeader('set-cookie', viewers.close(req));
    res.redirect(303, '/ui');
  });
  r.get('/events', (req, res) => {
    const s = viewers.of(req);
    if (!s) return void res.status(401).type('text/plain').send('sign in at /ui');
    if (!feed.open(s, res))
      return void res.status(503).type('text/plain').send('too many pages open');
  });
  return r;
}

/** Who a Kubernetes token belongs to (TokenReview through the status API's ControlAuth). */
async function whoIs(o: AuthOptions, token: string): Promise<{ name: string } | { error: string }> {
  if (!o.controlAuth) return { error: 'this reconciler takes no Kubernetes tokens' };
  const attrs = {
    resource: {
      group: 'driftgate.io',
      resource: 'gitsources',
      verb: 'list',
      namespace: o.namespace ?? 'driftgate-system',
    },
  };
  const v = await o.controlAuth(token, attrs).catch((err: unknown) => ({
    ok: false as const,
    code: 429 as const,
    reason: `cannot review the token now: ${(err as Error).message.slice(0, 200)}`,
    user: undefined,
  }));
  if (v.ok) return { name: v.user };
  if (v.code === 403 && v.user) return { name: v.user };
  return { error: v.reason };
}

/** The denials shown at most. */
const MAX_DENIALS = 20;

/** The latest denials in namespaces whose Events RBAC lets the token list. */
async function deniedFor(o: UiOptions, viewer: Viewer): Promise<UiDenial[]> {
  const all = (await o.denials?.().catch(() => [])) ?? [];
  if (all.length === 0) return [];
  const may = new Map<string, boolean>();
  for (const ns of new Set(all.map((d) => d.namespace))) {
    const v = await viewer
      .check({ resource: { group: '', resource: 'events', verb: 'list', namespace: ns } })
      .catch(() => ({ ok: false as const }));
    may.set(ns, v.ok);
  }
  return all.filter((d) => may.get(d.namespace)).slice(0, MAX_DENIALS);
}

interface Snapshot {
  readonly html: string;
  readonly denials: string;
}

interface Stream {
  readonly session: Viewer;
  readonly res: Response;
  last?: string;
}

/** One timer for every open page: each gets its sources' rows whenever they change. */
function liveFeed(
  o: UiOptions,
  snapshot: (s: Viewer) => Promise<Snapshot | { code: number; reason: string }>,
  now: () => number,
) {
  const streams = new Set<Stream>();
  let timer: NodeJS.Timeout | undefined;
  let beat: NodeJS.Timeout | undefined;
  let busy = false;
  const send = async (st: Stream): Promise<void> => {
    if (st.session.expires <= now() || !st.session.alive()) return void st.res.end();
    const snap = await snapshot(st.session);
    if ('code' in snap) return void st.res.end();
    const hash = createHash('sha256').update(snap.html).update(snap.denials).digest('base64');
    if (hash === st.last) return;
    st.last = hash;
    st.res.write(`event: sources\ndata: ${JSON.stringify({ ...snap, at: now() })}\n\n`);
  };
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (const st of streams) await send(st).catch(() => st.res.end());
    } finally {
      busy = false;
    }
  };
  return {
    open(session: Viewer, res: Response): boolean {
      if (streams.size >= MAX_STREAMS) return false;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      const st: Stream = { session, res };
      streams.add(st);
      res.on('close', () => {
        streams.delete(st);
        if (streams.size === 0) {
          clearInterval(timer);
          clearInterval(beat);
          timer = beat = undefined;
        }
      });
      timer ??= setInterval(() => void tick(), o.tickMs ?? 500);
      beat ??= setInterval(() => streams.forEach((x) => x.res.write(': beat\n\n')), HEARTBEAT_MS);
      void send(st).catch(() => res.end());
      return true;
    },
  };
}
