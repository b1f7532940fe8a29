// The parsed `notifications` config, and the checks the schema cannot make (an alert names a
// provider that exists; each provider has what its type needs). Pure.
import type { Static } from '@sinclair/typebox';
import { durationMs, positiveMs } from '../../core/duration.js';
import type { NotificationsSchema, ProviderType } from './schema.js';

export interface ProviderConfig {
  readonly name: string;
  readonly type: ProviderType;
  readonly address?: string;
  readonly addressFile?: string;
  readonly secretFile?: string;
  readonly tokenFile?: string;
  readonly caFile?: string;
  /** Commit status: host/path globs of the repositories it may post to (empty: file sources). */
  readonly repositories: readonly string[];
  readonly timeoutMs: number;
  readonly perMinute: number;
}

export interface NotificationsConfig {
  readonly providers: readonly ProviderConfig[];
  readonly alerts: readonly {
    readonly providers: readonly string[];
    readonly events: readonly string[];
    readonly sources: readonly string[];
  }[];
  readonly queueSize: number;
  readonly dedupWindowMs: number;
}

export function notificationsConfig(
  raw: Static<typeof NotificationsSchema>,
  problems: string[],
): NotificationsConfig {
  const names = new Set<string>();
  const providers = raw.providers.map((p, i): ProviderConfig => {
    const at = `notifications.providers[${i}] (${p.name})`;
    if (names.has(p.name)) problems.push(`${at}: another provider has this name`);
    names.add(p.name);
    const commit = p.type !== 'webhook' && p.type !== 'slack';
    if (!commit && !p.address && !p.addressFile)
      problems.push(`${at}: a ${p.type} provider needs address or addressFile`);
    if (commit && !p.tokenFile) problems.push(`${at}: commit status on ${p.type} needs tokenFile`);
    // Gitea has no public API base: without one the token would go to whatever host a source's
    // repoURL names, a tenant's among them.
    if (p.type === 'gitea' && !p.address)
      problems.push(
        `${at}: commit status on gitea needs address (its API base, and the only host its token goes to)`,
      );
    const repositories = p.repositories ?? [];
    if (!commit && repositories.length > 0)
      problems.push(`${at}: repositories limits commit status providers only`);
    if (p.secretFile && p.type !== 'webhook')
      problems.push(`${at}: secretFile signs webhook requests only`);
    const { timeout, ...rest } = p;
    return { ...rest, repositories, timeoutMs: positiveMs(timeout, `${at}.timeout`, problems) };
  });
  raw.alerts.forEach((a, i) => {
    for (const p of a.providers)
      if (!names.has(p)) problems.push(`notifications.alerts[${i}]: no provider named ${p}`);
  });
  return {
    providers,
    alerts: raw.alerts,
    queueSize: raw.queueSize,
    dedupWindowMs: durationMs(raw.dedupWindow),
  };
}
