import { BodyTooLarge, readLimitedBody } from '../../core/body.js';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listen, metricsServer } from '../../core/http.js';
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { ControlAuth } from './control-auth.js';
import { controlDenied, readableSources, safeEqual } from './auth.js';
import type { Registry } from 'prom-client';
import type { ReconcilerRuntime } from '../runtime/runtime.js';
import { statusView } from './status.js';

const MAX_HOOK_BODY = 1024 * 1024;

/**
 * Check a push webhook's authenticity: GitHub (X-Hub-Signature-256), GitLab (X-Gitlab-Token) or
 * the generic form (X-Driftgate-Signature: sha256=<hex HMAC of the body>). Pure.
 */
export function hookAuthentic(
  headers: IncomingMessage['headers'],
  body: Buffer,
  secret: string,
): boolean {
  const hmac = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const gh = headers['x-hub-signature-256'];
  if (typeof gh === 'string') return safeEqual(gh, hmac);
  const generic = headers['x-driftgate-signature'];
  if (typeof generic === 'string') return safeEqual(generic, hmac);
  const gl = headers['x-gitlab-token'];
  if (typeof gl === 'string') return safeEqual(gl, secret);
  return false;
}

/** Repository URLs a push payload names (GitHub, GitLab, generic {repository: {url}}). */
export function hookRepos(body: Buffer): string[] {
  try {
    const p = JSON.parse(body.toString()) as {
      repository?: Record<string, unknown>;
      project?: Record<string, unknown>;
    };
    const r = { ...(p.project ?? {}), ...(p.repository ?? {}) };
    return ['clone_url', 'html_url', 'git_http_url', 'http_url', 'url'].flatMap((k) =>
      typeof r[k] === 'string' ? [String(r[k])] : [],
    );
  } catch {
    return [];
  }
}

const norm = (u: string): string =>
  u
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();

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
  /** Ready to serve the feed: the leader (leader election), or always. */
  readonly ready?: () => boolean;
  readonly logger: Logger;
}

/** Serve a document with an ETag; 304 when the client has it; gzip when accepted. */
function feed(req: IncomingMessage, res: ServerResponse, etag: string, body: () => string): void {
  const tag = `"${etag}"`;
  res.setHeader('etag', tag);
  if (req.headers['if-none-match'] === tag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json');
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    res.setHeader('content-encoding', 'gzip');
    res.end(gzipSync(body()));
  } else res.end(body());
}

function deny(res: ServerResponse, d: { code: number; reason: string }): void {
  if (d.code === 429) res.setHeader('retry-after', '1');
  json(res, d.code, { error: d.reason });
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.statusCode = code;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body, null, 2));
}

/**
 * Status and control over HTTP: GET /status[/<source>], POST /sources/<source>/suspend|resume|sync,
 * POST /hooks/git (HMAC-checked push webhook). Metrics on their own port.
 */
