import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { safeEqual } from './auth.js';

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

/** A repository URL as push payloads and configs both spell it. */
export const sameRepo = (u: string): string =>
  u
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
