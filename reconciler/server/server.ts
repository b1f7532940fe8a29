import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { BodyTooLarge, readLimitedBody } from '../../core/body.js';
import { closeServer, listen, metricsServer } from '../../core/http.js';
import type { ReconcilerRuntime } from '../runtime/runtime.js';
import type { DesiredIndexDoc } from '../../core/desired-index.js';
import { controlDenied, readableSources, safeEqual } from './auth.js';
import type { ControlAuth, UserAuth } from './control-auth.js';
import type { ProxyAuthConfig } from '../config/config.js';
import { hookAuthentic, hookRepos, sameRepo } from './push-hook.js';
import { statusView } from './status.js';
import { uiRoutes } from './ui-routes.js';
import type { UiDenial } from './ui-view.js';

const MAX_HOOK_BODY = 1024 * 1024;
/** Marks a push one replica passed on to another: it is not passed on again. */
export const FORWARDED = 'x-driftgate-forwarded';
const SIGNATURES = ['x-hub-signature-256', 'x-driftgate-signature', 'x-gitlab-token'];

/** The headers a push is authenticated by, for passing it on. */
function signatureHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', [FORWARDED]: '1' };
  for (const h of SIGNATURES) {
    const v = req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

export interface StatusServerOptions {
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly runtime: ReconcilerRuntime;
  readonly registry: Registry;
  readonly hookSecret?: () => string | undefined;
  /** Bearer token for the webhooks' feed (/v1/desired, /v1/policies); unset: the feed is off. */
  readonly stateToken?: () => string | undefined;
  /** A bearer token for the control routes (the CLI's); unset: only Kubernetes tokens. */
  readonly controlToken?: () => string | undefined;
  /** Kubernetes tokens for the control routes: TokenReview + SubjectAccessReview. */
  readonly controlAuth?: ControlAuth;
  /** driftgate's namespace (RBAC attributes of file sources). @default driftgate-system */
  readonly namespace?: string;
  /** Whether a source is a GitSource (its suspension lives in spec.suspend). */
  readonly isGitSource?: (name: string) => boolean;
  /** The Git policies of the live bundle. */
  readonly policies?: () => object | undefined;
  /** The status page behind an authenticating proxy: its headers, and SubjectAccessReviews. */
  readonly proxyAuth?: ProxyAuthConfig;
  readonly userAuth?: UserAuth;
  /** The webhook's latest AdmissionDenied Events (the status page). */
  readonly denials?: () => Promise<readonly UiDenial[]>;
  /** The index the feed serves (shards: every member's); @default the runtime's own */
  readonly desired?: (cluster?: string) => Promise<DesiredIndexDoc>;
  /**
   * Shards: an authentic push the leader's Service received, passed on to the other replicas
   * (their sources may be the repository's). Not called for a push that was passed on.
   */
  readonly forwardPush?: (headers: Record<string, string>, body: Buffer) => void;
  /** Ready to serve the feed: the leader (leader election), or always. */
  readonly ready?: () => boolean;
  readonly logger: Logger;
}

const ROUTES =
  'routes: GET /ui (status page), GET /status, GET /status/<source>, POST /sources/<source>/{suspend,resume,sync}, POST /hooks/git, GET|POST /audit, GET /v1/desired, GET /v1/policies';

const json = (res: Response, code: number, body: unknown): void =>
  void res
    .status(code)
    .type('application/json')
    .send(JSON.stringify(body, null, 2));

/** Serve a document with an ETag; 304 when the client has it; gzip when accepted. */
function feed(req: Request, res: Response, etag: string, body: () => string): void {
  const tag = `"${etag}"`;
  res.setHeader('etag', tag);
  if (req.headers['if-none-match'] === tag) return void res.status(304).end();
  res.setHeader('content-type', 'application/json');
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    res.setHeader('content-encoding', 'gzip');
    res.end(gzipSync(body()));
  } else res.end(body());
}

/** The webhooks' feed: its bearer token, and only from the leader. */
function feedRoutes(o: StatusServerOptions): express.Router {
  const r = express.Router();
  r.use((req, res, next) => {
    const token = o.stateToken?.();
    if (!token) return json(res, 403, { error: 'the state feed is off: set stateTokenFile' });
    if (!safeEqual(String(req.headers.authorization ?? ''), `Bearer ${token}`))
      return json(res, 401, { error: 'bearer token missing or wrong' });
    // A follower has no index. A leader serves each source's entries as soon as they are known
    // (synced, or restored from the last run); the ones not known yet are listed as pending, and
    // a webhook keeps what it had for them. A shard member serves its own index to the leader.
    if (!req.path.startsWith('/shard/') && !(o.ready?.() ?? true))
      return json(res, 503, { error: 'not the leader' });
    next();
  });
  // ?cluster=<name>: the sources applying to that remote cluster (its webhook's guard).
  const index =
    (of: (cluster?: string) => Promise<DesiredIndexDoc> | DesiredIndexDoc) =>
    async (req: Request, res: Response): Promise<void> => {
      const cluster = req.query.cluster;
      if (
        cluster !== undefined &&
        (typeof cluster !== 'string' || !/^[a-z0-9.-]{1,253}$/.test(cluster))
      )
        return json(res, 400, { error: 'cluster must be one cluster name' });
      const doc = await of(cluster);
      feed(req, res, doc.generation, () => JSON.stringify(doc));
    };
  r.get('/desired', index(o.desired ?? ((c) => o.runtime.desiredIndex(c))));
  r.get(
    '/shard/desired',
    index((c) => o.runtime.desiredIndex(c)),
  );
  r.get('/policies', (req, res) => {
    const doc = o.policies?.() as { revision: string } | undefined;
    if (!doc) return json(res, 404, { error: 'no policies from Git are live yet' });
    feed(req, res, doc.revision, () => JSON.stringify(doc));
  });
  return r;
}