export async function startStatusServer(
  o: StatusServerOptions,
): Promise<{ port: number; metricsPort: number; close(): Promise<void> }> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && url.pathname === '/healthz') return json(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/readyz') {
      const leader = o.ready?.() ?? true;
      return json(res, leader ? 200 : 503, { leader });
    }
    if (req.method === 'GET' && parts[0] === 'v1') {
      const token = o.stateToken?.();
      if (!token) return json(res, 403, { error: 'the state feed is off: set stateTokenFile' });
      if (!safeEqual(String(req.headers.authorization ?? ''), `Bearer ${token}`))
        return json(res, 401, { error: 'bearer token missing or wrong' });
      // A follower has no index. A leader serves each source's entries as soon as they are known
      // (synced, or restored from the last run); the ones not known yet are listed as pending,
      // and a webhook keeps what it had for them.
      if (!(o.ready?.() ?? true)) return json(res, 503, { error: 'not the leader' });
      if (parts[1] === 'desired') {
        const doc = o.runtime.desiredIndex();
        return feed(req, res, doc.generation, () => JSON.stringify(doc));
      }
      if (parts[1] === 'policies') {
        const doc = o.policies?.() as { revision: string } | undefined;
        if (!doc) return json(res, 404, { error: 'no policies from Git are live yet' });
        return feed(req, res, doc.revision, () => JSON.stringify(doc));
      }
    }
    const guarded =
      url.pathname === '/audit' ||
      (req.method === 'POST' && parts[0] === 'sources') ||
      (req.method === 'GET' && parts[0] === 'status' && parts.length === 2);
    if (guarded) {
      // Control changes what is enforced; status and the audit tell what other teams run and
      // what their objects say: authenticated (and authorized) only.
      const denied = await controlDenied(o, req, url.pathname);
      if (denied) return deny(res, denied);
    }
    if (url.pathname === '/audit') {
      const report = req.method === 'POST' ? await o.runtime.auditNow() : o.runtime.lastAudit;
      if (!report) return json(res, 404, { error: 'no audit has run (no policies loaded yet?)' });
      return json(res, 200, report);
    }
    if (req.method === 'GET' && parts[0] === 'status' && parts.length <= 2) {
      if (parts[1]) {
        const s = o.runtime.source(parts[1]);
        if (!s) return json(res, 404, { error: `no source named ${parts[1]}` });
        return json(res, 200, statusView(s.state));
      }
      // Every source the caller may get (its GitSource), and only those.
      const list = await readableSources(o, req, o.runtime.sources);
      if ('code' in list) return deny(res, list);
      return json(
        res,
        200,
        list.map((s) => statusView(s.state)),
      );
    }
    if (req.method === 'POST' && parts[0] === 'sources' && parts[1] && parts[2]) {
      const s = o.runtime.source(parts[1]);
      if (!s) return json(res, 404, { error: `no source named ${parts[1]}` });
      if (parts[2] !== 'sync' && o.isGitSource?.(s.cfg.name))
        return json(res, 409, {
          error: `${s.cfg.name} is a GitSource: set spec.suspend (kubectl patch, or driftgate ${parts[2]})`,
        });
      if (parts[2] === 'suspend') s.suspend();
      else if (parts[2] === 'resume') s.resume();
      else if (parts[2] !== 'sync')
        return json(res, 404, { error: 'actions: suspend, resume, sync' });
      if (parts[2] !== 'sync')
        await s
          .recordSuspension()
          .catch((err: unknown) =>
            o.logger.warn(
              { source: s.cfg.name, reason: (err as Error).message },
              'suspension not recorded: it lasts until a restart',
            ),
          );
      o.logger.info({ source: s.cfg.name, action: parts[2] }, 'source control');
      await o.runtime.reconcileNow(s.cfg.name).catch(() => undefined);
      return json(res, 200, statusView(s.state));
    }
    if (req.method === 'POST' && url.pathname === '/hooks/git') {
      const secret = o.hookSecret?.();
      const body = await readLimitedBody(req, MAX_HOOK_BODY);
      if (!secret || !hookAuthentic(req.headers, body, secret))
        return json(res, 401, { error: 'signature missing or wrong' });
      const repos = hookRepos(body).map(norm);
      const hit = o.runtime.sources.filter(
        (s) => repos.length === 0 || repos.includes(norm(s.cfg.repoURL)),
      );
      for (const s of hit) void o.runtime.reconcileNow(s.cfg.name).catch(() => undefined);
      return json(res, 202, { triggered: hit.map((s) => s.cfg.name) });
    }
    return json(res, 404, {
      error:
        'routes: GET /status, GET /status/<source>, POST /sources/<source>/{suspend,resume,sync}, POST /hooks/git, GET|POST /audit, GET /v1/desired, GET /v1/policies',
    });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      err instanceof BodyTooLarge
        ? json(res, 413, { error: `body over the ${MAX_HOOK_BODY}-byte limit` })
        : json(res, 500, { error: (err as Error).message }),
    );
  });
  const metrics = metricsServer(o.registry);
  const port = await listen(server, o.host, o.port);
  const metricsPort = await listen(metrics, o.host, o.metricsPort);
  return {
    port,
    metricsPort,
    close: async () => void (await Promise.all([closeServer(server), closeServer(metrics)])),
  };
}
