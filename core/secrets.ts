import { createHash } from 'node:crypto';

/** What is shown instead of a Secret's value in status, logs, events and deny messages. */
export const HIDDEN = '(secret value)';

/** A field difference as both binaries show it. */
export interface ShownDiff {
  readonly path: string;
  readonly declared: unknown;
  readonly live: unknown;
}

const SECRET_PATH = /^(\/data|\/stringData)(\/|$)|^$/;

/**
 * Differences fit to show: for a Secret, the values under data and stringData are replaced by
 * HIDDEN (which fields changed is shown, never what they hold). Other kinds pass unchanged.
 */
export function shownDiffs<T extends ShownDiff>(kind: string, diffs: readonly T[]): T[] {
  if (kind !== 'Secret') return [...diffs];
  return diffs.map((d) =>
    SECRET_PATH.test(d.path) && d.path !== ''
      ? {
          ...d,
          declared: d.declared === undefined ? undefined : HIDDEN,
          live: d.live === undefined ? undefined : HIDDEN,
        }
      : d,
  );
}

const digest = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * A Secret with every value replaced by the SHA-256 of its bytes (stringData folded into data,
 * as the apiserver does), so the desired-state feed can say whether a field changed without
 * carrying it. Other objects are returned as they are. The webhook seals a request's Secret the
 * same way before comparing.
 */
export function sealSecret<T>(obj: T): T {
  const o = obj as { kind?: unknown; data?: unknown; stringData?: unknown } | null | undefined;
  if (!o || o.kind !== 'Secret') return obj;
  const data: Record<string, string> = {};
  if (o.data && typeof o.data === 'object')
    for (const [k, v] of Object.entries(o.data as Record<string, unknown>))
      data[k] = digest(Buffer.from(String(v), 'base64'));
  if (o.stringData && typeof o.stringData === 'object')
    for (const [k, v] of Object.entries(o.stringData as Record<string, unknown>))
      data[k] = digest(Buffer.from(String(v), 'utf8'));
  const { stringData: _dropped, ...rest } = o;
  return { ...rest, ...(Object.keys(data).length > 0 ? { data } : {}) } as T;
}

/** A URL without user, password or query string (a token may sit in any of them). */
/** Any text with the credentials of every URL in it taken out (`https://user:pass@host` → `https://host`). */
export const redactURLsIn = (text: string): string =>
  text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1');

export function redactURL(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}