/**
 * Control changes what is enforced; status and the audit tell what other teams run and what
 * their objects say: authenticated (and authorized) only.
 */
const guard =
  (o: StatusServerOptions) =>
  async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const denied = await controlDenied(o, req, req.path);
    if (!denied) return next();
    if (denied.code === 429) res.setHeader('retry-after', '1');
    json(res, denied.code, { error: denied.reason });
  };

async function control(o: StatusServerOptions, req: Request, res: Response): Promise<void> {
  const action = String(req.params.action);
  const s = o.runtime.source(String(req.params.source));
  if (!s) return json(res, 404, { error: `no source named ${String(req.params.source)}` });
  if (action !== 'sync' && o.isGitSource?.(s.cfg.name))
    return json(res, 409, {
      error: `${s.cfg.name} is a GitSource: set spec.suspend (kubectl patch, or driftgate ${action})`,
    });
  if (action === 'suspend') s.suspend();
  else if (action === 'resume') s.resume();
  else if (action !== 'sync') return json(res, 404, { error: 'actions: suspend, resume, sync' });
  if (action !== 'sync')
    await s
      .recordSuspension()
      .catch((err: unknown) =>
        o.logger.warn(
          { source: s.cfg.name, reason: (err as Error).message },
          'suspension not recorded: it lasts until a restart',
        ),
      );
  o.logger.info({ source: s.cfg.name, action }, 'source control');
  await o.runtime.reconcileNow(s.cfg.name).catch(() => undefined);
  json(res, 200, statusView(s.state));
}

async function pushHook(o: StatusServerOptions, req: Request, res: Response): Promise<void> {
  const secret = o.hookSecret?.();
  const body = await readLimitedBody(req, MAX_HOOK_BODY);
  if (!secret || !hookAuthentic(req.headers, body, secret))
    return json(res, 401, { error: 'signature missing or wrong' });
  const repos = hookRepos(body).map(sameRepo);
  const hit = o.runtime.sources.filter(
    (s) => repos.length === 0 || repos.includes(sameRepo(s.cfg.repoURL)),
  );
  // A push is news of a commit, not a request to look at everything: a settled source applies
  // only what the commit changed (what the interval would do when it saw it).
  for (const s of hit) void o.runtime.reconcileNow(s.cfg.name, true).catch(() => undefined);
  if (o.forwardPush && req.headers[FORWARDED] === undefined)
    o.forwardPush(signatureHeaders(req), body);
  json(res, 202, { triggered: hit.map((s) => s.cfg.name) });
}

/** The status API's routes (express, as the webhook's). */
export function statusApp(o: StatusServerOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const guarded = guard(o);
  app.get('/healthz', (_req, res) => json(res, 200, { ok: true }));
  app.get('/readyz', (_req, res) => {
    const leader = o.ready?.() ?? true;
    json(res, leader ? 200 : 503, { leader });
  });
  app.use('/v1', feedRoutes(o));
  app.all('/audit', guarded, async (req, res) => {
    const report = req.method === 'POST' ? await o.runtime.auditNow() : o.runtime.lastAudit;
    if (!report) return json(res, 404, { error: 'no audit has run (no policies loaded yet?)' });
    json(res, 200, report);
  });
  app.get('/status', async (req, res) => {
    // Every source the caller may get (its GitSource), and only those.
    const list = await readableSources(o, req, o.runtime.sources);
    if ('code' in list) return json(res, list.code, { error: list.reason });
    json(
      res,
      200,
      list.map((s) => statusView(s.state)),
    );
  });
  app.get('/status/:source', guarded, (req, res) => {
    const s = o.runtime.source(String(req.params.source));
    if (!s) return json(res, 404, { error: `no source named ${String(req.params.source)}` });
    json(res, 200, statusView(s.state));
  });
  app.post('/sources/:source/:action', guarded, (req, res) => control(o, req, res));
  app.post('/hooks/git', (req, res) => pushHook(o, req, res));
  // The status page: read-only, signed in with a Kubernetes token, filtered by RBAC.
  app.use('/ui', uiRoutes(o));
  app.use((_req, res) => json(res, 404, { error: ROUTES }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) =>
    err instanceof BodyTooLarge
      ? json(res, 413, { error: `body over the ${MAX_HOOK_BODY}-byte limit` })
      : json(res, 500, { error: (err as Error).message }),
  );
  return app;
}

/**
 * Status and control over HTTP: GET /status[/<source>], POST /sources/<source>/suspend|resume|sync,
 * POST /hooks/git (HMAC-checked push webhook). Metrics on their own port.
 */
export async function startStatusServer(
  o: StatusServerOptions,
): Promise<{ port: number; metricsPort: number; close(): Promise<void> }> {
  const server = createServer(statusApp(o));
  const metrics = metricsServer(o.registry);
  const port = await listen(server, o.host, o.port);
  const metricsPort = await listen(metrics, o.host, o.metricsPort);
  return {
    port,
    metricsPort,
    close: async () => void (await Promise.all([closeServer(server), closeServer(metrics)])),
  };
}
